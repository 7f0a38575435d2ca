"""How Zhao et al. 2022 is run: the rows of Tables 2 and 3, their inputs, loaders and analysis.

The networks are in :mod:`mer_lib.models.zhao2022` (HCMAN and its ablations) and
:mod:`mer_lib.models.mer_baselines` (the two baselines of Table 2). This module holds

* :data:`ROWS` — every result row: its registered model, the inputs it reads (in the order
  of the network's ``modalities``) and the dataset modalities those inputs come from;
  :data:`TABLE2_ROWS` / :data:`TABLE3_ROWS` — the rows of the paper's two tables;
* the paper's numbers (:data:`PAPER_TABLES`, :func:`paper_results`) and the profile's targets
  a dataset has (:func:`profile_targets`);
* input preparation: log-mel excerpts with augmented training versions (:func:`mel_inputs`),
  segment-averaged BERT token features cut to their real length (:func:`stack_token_features`),
  everything the chosen rows read (:func:`extract_inputs`), the loaders of one row
  (:func:`loaders`) and the options its constructor takes from the data (:func:`model_options`);
* scoring and analysis the notebook needs: :func:`task_scorer`, :func:`bootstrap_intervals`,
  :func:`clip_attention` / :func:`attention_spread`, the title/artist-only measurement on
  further datasets (:func:`context_sets`), and the paper's claims read off the run
  (:func:`claims`, with "context helps" on the artists unseen in training: :func:`unseen_artists`).

Rows declare the *modalities* they need; their *targets* are the profile's
(``REGRESSION_TARGETS`` + ``CLASS_TARGET``, one set for every row), so ``Row.targets`` stays
empty and the notebook keeps the profile's targets that the dataset has (:func:`profile_targets`).
The paper's tables have no audio-only row: a dataset with audio and title/artist but no lyrics
feeds only ``context_only``.

Reference: Zhao, Ru, Yu, Wu, Li & Li, "Multimodal Music Emotion Recognition with
Hierarchical Cross-Modal Attention Network", ICME 2022.
Notebook: ``04_zhao2022_hierarchical_attention``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np
import pandas as pd
import torch

from mer_lib import data, features, metrics, train, verdicts
from mer_lib.data import SPLITS, DatasetError
from mer_lib.data.splits import split_ids, stack_split, target_arrays, usable_clips
from mer_lib.data.tables import artist_groups
from mer_lib.experiments import rows
from mer_lib.experiments.rows import Row
from mer_lib.models.blocks_fusion import padding_mask

#: Paper Table 2 and 3: R² (Eq. 4) on MSDD, F1 on MoodyLyrics; our row names.
PAPER_TABLES = {
    "hcman": {"r2eq4_valence": 0.306, "r2eq4_arousal": 0.311, "r2eq4_mean": 0.309, "f1_macro": 0.9614},
    "delbouys2018": {"r2eq4_valence": 0.219, "r2eq4_arousal": 0.232, "r2eq4_mean": 0.226},
    "delbouys2018_reproduced": {"r2eq4_valence": 0.197, "r2eq4_arousal": 0.242, "r2eq4_mean": 0.220,
                                "f1_macro": 0.8623},
    "pyrovolakis2021": {"r2eq4_valence": 0.258, "r2eq4_arousal": 0.270, "r2eq4_mean": 0.264,
                        "f1_macro": 0.9432},
    "non_hierarchical": {"r2eq4_valence": 0.289, "r2eq4_arousal": 0.297, "r2eq4_mean": 0.293,
                         "f1_macro": 0.9562},
    "direct_fusion": {"r2eq4_valence": 0.263, "r2eq4_arousal": 0.279, "r2eq4_mean": 0.271, "f1_macro": 0.9387},
    "bimodal": {"r2eq4_valence": 0.278, "r2eq4_arousal": 0.291, "r2eq4_mean": 0.285, "f1_macro": 0.9528},
}

_FUSED = ("audio", "lyrics", "context")
#: The result rows, in the order of Tables 2 and 3. Inputs name arrays of :func:`extract_inputs`
#: (``words``: word ids of the lyrics; ``context_mean``: the mean-pooled title/artist vector,
#: which :class:`~mer_lib.models.zhao2022.ContextOnlyNet` reads as its ``context`` argument).
ROWS = rows.table(
    Row("hcman", model="zhao2022_hcman", inputs=_FUSED, modalities=_FUSED),
    Row("non_hierarchical", model="zhao2022_non_hierarchical", inputs=("audio", "context", "lyrics"),
        modalities=_FUSED),
    Row("direct_fusion", model="zhao2022_direct_fusion", inputs=_FUSED, modalities=_FUSED),
    Row("bimodal", model="zhao2022_bimodal", inputs=("audio", "lyrics"), modalities=("audio", "lyrics")),
    Row("delbouys2018", model="delbouys2018", inputs=("audio", "words"), modalities=("audio", "lyrics")),
    Row("pyrovolakis2021", model="pyrovolakis2021", inputs=("audio", "lyrics"), modalities=("audio", "lyrics")),
    Row("context_only", model="zhao2022_context_only", inputs=("context_mean",), modalities=("context",)),
)
#: Table 2 (baselines; plus our title/artist-only row) and Table 3 (ablations).
TABLE2_ROWS = ("hcman", "delbouys2018", "pyrovolakis2021", "context_only")
TABLE3_ROWS = ("hcman", "non_hierarchical", "direct_fusion", "bimodal")
#: Input name → the network's argument name, where they differ.
ARGUMENTS = {"context_mean": "context"}


#: The paper's tasks: its R² are of V/A regression (MSDD), its F1 of 4-quadrant classification (MoodyLyrics).
PAPER_TASKS = {"r2eq4": ("valence", "arousal"), "f1_macro": "quadrant"}


def paper_results(regression_targets: Sequence[str] = ("valence", "arousal"),
                  class_target: str = "quadrant") -> dict[str, float]:
    """The paper's Tables 2 and 3 as ``{"row.metric": value}`` (for ``Run.write_results``), for
    the tasks this run shares with the paper: its R² when the run regresses valence and arousal,
    its F1 when it classifies quadrants (F1 on 5 MIREX clusters is another task: no paper cell)."""
    shared = {"r2eq4": set(PAPER_TASKS["r2eq4"]) <= set(regression_targets),
              "f1_macro": class_target == PAPER_TASKS["f1_macro"]}
    return {f"{row}.{metric}": value for row, values in PAPER_TABLES.items() for metric, value in values.items()
            if shared["f1_macro" if metric == "f1_macro" else "r2eq4"]}


def profile_targets(regression: Sequence[str], class_target: str, available: Sequence[str],
                    dataset: str = "the dataset") -> tuple[list[str], str, list[str]]:
    """The profile's targets that a dataset has: every row is trained on these.

    Args:
        regression: ``REGRESSION_TARGETS`` (``valence``, ``arousal``).
        class_target: ``CLASS_TARGET`` (``quadrant``, ``cluster``; empty: no classification).
        available: The dataset's targets (``dataset.targets``).
        dataset: The dataset's name, for the error message.

    Returns:
        ``(regression targets kept, class target kept or "", targets dropped)``.

    Raises:
        DatasetError: The dataset has none of the profile's targets (no row can be trained).
    """
    kept = [t for t in regression if t in available]
    kept_class = class_target if class_target in available else ""
    dropped = [t for t in (*regression, class_target) if t and t not in available]
    if not kept and not kept_class:
        raise DatasetError(f"{dataset} has none of the profile's targets {dropped} (it has {list(available)}): "
                           f"set REGRESSION_TARGETS / CLASS_TARGET")
    return kept, kept_class, dropped


# --- inputs ----------------------------------------------------------------------------------------

def real_rows(x: np.ndarray) -> np.ndarray:
    """Indices of the real (not all-zero) rows of a ``(rows, dim)`` array."""
    return np.flatnonzero(np.abs(x).sum(axis=-1) > 0)


def stack_token_features(features: Mapping[str, np.ndarray], track_ids: Sequence[str],
                         length: int | None = None) -> np.ndarray:
    """``(clips, length, dim)`` float32 from per-clip ``(rows, dim)`` token features.

    Trailing all-zero rows are padding (the BERT extractor pads to its segment length), so
    by default the stack is cut to the longest real length in ``features``: the same model
    outputs, less attention compute. A clip absent from ``features`` gets all-zero rows.
    """
    some = next(iter(features.values()))
    if length is None:
        length = max(int(real_rows(x).max(initial=-1)) + 1 for x in features.values())
    out = np.zeros((len(track_ids), max(length, 1), some.shape[-1]), dtype=np.float32)
    for row, tid in enumerate(track_ids):
        if tid in features:
            x = features[tid][:length]
            out[row, :len(x)] = x
    return out


def mel_inputs(clips: pd.DataFrame, ids: Mapping[str, Sequence[str]], *, pitch_shifts: Sequence[float] = (),
               downsample_rates: Sequence[int] = (), **options) -> dict[str, object]:
    """``{split: (clips, 40, frames)}`` log-mel excerpts (the ``zhao2022_mel`` preset).

    The training split is :class:`mer_lib.train.Versions`: the original, then one
    pitch-shifted copy per value of ``pitch_shifts`` and one downsampled copy per rate of
    ``downsample_rates`` (augmentation is computed for training clips only).

    Args:
        clips: The comparison's table.
        ids: ``{split: [track_id, ...]}`` (:func:`mer_lib.data.splits.split_ids`).
        pitch_shifts: Semitones, one augmented copy each.
        downsample_rates: Hz, one augmented copy each.
        **options: Passed to :func:`mer_lib.features.extract` (``seconds``, ``n_frames``,
            ``dataset_name``, ``n_jobs``, ``progress``).
    """
    mel = features.extract(clips, "zhao2022_mel", **options)
    augmented = [features.extract(clips, "zhao2022_mel", split="train", pitch_shift=float(p), **options)
                 for p in pitch_shifts]
    augmented += [features.extract(clips, "zhao2022_mel", split="train", downsample_sr=int(r), **options)
                  for r in downsample_rates]
    out = stack_split(mel, ids)
    train_ids = {"train": ids["train"]}
    out["train"] = train.Versions((out["train"], *[stack_split(a, train_ids)["train"] for a in augmented]))
    return out


def extract_inputs(clips: pd.DataFrame, ids: Mapping[str, Sequence[str]], names: Sequence[str], *,
                   mel_options: Mapping, text_options: Mapping, pitch_shifts: Sequence[float] = (),
                   downsample_rates: Sequence[int] = (), **extract) -> dict[str, dict[str, object]]:
    """Every input in ``names`` the rows read, except ``words`` (which needs a vocabulary).

    ``audio``: :func:`mel_inputs`; ``lyrics`` / ``context``: token features of the frozen
    encoder (``zhao2022_bert_lyrics`` / ``zhao2022_bert_context``) stacked by
    :func:`stack_token_features`; ``context_mean``: the mean-pooled title/artist vector.

    Args:
        clips: The comparison's table.
        ids: ``{split: [track_id, ...]}``.
        names: Input names (``Row.inputs`` of the chosen rows).
        mel_options: Options of the mel preset (``seconds``, ``n_frames``).
        text_options: Options of the text presets (``model``, ``device``).
        pitch_shifts, downsample_rates: Training augmentation (:func:`mel_inputs`).
        **extract: Options of every :func:`mer_lib.features.extract` call (``dataset_name``,
            ``n_jobs``, ``progress``).

    Returns:
        ``{split: {input name: array}}``.
    """
    by_name = {}
    if "audio" in names:
        by_name["audio"] = mel_inputs(clips, ids, pitch_shifts=pitch_shifts, downsample_rates=downsample_rates,
                                      **extract, **mel_options)
    for name in ("lyrics", "context"):
        if name in names:
            tokens = features.extract(clips, f"zhao2022_bert_{name}", **extract, **text_options)
            by_name[name] = {split: stack_token_features(tokens, tids) for split, tids in ids.items()}
    if "context_mean" in names:
        vectors = features.extract(clips, "zhao2022_bert_context", pooling="mean", **extract, **text_options)
        by_name["context_mean"] = stack_split(vectors, ids)
    return {split: {name: value[split] for name, value in by_name.items()} for split in SPLITS}


def input_shapes(arrays: Mapping[str, Mapping[str, object]]) -> pd.DataFrame:
    """The shape of every input per split (rows: inputs, columns: splits), versions counted."""
    shapes = {}
    for split, inputs in arrays.items():
        for name, value in inputs.items():
            shapes.setdefault(name, {})[split] = (f"{len(value)} versions x {value[0].shape}"
                                                  if isinstance(value, train.Versions) else str(value.shape))
    return pd.DataFrame(shapes).T


def model_options(row: Row, *, text_dim: int, embeddings: np.ndarray | None = None) -> dict:
    """The constructor options a row's network takes from the data: the word-vector matrix
    for a row that reads ``words`` (Delbouys et al.), else the text encoder's hidden size."""
    return {"embeddings": embeddings} if "words" in row.inputs else {"text_dim": text_dim}


