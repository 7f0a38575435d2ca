"""Run a notebook profile with papermill into ``reports/<notebook>/<profile>/``.

Usage::

    python -m mer_lib.runner 00_primer demo            # one profile
    python -m mer_lib.runner 00_primer smoke --out /tmp/x
    python -m mer_lib.runner --all demo --jobs 2       # every demo report that is stale
    python -m mer_lib.runner --real                     # every real profile whose data is present
    python -m mer_lib.runner --list

The run executes in a temporary folder beside the report and replaces the report folder
only when the whole notebook succeeded, so an interrupted or failing run never leaves a
half-written report. Ctrl-C (SIGINT) or SIGTERM stops the kernel, removes the temporary
folder and leaves the old report as it was. A failed run's executed notebook is kept under
``$MER_CACHE_DIR/failed/`` with a unique name.

Every report is stamped with ``inputs_digest``: a digest of the notebook, its profile, the
overrides, the ``mer_lib`` modules the notebook and the runner import (transitively) and
the numeric packages' versions (:func:`report_stamp`). ``--all`` reruns exactly the reports whose stamp differs from what the
code would give now, whatever the files' modification times. Machine paths (the temporary
folder, the data home, the cache, the project, site-packages) are replaced in the finished
report by placeholders, so no committed file names a machine's folders.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import sysconfig
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import papermill as pm
import psutil
import yaml

from mer_lib import data, provenance
from mer_lib import params as P
from mer_lib.fileio import atomic_write_text, temp_dir
from mer_lib.paths import (
    PARAMS_DIR,
    PROJECT_ROOT,
    absolutize_environment,
    cache_dir,
    data_home,
    reports_dir,
)
from mer_lib.report_index import wall_seconds, write_index
from mer_lib.repro import pin_numerics, resolve_device

#: The injected parameters every notebook declares.
RUNNER_PARAMETERS = ("PROFILE", "OUT_DIR")
#: Marks a temporary run folder; the owner's process id follows it.
RUNNING = ".running-"
#: Parameters that name files or folders (one path, or a list of them).
PATH_PARAMETERS = ("DATA_HOME", "SUBMISSIONS")
#: ``DATASET_OPTIONS`` keys that name files or folders (``labels_csv`` is relative to ``path``).
PATH_OPTIONS = ("path", "split_dir", "audio_dir")
#: Files of a finished report in which machine paths are replaced.
TEXT_SUFFIXES = (".ipynb", ".json", ".csv", ".md", ".txt")


class Interrupted(KeyboardInterrupt):
    """The run was stopped by SIGINT or SIGTERM."""


def declared_parameters(notebook_file: Path) -> list[str]:
    """Names declared in the notebook's ``parameters`` cell."""
    declared = list(pm.inspect_notebook(str(notebook_file)))
    if not declared:
        raise P.ProfileError(f"{notebook_file} has no cell tagged 'parameters'")
    return declared


def report_stamp(notebook: str, profile: str, overrides: dict | None = None) -> str:
    """Digest of everything in this checkout that determines a report's content: the
    notebook, its profile, the overrides, the closures of the ``mer_lib`` modules the
    notebook imports and of this runner (it writes part of the report), and the numeric
    packages' versions. A module outside those closures, a new one included, leaves the
    stamp as it was."""
    notebook_file = P.notebook_path(notebook)
    return provenance.digest_of(
        # By name: run as ``python -m mer_lib.runner``, this module's __name__ is "__main__".
        [*provenance.notebook_modules(notebook_file), "mer_lib.runner"],
        files=[notebook_file, PARAMS_DIR / notebook / f"{profile}.yaml"],
        extra=overrides or {},
    )


def report_is_current(folder: Path, stamp: str) -> bool:
    """Whether ``folder`` holds a report whose stamp is ``stamp``."""
    try:
        return json.loads((Path(folder) / "results.json").read_text()).get("inputs_digest") == stamp
    except (OSError, ValueError):
        return False


