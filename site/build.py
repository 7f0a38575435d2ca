"""The generated pages of the course site (``make site``) and the students' handouts (``make handouts``).

Usage::

    python site/build.py pages       # reports/ -> site/_generated/ (then sphinx-build renders site/)
    python site/build.py handouts    # notebooks/ -> handouts/: no outputs, no solution cells

The site renders the *executed* reports (``reports/<notebook>/<profile>/notebook.ipynb``) with
MyST-NB, execution off: nothing here runs a notebook. Generated pages, all under
``site/_generated/`` (git-ignored):

* ``reports/<notebook>/<profile>/notebook.ipynb``: the executed notebook, retitled with its
  profile, its ``solution`` cells collapsed ("click to show");
* ``reports/index.md``: the results page, :func:`mer_lib.report_index.render_index` of every
  ``results.json`` (its links point at the pages above);
* ``datasets/<name>.md``: a dataset's description, citation and license from its module, and
  its numbers from ``reports/00_primer/real/tables/real_datasets_summary.csv`` where present;
* ``deviations.md``: every notebook's "Deviations" section, taken from its executed report.

The hand-written pages (home, syllabus) are ``site/*.md``. This module lives beside the site,
not in ``mer_lib``: the library holds what computes a report, and the site's layout
determines no number.

Notebook: every notebook (its report page and handout).
"""

from __future__ import annotations

import argparse
import copy
import inspect
import re
import shutil
from pathlib import Path

import nbformat
import pandas as pd
from nbconvert.preprocessors import ClearOutputPreprocessor, TagRemovePreprocessor

from mer_lib import data
from mer_lib import params as P
from mer_lib.paths import PARAMS_DIR, PROJECT_ROOT, reports_dir
from mer_lib.report_index import collect, render_index

SITE_DIR = PROJECT_ROOT / "site"
GENERATED_DIR = SITE_DIR / "_generated"
HANDOUTS_DIR = PROJECT_ROOT / "handouts"
#: Tag of a cell holding an exercise's answer (collapsed on the site, removed from handouts).
SOLUTION_TAG = "solution"
#: Where the real datasets' numbers come from (the primer's ``real`` profile).
DATASETS_SUMMARY = Path("00_primer") / "real" / "tables" / "real_datasets_summary.csv"
#: A heading that opens a notebook's deviations section ("## Deviations from the paper", ...).
DEVIATIONS_HEADING = re.compile(r"^(#{1,4})\s+Deviations\b.*$", re.MULTILINE)
HEADING = re.compile(r"^(#{1,6})\s", re.MULTILINE)
#: The summary columns a dataset page shows, with their labels.
SUMMARY_COLUMNS = {"clips": "clips", "n_train": "train", "n_validation": "validation",
                   "n_test": "test", "n_unsplit": "no split", "modalities": "modalities",
                   "targets": "targets", "labels": "labels"}


# ---------------------------------------------------------------- report pages


def report_folders(root: Path | None = None) -> list[Path]:
    """Every report folder holding an executed notebook, in course order then profile order."""
    root = Path(root) if root else reports_dir()
    return sorted(p.parent for p in root.glob("*/*/notebook.ipynb") if not p.parent.name.startswith("."))