def loaders(row: Row, arrays: Mapping[str, Mapping[str, object]], targets: Mapping[str, np.ndarray], *,
            seed: int, batch_size: int, crop_frames: int | None = None) -> dict:
    """The train/validation/test loaders of one row (:func:`mer_lib.train.clip_loader`).

    Only the row's inputs are read, passed under the network's argument names
    (:data:`ARGUMENTS`). Training batches are shuffled; each training clip's audio is one of
    its versions drawn at random and, with ``crop_frames``, a random window of that many
    frames. Validation and test clips are seen whole, in order.

    Args:
        row: A row of :data:`ROWS`.
        arrays: ``{split: {input name: array}}`` (:func:`extract_inputs`, plus ``words``).
        targets: ``{split: (clips, k)}`` float32 (:func:`mer_lib.data.splits.target_arrays`).
        seed: Seed of the batch order and of the version and crop draws.
        batch_size: Clips per batch.
        crop_frames: Training crop of the audio (0 or None: the whole excerpt).
    """
    out = {}
    for split in SPLITS:
        training = split == "train"
        inputs = {ARGUMENTS.get(name, name): arrays[split][name] for name in row.inputs}
        crop = ({"lengths": {"audio": int(crop_frames)}, "random_crop": True}
                if training and crop_frames and "audio" in inputs else {})
        out[split] = train.clip_loader(inputs, targets[split], batch_size=batch_size, shuffle=training,
                                       seed=seed, **crop)
    return out


