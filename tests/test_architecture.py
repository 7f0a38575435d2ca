"""The layout the README's library map describes: networks apart from experiments, short notebooks."""

import ast
import importlib
import pkgutil

import nbformat
import papermill as pm
import pytest

import mer_lib
from mer_lib import params as P
from mer_lib.paths import PROJECT_ROOT

NOTEBOOKS = P.notebook_names()
LIBRARY = PROJECT_ROOT / "mer_lib"
#: Longest notebook code cell (lines; the parameters cell aside; most are under 25): longer
#: analysis belongs in a documented library function.
MAX_CELL_LINES = 30


def code_cells(name):
    nb = nbformat.read(PROJECT_ROOT / "notebooks" / f"{name}.ipynb", as_version=4)
    return [(i, c.source) for i, c in enumerate(nb.cells)
            if c.cell_type == "code" and "parameters" not in c.metadata.get("tags", [])]


def imported_modules(tree) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebooks_define_no_functions_and_keep_cells_short(name):
    for index, source in code_cells(name):
        tree = ast.parse("\n".join(line for line in source.splitlines() if not line.startswith(("%", "!"))))
        defined = [n.name for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.ClassDef))]
        assert not defined, f"{name} cell {index} defines {defined}: put them in mer_lib"
        assert len(source.splitlines()) <= MAX_CELL_LINES, f"{name} cell {index} has {len(source.splitlines())} lines"


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebooks_use_one_vocabulary_of_parameter_names(name):
    declared = pm.inspect_notebook(str(PROJECT_ROOT / "notebooks" / f"{name}.ipynb"))
    old = set(declared) & (set(P.RENAMED) | set(P.MOVED_TO_DATASET_OPTIONS))
    assert not old, f"{name} declares old names {old}"


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_every_notebook_loads_its_dataset_through_dataset_options(name):
    declared = pm.inspect_notebook(str(PROJECT_ROOT / "notebooks" / f"{name}.ipynb"))
    assert {"DATASET", "DATA_HOME", "DATASET_OPTIONS"} <= set(declared)
    assert declared["DATASET_OPTIONS"]["default"] == "{}", "DATASET_OPTIONS defaults to {} (profiles set options)"
    calls = [source for _, source in code_cells(name) if "**DATASET_OPTIONS" in source]
    assert calls, f"{name} never calls data.load(DATASET, ..., **DATASET_OPTIONS)"


def test_a_renamed_parameter_is_refused_with_its_new_name():
    with pytest.raises(P.ProfileError, match="'EPOCHS' .* was renamed 'MAX_EPOCHS'"):
        P.check_parameters({"EPOCHS": 3}, ["MAX_EPOCHS"], "demo.yaml")


def test_a_corpus_size_parameter_is_refused_with_its_dataset_option():
    with pytest.raises(P.ProfileError, match=r"'N_CLIPS' .* DATASET_OPTIONS: \{n_clips: 24\}"):
        P.check_parameters({"N_CLIPS": 24}, ["DATASET_OPTIONS"], "smoke.yaml")


@pytest.mark.parametrize("path", sorted((LIBRARY / "models").glob("*.py")), ids=lambda p: p.stem)
def test_model_modules_hold_networks_only(path):
    imports = imported_modules(ast.parse(path.read_text()))
    running = {m for m in imports if m.split(".")[0] in {"pandas", "sklearn"}
               or m.startswith(("mer_lib.data", "mer_lib.experiments", "mer_lib.train", "mer_lib.metrics"))}
    assert not running, f"{path.name} imports {sorted(running)}: how a paper is run belongs in mer_lib/experiments"


def test_every_paper_with_networks_has_an_experiment_module():
    papers = {"jeon2017", "rajamani2020", "zhao2022", "zhao2023", "mmer_analysis"}
    assert papers <= {p.stem for p in (LIBRARY / "models").glob("*.py")}
    assert papers <= {p.stem for p in (LIBRARY / "experiments").glob("*.py")}


def test_library_modules_import_mer_lib_at_the_top_only():
    hidden = []
    for path in sorted(LIBRARY.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                hidden += [f"{path.relative_to(LIBRARY)}:{n.lineno}" for n in ast.walk(node)
                           if isinstance(n, (ast.Import, ast.ImportFrom)) and "mer_lib" in ast.unparse(n)]
    assert not hidden, f"imports of mer_lib inside functions (an import circle?): {hidden}"


def test_every_library_module_imports_on_its_own():
    for info in pkgutil.walk_packages(mer_lib.__path__, "mer_lib."):
        importlib.import_module(info.name)


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_every_notebook_ends_with_a_generated_verdict_table_before_its_exercises(name):
    nb = nbformat.read(PROJECT_ROOT / "notebooks" / f"{name}.ipynb", as_version=4)
    headings = [(i, c.source.lstrip()) for i, c in enumerate(nb.cells)
                if c.cell_type == "markdown" and c.source.lstrip().startswith("## ")]
    exercises = next(i for i, (_, text) in enumerate(headings) if text.startswith("## Exercises"))
    start, heading = headings[exercises - 1]
    assert "Verdict" in heading.splitlines()[0], f"{name}: the section before the exercises is {heading.splitlines()[0]!r}"
    section = [c.source for c in nb.cells[start:headings[exercises][0]] if c.cell_type == "code"]
    assert any("verdicts.table(" in s and 'run.save_table(verdict, "verdict")' in s for s in section), \
        f"{name}: its Verdict section builds no verdicts.table(...) saved as the 'verdict' table"
