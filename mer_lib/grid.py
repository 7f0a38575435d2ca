"""Grids of independent runs on Dask, each finished cell cached on disk by its inputs' digest.

A benchmark is a grid of (row × task × seed) cells, each an independent training run.
:func:`run` looks every cell up in the cache, sends the missing ones to a Dask cluster and
writes each result the moment it arrives (atomically), so an interrupted run keeps what
finished and a rerun computes only what is missing. The cluster is a ``LocalCluster`` of
one-thread worker processes on this machine by default, or the scheduler at an address: a
SLURM or Kubernetes cluster started with dask-jobqueue or dask-kubernetes runs the same
grid without a code change. ``workers=0`` runs the cells one by one in this process.

A cell's digest covers the cell, the inputs the caller names for it (data fingerprint,
budgets) and the source of the work function's module with every ``mer_lib`` module it
imports (:func:`mer_lib.provenance.digest_of`), so a code change recomputes the cells it
can touch.

Notebook: ``06_benchmark_common_data``.
"""

from __future__ import annotations

import inspect
import json
import logging
import os
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from importlib.util import find_spec
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping, Sequence

from dask.distributed import Client, LocalCluster, as_completed
from tqdm.auto import tqdm

from mer_lib import provenance
from mer_lib.fileio import atomic_write_text

#: A cell's result: any JSON value (scores, test predictions, a history).
Result = Any


@dataclass(frozen=True, order=True)
class Cell:
    """One run of a grid: a row trained on a task with a seed."""

    row: str
    task: str
    seed: int

    def label(self) -> str:
        """``row · task · seed N``, for progress bars and errors."""
        return f"{self.row} · {self.task} · seed {self.seed}"


def available_workers() -> int:
    """Cores this process may use: the default number of local workers."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


def cell_digest(cell: Cell, work: Callable, inputs: Mapping[str, Any]) -> str:
    """Digest of everything that determines ``work(cell, ...)``'s result.

    Args:
        cell: The cell.
        work: The function that computes it: a ``mer_lib`` function enters with its module and
            every ``mer_lib`` module that imports, any other with its own source.
        inputs: What else determines the result (a data fingerprint, budgets, options).
    """
    in_library = work.__module__.partition(".")[0] == provenance.PACKAGE
    return provenance.digest_of([work.__module__] if in_library else [],
                                extra={"cell": asdict(cell), "work": work.__qualname__, "inputs": inputs,
                                       "source": "" if in_library else inspect.getsource(work)})


class GridCache:
    """A folder of finished cells: ``<digest>.json`` holding the cell and its result."""

    def __init__(self, folder: str | os.PathLike):
        self.folder = Path(folder)

    def _path(self, digest: str) -> Path:
        return self.folder / f"{digest}.json"

    def load(self, digest: str) -> tuple[bool, Result]:
        """``(True, result)`` for a finished cell, ``(False, None)`` for a missing or unreadable one."""
        try:
            return True, json.loads(self._path(digest).read_text())["result"]
        except (OSError, ValueError, KeyError):
            return False, None

    def save(self, digest: str, cell: Cell, result: Result) -> None:
        """Write a finished cell (atomically: a half-written file never exists)."""
        atomic_write_text(self._path(digest), json.dumps({"cell": asdict(cell), "result": result}, sort_keys=True))


@contextmanager
def client(scheduler: str | None = None, workers: int | None = None) -> Iterator[Client]:
    """A Dask client: of the scheduler at ``scheduler``, else of a new ``LocalCluster``.

    Args:
        scheduler: Address of a running scheduler (``tcp://host:8786``); ``None``: start one here.
        workers: Local worker processes (one thread each; ``None``: :func:`available_workers`).
    """
    if scheduler:
        with Client(scheduler) as connected:
            yield connected
        return
    # One thread per process: cells are CPU-bound PyTorch/NumPy runs that hold the GIL.
    with LocalCluster(n_workers=workers or available_workers(), threads_per_worker=1, processes=True,
                      dashboard_address=":0", silence_logs=logging.ERROR) as cluster, Client(cluster) as local:
        yield local


def run(cells: Sequence[Cell], work: Callable[..., Result], *, cache_dir: str | os.PathLike,
        inputs: Callable[[Cell], Mapping[str, Any]] = lambda cell: {}, arguments: Callable[[Cell], tuple] = lambda cell: (),
        scheduler: str | None = None, workers: int | None = None, progress: bool = True) -> dict[Cell, Result]:
    """Compute ``work(cell, *arguments(cell))`` for every cell not yet in the cache.

    Args:
        cells: The grid (duplicates raise).
        work: A module-level function of ``mer_lib`` (workers import it by name) returning a
            JSON value.
        cache_dir: Folder of finished cells.
        inputs: For a cell, what besides the cell and the code determines its result.
        arguments: For a cell, the extra positional arguments of ``work`` (picklable).
        scheduler: Scheduler address; ``None``: a local cluster (see :func:`client`).
        workers: Local workers; ``0``: run here, one cell after another, without Dask.
        progress: Show a progress bar.

    Returns:
        ``{cell: result}`` in the order of ``cells``.

    Raises:
        ValueError: A cell given twice.
        RuntimeError: A cell failed; the message names it (the finished cells stay cached).
    """
    if len(set(cells)) != len(cells):
        raise ValueError("a cell appears twice in the grid")
    cache = GridCache(cache_dir)
    digests = {cell: cell_digest(cell, work, inputs(cell)) for cell in cells}
    results: dict[Cell, Result] = {}
    missing = []
    for cell in cells:
        found, result = cache.load(digests[cell])
        if found:
            results[cell] = result
        else:
            missing.append(cell)
    bar = tqdm(total=len(cells), initial=len(cells) - len(missing), desc="grid", unit="cell", disable=not progress)

    def finish(cell: Cell, result: Result) -> None:
        cache.save(digests[cell], cell, result)
        results[cell] = result
        bar.update()

    try:
        if missing and workers == 0:
            for cell in missing:
                finish(cell, _call(work, cell, arguments(cell)))
        elif missing:
            with client(scheduler, workers) as dask:
                if progress and dask.dashboard_link and find_spec("bokeh"):  # Dask serves its dashboard with bokeh
                    bar.write(f"Dask dashboard: {dask.dashboard_link}")
                futures = {dask.submit(_call, work, cell, arguments(cell), key=f"cell-{digests[cell]}", pure=False): cell
                           for cell in missing}
                for future in as_completed(futures):
                    finish(futures[future], future.result())
    finally:
        bar.close()
    return {cell: results[cell] for cell in cells}


def _call(work: Callable[..., Result], cell: Cell, arguments: tuple) -> Result:
    try:
        return work(cell, *arguments)
    except Exception as err:
        raise RuntimeError(f"grid cell {cell.label()} failed: {err}") from err