# --- scores and analysis ---------------------------------------------------------------------------

def task_scorer(n_regression: int, regression_names: Sequence[str], classes: bool):
    """``score(y_true, y_score)`` for :func:`mer_lib.train.fit_and_test`: :func:`mer_lib.metrics.task_scores`
    (both R² definitions per regression target; macro-F1 and accuracy with classes)."""
    def score(y_true: np.ndarray, y_score: np.ndarray) -> dict[str, float]:
        return metrics.task_scores(y_true, y_score, n_regression, regression_names, classes)
    return score


def bootstrap_intervals(predictions: Mapping, row_names: Sequence[str], seeds: Sequence[int],
                        regression_names: Sequence[str], n_classes: int, n_boot: int = 200) -> pd.DataFrame:
    """95 % bootstrap intervals over test clips of the mean over ``seeds``, one line per row
    (:func:`mer_lib.metrics.bootstrap_ci_over_seeds`: every seed predicted the same test clips).

    Args:
        predictions: ``{(row, seed): (y_true, y_score)}`` in the layout of
            :class:`mer_lib.losses.MultiTaskLoss`.
        row_names: The rows, in table order.
        seeds: The seeds whose predictions are averaged (the first also seeds the resampling).
        regression_names: Regression targets (``r2_<name>`` columns, scikit-learn R²).
        n_classes: Classes (a ``f1_macro`` column when > 0).
        n_boot: Bootstrap resamples.

    Returns:
        Indexed by row, ``"low–high"`` strings with three decimals.
    """
    n_regression, lines = len(regression_names), []
    for row in row_names:
        runs = [predictions[row, seed] for seed in seeds]
        y_true = runs[0][0]
        entry = {"row": row}
        for j, name in enumerate(regression_names):
            entry[f"r2_{name}"] = "{:.3f}–{:.3f}".format(*metrics.bootstrap_ci_over_seeds(
                y_true[:, j], [y_score[:, j] for _, y_score in runs], metrics.r2, n_boot=n_boot, seed=seeds[0]))
        if n_classes:
            entry["f1_macro"] = "{:.3f}–{:.3f}".format(*metrics.bootstrap_ci_over_seeds(
                y_true[:, n_regression].astype(int), [y_score[:, n_regression:].argmax(1) for _, y_score in runs],
                metrics.f1_macro, n_boot=n_boot, seed=seeds[0]))
        lines.append(entry)
    return pd.DataFrame(lines).set_index("row")


