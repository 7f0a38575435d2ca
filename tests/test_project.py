"""The project's own contracts: environment files agree, notebooks are committed clean."""

import re
import tomllib

import nbformat
import papermill as pm
import pytest
import yaml

from mer_lib import params as P
from mer_lib.paths import PROJECT_ROOT

NOTEBOOKS = P.notebook_names()


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~\[ ;]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def test_pyproject_and_environment_list_the_same_packages():
    project = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]
    declared = {_name(r) for r in project["dependencies"] + extras["dev"] + extras["site"]}
    environment = yaml.safe_load((PROJECT_ROOT / "environment.yml").read_text())
    pip_section = next(d["pip"] for d in environment["dependencies"] if isinstance(d, dict))
    assert {_name(r) for r in pip_section} == declared
    assert "python=3.11" in environment["dependencies"]


def test_there_are_notebooks():
    assert "00_primer" in NOTEBOOKS


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_is_committed_clean_with_parameters(name):
    nb = nbformat.read(PROJECT_ROOT / "notebooks" / f"{name}.ipynb", as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, f"{name}: outputs committed"
    first_code = next(c for c in nb.cells if c.cell_type == "code")
    assert "parameters" in first_code.metadata.get("tags", []), f"{name}: first code cell not tagged"
    declared = pm.inspect_notebook(str(PROJECT_ROOT / "notebooks" / f"{name}.ipynb"))
    assert {"PROFILE", "OUT_DIR"} <= set(declared)


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_profiles_declare_only_notebook_parameters(name):
    declared = pm.inspect_notebook(str(PROJECT_ROOT / "notebooks" / f"{name}.ipynb"))
    profiles = P.profile_names(name)
    assert {"smoke", "demo"} <= set(profiles)
    for profile in profiles:
        P.check_parameters(P.load_profile(name, profile), declared, f"{name}/{profile}.yaml")


def test_committed_report_files_are_small():
    """Executed notebooks and figures stay small enough to read on the web (< 2 MiB each)."""
    reports = PROJECT_ROOT / "reports"
    for path in reports.rglob("*"):
        if path.is_file() and not any(part.startswith(".") for part in path.relative_to(reports).parts):
            assert path.stat().st_size < 2 * 1024 * 1024, f"{path} is over 2 MiB"