def run_profile(notebook: str, profile: str, out_dir: Path | None = None,
                overrides: dict | None = None, log_output: bool = False) -> Path:
    """Execute ``notebook`` with ``profile`` and write its report folder.

    Args:
        notebook: Notebook name (``"00_primer"``).
        profile: Profile name (``"demo"``, ``"smoke"``, a real-data profile).
        out_dir: Report folder; default ``reports/<notebook>/<profile>``.
        overrides: Parameters that replace the profile's values (checked the same way).
        log_output: Stream the notebook's output to the terminal.

    Returns:
        The report folder, holding ``results.json``, ``figures/``, ``tables/`` and
        ``notebook.ipynb``.

    Raises:
        ProfileError: An unknown notebook, profile or parameter, or a bad value.
        Interrupted: SIGINT or SIGTERM arrived; the old report is untouched.
        papermill.PapermillExecutionError: A cell failed (the notebook is kept, see above).
    """
    notebook_file = P.notebook_path(notebook)
    values = P.load_profile(notebook, profile)
    declared = declared_parameters(notebook_file)
    profile_file = f"notebooks/params/{notebook}/{profile}.yaml"
    P.check_parameters(values, declared, profile_file)
    if overrides:
        P.check_parameters(overrides, declared, "the command-line overrides")
        values.update(overrides)
    P.check_values(values, pm.inspect_notebook(str(notebook_file)))
    missing = [name for name in RUNNER_PARAMETERS if name not in declared]
    if missing:
        raise P.ProfileError(f"{notebook_file} must declare {', '.join(missing)} in its parameters cell")
    stamp = report_stamp(notebook, profile, overrides)

    # The kernel runs in notebooks/: relative folders given here must not change meaning there.
    absolutize_environment()
    numerics = pin_numerics(dict(os.environ))  # for the kernel only: this process keeps its own
    values, user_paths = absolute_paths(values)
    final = (Path(out_dir) if out_dir else reports_dir() / notebook / profile).resolve()
    remove_stale_runs(final.parent)
    work = temp_dir(f".{profile}{RUNNING}{os.getpid()}-", final.parent)
    values["OUT_DIR"] = str(work)
    started = time.time()
    print(f"[mer] {notebook} / {profile} -> {final}", flush=True)
    try:
        with _StopOnSignals(), _environment(numerics):
            pm.execute_notebook(
                str(notebook_file), str(work / "notebook.ipynb"), parameters=values,
                cwd=str(notebook_file.parent), log_output=log_output, progress_bar=False,
            )
        if not (work / "results.json").is_file():
            raise RuntimeError(f"{notebook} / {profile} ran but wrote no results.json")
        finish_report(work, final, stamp, numerics, user_paths)
    except Interrupted:
        shutil.rmtree(work, ignore_errors=True)
        print(f"[mer] stopped: {notebook} / {profile}; the report in {final} is unchanged",
              file=sys.stderr, flush=True)
        raise
    except BaseException:
        _keep_failed(work, notebook, profile)
        shutil.rmtree(work, ignore_errors=True)
        raise
    _replace_dir(work, final)
    print(f"[mer] {notebook} / {profile} done in {time.time() - started:.1f} s", flush=True)
    return final


@contextlib.contextmanager
def _environment(values: dict[str, str]):
    """``os.environ`` with ``values`` for the block (a kernel started in it inherits them), then as before.

    The pinned numerics must reach the kernel but not the caller: a process that has already
    loaded its BLAS would otherwise hand different settings to the workers it starts later.
    """
    before = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in before.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