def mark_solution(cell: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Collapse one ``solution`` cell on the site: a code cell gets MyST-NB's ``hide-cell``
    (its source and outputs behind a "Show solution" button), a markdown cell is wrapped in a
    sphinx-design dropdown. Returns a new cell; the argument is left as it is."""
    cell = copy.deepcopy(cell)
    if cell.cell_type == "code":
        cell.metadata["tags"] = [*cell.metadata.get("tags", []), "hide-cell"]
        cell.metadata["mystnb"] = {"code_prompt_show": "Show solution", "code_prompt_hide": "Hide solution"}
    else:
        cell.source = f"::::{{dropdown}} Show solution\n{cell.source}\n::::"
    return cell


def is_solution(cell: nbformat.NotebookNode) -> bool:
    """Whether ``cell`` is tagged ``solution``."""
    return SOLUTION_TAG in cell.metadata.get("tags", [])


def retitle(source: str, profile: str, dataset: str) -> str:
    """The first ``# `` heading of a markdown cell with the profile appended, plus one line
    saying which report this is."""
    note = (f"\n\n*Executed report, profile `{profile}` (dataset `{dataset}`): rendered as it ran "
            f"with `make reports`, never re-run by the site.*")
    return re.sub(r"^# (.+)$", lambda m: f"# {m.group(1)} — `{profile}`{note}", source, count=1, flags=re.MULTILINE)


def site_notebook(nb: nbformat.NotebookNode, profile: str, dataset: str) -> nbformat.NotebookNode:
    """The executed notebook as the site shows it: retitled, solutions collapsed.

    Notebook: every notebook's report page.
    """
    nb = copy.deepcopy(nb)
    nb.cells = [mark_solution(c) if is_solution(c) else c for c in nb.cells]
    first = next(c for c in nb.cells if c.cell_type == "markdown")
    first.source = retitle(first.source, profile, dataset)
    return nb


def write_report_pages(folders: list[Path], out: Path, runs: dict[str, dict]) -> list[Path]:
    """Write each report's page to ``out/<notebook>/<profile>/notebook.ipynb``."""
    pages = []
    for folder in folders:
        key = f"{folder.parent.name}/{folder.name}"
        nb = nbformat.read(folder / "notebook.ipynb", as_version=4)
        page = out / key / "notebook.ipynb"
        page.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(site_notebook(nb, folder.name, runs.get(key, {}).get("dataset", "?")), page)
        pages.append(page)
    return pages


def results_page(runs: list[dict], folders: list[Path]) -> str:
    """The results page: the reports index (``mer_lib.report_index``) and a table of contents
    of every report page. Its links (``<notebook>/<profile>/notebook.ipynb``) are the pages."""
    index = render_index(runs).split("\n", 1)[1]
    toc = "\n".join(f"{f.parent.name}/{f.name}/notebook" for f in folders)
    return ("# Results\n\nEvery report of the study, one row per notebook and profile; a notebook's "
            "name opens its executed report.\n" + index
            + f"\n```{{toctree}}\n:hidden:\n:titlesonly:\n\n{toc}\n```\n")


# ---------------------------------------------------------------- deviations


def deviations_section(nb: nbformat.NotebookNode) -> str | None:
    """The markdown of a notebook's "Deviations" section, from its heading to the next heading
    of the same or a higher level (across cells; code cells are skipped), or None."""
    text = "\n\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    start = DEVIATIONS_HEADING.search(text)
    if start is None:
        return None
    level = len(start.group(1))
    body = text[start.end():]
    end = next((m.start() for m in HEADING.finditer(body) if len(m.group(1)) <= level), len(body))
    return body[:end].strip()


def demote_headings(text: str, levels: int) -> str:
    """Every markdown heading of ``text`` made ``levels`` deeper (at most ``######``)."""
    return HEADING.sub(lambda m: "#" * min(6, len(m.group(1)) + levels) + " ", text)


def notebook_title(nb: nbformat.NotebookNode) -> str:
    """The notebook's first ``# `` heading."""
    first = next(c for c in nb.cells if c.cell_type == "markdown")
    match = re.search(r"^# (.+)$", first.source, flags=re.MULTILINE)
    return match.group(1).strip() if match else "untitled"


def deviations_page(folders: list[Path]) -> str:
    """One page with every notebook's deviations from its paper, read from its first report
    (``demo`` where present: the section is the notebook's text, the same in every profile)."""
    lines = ["# Deviations from the papers", "",
             "Every notebook states where it departs from its paper, and why, in a \"Deviations\" "
             "section; this page collects them from the executed reports.", ""]
    for name in sorted({f.parent.name for f in folders}):
        mine = [f for f in folders if f.parent.name == name]
        folder = next((f for f in mine if f.name == "demo"), mine[0])
        nb = nbformat.read(folder / "notebook.ipynb", as_version=4)
        section = deviations_section(nb)
        lines += [f"## {notebook_title(nb)}", "",
                  f"From [the `{folder.name}` report](reports/{name}/{folder.name}/notebook.ipynb).", "",
                  demote_headings(section, 2) if section else
                  "This notebook reproduces no paper's numbers, so it has no deviations section.", ""]
    return "\n".join(lines)


# ---------------------------------------------------------------- datasets


def rst_docstring(doc: str) -> str:
    """A module docstring made fit for an ``eval-rst`` block: its section titles (a line
    underlined with ``-`` or ``=``) become bold paragraphs, which a directive may hold."""
    return re.sub(r"^(\S[^\n]*)\n[-=]{3,}\s*$", r"**\1**", inspect.cleandoc(doc or ""), flags=re.MULTILINE)


def dataset_summary(reports: Path) -> pd.DataFrame | None:
    """The primer's survey of the real datasets (one row per dataset), or None before a run."""
    path = reports / DATASETS_SUMMARY
    return pd.read_csv(path, keep_default_na=False).set_index("dataset") if path.is_file() else None


def numbers_table(name: str, summary: pd.DataFrame | None) -> str:
    """The dataset's row of the primer's survey as a markdown table, or a sentence saying why not."""
    if summary is None or name not in summary.index:
        return "No numbers yet: they come from the primer's `real` profile run on this dataset."
    row = summary.loc[name]
    cells = [(label, str(row[col]) or "–") for col, label in SUMMARY_COLUMNS.items() if col in row]
    return ("| " + " | ".join(k for k, _ in cells) + " |\n|" + "---|" * len(cells) + "\n| "
            + " | ".join(v for _, v in cells) + " |\n\nFrom the [primer's `real` report]"
            "(../reports/00_primer/real/notebook.ipynb).")


def dataset_page(name: str, summary: pd.DataFrame | None) -> str:
    """A dataset's page: its description, where its files go, its numbers, its module's
    docstring, citation (``BIBTEX``) and license (``LICENSE``)."""
    entry = data.info(name)
    module = inspect.getmodule(entry.loader)
    folder = ("generated by the project" if entry.folder is None else
              "any folder, `data.load(\"folder\", path=...)`" if entry.folder == data.USER_FOLDER else
              f"`$MER_DATA_HOME/{entry.folder}/`")
    bibtex = getattr(module, "BIBTEX", None)
    license_text = getattr(module, "LICENSE", "Yours: the data is your own.")
    return "\n".join([
        f"# `{name}`", "", f"{entry.description[:1].upper()}{entry.description[1:]}.", "",
        f"**Files:** {folder}. **Module:** `{module.__name__}`.", "",
        "## Numbers", "", numbers_table(name, summary), "",
        "## License", "", license_text, "",
        "## Citation", "", f"```bibtex\n{bibtex.strip()}\n```" if bibtex else "Nothing to cite.", "",
        "## Description", "", "```{eval-rst}", rst_docstring(module.__doc__), "```", "",
    ])


def datasets_index(names: list[str]) -> str:
    """The datasets page: one line per dataset, and their pages."""
    lines = ["# Datasets", "",
             "Every dataset `mer_lib.data.load(name)` knows. The real ones load from `$MER_DATA_HOME`; "
             "none is needed to read this site. Numbers are the primer's survey where it ran.", "",
             "| dataset | what it is |", "|---|---|"]
    lines += [f"| [`{n}`]({n}.md) | {data.info(n).description} |" for n in names]
    lines += ["", "```{toctree}", ":hidden:", "", *names, "```", ""]
    return "\n".join(lines)


# ---------------------------------------------------------------- all pages


def write_text(path: Path, text: str) -> Path:
    """Write ``text`` to ``path``, creating its folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def write_pages(reports: Path | None = None, out: Path = GENERATED_DIR) -> list[Path]:
    """Write every generated page of the site into ``out`` (emptied first) and return them.

    Args:
        reports: The reports folder (default ``reports/``).
        out: The generated pages' folder (default ``site/_generated``).

    Returns:
        The written files: report pages, results, datasets and deviations pages.
    """
    reports = Path(reports) if reports else reports_dir()
    shutil.rmtree(out, ignore_errors=True)
    folders = report_folders(reports)
    runs = collect(reports)
    summary = dataset_summary(reports)
    names = data.available()
    pages = write_report_pages(folders, out / "reports", {r["_folder"]: r for r in runs})
    pages.append(write_text(out / "reports" / "index.md", results_page(runs, folders)))
    pages.append(write_text(out / "deviations.md", deviations_page(folders)))
    pages.append(write_text(out / "datasets" / "index.md", datasets_index(names)))
    pages += [write_text(out / "datasets" / f"{n}.md", dataset_page(n, summary)) for n in names]
    return pages


# ---------------------------------------------------------------- handouts


def handout(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A student's copy of a notebook: ``solution`` cells removed, outputs and execution counts
    cleared, everything else (the ``parameters`` cell included) kept, with nbconvert's
    ``TagRemovePreprocessor`` and ``ClearOutputPreprocessor``."""
    nb = copy.deepcopy(nb)
    resources: dict = {}
    nb, resources = TagRemovePreprocessor(remove_cell_tags={SOLUTION_TAG}).preprocess(nb, resources)
    nb, _ = ClearOutputPreprocessor().preprocess(nb, resources)
    return nb


def write_handouts(out: Path = HANDOUTS_DIR) -> list[Path]:
    """Write the handout of every notebook to ``out/<notebook>.ipynb`` (emptied first), and
    the profiles beside them (``out/params/``), so a handout runs like its notebook."""
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    shutil.copytree(PARAMS_DIR, out / "params")
    paths = []
    for name in P.notebook_names():
        nb = nbformat.read(P.notebook_path(name), as_version=4)
        nbformat.write(handout(nb), out / f"{name}.ipynb")
        paths.append(out / f"{name}.ipynb")
    return paths


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python site/build.py", description=__doc__.split("\n")[0])
    parser.add_argument("what", choices=["pages", "handouts"])
    parser.add_argument("--out", type=Path, help="output folder (default site/_generated or handouts/)")
    args = parser.parse_args(argv)
    writer, default = {"pages": (write_pages, GENERATED_DIR), "handouts": (write_handouts, HANDOUTS_DIR)}[args.what]
    out = args.out or default
    written = writer(out=out)
    print(f"[site] {len(written)} {args.what} written under {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
