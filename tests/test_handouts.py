"""Student handouts (``make handouts``): no solution, no output, and still runnable."""

import json
import re

import nbformat
import papermill as pm
import pytest

from mer_lib import params as P
from mer_lib.paths import PROJECT_ROOT
from site_builder import build



@pytest.fixture(scope="module")
def handouts(tmp_path_factory):
    out = tmp_path_factory.mktemp("handouts")
    return out, build.write_handouts(out=out)


def test_a_handout_drops_solutions_and_outputs_and_keeps_everything_else():
    exercise = nbformat.v4.new_markdown_cell("## Exercises\n\n1. Why?")
    answer = nbformat.v4.new_code_cell("print(42)", metadata={"tags": ["solution"]},
                                       outputs=[nbformat.v4.new_output("stream", text="42\n")])
    params = nbformat.v4.new_code_cell("PROFILE = 'demo'", metadata={"tags": ["parameters"]}, execution_count=3,
                                       outputs=[nbformat.v4.new_output("stream", text="x\n")])
    nb = nbformat.v4.new_notebook(cells=[params, exercise, answer])
    copy = build.handout(nb)
    assert [c.source for c in copy.cells] == ["PROFILE = 'demo'", "## Exercises\n\n1. Why?"]
    assert copy.cells[0].outputs == [] and copy.cells[0].execution_count is None
    assert len(nb.cells) == 3 and nb.cells[2].outputs, "the notebook itself must stay as it was"


def test_every_notebook_gets_a_handout_without_solution_cells_or_outputs(handouts):
    out, paths = handouts
    assert sorted(p.stem for p in paths) == P.notebook_names()
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        assert not [c for c in nb.cells if "solution" in c.metadata.get("tags", [])], f"{path.name} has a solution"
        code = [c for c in nb.cells if c.cell_type == "code"]
        assert all(not c.outputs and c.execution_count is None for c in code), f"{path.name} has outputs"
        assert pm.inspect_notebook(str(path)), f"{path.name} lost its parameters cell"
        assert any(re.search(r"^## Exercises", c.source, re.MULTILINE) for c in nb.cells if c.cell_type == "markdown")


def test_the_handouts_carry_the_profiles_they_run_with(handouts):
    out, _ = handouts
    assert (out / "params" / "00_primer" / "smoke.yaml").read_text() == \
        (PROJECT_ROOT / "notebooks" / "params" / "00_primer" / "smoke.yaml").read_text()


@pytest.mark.smoke
def test_the_primers_handout_still_runs_its_smoke_profile_with_papermill(handouts, tmp_path, monkeypatch):
    out, _ = handouts
    monkeypatch.setenv("MER_CACHE_DIR", str(tmp_path / "cache"))
    parameters = {**P.load_profile("00_primer", "smoke", params_dir=out / "params"), "OUT_DIR": str(tmp_path / "report")}
    pm.execute_notebook(str(out / "00_primer.ipynb"), str(tmp_path / "run.ipynb"), parameters=parameters,
                        cwd=str(out), progress_bar=False)
    results = json.loads((tmp_path / "report" / "results.json").read_text())
    assert results["profile"] == "smoke" and results["metrics"]