def unseen_artists(clips: pd.DataFrame) -> np.ndarray:
    """Per test clip (in table order): whether its artist has no clip in the training split
    (compared as :func:`mer_lib.data.tables.artist_groups`; a clip without an artist counts as unseen)."""
    artists = artist_groups(clips["artist"]) if "artist" in clips.columns else pd.Series([None] * len(clips))
    split = clips["split"].to_numpy()
    trained_on = set(artists[split == "train"].dropna())
    return ~artists[split == "test"].isin(trained_on).to_numpy()


#: Fewest test clips a subset needs before a claim is read on it.
MIN_SUBSET = 10


def _rescored_on_clips(predictions: Mapping, row: str, seeds: Sequence[int], clips: np.ndarray, score,
                       key: str) -> pd.Series:
    """``row``'s ``key`` recomputed from its test predictions on the ``clips`` (a boolean mask of
    the test set), one value per seed: a claim read on a subset of the test songs."""
    return pd.Series({seed: score(predictions[row, seed][0][clips], predictions[row, seed][1][clips])[key]
                      for seed in seeds})


def claims(predictions: Mapping, ran: Sequence[str], seeds: Sequence[int], score, key: str,
           unseen: np.ndarray) -> list[verdicts.Verdict]:
    """The paper's claims (Tables 2 and 3) and one of ours, read off the run's test predictions.

    Every claim is a paired comparison over seeds on ``key`` (``r2_mean`` or ``f1_macro``);
    "context helps" is read only on test songs of artists unseen in training (``unseen``), since
    a title/artist branch can otherwise score by recognising an artist.

    Args:
        predictions: ``{(row, seed): (y_true, y_score)}``.
        ran: The rows that ran.
        seeds: The seeds.
        score: ``score(y_true, y_score) -> {metric: value}`` (:func:`task_scorer`).
        key: The metric the claims are read on.
        unseen: :func:`unseen_artists` of the comparison's clips.
    """
    everything = np.ones(len(unseen), dtype=bool)
    pairs = [
        ("cross-modal attention beats concatenation (Table 3: hcman vs direct fusion)", "hcman", "direct_fusion",
         everything, "all test songs"),
        ("the hierarchy's order matters (Table 3: hcman vs non-hierarchical)", "hcman", "non_hierarchical",
         everything, "all test songs"),
        ("context helps (Table 3: hcman vs bimodal), on artists unseen in training", "hcman", "bimodal", unseen,
         f"{int(unseen.sum())} test songs of unseen artists"),
        ("HCMAN beats Delbouys et al. 2018 (Table 2)", "hcman", "delbouys2018", everything, "all test songs"),
        ("HCMAN beats Pyrovolakis et al. 2021 (Table 2)", "hcman", "pyrovolakis2021", everything, "all test songs"),
        ("audio + lyrics beat title/artist alone (ours: pyrovolakis2021 vs context_only)", "pyrovolakis2021",
         "context_only", everything, "all test songs"),
    ]
    out = []
    for claim, better, worse, mask, songs in pairs:
        if better not in ran or worse not in ran:
            out.append(verdicts.untestable(claim, f"needs {better} and {worse}, which did not both run"))
        elif not mask.all() and mask.sum() < MIN_SUBSET:
            out.append(verdicts.untestable(claim, f"{songs}: fewer than {MIN_SUBSET}"))
        else:
            out.append(verdicts.compare(claim, _rescored_on_clips(predictions, better, seeds, mask, score, key),
                                        _rescored_on_clips(predictions, worse, seeds, mask, score, key),
                                        f"{key} on {songs}, {better} vs {worse}"))
    return out


