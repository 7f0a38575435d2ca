"""The runner: stamps, staleness by content, machine paths, permissions, leftovers, Ctrl-C."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest
import torch

from mer_lib import fileio, repro, runner
from mer_lib import params as P
from mer_lib.paths import PROJECT_ROOT

NOTEBOOK = "02_rajamani2020_attention_tagging"  # the quickest smoke profile


def test_a_report_stamp_changes_with_the_profile_and_the_overrides():
    stamp = runner.report_stamp(NOTEBOOK, "smoke")
    assert stamp == runner.report_stamp(NOTEBOOK, "smoke")
    assert stamp != runner.report_stamp(NOTEBOOK, "demo")
    assert stamp != runner.report_stamp(NOTEBOOK, "smoke", {"SEEDS": [4]})


def test_a_report_is_current_only_with_the_same_stamp(tmp_path):
    assert not runner.report_is_current(tmp_path, "abc")
    (tmp_path / "results.json").write_text(json.dumps({"inputs_digest": "abc"}))
    assert runner.report_is_current(tmp_path, "abc")
    assert not runner.report_is_current(tmp_path, "abd")


def test_stale_reports_are_found_by_content_not_by_file_times(tmp_path, monkeypatch):
    monkeypatch.setenv("MER_REPORTS_DIR", str(tmp_path))
    jobs, total = runner.stale_jobs("demo")
    assert total == len(P.notebook_names()) and len(jobs) == total  # nothing there yet
    folder = tmp_path / NOTEBOOK / "demo"
    folder.mkdir(parents=True)
    (folder / "results.json").write_text(json.dumps({"inputs_digest": runner.report_stamp(NOTEBOOK, "demo")}))
    os.utime(folder / "results.json", (0, 0))  # older than every source: still current
    jobs, _ = runner.stale_jobs("demo")
    assert NOTEBOOK not in [j.notebook for j in jobs] and len(jobs) == total - 1
    assert len(runner.stale_jobs("demo", force=True)[0]) == total


def test_machine_paths_are_replaced_at_path_boundaries(tmp_path):
    work, final = tmp_path / ".demo.running-1-x", PROJECT_ROOT / "reports" / "nb" / "demo"
    pairs = runner.machine_paths(work, final)
    text = (f'"OUT_DIR": "{work}", "nb": "{PROJECT_ROOT}/notebooks/a.ipynb", '
            f'"other": "{PROJECT_ROOT}-2/x", warning at {sys.prefix}/lib/x.py')
    cleaned = runner.scrub_machine_paths(text, pairs)
    assert '"OUT_DIR": "reports/nb/demo"' in cleaned
    assert '"<project>/notebooks/a.ipynb"' in cleaned
    assert "<project>-2" not in cleaned  # another folder that merely starts the same
    assert str(sys.prefix) not in cleaned


def test_written_files_and_folders_get_the_users_umask(tmp_path):
    old = os.umask(0o022)
    try:
        folder = fileio.temp_dir(".x.", tmp_path)
        path = fileio.atomic_write_text(folder / "a.json", "{}")
    finally:
        os.umask(old)
    assert folder.stat().st_mode & 0o777 == 0o755
    assert path.stat().st_mode & 0o777 == 0o644


def test_stale_run_folders_of_dead_processes_are_removed(tmp_path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True).stdout.strip()
    left = tmp_path / f".demo{runner.RUNNING}{dead}-abc"
    mine = tmp_path / f".demo{runner.RUNNING}{os.getpid()}-abc"
    left.mkdir()
    mine.mkdir()
    assert runner.remove_stale_runs(tmp_path) == [left]
    assert mine.is_dir() and not left.exists()


@pytest.mark.parametrize("overrides, message", [
    ({"SEEDS": "abc"}, "SEEDS must be a non-empty list of non-negative integers, got 'abc'"),
    ({"MAX_TRACKS": -3}, "MAX_TRACKS cannot be negative, got -3"),
    ({"MAX_EPOCHS": "ten"}, "MAX_EPOCHS must be int like its default 100, got str 'ten'"),
])
def test_bad_parameter_values_are_refused_before_running(tmp_path, overrides, message):
    with pytest.raises(P.ProfileError, match=message):
        runner.run_profile(NOTEBOOK, "smoke", out_dir=tmp_path / "x", overrides=overrides)
    assert not (tmp_path / "x").exists()


def test_a_bad_set_value_names_the_parameter():
    assert runner.main([NOTEBOOK, "smoke", "--set", "SEEDS=[1,"]) == 2


def _runner_process(tmp_path, *args):
    env = {**os.environ, "MER_CACHE_DIR": str(tmp_path / "cache")}
    return subprocess.Popen([sys.executable, "-m", "mer_lib.runner", NOTEBOOK, "smoke",
                             "--out", str(tmp_path / "report"), *args],
                            cwd=PROJECT_ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)


def test_ctrl_c_stops_a_run_and_leaves_the_old_report_intact(tmp_path):
    report = tmp_path / "report"
    report.mkdir()
    (report / "results.json").write_text('{"old": true}')
    process = _runner_process(tmp_path)
    deadline = time.time() + 120
    while not list(tmp_path.glob(f".smoke{runner.RUNNING}*/notebook.ipynb")) and time.time() < deadline:
        time.sleep(0.2)  # papermill writes the notebook as soon as the kernel runs
    time.sleep(1.0)
    assert process.poll() is None, process.communicate()[0]
    sent = time.time()
    process.send_signal(signal.SIGINT)
    output = process.communicate(timeout=30)[0]
    assert time.time() - sent < 10, "the runner did not stop promptly"
    assert process.returncode == 130, output
    assert (report / "results.json").read_text() == '{"old": true}'
    assert not list(tmp_path.glob(f".smoke{runner.RUNNING}*")), "temporary run folder left behind"


def test_a_failed_run_keeps_its_notebook_under_the_cache_with_a_unique_name(tmp_path, monkeypatch):
    monkeypatch.setenv("MER_CACHE_DIR", str(tmp_path / "cache"))
    with pytest.raises(Exception, match="no_such_dataset"):
        runner.run_profile(NOTEBOOK, "smoke", out_dir=tmp_path / "report",
                           overrides={"DATASET": "no_such_dataset"})
    kept = list((tmp_path / "cache" / "failed").glob(f"{NOTEBOOK}-smoke-*.ipynb"))
    assert len(kept) == 1
    assert not (tmp_path / "report").exists()
    assert not list(tmp_path.glob(f".smoke{runner.RUNNING}*"))


def test_a_run_pins_the_numerics_of_its_kernel_only(tmp_path, monkeypatch):
    monkeypatch.setenv("MER_CACHE_DIR", str(tmp_path / "cache"))
    for name in repro.PINNED_NUMERICS:
        monkeypatch.delenv(name, raising=False)
    seen = {}
    monkeypatch.setattr(runner.pm, "execute_notebook",
                        lambda *a, **k: seen.update({n: os.environ.get(n) for n in repro.PINNED_NUMERICS}))
    with pytest.raises(RuntimeError, match="no results.json"):
        runner.run_profile(NOTEBOOK, "smoke", out_dir=tmp_path / "report")
    assert seen == repro.PINNED_NUMERICS
    assert not set(repro.PINNED_NUMERICS) & set(os.environ), "the caller's environment was changed"


def test_users_data_paths_become_absolute_and_are_replaced_in_the_report(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    values, user_paths = runner.absolute_paths({
        "DATASET_OPTIONS": {"path": "songs", "labels_csv": "labels.csv", "n_clips": 3},
        "SUBMISSIONS": ["runs/a", "b.npy"], "DATA_HOME": ""})
    songs = str((tmp_path / "songs").resolve())
    assert values["DATASET_OPTIONS"] == {"path": songs, "labels_csv": "labels.csv", "n_clips": 3}
    assert values["SUBMISSIONS"] == [str((tmp_path / "runs" / "a").resolve()), str((tmp_path / "b.npy").resolve())]
    assert values["DATA_HOME"] == ""
    pairs = runner.machine_paths(tmp_path / ".w", PROJECT_ROOT / "reports" / "nb" / "x", user_paths)
    cleaned = runner.scrub_machine_paths(f'"path": "{songs}", "s": "{values["SUBMISSIONS"][1]}"', pairs)
    assert cleaned == '"path": "<DATASET_OPTIONS.path>", "s": "<SUBMISSIONS[1]>"'


def test_make_real_skips_a_profile_sized_for_a_gpu_on_a_machine_without_one(monkeypatch):
    notebook = "03_zhao2023_multifaceted_piano"
    assert P.load_profile(notebook, "emopia_full")["NEEDS_ACCELERATOR"] is True
    monkeypatch.setattr(runner, "resolve_device", lambda name: torch.device("cpu"))
    ok, why = runner.real_profile_available(notebook, "emopia_full")
    assert not ok and "GPU" in why
    monkeypatch.setattr(runner, "resolve_device", lambda name: torch.device("cuda"))
    monkeypatch.setattr(runner.data, "is_available", lambda name, home: True)
    assert runner.real_profile_available(notebook, "emopia_full")[0]
    assert not P.load_profile(notebook, "emopia").get("NEEDS_ACCELERATOR")


def test_a_grid_profile_needs_every_real_dataset_of_its_datasets(monkeypatch):
    notebook = "06_benchmark_common_data"
    assert set(P.load_profile(notebook, "real")["DATASETS"]) == {"mirex_mm", "emopia"}
    monkeypatch.setattr(runner.data, "is_available", lambda name, home: name == "mirex_mm")
    ok, why = runner.real_profile_available(notebook, "real")
    assert not ok and "['emopia'] not found" in why
    monkeypatch.setattr(runner.data, "is_available", lambda name, home: True)
    assert runner.real_profile_available(notebook, "real")[0]


def test_a_grids_dataset_folders_become_absolute_and_are_replaced_in_the_report(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    values, user_paths = runner.absolute_paths({"DATASETS": {"folder": {"path": "mine"}, "synthetic": {"n_clips": 8}}})
    mine = str((tmp_path / "mine").resolve())
    assert values["DATASETS"] == {"folder": {"path": mine}, "synthetic": {"n_clips": 8}}
    assert user_paths == {mine: "<DATASETS.folder.path>"}
