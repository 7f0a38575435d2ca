"""Bring your own data: every notebook's smoke profile on a folder dataset, through the runner.

The folder datasets are the synthetic smoke corpus written by ``python -m mer_lib.data.export``:
a complete one, and a reduced copy without lyrics or MIDI whose rows that need them must be
skipped (and said so in the report's ``rows_run`` table), not crash the notebook.
"""

import json

import pandas as pd
import pytest

from mer_lib import data
from mer_lib import params as P
from mer_lib.data import export
from mer_lib.runner import run_profile

#: The smoke profiles' corpus (notebooks/params/*/smoke.yaml), so that both runs read the same clips.
SMOKE_CORPUS = {"n_clips": 24, "min_seconds": 4.0, "max_seconds": 6.0, "n_jobs": 1}
#: Notebooks whose result rows are :class:`mer_lib.experiments.rows.Row`s (the primer has none).
PAPER_NOTEBOOKS = [name for name in P.notebook_names() if not name.startswith("00_")]


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    """``{"full": folder, "reduced": folder}``: the smoke corpus as folder datasets."""
    corpus = data.load("synthetic", **SMOKE_CORPUS)
    root = tmp_path_factory.mktemp("byo")
    return {"full": export.export(corpus, root / "full"),
            "reduced": export.export(corpus, root / "reduced", lyrics=False, midi=False)}


def run_on_folder(name, folder, tmp_path, monkeypatch):
    monkeypatch.setenv("MER_CACHE_DIR", str(tmp_path / "cache"))
    overrides = {"DATASET": "folder", "DATASET_OPTIONS": {"path": str(folder), "name": f"byo_{folder.name}"}}
    out = run_profile(name, "smoke", out_dir=tmp_path / "report", overrides=overrides)
    results = json.loads((out / "results.json").read_text())
    assert results["metrics"], "no metric recorded"
    assert str(folder) not in (out / "results.json").read_text(), "a machine path is left in the report"
    return out


def rows_run(out, folder) -> pd.DataFrame:
    """Each row's ``needs`` and its ``status`` on the folder dataset ("ran" or "skipped: ...")."""
    table = pd.read_csv(out / "tables" / "rows_run.csv", index_col="row")
    if "status" in table:
        return table
    # The benchmark: one status column per task ("runs" or "— (why)"), needs in the rows table.
    column = next(c for c in table.columns if c.startswith(f"byo_{folder.name}:"))
    status = table[column].map(lambda text: "ran" if text == "runs" else f"skipped: {text}")
    needs = pd.read_csv(out / "tables" / "rows.csv", index_col="row")["needs"]
    return pd.DataFrame({"needs": needs, "status": status})


@pytest.mark.smoke
@pytest.mark.parametrize("name", P.notebook_names())
def test_smoke_profile_runs_on_an_exported_folder_dataset(name, folders, tmp_path, monkeypatch):
    out = run_on_folder(name, folders["full"], tmp_path, monkeypatch)
    if name in PAPER_NOTEBOOKS:
        assert (rows_run(out, folders["full"])["status"] == "ran").all(), "the complete folder dataset feeds every row"


@pytest.mark.smoke
@pytest.mark.parametrize("name", P.notebook_names())
def test_smoke_profile_skips_the_rows_a_folder_without_lyrics_or_midi_cannot_feed(name, folders, tmp_path,
                                                                                  monkeypatch):
    out = run_on_folder(name, folders["reduced"], tmp_path, monkeypatch)
    if name in PAPER_NOTEBOOKS:
        status = rows_run(out, folders["reduced"])
        needs = status["needs"].fillna("")
        reads_dropped = needs.str.contains("lyrics") | needs.str.contains("midi")
        assert status.loc[reads_dropped, "status"].str.startswith("skipped").all()
        assert (status.loc[~reads_dropped, "status"] == "ran").all()
        assert (status["status"] == "ran").any()