def first_clip_per_class(labels: pd.Series) -> list[int]:
    """Position of the first clip of each class (classes sorted)."""
    values = labels.to_numpy()
    return [int(np.flatnonzero(values == c)[0]) for c in sorted(labels.unique())]


def clip_attention(net, inputs: Mapping[str, torch.Tensor]) -> dict[str, np.ndarray]:
    """A trained HCMAN's attention on one clip, averaged over heads, real tokens only.

    Args:
        net: A :class:`~mer_lib.models.zhao2022.HierarchicalCMANet` in eval mode.
        inputs: ``{"audio", "lyrics", "context"}`` tensors of one clip (batch of 1), on the
            network's device.

    Returns:
        ``{modality: (audio steps, real tokens)}`` in the order the modalities are fused.
    """
    with torch.no_grad():
        weights = {m: w[0].mean(0).cpu().numpy() for m, w in net.stages(**inputs)["attention"].items()}
    return {m: w[:, :int(padding_mask(inputs[m])[0].sum())] for m, w in weights.items()}


def attention_spread(weights: np.ndarray) -> dict[str, float]:
    """Where one attention map ``(audio steps, tokens)`` puts its weight: the real tokens, the
    mean share on ``[CLS]`` (position 0) and the effective number of tokens, exp(mean entropy)."""
    entropy = -(weights * np.log(np.clip(weights, 1e-12, None))).sum(-1).mean()
    return {"real tokens": weights.shape[1], "share on [CLS]": float(weights[:, 0].mean()),
            "effective tokens": float(np.exp(entropy))}


