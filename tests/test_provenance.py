"""Caches and report stamps are keyed on the code that makes them, never on hand-bumped numbers."""

import ast
import json
import shutil
import warnings
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from mer_lib import data, features, provenance, runner
from mer_lib import params as P
from mer_lib.data import synthetic
from mer_lib.features import registry
from mer_lib.paths import PROJECT_ROOT


@pytest.fixture
def library_copy(tmp_path, monkeypatch):
    """A copy of ``mer_lib`` that provenance reads instead of the real one."""
    root = tmp_path / "project"
    shutil.copytree(PROJECT_ROOT / "mer_lib", root / "mer_lib",
                    ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(provenance, "PROJECT_ROOT", root)
    monkeypatch.setattr(provenance, "LIBRARY_DIR", root / "mer_lib")
    return root / "mer_lib"


def test_a_module_closure_follows_imports_transitively():
    closure = provenance.module_closure("mer_lib.data.synthetic")
    assert {"mer_lib.data.synthetic_music", "mer_lib.data.synthetic_text",
            "mer_lib.features.render", "mer_lib.metrics"} <= set(closure)
    assert "mer_lib.models" not in closure
    with pytest.raises(ValueError, match="not a module"):
        provenance.module_closure("numpy")


def test_mer_lib_imports_nothing_dynamically_so_static_closures_are_complete():
    dynamic = {"import_module", "__import__", "exec_module", "run_module", "run_path"}
    found = []
    for path in sorted(provenance.LIBRARY_DIR.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                called = getattr(node.func, "attr", getattr(node.func, "id", None))
                if called in dynamic:
                    found.append(f"{path.relative_to(PROJECT_ROOT)}:{node.lineno} {called}")
    assert not found, f"dynamic imports hide modules from report stamps and cache keys: {found}"


def test_a_notebooks_modules_are_its_mer_lib_imports_without_magics(tmp_path):
    cells = [
        {"cell_type": "markdown", "source": ["import mer_lib.verify\n"]},
        {"cell_type": "code", "source": ["%matplotlib inline\n", "!ls mer_lib\n",
                                         "import numpy as np\n",
                                         "from mer_lib.experiments import jeon2017\n"]},
        {"cell_type": "code", "source": "%%bash\nimport mer_lib.runner\n"},
        {"cell_type": "code", "source": "from mer_lib.metrics import accuracy\nimport mer_lib.plotting"},
    ]
    notebook = tmp_path / "tiny.ipynb"
    notebook.write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    assert provenance.notebook_modules(notebook) == [
        "mer_lib.experiments.jeon2017", "mer_lib.metrics", "mer_lib.plotting"]


def test_a_report_stamp_ignores_a_module_outside_its_notebooks_closure(monkeypatch):
    notebook = "01_jeon2017_end_to_end_polarity"
    imported = provenance.notebook_modules(P.notebook_path(notebook)) + ["mer_lib.runner"]
    closure = {m for name in imported for m in provenance.module_closure(name)}
    assert "mer_lib.experiments.jeon2017" in closure
    assert "mer_lib.experiments.zhao2023" not in closure
    before = runner.report_stamp(notebook, "demo")
    real = provenance.file_digest

    def edited(module):
        """``file_digest`` as if ``module`` (``experiments/x.py``) had been edited."""
        changed = provenance.LIBRARY_DIR / module
        return lambda path: "edited" if Path(path) == changed else real(path)

    monkeypatch.setattr(provenance, "file_digest", edited("experiments/zhao2023.py"))
    assert runner.report_stamp(notebook, "demo") == before
    monkeypatch.setattr(provenance, "file_digest", edited("experiments/jeon2017.py"))
    assert runner.report_stamp(notebook, "demo") != before


def test_editing_a_generator_module_changes_the_corpus_digest(library_copy):
    before = synthetic.generator_digest()
    music = library_copy / "data" / "synthetic_music.py"
    music.write_text(music.read_text() + "\n# a changed rule\n")
    assert synthetic.generator_digest() != before


def test_editing_a_module_an_extractor_imports_changes_its_digest(library_copy):
    audio, text = features.get("mfcc"), features.get("bert_lyrics")
    before = audio.code_digest, text.code_digest
    excerpts = library_copy / "features" / "excerpts.py"  # imported by the audio front end
    excerpts.write_text(excerpts.read_text() + "\nX = 1\n")
    assert audio.code_digest != before[0]
    assert text.code_digest == before[1]  # the text features do not import it


def test_another_package_version_changes_every_digest(monkeypatch):
    before = provenance.digest_of(["mer_lib.metrics"])
    real = provenance.package_versions
    monkeypatch.setattr(provenance, "package_versions",
                        lambda packages=provenance.COMPUTE_PACKAGES: {**real(packages), "numpy": "0.0"})
    assert provenance.digest_of(["mer_lib.metrics"]) != before


def test_a_changed_generator_is_a_corpus_cache_miss(monkeypatch, tmp_path):
    monkeypatch.setenv("MER_CACHE_DIR", str(tmp_path))
    options = dict(n_clips=8, seed=1, min_seconds=1.0, max_seconds=1.5, progress=False)
    first = data.load("synthetic", **options)
    monkeypatch.setattr(synthetic, "generator_digest", lambda: "an-edited-generator")
    second = data.load("synthetic", **options)
    assert first.root != second.root
    assert len(list((tmp_path / "synthetic").iterdir())) == 2


def test_a_changed_extractor_is_a_feature_cache_miss(monkeypatch, tmp_path):
    clip = tmp_path / "tone.wav"
    sf.write(clip, 0.3 * np.sin(np.linspace(0, 2000, 22050)).astype(np.float32), 22050)
    table = {"track_id": ["tone"], "audio_path": [str(clip)], "split": ["train"]}
    options = dict(cache_root=tmp_path / "features", n_jobs=1, progress=False)
    features.extract(table, "mfcc", **options)
    features.extract(table, "mfcc", **options)
    folders = list((tmp_path / "features" / "table" / "mfcc").iterdir())
    assert len(folders) == 1  # the second call was a hit
    monkeypatch.setattr(registry.Extractor, "code_digest", property(lambda self: "edited-code"))
    features.extract(table, "mfcc", **options)
    folders = sorted(p.name for p in (tmp_path / "features" / "table" / "mfcc").iterdir())
    assert len(folders) == 2 and any(name.startswith("edited-code-") for name in folders)


def test_a_damaged_corpus_file_is_detected_and_regenerated(monkeypatch, tmp_path):
    monkeypatch.setenv("MER_CACHE_DIR", str(tmp_path))
    options = dict(n_clips=8, seed=2, min_seconds=1.0, max_seconds=1.5, progress=False)
    corpus = data.load("synthetic", **options)
    audio = corpus.table["audio_path"].iloc[0]
    intact = open(audio, "rb").read()
    with open(audio, "r+b") as handle:
        handle.truncate(len(intact) // 3)
    with pytest.warns(RuntimeWarning, match="damaged file.*regenerating"):
        again = data.load("synthetic", **options)
    assert open(again.table["audio_path"].iloc[0], "rb").read() == intact
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        data.load("synthetic", **options)  # intact now: no warning
