"""paths, repro, params, plotting, render: small contracts with clear errors."""

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pretty_midi
import pytest
import torch

from mer_lib import paths, plotting
from mer_lib import params as P
from mer_lib.features import render
from mer_lib.repro import resolve_device, run_info, seed_everything


def test_data_home_resolution(monkeypatch, tmp_path):
    monkeypatch.setenv("MER_DATA_HOME", str(tmp_path))
    assert paths.data_home() == tmp_path.resolve()
    assert paths.data_home("/x/y") == paths.Path("/x/y")
    monkeypatch.delenv("MER_DATA_HOME")
    assert paths.data_home() == paths.PROJECT_ROOT / "data"


def test_relative_folders_keep_their_meaning_in_a_kernel(monkeypatch, tmp_path):
    # The runner makes MER_* folders absolute before a kernel starts in notebooks/.
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MER_DATA_HOME", "../shared/data")
    monkeypatch.setenv("MER_CACHE_DIR", "")
    paths.absolutize_environment()
    assert paths.os.environ["MER_DATA_HOME"] == str(tmp_path.parent.resolve() / "shared" / "data")
    assert paths.os.environ["MER_CACHE_DIR"] == ""


def test_seed_everything_repeats_draws():
    seed_everything(5)
    a = (np.random.rand(), torch.rand(1).item())
    seed_everything(5)
    assert a == (np.random.rand(), torch.rand(1).item())
    with pytest.raises(ValueError, match="SEED"):
        seed_everything(-1)


def test_device_resolution():
    assert resolve_device("cpu").type == "cpu"
    assert resolve_device("auto").type in ("cpu", "cuda")
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="no CUDA GPU"):
            resolve_device("cuda")
    with pytest.raises(ValueError, match="Unknown DEVICE"):
        resolve_device("tpu")


def test_run_info_records_versions():
    info = run_info()
    assert info["versions"]["torch"].startswith("2.")
    assert info["git_commit"]


def test_profiles_and_parameters_are_checked():
    with pytest.raises(P.ProfileError, match="Unknown notebook '00_primr'.*00_primer"):
        P.notebook_path("00_primr")
    with pytest.raises(P.ProfileError, match="Unknown profile 'dmo'.*demo"):
        P.load_profile("00_primer", "dmo")
    with pytest.raises(P.ProfileError, match="Unknown parameter 'SEDE'.*SEED"):
        P.check_parameters({"SEDE": 1}, ["SEED", "PROFILE"], "x.yaml")
    assert P.load_profile("00_primer", "demo")["PROFILE"] == "demo"


def test_notebook_params_keeps_upper_case_literals():
    namespace = {"SEED": 1, "EPOCHS": [1, 2], "np": np, "lower": 3, "_HIDDEN": 4, "MODULE": np}
    assert P.notebook_params(namespace) == {"SEED": 1, "EPOCHS": [1, 2]}


def test_plots_return_figure_and_axes():
    fig, ax = plt.subplots()
    out = plotting.va_plane([0.1, -0.2], [0.3, -0.4], ["Q1", "Q3"], ax=ax)
    assert out == (fig, ax)
    for call in (
        lambda: plotting.pred_vs_obs([0, 1], [0.1, 0.9]),
        lambda: plotting.confusion_matrix([[2, 1], [0, 3]], ["a", "b"]),
        lambda: plotting.training_curves({"train_loss": [1, 0.5], "val_loss": [1.1, 0.7]}),
        lambda: plotting.circumplex({"happy": 10}),
        lambda: plotting.feature_map(np.random.rand(12, 20), y_axis="chroma"),
        lambda: plotting.critical_difference(pd.Series({"a": 1.2, "b": 2.0, "c": 2.8}), cd=1.0),
    ):
        fig, ax = call()
        assert fig is ax.figure
    plt.close("all")


def _midi(notes):
    pm = pretty_midi.PrettyMIDI()
    inst = pretty_midi.Instrument(0)
    inst.notes = [pretty_midi.Note(90, p, s, e) for p, s, e in notes]
    pm.instruments.append(inst)
    return pm


def test_render_length_and_silence_after_notes():
    audio = render.render_midi(_midi([(69, 0.0, 0.5)]), sr=16000)
    assert abs(len(audio) / 16000 - (0.5 + render.TAIL_SECONDS)) < 0.01
    assert np.abs(audio[: 8000]).max() > 0.01


def test_render_bad_midi_errors(tmp_path):
    with pytest.raises(ValueError, match="no notes"):
        render.render_midi(_midi([]))
    bad = tmp_path / "bad.mid"
    bad.write_bytes(b"MThd garbage")
    with pytest.raises(ValueError, match="Unreadable MIDI file .*bad.mid"):
        render.render_midi(bad)
    with pytest.raises(FileNotFoundError, match="nope.mid"):
        render.render_midi(tmp_path / "nope.mid")
