"""How Rajamani et al. (2020) are run: Table 1's rows, the published results, inputs and scores.

Table 1 has five trained networks (:data:`ROWS` with a ``model``: the VGG-ish baseline of
:mod:`mer_lib.models.rajamani2020`, stand-alone self-attention in layer 3, 4 or 5, AReLU) and
two late fusions, rows that train nothing and average the sigmoid scores of trained rows
(``reuses``; :func:`mer_lib.models.blocks.late_fusion`). Every network is trained with
:func:`mer_lib.train.fit_and_test` (binary cross-entropy, early stopping on the validation
macro ROC-AUC); :func:`score_row` then tunes the decision thresholds on validation and scores
the test split.

Profile ``mediaeval`` also recomputes the test results of the team's published prediction
files (:data:`PUBLISHED`, :func:`recompute_published`), next to any other submissions the
notebook's ``SUBMISSIONS`` names (:func:`load_submissions`). :func:`runnable_rows` says which
rows a dataset can train (audio and ``tags``), for the report's ``rows_run`` table.

The paper's claims are marked for the notebook's verdict table (:mod:`mer_lib.verdicts`):
:func:`cost_verdicts` from the measured complexity, :func:`accuracy_verdicts` from per-seed
scores of trained rows or from the published predictions (:func:`published_scores`).

Reference: Rajamani, Rajamani & Schuller, "Emotion and Theme Recognition in Music Using
Attention-Based Methods", MediaEval 2020 Workshop.
Notebook: ``02_rajamani2020_attention_tagging``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from sklearn.preprocessing import MultiLabelBinarizer
from torch import nn

from mer_lib import features, metrics, models, reporting, train, verdicts
from mer_lib.data import SPLITS, mediaeval2020
from mer_lib.experiments import rows
from mer_lib.experiments.rows import Row
from mer_lib.features.audio import SILENCE_DB, fix_frames
from mer_lib.models.blocks import AReLU, late_fusion
from mer_lib.models.rajamani2020 import POOLS, REAL_INPUT

#: The fewest input frames the network's time pools leave a frame of (4 × 4 × 4 × 5 = 320).
MIN_FRAMES = math.prod(time for _, time in POOLS)
#: What a trained row of Table 1 reads and predicts.
_NETWORK = {"model": "rajamani2020_vggish", "inputs": ("mel",), "modalities": ("audio",), "targets": ("tags",)}

#: Table 1 of the paper: five networks (rows 1–5, their options those of
#: :class:`~mer_lib.models.rajamani2020.VGGishTagger`) and two late fusions (rows 6–7).
ROWS = rows.table(
    Row("baseline", **_NETWORK, options={}),
    Row("sa_layer3", **_NETWORK, options={"attention_layers": (3,)}),
    Row("sa_layer4", **_NETWORK, options={"attention_layers": (4,)}),
    Row("sa_layer5", **_NETWORK, options={"attention_layers": (5,)}),
    Row("arelu", **_NETWORK, options={"activation": "arelu"}),
    Row("fusion_sa3_arelu", model="", reuses=("sa_layer3", "arelu")),
    Row("fusion_all", model="", reuses=("baseline", "sa_layer3", "arelu")),
)

#: Table 1 of the paper (test set of MediaEval 2020).
PAPER_TABLE1 = {
    "baseline": {"gflops": 3.32, "params": 448122, "roc_auc": 0.725, "pr_auc": 0.107},
    "sa_layer3": {"gflops": 2.94, "params": 350074, "roc_auc": 0.716, "pr_auc": 0.108},
    "sa_layer4": {"gflops": 3.28, "params": 350074, "roc_auc": 0.723, "pr_auc": 0.108},
    "sa_layer5": {"gflops": 3.32, "params": 399098, "roc_auc": 0.716, "pr_auc": 0.101},
    "arelu": {"gflops": 3.32, "params": 448132, "roc_auc": 0.728, "pr_auc": 0.107},
    "fusion_sa3_arelu": {"roc_auc": 0.732, "pr_auc": 0.114},
    "fusion_all": {"roc_auc": 0.735, "pr_auc": 0.118},
}

#: The published MediaEval 2020 systems: our row → (prediction file prefix, Table 1 row).
PUBLISHED = {
    "sub1_arelu": ("Submission1", "arelu"),
    "sub2_attention": ("Submission2", "sa_layer3"),
    "sub3_fusion": ("Submission3", "fusion_sa3_arelu"),
    "sub4_fusion_vggish": ("Submission4", "fusion_all"),
    "vggish_baseline": ("baseline_vggish", "baseline"),
}

#: Batch size of the validation and test loaders (prediction only).
EVAL_BATCH_SIZE = 64


def networks() -> list[Row]:
    """The rows of :data:`ROWS` that train a network (Table 1, rows 1–5), in table order."""
    return [row for row in ROWS.values() if row.model]


def members(row: Row) -> tuple[str, ...]:
    """The trained rows whose scores ``row`` averages: its ``reuses``, or itself for a network."""
    return row.reuses or (row.name,)


def paper_results(names=None, metric_names=("roc_auc", "pr_auc")) -> dict[str, float]:
    """Table 1 as ``{"<row>.<metric>": value}`` (for ``Run.write_results``), row by row.

    Args:
        names: The rows to report (default every row of :data:`ROWS`).
        metric_names: The metrics of each row, in this order.
    """
    return {f"{name}.{metric}": PAPER_TABLE1[name][metric]
            for name in (names if names is not None else ROWS) for metric in metric_names}


def complexity(n_tags: int = 56, input_shape=(1, *REAL_INPUT)) -> pd.DataFrame:
    """Measured ``params`` and ``gflops`` of every network row at the paper's width and input.

    Returns:
        Indexed by row, float columns ``params`` and ``gflops``.
    """
    measured = {}
    for row in networks():
        model = row.build(n_tags=n_tags)
        measured[row.name] = {"params": models.count_parameters(model), "gflops": models.gflops(model, input_shape)}
    return pd.DataFrame(measured).T


def complexity_vs_paper(measured: pd.DataFrame) -> pd.DataFrame:
    """:func:`complexity` next to Table 1, with each row's saving relative to the baseline."""
    cost = pd.DataFrame({
        "params (ours)": measured["params"].astype(int),
        "params (paper)": [PAPER_TABLE1[v]["params"] for v in measured.index],
        "GFLOPs (ours)": measured["gflops"].round(3),
        "GFLOPs (paper)": [PAPER_TABLE1[v]["gflops"] for v in measured.index],
    })
    baseline = cost.loc["baseline"]
    for what in ("params", "GFLOPs"):
        for who in ("ours", "paper"):
            cost[f"{what} saved ({who})"] = (1 - cost[f"{what} ({who})"] / baseline[f"{what} ({who})"]).map("{:.1%}".format)
    return cost