class _StopOnSignals:
    """Within the block, SIGINT and SIGTERM kill the kernel (and any process it started)
    and raise :class:`Interrupted`, instead of being lost inside the kernel client's loop."""

    SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __enter__(self):
        self.received = None
        if threading.current_thread() is not threading.main_thread():
            self.previous = None
            return self
        self.previous = {s: signal.signal(s, self._handle) for s in self.SIGNALS}
        return self

    def _handle(self, signum, frame):
        self.received = signum
        _kill_children()
        raise Interrupted(f"stopped by {signal.Signals(signum).name}")

    def __exit__(self, kind, error, trace):
        if self.previous:
            for s, handler in self.previous.items():
                signal.signal(s, handler)
        if self.received is not None and not isinstance(error, Interrupted):
            raise Interrupted(f"stopped by {signal.Signals(self.received).name}") from error
        return False


def _kill_children(grace: float = 3.0) -> None:
    """Terminate this process's children (the kernel runs in a session of its own, so a
    terminal's Ctrl-C never reaches it), then kill what is left after ``grace`` seconds."""
    children = psutil.Process().children(recursive=True)
    for child in children:
        try:
            child.terminate()
        except psutil.Error:
            pass
    _, alive = psutil.wait_procs(children, timeout=grace)
    for child in alive:
        try:
            child.kill()
        except psutil.Error:
            pass


def remove_stale_runs(folder: Path) -> list[Path]:
    """Remove temporary run folders in ``folder`` whose owning process no longer runs
    (left by a killed run); returns what was removed."""
    removed = []
    for path in Path(folder).glob(f".*{RUNNING}*"):
        match = re.search(rf"{re.escape(RUNNING)}(\d+)-", path.name)
        if path.is_dir() and match and not psutil.pid_exists(int(match.group(1))):
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    return removed


def _keep_failed(work: Path, notebook: str, profile: str) -> None:
    executed = work / "notebook.ipynb"
    if not executed.exists():
        return
    folder = cache_dir() / "failed"
    folder.mkdir(parents=True, exist_ok=True)
    kept = folder / f"{notebook}-{profile}-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}.ipynb"
    shutil.copyfile(executed, kept)
    print(f"[mer] FAILED: {notebook} / {profile}; the executed notebook is at {kept}",
          file=sys.stderr, flush=True)


def _absolute(path) -> str:
    return str(Path(path).expanduser().resolve())


def absolute_paths(values: dict) -> tuple[dict, dict[str, str]]:
    """``values`` with the paths of :data:`PATH_PARAMETERS` and :data:`PATH_OPTIONS` (of
    ``DATASET_OPTIONS`` and of each of a grid's ``DATASETS``) made absolute from the caller's
    folder (the kernel runs in ``notebooks/``), and
    ``{absolute path: placeholder}`` of the user's own ones, for :func:`finish_report`."""
    values, user_paths = dict(values), {}
    for name in PATH_PARAMETERS:
        if isinstance(values.get(name), str) and values[name]:
            values[name] = _absolute(values[name])
            user_paths[values[name]] = f"<{name}>"
        elif isinstance(values.get(name), (list, tuple)):
            values[name] = [_absolute(p) for p in values[name]]
            user_paths.update({p: f"<{name}[{i}]>" for i, p in enumerate(values[name])})
    if isinstance(values.get("DATASET_OPTIONS"), dict):
        values["DATASET_OPTIONS"] = _absolute_options(values["DATASET_OPTIONS"], "DATASET_OPTIONS", user_paths)
    if isinstance(values.get("DATASETS"), dict):  # a grid's datasets, each with its DATASET_OPTIONS
        values["DATASETS"] = {name: _absolute_options(options, f"DATASETS.{name}", user_paths)
                              if isinstance(options, dict) else options for name, options in values["DATASETS"].items()}
    return values, user_paths


def _absolute_options(options: dict, label: str, user_paths: dict[str, str]) -> dict:
    """``options`` with the paths of :data:`PATH_OPTIONS` made absolute; each is added to
    ``user_paths`` with the placeholder ``<label.key>``."""
    options = {key: _absolute(value) if key in PATH_OPTIONS and isinstance(value, str) and value else value
               for key, value in options.items()}
    user_paths.update({options[key]: f"<{label}.{key}>" for key in PATH_OPTIONS
                       if isinstance(options.get(key), str) and options[key]})
    return options


