"""Run a notebook profile with papermill into ``reports/<notebook>/<profile>/``.

Usage::

    python -m mer_lib.runner 00_primer demo            # one profile
    python -m mer_lib.runner 00_primer smoke --out /tmp/x
    python -m mer_lib.runner --real                     # every real profile whose data is present
    python -m mer_lib.runner --list

The run executes in a temporary folder and replaces the report folder only when the whole
notebook succeeded, so an interrupted or failing run never leaves a half-written report.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

from mer_lib import params as P
from mer_lib.paths import absolutize_environment, reports_dir

#: The injected parameters every notebook declares.
RUNNER_PARAMETERS = ("PROFILE", "OUT_DIR")


def declared_parameters(notebook_file: Path) -> list[str]:
    """Names declared in the notebook's ``parameters`` cell."""
    import papermill as pm

    declared = list(pm.inspect_notebook(str(notebook_file)))
    if not declared:
        raise P.ProfileError(f"{notebook_file} has no cell tagged 'parameters'")
    return declared


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
    """
    import papermill as pm

    notebook_file = P.notebook_path(notebook)
    values = P.load_profile(notebook, profile)
    declared = declared_parameters(notebook_file)
    profile_file = f"notebooks/params/{notebook}/{profile}.yaml"
    P.check_parameters(values, declared, profile_file)
    if overrides:
        P.check_parameters(overrides, declared, "the command-line overrides")
        values.update(overrides)
    missing = [name for name in RUNNER_PARAMETERS if name not in declared]
    if missing:
        raise P.ProfileError(f"{notebook_file} must declare {', '.join(missing)} in its parameters cell")

    # The kernel runs in notebooks/: relative folders given here must not change meaning there.
    absolutize_environment()
    if values.get("DATA_HOME"):
        values["DATA_HOME"] = str(Path(values["DATA_HOME"]).expanduser().resolve())
    final = Path(out_dir) if out_dir else reports_dir() / notebook / profile
    final.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{profile}.running-", dir=final.parent))
    values["OUT_DIR"] = str(work)
    started = time.time()
    print(f"[mer] {notebook} / {profile} -> {final}", flush=True)
    try:
        pm.execute_notebook(
            str(notebook_file), str(work / "notebook.ipynb"), parameters=values,
            cwd=str(notebook_file.parent), log_output=log_output, progress_bar=False,
        )
    except BaseException:
        failed = Path(tempfile.gettempdir()) / f"mer_failed_{notebook}_{profile}.ipynb"
        if (work / "notebook.ipynb").exists():
            shutil.copyfile(work / "notebook.ipynb", failed)
            print(f"[mer] FAILED: {notebook} / {profile}; the executed notebook is at {failed}",
                  file=sys.stderr)
        shutil.rmtree(work, ignore_errors=True)
        raise
    if not (work / "results.json").is_file():
        shutil.rmtree(work, ignore_errors=True)
        raise RuntimeError(f"{notebook} / {profile} ran but wrote no results.json")
    _replace_dir(work, final)
    print(f"[mer] {notebook} / {profile} done in {time.time() - started:.1f} s", flush=True)
    return final


def _replace_dir(new: Path, final: Path) -> None:
    """Swap ``new`` into place of ``final`` with two renames (no half-written state)."""
    old = None
    if final.exists():
        old = final.with_name(f".{final.name}.old-{time.time_ns()}")
        final.rename(old)
    new.rename(final)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def real_profiles() -> list[tuple[str, str]]:
    """Every (notebook, profile) that runs on real data."""
    return [
        (nb, prof) for nb in P.notebook_names() for prof in P.profile_names(nb)
        if prof not in P.SYNTHETIC_PROFILES
    ]


def real_profile_available(notebook: str, profile: str) -> tuple[bool, str]:
    """Whether the data a real profile needs is present under its data home.

    A profile needs its ``DATASET`` when that is a real dataset; a profile that surveys real
    datasets (``REAL_DATASETS``: a list of names or ``"all"``) needs at least one of them.
    """
    from mer_lib import data

    values = P.load_profile(notebook, profile)
    home = values.get("DATA_HOME") or None
    name = values.get("DATASET")
    if name in data.real_names():
        ok = data.is_available(name, home)
        return ok, f"dataset {name!r} {'found' if ok else 'not found'} under {data.resolve_data_home(home)}"
    wanted = values.get("REAL_DATASETS")
    if wanted:
        names = data.real_names() if wanted == "all" else list(wanted)
        present = [n for n in names if data.is_available(n, home)]
        return bool(present), f"real datasets present: {', '.join(present) or 'none'}"
    return True, "synthetic data"


def _parse_overrides(pairs) -> dict:
    import yaml

    out = {}
    for pair in pairs or []:
        if "=" not in pair:
            raise P.ProfileError(f"--set expects KEY=VALUE, got {pair!r}")
        key, value = pair.split("=", 1)
        out[key] = yaml.safe_load(value)
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mer_lib.runner", description=__doc__.split("\n")[0])
    parser.add_argument("notebook", nargs="?")
    parser.add_argument("profile", nargs="?")
    parser.add_argument("--out", type=Path, help="report folder (default reports/<nb>/<profile>)")
    parser.add_argument("--set", action="append", metavar="KEY=VALUE", help="override a parameter")
    parser.add_argument("--real", action="store_true", help="run every real profile whose data is present")
    parser.add_argument("--list", action="store_true", help="list notebooks and profiles")
    parser.add_argument("--verbose", action="store_true", help="stream notebook output")
    args = parser.parse_args(argv)
    from mer_lib.report_index import write_index

    try:
        if args.list:
            for nb in P.notebook_names():
                print(f"{nb}: {', '.join(P.profile_names(nb))}")
            return 0
        if args.real:
            for nb, prof in real_profiles():
                ok, why = real_profile_available(nb, prof)
                if ok:
                    run_profile(nb, prof, log_output=args.verbose)
                else:
                    print(f"[mer] skip {nb} / {prof}: {why}")
        else:
            if not (args.notebook and args.profile):
                parser.error("give NOTEBOOK PROFILE, --real or --list")
            run_profile(args.notebook, args.profile, args.out, _parse_overrides(args.set),
                        log_output=args.verbose)
    except P.ProfileError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    if not args.out:
        write_index()
    return 0


if __name__ == "__main__":
    sys.exit(main())
