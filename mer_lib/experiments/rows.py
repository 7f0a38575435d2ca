"""One shape for "a row of a paper's table": :class:`Row`, and choosing the rows a run trains.

A paper's experiment module declares its rows once (``ROWS = rows.table(Row(...), ...)``);
a notebook picks some by name (:func:`select`, with a did-you-mean error) and keeps those
the dataset can feed (:func:`runnable`, which says why the others are skipped).

Notebook: every paper notebook (01–05).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import pandas as pd
from torch import nn

from mer_lib import models
from mer_lib.data.base import DatasetError


@dataclass(frozen=True)
class Row:
    """One row of a paper's result table.

    Attributes:
        name: The row's name in our tables (``"hcman"``, ``"lyrics_cnn"``...).
        model: The registered model it trains (:func:`mer_lib.models.build`); empty for a row
            that is not a network (a linear floor, an average of other rows' scores).
        inputs: The model's input names, in the order it reads them.
        modalities: Dataset modalities the row needs (:attr:`MERDataset.modalities`).
        targets: Dataset targets the row needs (:attr:`MERDataset.targets`).
        loss: What the model is trained to output, in the paper module's terms (e.g. ``"va"``:
            two V/A probabilities, ``"quadrant"``: four classes); empty where a paper has one.
        options: Constructor options of ``model`` (merged under those given to :meth:`build`).
        reuses: Rows whose trained models this row is built from (a fusion of trained branches).
    """

    name: str
    model: str = ""
    inputs: tuple[str, ...] = ()
    modalities: tuple[str, ...] = ()
    targets: tuple[str, ...] = ()
    loss: str = ""
    options: Mapping[str, Any] = field(default_factory=dict)
    reuses: tuple[str, ...] = ()

    def build(self, **options) -> nn.Module:
        """The row's network: ``models.build(model, **{**self.options, **options})``."""
        if not self.model:
            raise ValueError(f"row {self.name!r} is not a network")
        return models.build(self.model, **{**self.options, **options})

    def lacks(self, modalities: Sequence[str], targets: Sequence[str]) -> list[str]:
        """The modalities and targets this row needs that are not in the given ones."""
        return ([m for m in self.modalities if m not in modalities]
                + [t for t in self.targets if t not in targets])


def table(*rows: Row) -> dict[str, Row]:
    """``{name: row}`` in table order; a name given twice raises."""
    out = {}
    for row in rows:
        if row.name in out:
            raise ValueError(f"row {row.name!r} declared twice")
        out[row.name] = row
    return out


def select(rows: Mapping[str, Row], names: Sequence[str], parameter: str = "MODELS") -> list[Row]:
    """The rows named by a notebook parameter, in the parameter's order.

    Raises:
        ValueError: An unknown name (with the closest match), or a row whose ``reuses``
            are not selected too.
    """
    unknown = [n for n in names if n not in rows]
    if unknown:
        close = difflib.get_close_matches(str(unknown[0]), list(rows), n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise ValueError(f"{parameter}: unknown row(s) {unknown}.{hint} Choose from {list(rows)}")
    chosen = [rows[n] for n in names]
    for row in chosen:
        lacking = [r for r in row.reuses if r not in names]
        if lacking:
            raise ValueError(f"{parameter}: {row.name!r} is built from the trained {lacking} row(s); add them")
    return chosen


def runnable(rows: Sequence[Row], modalities: Sequence[str], targets: Sequence[str],
             dataset: str = "the dataset", require_one: bool = True) -> tuple[list[Row], pd.DataFrame]:
    """The rows a dataset can feed, and a table saying of every row whether it runs or why not.

    A row is skipped when the dataset lacks one of its modalities or targets, or when a row it
    reuses is skipped or not among ``rows`` (in any order). ``modalities``/``targets`` are the
    dataset's (``dataset.modalities``, ``dataset.targets``, or the targets a notebook derives).
    A notebook saves the table (``run.save_table(status, "rows_run")``), so a report says which
    of its rows ran.

    Args:
        rows: The selected rows (:func:`select`).
        modalities: The modalities the data has.
        targets: The targets the data has.
        dataset: The data's name, for the error message.
        require_one: Raise when no row can run. ``False`` for a profile whose results do not
            come from these rows (a dataset analysis, published outputs): every row is then
            reported skipped.

    Returns:
        ``(rows that run, table indexed by row with the columns "needs" and "status")``.

    Raises:
        DatasetError: ``require_one`` and no row can run; the message names each row and
            what it lacks.
    """
    by_name = {row.name: row for row in rows}
    status: dict[str, str] = {}

    def decide(row: Row) -> str:
        if row.name not in status:
            lacking = row.lacks(modalities, targets)
            blocked = [r for r in row.reuses if r not in by_name or decide(by_name[r]) != "ran"]
            status[row.name] = ("skipped: lacks " + ", ".join(lacking) if lacking
                                else "skipped: needs " + ", ".join(blocked) if blocked else "ran")
        return status[row.name]

    ran = [row for row in rows if decide(row) == "ran"]
    summary = pd.DataFrame({"needs": [" + ".join(r.modalities) for r in rows],
                            "status": [status[r.name] for r in rows]},
                           index=pd.Index([r.name for r in rows], name="row"))
    if require_one and rows and not ran:
        reasons = "; ".join(f"{name}: {why.removeprefix('skipped: ')}" for name, why in summary["status"].items())
        raise DatasetError(f"{dataset} can feed none of the selected rows ({reasons}); it has modalities "
                           f"{list(modalities)} and targets {list(targets)}")
    return ran, summary
