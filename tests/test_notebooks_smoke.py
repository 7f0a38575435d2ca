"""Papermill smoke run of every notebook: it must finish and write its report."""

import json

import pytest

from mer_lib import params as P
from mer_lib.runner import run_profile


@pytest.mark.smoke
@pytest.mark.parametrize("name", P.notebook_names())
def test_smoke_profile_writes_report(name, tmp_path, monkeypatch):
    monkeypatch.setenv("MER_CACHE_DIR", str(tmp_path / "cache"))
    out = run_profile(name, "smoke", out_dir=tmp_path / "report")
    results = json.loads((out / "results.json").read_text())
    assert results["notebook"] == name and results["profile"] == "smoke"
    assert results["metrics"], "no metric recorded"
    assert list((out / "figures").glob("*.png")), "no figure written"
    assert (out / "notebook.ipynb").is_file()
    assert not list(tmp_path.glob(".smoke.running-*")), "temporary run folder left behind"


def test_unknown_override_fails_before_running(tmp_path):
    with pytest.raises(P.ProfileError, match="Unknown parameter 'EPOCHZ'"):
        run_profile("00_primer", "smoke", out_dir=tmp_path / "x", overrides={"EPOCHZ": 1})
    assert not (tmp_path / "x").exists()