def complexity_long(measured: pd.DataFrame) -> pd.DataFrame:
    """Tidy frame (``row``, ``source``, ``quantity``, ``value``) of measured and published
    parameters (in thousands) and GFLOPs, for a grouped bar chart."""
    records = []
    for name in measured.index:
        for column, quantity, scale in (("params", "parameters (thousands)", 1000), ("gflops", "GFLOPs", 1)):
            records.append({"row": name, "source": "measured", "quantity": quantity,
                            "value": measured.loc[name, column] / scale})
            records.append({"row": name, "source": "paper", "quantity": quantity,
                            "value": PAPER_TABLE1[name][column] / scale})
    return pd.DataFrame(records)


def runnable_rows(corpus, required: bool = True) -> tuple[list[Row], pd.DataFrame]:
    """The rows of :data:`ROWS` that ``corpus`` can train, and the report's ``rows_run`` table.

    Every network reads a log-mel spectrogram of the ``audio`` (MTG-Jamendo's official
    mel-spectrograms, ``melspec_path``, are that input already, so they count as audio) and
    learns the multi-label ``tags``; the fusions need their members
    (:func:`mer_lib.experiments.rows.runnable`).

    Args:
        corpus: The training dataset (a :class:`~mer_lib.data.MERDataset`).
        required: When no row can run, raise; ``False`` returns no rows and every row skipped
            instead (profile ``mediaeval``, whose results are the published outputs).

    Returns:
        ``(rows that run, table indexed by row with the columns "needs" and "status")``.

    Raises:
        DatasetError: ``required`` and no row can run (e.g. a dataset without tags cannot
            train a tagger); the message names what each row lacks.
    """
    table = corpus.table
    melspecs = "melspec_path" in table.columns and table["melspec_path"].notna().any()
    modalities = (*corpus.modalities, *(("audio",) if melspecs and "audio" not in corpus.modalities else ()))
    return rows.runnable(list(ROWS.values()), modalities, corpus.targets, dataset=corpus.name, require_one=required)