def machine_paths(work: Path, final: Path, user_paths: dict[str, str] | None = None) -> list[tuple[str, str]]:
    """(absolute path, placeholder) pairs to replace in a finished report, longest first
    (``user_paths``: the user's own data folders, see :func:`absolute_paths`)."""
    pairs = {**(user_paths or {}), str(work): _shown(final), str(data_home()): "$MER_DATA_HOME",
             str(cache_dir()): "$MER_CACHE_DIR", str(reports_dir()): "$MER_REPORTS_DIR",
             str(PROJECT_ROOT): "<project>", sys.prefix: "<python>", sys.base_prefix: "<python>",
             str(Path.home()): "~", tempfile.gettempdir(): "<tmp>"}
    for key in ("purelib", "platlib", "stdlib"):
        pairs[sysconfig.get_paths()[key]] = f"<{key}>"
    real = {str(Path(k).resolve()): v for k, v in pairs.items() if k and k != "/"}
    pairs.update(real)
    return sorted(((k, v) for k, v in pairs.items() if k not in ("", "/")), key=lambda kv: -len(kv[0]))


def _shown(final: Path) -> str:
    """How the report folder is named inside it: relative to the project, else to the
    reports folder."""
    for root, name in ((PROJECT_ROOT, ""), (reports_dir(), "$MER_REPORTS_DIR/")):
        try:
            return name + final.relative_to(root).as_posix()
        except ValueError:
            continue
    return final.name


def scrub_machine_paths(text: str, pairs: list[tuple[str, str]]) -> str:
    """``text`` with every absolute path of ``pairs`` (at a path boundary) replaced."""
    for path, placeholder in pairs:
        text = re.sub(re.escape(path) + r"(?![\w.-])", lambda _: placeholder, text)
    return text


def finish_report(work: Path, final: Path, stamp: str, numerics: dict | None = None,
                  user_paths: dict[str, str] | None = None) -> None:
    """Replace machine paths in every text file of ``work``; record in its results.json the
    stamp of its inputs and the pinned numerics it ran with."""
    pairs = machine_paths(work, final, user_paths)
    for path in sorted(work.rglob("*")):
        if path.is_file() and path.suffix in TEXT_SUFFIXES:
            text = path.read_text(encoding="utf-8")
            cleaned = scrub_machine_paths(text, pairs)
            if path.name == "results.json" and path.parent == work:
                results = json.loads(cleaned)
                results["inputs_digest"] = stamp
                results["numerics"] = numerics or {}
                cleaned = json.dumps(results, indent=2) + "\n"
            if cleaned != text:
                atomic_write_text(path, cleaned)


def _replace_dir(new: Path, final: Path) -> None:
    """Swap ``new`` into place of ``final`` with two renames (no half-written state)."""
    old = None
    if final.exists():
        old = final.with_name(f".{final.name}.old-{time.time_ns()}")
        final.rename(old)
    new.rename(final)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


@dataclass
class Job:
    """One notebook profile to run in a process of its own (see :func:`run_many`)."""

    notebook: str
    profile: str
    out: Path | None = None
    expected_s: float = 0.0


