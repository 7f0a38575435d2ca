"""Data and training helpers shared by the paper notebooks that train with :func:`mer_lib.train.fit`.

A comparison's arrays are laid out per split (``{split: ...}`` over :data:`SPLITS`); targets
follow the layout of :class:`MultiTaskLoss` (regression columns, then a class index);
:class:`ClipTensors` feeds dicts of tensors to ``model(**inputs)`` with training-time audio
augmentation; :func:`task_scores` and :func:`selection_metric` score regression and/or
classification; :class:`Trained` is what a paper module's ``fit_and_score`` returns;
:func:`logistic_baseline` is a linear floor to read a network's score against.

Notebook: ``01_jeon2017_end_to_end_polarity``, ``04_zhao2022_hierarchical_attention``,
``05_mmer_analysis_unimodal_fusion``.
"""

from __future__ import annotations

from typing import Callable, Mapping, NamedTuple, Sequence

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import Dataset

from mer_lib import metrics

SPLITS = ("train", "validation", "test")

def split_ids(table: pd.DataFrame) -> dict[str, list[str]]:
    """``{split: [track_id, ...]}`` in table order."""
    return {s: table.loc[table["split"] == s, "track_id"].astype(str).tolist() for s in SPLITS}


def stack_split(features: Mapping[str, np.ndarray], ids: Mapping[str, Sequence[str]]) -> dict[str, np.ndarray]:
    """``{split: array (clips, ...)}`` of equally shaped per-clip features."""
    return {s: np.stack([features[t] for t in tids]) for s, tids in ids.items()}


def target_arrays(table: pd.DataFrame, regression_targets: Sequence[str], class_target: str = "",
                  classes: Sequence | None = None) -> dict[str, np.ndarray]:
    """``{split: (clips, k)}`` targets in the layout of :class:`MultiTaskLoss`: the regression
    columns, then (with ``class_target``) the class index in ``classes`` as a float."""
    out = {}
    for split in SPLITS:
        part = table[table["split"] == split]
        columns = [part[t].astype(float).to_numpy() for t in regression_targets]
        if class_target:
            index = {c: i for i, c in enumerate(classes)}
            columns.append(part[class_target].map(index).to_numpy(dtype=float))
        out[split] = np.stack(columns, axis=1).astype(np.float32)
    return out



class ClipTensors(Dataset):
    """Clips as ``(inputs, target)`` with ``inputs`` a dict of tensors (``model(**inputs)``).

    On training data, every time a clip is drawn its audio is one of its versions chosen at
    random (the original or an augmented copy: pitch-shifted, downsampled) and, with
    ``crop_frames``, a random window of that many frames; on validation and test data give
    one version and no crop, so the whole excerpt is seen.

    Args:
        inputs: ``{name: array (clips, ...)}``; ``"audio"`` may be a list of arrays of one
            shape (versions of the same clips, original first). Integer arrays (word ids)
            stay integer tensors, the rest become float32.
        targets: ``(clips, k)`` float array (see :class:`MultiTaskLoss` for the layout).
        crop_frames: Random crop length of the audio (training only); None keeps all frames.
        seed: Seed of the version and crop draws.
    """

    def __init__(self, inputs: Mapping[str, np.ndarray | list], targets: np.ndarray,
                 crop_frames: int | None = None, seed: int = 0):
        self.inputs = {}
        for name, value in inputs.items():
            versions = value if isinstance(value, (list, tuple)) else [value]
            self.inputs[name] = [torch.as_tensor(np.asarray(v)) for v in versions]
            if self.inputs[name][0].is_floating_point():
                self.inputs[name] = [v.float() for v in self.inputs[name]]
        self.targets = torch.as_tensor(np.asarray(targets, dtype=np.float32))
        lengths = {len(v) for versions in self.inputs.values() for v in versions} | {len(self.targets)}
        if len(lengths) != 1:
            raise ValueError(f"inputs and targets must have one length, got {sorted(lengths)}")
        self.crop_frames = crop_frames
        self.rng = np.random.default_rng(seed)

    def __len__(self) -> int:
        return len(self.targets)

    def __getitem__(self, index: int):
        item = {}
        for name, versions in self.inputs.items():
            x = versions[self.rng.integers(len(versions))][index] if len(versions) > 1 else versions[0][index]
            if name == "audio" and self.crop_frames and x.shape[-1] > self.crop_frames:
                start = int(self.rng.integers(x.shape[-1] - self.crop_frames + 1))
                x = x[..., start:start + self.crop_frames]
            item[name] = x
        return item, self.targets[index]