def load_submissions(paths: Sequence) -> dict[str, np.ndarray]:
    """Other MediaEval 2020 submissions (the notebook's ``SUBMISSIONS``), ``{label: test scores}``.

    Each path is a submission folder (``predictions.npy``, optionally ``decisions.npy``) or one
    ``.npy`` file of scores, read and checked by
    :func:`mer_lib.data.mediaeval2020.load_submission` (shape (4231, 56), numeric, finite). Its
    label is the folder's name, or the file's name without ``.npy``.

    Raises:
        DatasetError: A missing or bad file.
        ValueError: Two paths with one label, or a label that is a row of :data:`PUBLISHED`.
    """
    labelled = {}
    for path in map(Path, paths):
        label = path.name if path.suffix != ".npy" else path.stem
        if label in labelled or label in PUBLISHED:
            taken = "another submission" if label in labelled else "a published system of this notebook"
            raise ValueError(f"SUBMISSIONS: {str(path)!r} would be labelled {label!r}, the label of {taken}; "
                             "rename its folder or file")
        labelled[label] = mediaeval2020.load_submission(path=path)
    return labelled


def recompute_published(truth: np.ndarray, predictions: Mapping[str, np.ndarray]) -> pd.DataFrame:
    """The published systems' test scores recomputed, next to the challenge's and Table 1's.

    Other submissions (keys of ``predictions`` that are not rows of :data:`PUBLISHED`, e.g.
    from :func:`load_submissions`) are scored the same way, below them, with no published or
    Table 1 value and ``agree to 4 decimals`` left empty.

    Args:
        truth: The test ground truth ``(tracks, 56)``.
        predictions: ``{row of PUBLISHED: scores (tracks, 56)}``, plus ``{label: scores}`` of
            other submissions.

    Returns:
        Indexed by row: ROC-AUC and PR-AUC (ours, published to four decimals, Table 1), the
        micro averages, and ``agree to 4 decimals`` (ours rounded == published).
    """
    recomputed = {}
    for row, (name, table1_row) in PUBLISHED.items():
        published_name = next(k for k in mediaeval2020.PUBLISHED_MACRO if k.startswith(name))
        ours = metrics.tagging_scores(truth, predictions[row])
        roc, pr = mediaeval2020.PUBLISHED_MACRO[published_name]
        recomputed[row] = {"ROC-AUC (ours)": ours["roc_auc"], "ROC-AUC (published)": roc,
                           "ROC-AUC (Table 1)": PAPER_TABLE1[table1_row]["roc_auc"],
                           "PR-AUC (ours)": ours["pr_auc"], "PR-AUC (published)": pr,
                           "PR-AUC (Table 1)": PAPER_TABLE1[table1_row]["pr_auc"],
                           "ROC-AUC micro": ours["roc_auc_micro"], "PR-AUC micro": ours["pr_auc_micro"]}
    recomputed = pd.DataFrame(recomputed).T
    recomputed["agree to 4 decimals"] = (
        (recomputed["ROC-AUC (ours)"].round(4) == recomputed["ROC-AUC (published)"])
        & (recomputed["PR-AUC (ours)"].round(4) == recomputed["PR-AUC (published)"]))
    others = {label: metrics.tagging_scores(truth, scores) for label, scores in predictions.items()
              if label not in PUBLISHED}
    if not others:
        return recomputed
    others = pd.DataFrame({label: {"ROC-AUC (ours)": ours["roc_auc"], "PR-AUC (ours)": ours["pr_auc"],
                                   "ROC-AUC micro": ours["roc_auc_micro"], "PR-AUC micro": ours["pr_auc_micro"]}
                           for label, ours in others.items()}).T
    recomputed = recomputed.astype({"agree to 4 decimals": object})   # empty for the other submissions
    return pd.concat([recomputed, others]).reindex(columns=recomputed.columns)