def run_many(jobs: list[Job], parallel: int = 2, env: dict | None = None,
             log_dir: Path | None = None) -> dict[str, int]:
    """Run ``jobs``, ``parallel`` at a time, each in its own runner process.

    The longest expected jobs start first. Each job's output goes to a log file; a failing
    job's log tail is printed. SIGINT/SIGTERM stop every running job (each removes its
    temporary folder) and raise :class:`Interrupted`.

    Returns:
        ``{"<notebook>/<profile>": exit status}``.
    """
    log_dir = Path(log_dir or cache_dir() / "logs")
    log_dir.mkdir(parents=True, exist_ok=True)
    todo = sorted(jobs, key=lambda j: -j.expected_s)
    running: dict[str, tuple[subprocess.Popen, float, Path]] = {}
    status: dict[str, int] = {}
    environment = {**os.environ, **(env or {})}
    try:
        while todo or running:
            while todo and len(running) < max(1, parallel):
                job = todo.pop(0)
                name = f"{job.notebook}/{job.profile}"
                log = log_dir / f"{job.notebook}-{job.profile}.log"
                command = [sys.executable, "-m", "mer_lib.runner", job.notebook, job.profile, "--no-index"]
                if job.out:
                    command += ["--out", str(job.out)]
                with open(log, "w") as handle:
                    process = subprocess.Popen(command, stdout=handle, stderr=subprocess.STDOUT,
                                               env=environment, cwd=PROJECT_ROOT)
                running[name] = (process, time.time(), log)
                print(f"[mer] started {name}", flush=True)
            time.sleep(0.5)
            for name, (process, began, log) in list(running.items()):
                if process.poll() is None:
                    continue
                del running[name]
                status[name] = process.returncode
                took = time.time() - began
                if process.returncode == 0:
                    print(f"[mer] done    {name} in {took:.0f} s", flush=True)
                else:
                    tail = "".join(Path(log).read_text(errors="replace").splitlines(True)[-15:])
                    print(f"[mer] FAILED  {name} (exit {process.returncode}) after {took:.0f} s; "
                          f"log {log}:\n{tail}", file=sys.stderr, flush=True)
    except KeyboardInterrupt:
        for process, _, _ in running.values():
            process.terminate()
        for process, _, _ in running.values():
            process.wait()
        raise
    return status


def stale_jobs(profile: str = "demo", force: bool = False) -> tuple[list[Job], int]:
    """The ``profile`` reports whose stamp differs from this checkout's (all with ``force``),
    and how many there are in all."""
    names = [nb for nb in P.notebook_names() if profile in P.profile_names(nb)]
    jobs = []
    for notebook in names:
        folder = reports_dir() / notebook / profile
        if force or not report_is_current(folder, report_stamp(notebook, profile)):
            jobs.append(Job(notebook, profile, expected_s=previous_wall_seconds(folder)))
    return jobs, len(names)


def previous_wall_seconds(folder: Path) -> float:
    """The wall time recorded in a report folder (0 when there is none)."""
    try:
        return float(wall_seconds(json.loads((folder / "results.json").read_text())))
    except (OSError, ValueError, TypeError):
        return 0.0


def real_profiles() -> list[tuple[str, str]]:
    """Every (notebook, profile) that runs on real data."""
    return [
        (nb, prof) for nb in P.notebook_names() for prof in P.profile_names(nb)
        if prof not in P.SYNTHETIC_PROFILES
    ]


def real_profile_available(notebook: str, profile: str) -> tuple[bool, str]:
    """Whether the data a real profile needs is present under its data home.

    A profile needs its ``DATASET`` when that is a real dataset, and every real dataset of a
    grid's ``DATASETS``; a profile that surveys real datasets (``REAL_DATASETS``: a list of
    names or ``"all"``) needs at least one of them. A
    profile with ``NEEDS_ACCELERATOR: true`` (a full recipe sized for a GPU, e.g. notebook 03's
    ``emopia_full``) also needs a CUDA device: ``make real`` skips it on a CPU-only machine.
    """
    values = P.load_profile(notebook, profile)
    if values.get("NEEDS_ACCELERATOR") and resolve_device("auto").type == "cpu":
        return False, ("sized for a GPU (NEEDS_ACCELERATOR) and this machine has none; run it by name to "
                       "force it on the CPU")
    home = values.get("DATA_HOME") or None
    name = values.get("DATASET")
    if name in data.real_names():
        ok = data.is_available(name, home)
        return ok, f"dataset {name!r} {'found' if ok else 'not found'} under {data.resolve_data_home(home)}"
    grid = [n for n in values.get("DATASETS") or {} if n in data.real_names()]
    if grid:
        missing = [n for n in grid if not data.is_available(n, home)]
        where = data.resolve_data_home(home)
        return not missing, (f"datasets {missing} not found under {where}" if missing
                             else f"datasets {grid} found under {where}")
    wanted = values.get("REAL_DATASETS")
    if wanted:
        names = data.real_names() if wanted == "all" else list(wanted)
        present = [n for n in names if data.is_available(n, home)]
        return bool(present), f"real datasets present: {', '.join(present) or 'none'}"
    return True, "synthetic data"