class MultiTaskLoss(nn.Module):
    """MSE on the regression outputs plus cross-entropy on the class logits.

    Layout: outputs ``(B, n_regression + n_classes)`` (regression values, then logits);
    targets ``(B, n_regression + 1)`` when there are classes (the class index last, as a
    float), else ``(B, n_regression)``.

    Args:
        n_regression: Regression outputs.
        n_classes: Classes (0: no classification).
        class_weight: Weight of the cross-entropy term.
    """

    def __init__(self, n_regression: int, n_classes: int = 0, class_weight: float = 1.0):
        super().__init__()
        self.n_regression, self.n_classes, self.class_weight = n_regression, n_classes, class_weight

    def forward(self, outputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        r = self.n_regression
        loss = outputs.new_zeros(())
        if r:
            loss = loss + F.mse_loss(outputs[:, :r], targets[:, :r])
        if self.n_classes:
            loss = loss + self.class_weight * F.cross_entropy(outputs[:, r:], targets[:, r].long())
        return loss


def task_scores(y_true: np.ndarray, y_score: np.ndarray, n_regression: int,
                regression_names: Sequence[str] = ("valence", "arousal"),
                classes: bool = False) -> dict[str, float]:
    """Test metrics of one model (layouts of :class:`MultiTaskLoss`).

    Regression: ``r2_<name>`` (scikit-learn, 1 − SS_res/SS_tot) and ``r2eq4_<name>`` (the
    paper's Eq. 4, SS_reg/SS_tot) per target, and their means ``r2_mean``/``r2eq4_mean``.
    Classification: ``f1_macro`` and ``acc`` of the arg-max class.
    """
    out = {}
    names = list(regression_names)[:n_regression]
    for j, name in enumerate(names):
        out[f"r2_{name}"] = metrics.r2(y_true[:, j], y_score[:, j])
        out[f"r2eq4_{name}"] = metrics.r2_eq4(y_true[:, j], y_score[:, j])
    if names:
        out["r2_mean"] = float(np.mean([out[f"r2_{n}"] for n in names]))
        out["r2eq4_mean"] = float(np.mean([out[f"r2eq4_{n}"] for n in names]))
    if classes:
        truth = y_true[:, n_regression].astype(int)
        predicted = y_score[:, n_regression:].argmax(axis=1)
        out["f1_macro"] = metrics.f1_macro(truth, predicted)
        out["acc"] = metrics.accuracy(truth, predicted)
    return out


def selection_metric(n_regression: int, classes: bool) -> Callable[[np.ndarray, np.ndarray], float]:
    """Validation score for early stopping (higher is better): the mean of the scikit-learn
    R² of the regression targets and/or the macro-F1 of the classes, averaged."""
    def score(y_true: np.ndarray, y_score: np.ndarray) -> float:
        s = task_scores(y_true, y_score, n_regression, [str(j) for j in range(n_regression)], classes)
        parts = ([s["r2_mean"]] if n_regression else []) + ([s["f1_macro"]] if classes else [])
        return float(np.mean(parts))
    return score


class Trained(NamedTuple):
    """What :func:`fit_and_score` returns."""

    scores: dict
    model: nn.Module
    history: dict
    seconds: float
    y_true: np.ndarray
    y_score: np.ndarray




def logistic_baseline(x: Mapping[str, np.ndarray], y: Mapping[str, np.ndarray],
                      cs: Sequence[float] = (0.01, 0.1, 1.0, 10.0), seed: int = 0):
    """A linear floor: standardised logistic regression, its ``C`` chosen on validation accuracy.

    Args:
        x: ``{split: (clips, features)}`` with ``train`` and ``validation`` (``test`` is not read).
        y: ``{split: labels}`` for the same splits.
        cs: Inverse regularisation strengths to try.
        seed: Seed of the solver.

    Returns:
        ``(model, selection)``: the pipeline fitted on ``train`` with the chosen ``C`` (the
        first of the best, on ties), and the validation accuracy of every ``C``.
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    missing = [s for s in ("train", "validation") if s not in x or s not in y]
    if missing:
        raise ValueError(f"logistic_baseline needs the {missing} split(s)")
    fitted, rows = {}, []
    for c in cs:
        model = make_pipeline(StandardScaler(), LogisticRegression(C=c, max_iter=2000, random_state=seed))
        fitted[c] = model.fit(x["train"], y["train"])
        rows.append({"C": c, "validation_acc": metrics.accuracy(y["validation"], model.predict(x["validation"]))})
    selection = pd.DataFrame(rows).set_index("C")
    return fitted[selection["validation_acc"].idxmax()], selection