def trainable_clips(corpus, max_tracks: int = 0, seed: int = 0) -> pd.DataFrame | None:
    """MTG-Jamendo's clips that have mel-spectrograms (else audio) and a split.

    Args:
        corpus: The ``mtg_jamendo_moodtheme`` dataset.
        max_tracks: Keep at most this many clips per split (drawn with ``seed``); 0 keeps all.
        seed: Seed of that draw.

    Returns:
        The table, or ``None`` when the corpus has neither mel-spectrograms nor audio.
    """
    table = corpus.table
    media = [c for c in ("melspec_path", "audio_path") if c in table.columns and table[c].notna().any()]
    if not media:
        return None
    table = table[table[media[0]].notna() & table["split"].notna()]
    if max_tracks:
        table = table.groupby("split", group_keys=False).apply(
            lambda part: part.sample(min(len(part), max_tracks), random_state=seed))
    return table


def tag_targets(tags: pd.Series) -> tuple[list[str], np.ndarray]:
    """``(vocabulary, Y)``: the sorted tags of the clips and the float32 multi-hot targets
    ``(clips, tags)`` (float32: what :class:`torch.nn.BCELoss` compares the sigmoids with)."""
    vocabulary = sorted({tag for clip_tags in tags for tag in clip_tags})
    return vocabulary, MultiLabelBinarizer(classes=vocabulary).fit_transform(tags).astype(np.float32)


def split_indices(table: pd.DataFrame) -> dict[str, np.ndarray]:
    """``{split: positions of its clips in table}`` for train, validation and test."""
    return {s: np.flatnonzero(table["split"].to_numpy() == s) for s in SPLITS}


def mel_inputs(dataset, n_frames: int = REAL_INPUT[1], track_ids=None, n_jobs: int = -1,
               progress: bool = True) -> dict:
    """The models' inputs, ``{track_id: (96, n_frames) log-mel in dB}``.

    MTG-Jamendo's official mel-spectrograms (``melspec_path``: the dataset's own 96-band
    12 kHz features) are used when the table has them, else the ``rajamani2020_mel`` feature
    preset computes the same representation from the audio (cached on disk). Shorter clips
    are padded with the -100 dB silence floor; longer ones keep their first ``n_frames``.

    Args:
        dataset: A :class:`~mer_lib.data.MERDataset`.
        n_frames: Frames per input (the paper: 1,400).
        track_ids: Only these clips (default: every clip of the table).
        n_jobs: Parallel workers for feature extraction.
        progress: Show a progress bar.
    """
    table = dataset.table
    if track_ids is not None:
        table = table[table["track_id"].astype(str).isin({str(t) for t in track_ids})]
    if "melspec_path" in table.columns and table["melspec_path"].notna().all():
        return {str(t): fix_frames(np.load(p, mmap_mode="r")[:, :n_frames].astype(np.float32), n_frames, SILENCE_DB)
                for t, p in zip(table["track_id"], table["melspec_path"])}
    return features.extract(table, "rajamani2020_mel", dataset_name=dataset.name, n_frames=n_frames,
                            n_jobs=n_jobs, progress=progress)


