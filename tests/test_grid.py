"""mer_lib.grid: a grid on Dask equals the same grid run serially; finished cells are cached."""

from __future__ import annotations

import json

import pytest

from mer_lib import grid
from mer_lib.experiments import benchmark
from mer_lib.experiments.benchmark import base, cell_run, cells, tasks

ROWS = ("majority", "lyrics_tfidf_lr", "context_tfidf_lr", "jeon2017_lyrics_cnn")
BUDGET = base.Budget(max_epochs=2, patience=2)


@pytest.fixture(scope="module")
def task(tiny_corpus):
    return tasks.make_task(tiny_corpus, "polarity")


def _grid(task, seeds=(0, 1)):
    return [grid.Cell(row, task.name, seed) for row in ROWS for seed in seeds]


def _run(task, grid_cells, cache_dir, **options):
    return grid.run(grid_cells, cell_run.run_cell, cache_dir=cache_dir,
                    inputs=lambda cell: cells.cell_inputs(cell, task, BUDGET),
                    arguments=lambda cell: (benchmark.METHODS[cell.row], task, BUDGET), progress=False, **options)


def _scores(results):
    return {cell: {k: v for k, v in result.items() if k != "seconds"} for cell, result in results.items()}


def test_a_grid_on_two_dask_worker_processes_equals_the_same_grid_run_serially(task, tmp_path):
    grid_cells = _grid(task)
    serial = _run(task, grid_cells, tmp_path / "serial", workers=0)
    distributed = _run(task, grid_cells, tmp_path / "dask", workers=2)
    assert list(distributed) == grid_cells
    assert _scores(distributed) == _scores(serial)  # everything but the cells' wall times
    assert len(list((tmp_path / "dask").glob("*.json"))) == len(grid_cells)


def test_a_rerun_computes_only_the_cells_missing_from_the_cache(tmp_path):
    calls = []

    def work(cell):
        calls.append(cell)
        return {"value": cell.seed * 10}

    first = [grid.Cell("a", "t", seed) for seed in (0, 1)]
    grid.run(first, work, cache_dir=tmp_path, workers=0, progress=False)
    results = grid.run(first + [grid.Cell("a", "t", 2)], work, cache_dir=tmp_path, workers=0, progress=False)
    assert calls == first + [grid.Cell("a", "t", 2)]
    assert [r["value"] for r in results.values()] == [0, 10, 20]


def test_a_cells_digest_changes_with_its_inputs_and_its_code():
    cell = grid.Cell("a", "t", 0)

    def one(cell):
        return 1

    def two(cell):
        return 2

    assert grid.cell_digest(cell, one, {"n": 1}) == grid.cell_digest(cell, one, {"n": 1})
    assert grid.cell_digest(cell, one, {"n": 1}) != grid.cell_digest(cell, one, {"n": 2})
    assert grid.cell_digest(cell, one, {}) != grid.cell_digest(cell, two, {})
    assert grid.cell_digest(cell, cell_run.run_cell, {}) != grid.cell_digest(grid.Cell("a", "t", 1), cell_run.run_cell, {})


def test_a_failing_cell_is_named_and_the_cells_finished_before_it_stay_cached(tmp_path):
    def work(cell):
        if cell.seed == 1:
            raise ValueError("corrupt clip x.mid")
        return {"ok": True}

    grid_cells = [grid.Cell("a", "t", 0), grid.Cell("a", "t", 1)]
    with pytest.raises(RuntimeError, match=r"grid cell a · t · seed 1 failed: corrupt clip x.mid"):
        grid.run(grid_cells, work, cache_dir=tmp_path, workers=0, progress=False)
    saved = [json.loads(p.read_text()) for p in tmp_path.glob("*.json")]
    assert saved == [{"cell": {"row": "a", "task": "t", "seed": 0}, "result": {"ok": True}}]
    assert not list(tmp_path.glob(".*")), "a temporary file was left behind"


def test_a_cell_given_twice_is_refused(tmp_path):
    with pytest.raises(ValueError, match="appears twice"):
        grid.run([grid.Cell("a", "t", 0)] * 2, lambda cell: 0, cache_dir=tmp_path, workers=0, progress=False)