def _parse_overrides(pairs) -> dict:
    out = {}
    for pair in pairs or []:
        if "=" not in pair:
            raise P.ProfileError(f"--set expects KEY=VALUE, got {pair!r}")
        key, value = pair.split("=", 1)
        try:
            out[key] = yaml.safe_load(value)
        except yaml.YAMLError as err:
            raise P.ProfileError(f"--set {key}: cannot read the value {value!r} ({err})") from err
    return out


def run_stale(profile: str, parallel: int, force: bool) -> int:
    """``--all PROFILE``: rerun the stale reports of ``profile`` (``make reports``)."""
    jobs, total = stale_jobs(profile, force)
    if not jobs:
        print(f"[mer] all {total} {profile} reports are up to date with this code "
              f"(inputs_digest matches); force a rerun with `make reports FORCE=1`", flush=True)
        return 0
    started = time.time()
    print(f"[mer] {len(jobs)} of {total} {profile} reports to run, {parallel} at a time", flush=True)
    status = run_many(jobs, parallel)
    failed = [name for name, code in status.items() if code != 0]
    print(f"[mer] {len(jobs) - len(failed)} of {len(jobs)} ran in {time.time() - started:.0f} s"
          + (f"; failed: {', '.join(failed)}" if failed else ""), flush=True)
    return 1 if failed else 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mer_lib.runner", description=__doc__.split("\n")[0])
    parser.add_argument("notebook", nargs="?")
    parser.add_argument("profile", nargs="?")
    parser.add_argument("--out", type=Path, help="report folder (default reports/<nb>/<profile>)")
    parser.add_argument("--set", action="append", metavar="KEY=VALUE", help="override a parameter")
    parser.add_argument("--all", metavar="PROFILE", help="run every notebook's PROFILE whose report is stale")
    parser.add_argument("--force", action="store_true", help="with --all: rerun even up-to-date reports")
    parser.add_argument("--jobs", type=int, default=2, help="with --all: notebooks run at once (default 2)")
    parser.add_argument("--real", action="store_true", help="run every real profile whose data is present")
    parser.add_argument("--list", action="store_true", help="list notebooks and profiles")
    parser.add_argument("--verbose", action="store_true", help="stream notebook output")
    parser.add_argument("--no-index", action="store_true", help="do not rewrite reports/README.md")
    args = parser.parse_args(argv)
    code = 0
    try:
        if args.list:
            for nb in P.notebook_names():
                print(f"{nb}: {', '.join(P.profile_names(nb))}")
            return 0
        if args.all:
            code = run_stale(args.all, args.jobs, args.force)
        elif args.real:
            for nb, prof in real_profiles():
                ok, why = real_profile_available(nb, prof)
                if ok:
                    run_profile(nb, prof, log_output=args.verbose)
                else:
                    print(f"[mer] skip {nb} / {prof}: {why}")
        else:
            if not (args.notebook and args.profile):
                parser.error("give NOTEBOOK PROFILE, --all PROFILE, --real or --list")
            run_profile(args.notebook, args.profile, args.out, _parse_overrides(args.set),
                        log_output=args.verbose)
    except P.ProfileError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    if not (args.out or args.no_index):
        write_index()
    return code


if __name__ == "__main__":
    sys.exit(main())