def loaders(mels: np.ndarray, targets: np.ndarray, split: Mapping[str, np.ndarray], *, seed: int,
            batch_size: int, eval_batch_size: int = EVAL_BATCH_SIZE, train_frames: int | None = None) -> dict:
    """``{"train", "validation", "test"}`` loaders of ``(mel,)`` inputs and tag targets.

    The training loader is shuffled with ``seed`` (same batches for every row of a seed);
    validation and test keep their order, in batches of ``eval_batch_size``. With
    ``train_frames`` every training clip is a random crop of that many frames, drawn anew each
    epoch (seeded), while validation and test read the whole input: the last layer pools over
    whatever time is left, so one network reads both.

    Args:
        mels: ``(clips, n_mels, frames)`` inputs.
        targets: ``(clips, tags)`` float32 targets (:func:`tag_targets`).
        split: ``{split: clip positions}`` (:func:`split_indices`).
        seed: Seed of the training batches.
        batch_size: Training batch size.
        eval_batch_size: Batch size of validation and test.
        train_frames: Frames of the training crops (at least :data:`MIN_FRAMES`);
            None trains on the whole input.
    """
    if train_frames is not None and train_frames < MIN_FRAMES:
        raise ValueError(f"train_frames must be at least {MIN_FRAMES} (the time pools need them), got {train_frames}")
    crop = {"lengths": {0: train_frames}, "random_crop": True} if train_frames is not None else {}
    return {s: train.clip_loader((mels[split[s]],), targets[split[s]], shuffle=s == "train",
                                 batch_size=batch_size if s == "train" else eval_batch_size,
                                 seed=seed if s == "train" else 0, **(crop if s == "train" else {}))
            for s in SPLITS}


def score_row(row: Row, trained: Mapping[str, train.Trained], validation: Mapping[str, np.ndarray],
              y_validation: np.ndarray, y_test: np.ndarray) -> dict:
    """One seed's test scores of a row, from its members' trained models.

    The members' (:func:`members`) validation and test scores are averaged (late fusion; a
    network is its own single member), per-tag thresholds are tuned on validation
    (:func:`mer_lib.metrics.best_f1_thresholds`) and applied to the test scores.

    Args:
        row: A row of :data:`ROWS`.
        trained: ``{network row: Trained}`` of the seed (test outputs in ``y_score``).
        validation: ``{network row: validation scores}`` of the seed.
        y_validation, y_test: The targets of the two splits.

    Returns:
        :func:`mer_lib.metrics.tagging_scores`, plus ``best_epoch`` (mean over members) and
        ``train_s`` (their total wall time).
    """
    names = members(row)
    thresholds = metrics.best_f1_thresholds(y_validation, late_fusion(*[validation[m] for m in names]))
    return {**metrics.tagging_scores(y_test, late_fusion(*[trained[m].y_score for m in names]), thresholds),
            "best_epoch": np.mean([trained[m].best_epoch for m in names]),
            "train_s": sum(trained[m].seconds for m in names)}


@torch.no_grad()
def arelu_parameters(model: nn.Module) -> dict[str, dict[str, float]]:
    """What the two AReLU scalars of each layer became: ``{"layer i": {slope, gain}}``.

    The negative slope is ``C(α)`` (α clamped to :attr:`AReLU.ALPHA_RANGE`), the positive gain
    ``1 + σ(β)``; layers without AReLU are left out.
    """
    return {f"layer {i + 1}": {"negative slope C(α)": block.activation.alpha.clamp(*AReLU.ALPHA_RANGE).item(),
                               "positive gain 1+σ(β)": (1 + torch.sigmoid(block.activation.beta)).item()}
            for i, block in enumerate(model.layers) if isinstance(block.activation, AReLU)}


# --- the paper's claims, for the verdict table ---------------------------------------------------