@dataclass
class ContextSet:
    """A further dataset for the title/artist-only measurement (:func:`context_sets`).

    Attributes:
        table: Its clips that have a title or artist and the targets.
        regression: Its regression targets (valence and/or arousal; empty for 4Q only).
        classes: Its quadrant classes when it has no V/A, else empty.
        arrays: ``{split: {"context_mean": (clips, dim)}}``, the input of ``context_only``.
        targets: ``{split: (clips, k)}`` in the layout of :class:`mer_lib.losses.MultiTaskLoss`.
    """

    table: pd.DataFrame
    regression: list
    classes: list
    arrays: dict
    targets: dict


def context_sets(names: Sequence[str], data_home=None, *, text_options: Mapping,
                 progress: bool = False) -> dict[str, ContextSet]:
    """The datasets of ``names`` found under ``data_home``, ready for ``context_only``.

    Each keeps its official (or seeded) split; V/A when it has them, else its quadrants.
    Datasets that are not present are left out (the caller says so).
    """
    out = {}
    for name in names:
        if not data.is_available(name, data_home):
            continue
        dataset = data.load(name, data_home=data_home)
        va = [t for t in ("valence", "arousal") if t in dataset.targets]
        cls = "" if va or "quadrant" not in dataset.targets else "quadrant"
        kept, _ = usable_clips(dataset.table, ["context"], [*va, *([cls] if cls else [])])
        cls_values = sorted(kept[cls].unique()) if cls else []
        vectors = features.extract(kept, "zhao2022_bert_context", pooling="mean", dataset_name=dataset.name,
                                   progress=progress, **text_options)
        arrays = {s: {"context_mean": x} for s, x in stack_split(vectors, split_ids(kept)).items()}
        out[name] = ContextSet(kept, va, cls_values, arrays, target_arrays(kept, va, cls, cls_values))
    return out