#: The paper's stated savings of SA-layer 3 over the baseline ("11 % fewer FLOPS and 22 % fewer
#: parameters"): ``{measured column of complexity(): (stated saving, what)}``.
STATED_SAVINGS = {"gflops": (0.11, "FLOPs"), "params": (0.22, "parameters")}
#: The paper's accuracy claims: (claim, row, compared row, metric, kind). ``"beats"``: the row's
#: score is higher (:func:`mer_lib.verdicts.compare`); ``"matches"``: it is not lower by more
#: than :data:`MATCH_MARGIN` (the same comparison with that margin).
ACCURACY_CLAIMS = (
    ("self-attention in layer 3 matches the baseline's PR-AUC", "sa_layer3", "baseline", "pr_auc", "matches"),
    ("AReLU beats the baseline's ROC-AUC", "arelu", "baseline", "roc_auc", "beats"),
    ("the late fusion of SA-layer 3 and AReLU beats the baseline's ROC-AUC", "fusion_sa3_arelu", "baseline",
     "roc_auc", "beats"),
    ("the late fusion of SA-layer 3 and AReLU beats the baseline's PR-AUC", "fusion_sa3_arelu", "baseline",
     "pr_auc", "beats"),
    ("adding the baseline to that fusion improves its PR-AUC further", "fusion_all", "fusion_sa3_arelu", "pr_auc",
     "beats"),
)
#: How much lower a score may be and still "match" (absolute, the metric's scale).
MATCH_MARGIN = 0.01


def saving_rounds_to(saving: float, stated: float) -> bool:
    """Whether a measured relative saving is at least the paper's stated whole percentage,
    minus half a percentage point of rounding."""
    return saving >= stated - 0.005


def cost_verdicts(measured: pd.DataFrame) -> list[verdicts.Verdict]:
    """"SA-layer 3: 11 % fewer FLOPs" and "22 % fewer parameters", from :func:`complexity`:
    each holds when the measured saving over the baseline is at least the stated one (within
    half a percentage point of rounding, :func:`saving_rounds_to`)."""
    out = []
    for column, (stated, what) in STATED_SAVINGS.items():
        saved = float(1 - measured.loc["sa_layer3", column] / measured.loc["baseline", column])
        paper = 1 - PAPER_TABLE1["sa_layer3"][column] / PAPER_TABLE1["baseline"][column]
        mark = verdicts.HOLDS if saving_rounds_to(saved, stated) else verdicts.FAILS
        out.append(verdicts.Verdict(
            f"self-attention in layer 3 needs {stated:.0%} fewer {what} than the baseline", mark,
            f"measured at the paper's width and input: {saved:.1%} fewer (Table 1's numbers: {paper:.1%}; "
            f"needs ≥ {stated - 0.005:.1%})"))
    return out


def accuracy_verdicts(scores: pd.DataFrame | None, source: str, reason: str = "",
                      digits: int = 3) -> list[verdicts.Verdict]:
    """Every claim of :data:`ACCURACY_CLAIMS`, read off one source of test scores.

    Args:
        scores: One line per (row, seed) with ``roc_auc`` and ``pr_auc`` (the trained rows, or
            :func:`published_scores`); None when this run has no such scores.
        source: What the scores are, appended to each claim ("trained here", "published predictions").
        reason: Why there are no scores (the evidence of every claim when ``scores`` is None).
        digits: Decimals of the evidence (4 for the published systems, which differ in the fourth).
    """
    out = []
    for claim, row, other, metric, kind in ACCURACY_CLAIMS:
        name = f"{claim} ({source})"
        present = scores is not None and {row, other} <= set(scores["row"])
        if not present:
            out.append(verdicts.untestable(name, reason if scores is None else f"{row} or {other} was not scored"))
            continue
        a, b = reporting.per_seed(scores, row, metric), reporting.per_seed(scores, other, metric)
        label = f"test {metric.replace('_', '-').upper()}"
        margin = MATCH_MARGIN if kind == "matches" else 0.0
        out.append(verdicts.compare(name, a, b, label, digits=digits, margin=margin))
    return out


def published_scores(recomputed: pd.DataFrame) -> pd.DataFrame:
    """The published systems' recomputed test scores (:func:`recompute_published`) under their
    Table 1 row names (:data:`PUBLISHED`), one line each (``seed`` 0), for :func:`accuracy_verdicts`."""
    return pd.DataFrame([{"row": table_row, "seed": 0, "roc_auc": float(recomputed.loc[ours, "ROC-AUC (ours)"]),
                          "pr_auc": float(recomputed.loc[ours, "PR-AUC (ours)"])}
                         for ours, (_, table_row) in PUBLISHED.items() if ours in recomputed.index])
