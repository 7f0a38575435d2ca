"""How Zhao & Yoshii 2023 is run: the rows of Tables I and III, clips cut to windows, two-stage training.

The networks are in :mod:`mer_lib.models.zhao2023` (the model and its ablations) and
:mod:`mer_lib.models.emopia_baselines` (LSTM-Attn, short-chunk ResNet). This module says
which rows the paper's tables have (:data:`ROWS`), turns a dataset's clips into their inputs
and targets (:func:`loaders`: random windows in training, the start of a clip at evaluation),
feeds the fusion heads with the frozen branches' vectors (:func:`branch_features`,
:func:`head_loaders`) and reads what the trained models did (:func:`scores`,
:func:`attention_weights`, :func:`attention_received`).

Two-stage training: every branch is first trained alone with the common head (the Table III
"branch alone" rows), then the fusion head of ``full`` / ``no_mhsa`` is trained on the frozen
branches' clip vectors (those rows ``reuses`` the single-branch rows).

A row reads MIDI (the symbolic rows), audio (the acoustic rows) or both (the fused rows); a clip
without an audio file is heard through its MIDI rendered (:func:`readable_modalities`), so MIDI
alone feeds every row and audio alone the acoustic ones. Only the inputs of the rows that run are
extracted (:func:`extract_inputs`).

Every row is read as a quadrant: the Zhao rows output P(high valence), P(high arousal)
(``loss="va"``, binary cross-entropy), the deep baselines 4-class log-probabilities
(``loss="quadrant"``, negative log-likelihood; see :data:`mer_lib.losses.PROBABILITY_LOSSES`).

Reference: Zhao & Yoshii, "Multimodal Multifaceted Music Emotion Recognition Based on
Self-Attentive Fusion of Psychology-Inspired Symbolic and Acoustic Features", APSIPA ASC 2023.
Notebook: ``03_zhao2023_multifaceted_piano``.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd
import torch
from torch import nn

from mer_lib import data, features, metrics, train
from mer_lib.data import SPLITS, splits
from mer_lib.experiments import rows
from mer_lib.experiments.rows import Row
from mer_lib.features.symbolic import PAD_ID
from mer_lib.models import count_parameters
from mer_lib.models.zhao2023 import BRANCHES, FusionHead, Zhao2023Net

#: The scores of every row (Tables I and III): 4Q accuracy, binary arousal and valence read from it.
METRICS = ("q4_acc", "arousal_acc", "valence_acc")

#: Table I and Table III of the paper (EMOPIA, official split), by our row names.
PAPER_RESULTS = {
    "full": {"q4_acc": 0.692, "arousal_acc": 0.884, "valence_acc": 0.869},
    "lstm_attn": {"q4_acc": 0.684, "arousal_acc": 0.882, "valence_acc": 0.833},
    "symbolic_lr": {"q4_acc": 0.581, "arousal_acc": 0.849, "valence_acc": 0.651},
    "audio_lr": {"q4_acc": 0.523, "arousal_acc": 0.919, "valence_acc": 0.558},
    "short_chunk_resnet": {"q4_acc": 0.677, "arousal_acc": 0.887, "valence_acc": 0.704},
    "symbolic_only": {"q4_acc": 0.690, "arousal_acc": 0.833, "valence_acc": 0.744},
    "harmony_only": {"q4_acc": 0.514, "arousal_acc": 0.726, "valence_acc": 0.685},
    "tone_only": {"q4_acc": 0.649, "arousal_acc": 0.871, "valence_acc": 0.711},
    "no_mhsa": {"q4_acc": 0.639, "arousal_acc": 0.858, "valence_acc": 0.753},
}
#: The rows of Table I (the full model and the four baselines) and Table III (the ablations).
TABLE_I = ("full", "lstm_attn", "symbolic_lr", "audio_lr", "short_chunk_resnet")
TABLE_III = ("full", "symbolic_only", "harmony_only", "tone_only", "no_mhsa")

#: The single-branch rows whose trained branches the fused rows are built from (in branch order).
BRANCH_ROWS = ("symbolic_only", "harmony_only", "tone_only")
# What a row reads: MIDI tokens or note statistics, audio (a clip's file, or its MIDI rendered:
# :func:`readable_modalities`), or both; every row is scored on quadrants.
_MIDI = {"modalities": ("midi",), "targets": ("quadrant",)}
_AUDIO = {"modalities": ("audio",), "targets": ("quadrant",)}
_BOTH = {"modalities": ("midi", "audio"), "targets": ("quadrant",)}

#: The rows of the paper's tables, in the order they are trained and reported. Linear rows
#: (``model=""``) read clip statistics; ``full``/``no_mhsa`` train a fusion head on the
#: frozen branches of the single-branch rows they reuse.
ROWS = rows.table(
    Row("symbolic_lr", inputs=("note_statistics",), **_MIDI),
    Row("audio_lr", inputs=("audio_statistics",), **_AUDIO),
    Row("symbolic_only", model="zhao2023", inputs=("tokens",), loss="va",
        options={"branches": ("symbolic",), "fusion": "concat"}, **_MIDI),
    Row("harmony_only", model="zhao2023", inputs=("chroma",), loss="va",
        options={"branches": ("harmony",), "fusion": "concat"}, **_AUDIO),
    Row("tone_only", model="zhao2023", inputs=("mfcc",), loss="va",
        options={"branches": ("tone",), "fusion": "concat"}, **_AUDIO),
    Row("lstm_attn", model="lstm_attn", inputs=("tokens",), loss="quadrant", **_MIDI),
    Row("short_chunk_resnet", model="short_chunk_resnet", inputs=("mel_chunks",), loss="quadrant", **_AUDIO),
    Row("full", model="zhao2023_fusion_head", inputs=("tokens", "chroma", "mfcc"), loss="va",
        options={"fusion": "mhsa"}, reuses=BRANCH_ROWS, **_BOTH),
    Row("no_mhsa", model="zhao2023_fusion_head", inputs=("tokens", "chroma", "mfcc"), loss="va",
        options={"fusion": "concat"}, reuses=BRANCH_ROWS, **_BOTH),
)
#: Rows also trained on the song-level split (the Zhao model and its ablations).
SONG_LEVEL_ROWS = (*BRANCH_ROWS, "full", "no_mhsa")

#: Profile settings each registered model takes at build time: ``{model: {option: setting}}``
#: with the settings ``token_window``, ``frame_window``, ``mixed_precision`` (:func:`build_options`).
PROFILE_OPTIONS = {
    "zhao2023": {"token_window": "token_window", "frame_window": "frame_window", "mixed_precision": "mixed_precision"},
    "lstm_attn": {"window": "token_window", "mixed_precision": "mixed_precision"},
    "short_chunk_resnet": {"mixed_precision": "mixed_precision"},
}
#: Axis each input is cut along (the others: the last, time); ``mel_chunks`` is ``(chunks, mels, frames)``.
AXES = {"mel_chunks": 0}
#: Inputs whose real (unpadded) length the models read (``<name>_length``), so padding windows are left out.
REPORT_LENGTHS = ("chroma", "mfcc", "mel_chunks")
#: Each input of the rows → (registered extractor, its options). Extractors of audio read the
#: start of a clip (:func:`extract_inputs`); raw MFCCs: the tone-colour branch scales them itself.
INPUT_FEATURES = {
    "tokens": ("zhao2023_midi_like", {}),
    "note_statistics": ("emopia_symbolic_lr", {}),
    "chroma": ("zhao2023_chroma", {}),
    "audio_statistics": ("emopia_audio_lr", {}),
    "mfcc": ("zhao2023_mfcc", {"normalize": False}),
    "mel_chunks": ("zhao2023_short_chunk_mel", {}),
}


def paper_table(metric_names: Sequence[str] = METRICS) -> pd.DataFrame:
    """:data:`PAPER_RESULTS` as a table indexed by row, one column per metric."""
    table = pd.DataFrame(PAPER_RESULTS).T[list(metric_names)]
    table.index.name = "row"
    return table


def paper_results() -> dict[str, float]:
    """The paper's numbers as ``{"<row>.<metric>": value}`` (for :meth:`Run.write_results`)."""
    return {f"{row}.{metric}": value for row, values in PAPER_RESULTS.items() for metric, value in values.items()}


def readable_modalities(modalities: Sequence[str]) -> tuple[str, ...]:
    """The modalities the rows can read from a dataset that has ``modalities``: audio too where it has MIDI.

    A clip without an audio file is heard through its MIDI rendered with a SoundFont (the audio
    fallback of :data:`mer_lib.features.pipeline.SOURCE_READERS`, cached): that is how EMOPIA,
    whose recordings are not redistributed, feeds the acoustic rows.
    """
    return tuple(dict.fromkeys([*modalities, *(["audio"] if "midi" in modalities else [])]))


def song_level_options(dataset: str, options: Mapping) -> dict | None:
    """Loader options of a dataset's song-level split, or None when its loader has no ``split`` option.

    ``{**options, "split": "song"}`` where ``data.load(dataset, split=...)`` is accepted (EMOPIA's
    clip- and song-level splits); other datasets have no song-level split to load.
    """
    if "split" not in inspect.signature(data.info(dataset).loader).parameters:
        return None
    return {**options, "split": "song"}


def extract_inputs(clips: pd.DataFrame, names: Iterable[str], *, excerpt_seconds: float, **options) -> dict:
    """The inputs ``names`` of every clip, by their extractors (:data:`INPUT_FEATURES`), cached on disk.

    Audio extractors read the first ``excerpt_seconds`` of a clip (its audio file, else its MIDI
    rendered); MIDI extractors the whole clip.

    Args:
        clips: Rows with ``track_id`` and ``audio_path``/``midi_path``.
        names: Input names (the ``inputs`` of the rows that run).
        excerpt_seconds: Seconds of audio read.
        **options: Options of :func:`mer_lib.features.extract` (``n_jobs``, ``dataset_name``...).

    Returns:
        ``{input name: {track_id: array}}``.
    """
    out = {}
    for name in names:
        extractor, params = INPUT_FEATURES[name]
        audio = features.get(extractor).source == "audio"
        excerpt = {"excerpt": "first", "seconds": excerpt_seconds} if audio else {}
        out[name] = features.extract(clips, extractor, **params, **excerpt, **options)
    return out


def token_counts(inputs: Mapping[str, Mapping[str, np.ndarray]], track_ids,
                 frames_per_second: float) -> tuple[pd.Series, float]:
    """MIDI-like tokens per clip, and the median tokens per second of music.

    A clip's seconds are its chromagram's frames over ``frames_per_second``.

    Returns:
        ``(tokens per clip indexed by track_id, tokens per second)``: an empty series without
        ``inputs["tokens"]``, a NaN rate without ``inputs["chroma"]``.
    """
    if "tokens" not in inputs:
        return pd.Series(dtype=float), float("nan")
    n_tokens = pd.Series({t: len(inputs["tokens"][t]) for t in track_ids})
    if "chroma" not in inputs:
        return n_tokens, float("nan")
    seconds = pd.Series({t: inputs["chroma"][t].shape[1] / frames_per_second for t in track_ids})
    return n_tokens, float(np.median(n_tokens / seconds.clip(lower=1e-3)))


def reading_table(inputs: Iterable[str], n_tokens: pd.Series, tokens_per_second: float, *, token_window: int,
                  max_tokens: int, frame_window_seconds: float, frame_window: int, excerpt_seconds: float,
                  max_frames: int, max_chunks: int) -> pd.DataFrame:
    """How much of a clip each kind of model reads, in training and at evaluation, for the inputs present.

    Args:
        inputs: Names of the extracted inputs (those of the rows that run).
        n_tokens, tokens_per_second: :func:`token_counts` (a NaN rate leaves the seconds out).
        token_window, max_tokens: Tokens per training window; tokens read at evaluation.
        frame_window_seconds, frame_window: Seconds and frames per training window of the acoustic branches.
        excerpt_seconds, max_frames: Seconds and frames they read at evaluation.
        max_chunks: Mel chunks the short-chunk ResNet reads at evaluation.

    Returns:
        Rows "symbolic branch, LSTM-Attn", "harmony and tone-colour branches", "short-chunk ResNet"
        (those whose inputs are present); columns "training window", "evaluation reads", "clips fully read".
    """
    inputs, reading = set(inputs), {}
    if "tokens" in inputs:
        span = {n: "" if np.isnan(tokens_per_second) else f" (≈ {n / tokens_per_second:.1f} s)"
                for n in (token_window, max_tokens)}
        reading["symbolic branch, LSTM-Attn"] = [f"{token_window} tokens{span[token_window]}",
                                                 f"first {max_tokens} tokens{span[max_tokens]}",
                                                 f"{(n_tokens <= max_tokens).mean():.0%}"]
    if inputs & {"chroma", "mfcc"}:
        reading["harmony and tone-colour branches"] = [f"{frame_window_seconds:.1f} s ({frame_window} frames)",
                                                       f"first {excerpt_seconds:.0f} s ({max_frames} frames)", "—"]
    if "mel_chunks" in inputs:
        reading["short-chunk ResNet"] = ["1 chunk of 3.69 s", f"first {max_chunks} chunks", "—"]
    return pd.DataFrame.from_dict(reading, orient="index",
                                  columns=["training window", "evaluation reads", "clips fully read"])


def linear_rows(among: Iterable[Row] | None = None) -> list[Row]:
    """The rows that are not networks (logistic regressions on clip statistics), of ``among`` (default all)."""
    return [row for row in (ROWS.values() if among is None else among) if not row.model]


def trained_rows(split: str, stage: int, among: Iterable[Row] | None = None) -> list[Row]:
    """The network rows trained on a split in one stage of two-stage training.

    Args:
        split: ``"clip"`` (every network row) or ``"song"`` (:data:`SONG_LEVEL_ROWS` only).
        stage: 1 — the rows trained on clips (branches alone, the deep baselines);
            2 — the fused rows, trained on stage 1's branch vectors.
        among: The rows that run (:func:`mer_lib.experiments.rows.runnable`); default every row.
    """
    if stage not in (1, 2):
        raise ValueError(f"stage must be 1 or 2, got {stage!r}")
    names = [row.name for row in (ROWS.values() if among is None else among)]
    chosen = [row for row in ROWS.values() if row.name in names and row.model and bool(row.reuses) == (stage == 2)]
    return chosen if split == "clip" else [row for row in chosen if row.name in SONG_LEVEL_ROWS]


def row_label(name: str, split: str) -> str:
    """A row's name in the tables: ``name`` on the clip-level split, ``name_song_level`` on the other."""
    return name if split == "clip" else f"{name}_song_level"


def build_options(row: Row, **settings) -> dict:
    """The profile's settings a row's model takes at build time (:data:`PROFILE_OPTIONS`).

    ``row.build(**build_options(row, token_window=64, frame_window=216, mixed_precision=True))``.
    """
    return {option: settings[setting] for option, setting in PROFILE_OPTIONS.get(row.model, {}).items()}


def va_targets(quadrants) -> np.ndarray:
    """``(N, 2)`` float32 targets (high valence, high arousal) of quadrant labels."""
    quadrants = np.asarray(quadrants)
    high = [metrics.quadrant_valence(quadrants), metrics.quadrant_arousal(quadrants)]
    return np.stack(high, axis=-1).astype(np.float32)


def quadrant_targets(quadrants) -> np.ndarray:
    """``(N,)`` int64 class indices (Q1 → 0 … Q4 → 3) of quadrant labels."""
    return np.array([metrics.QUADRANTS.index(q) for q in quadrants], dtype=np.int64)


#: A row's ``loss`` → the targets it is trained on, from quadrant labels.
TARGETS = {"va": va_targets, "quadrant": quadrant_targets}


def loaders(row: Row, table: pd.DataFrame, inputs: Mapping[str, Mapping[str, np.ndarray]], *,
            train_lengths: Mapping[str, int], eval_lengths: Mapping[str, int], batch_size: int = 32,
            seed: int = 0, crop_train: bool = True) -> dict:
    """DataLoaders of a row's inputs and targets for the train, validation and test clips of ``table``.

    Training clips are shuffled and each is cut to a random window of ``train_lengths`` (unless
    ``crop_train`` is false: then they are read like the others, in order); validation and test
    clips are read from their start, cut to ``eval_lengths``. Tokens are padded with
    :data:`~mer_lib.features.symbolic.PAD_ID`, features with 0; ``mel_chunks`` is cut along its
    chunks (:data:`AXES`) and the models get the real lengths of :data:`REPORT_LENGTHS`.

    Args:
        row: The row (its ``inputs``, and its ``loss`` for the targets: :data:`TARGETS`).
        table: Rows with ``track_id``, ``split`` and ``quadrant``.
        inputs: ``{name: {track_id: array}}`` (what :func:`mer_lib.features.extract` returns).
        train_lengths, eval_lengths: ``{input name: steps}``.
        batch_size: Clips per batch.
        seed: Seed of the crops and of the shuffling.
        crop_train: Randomly crop (and shuffle) the training clips.

    Returns:
        ``{"train": DataLoader, "validation": ..., "test": ...}`` (see :func:`mer_lib.train.clip_loader`).
    """
    out = {}
    for split in SPLITS:
        part = table[table["split"] == split]
        ids = part["track_id"].astype(str).tolist()
        crop = crop_train and split == "train"
        lengths = train_lengths if crop else eval_lengths
        out[split] = train.clip_loader(
            {name: [inputs[name][t] for t in ids] for name in row.inputs}, TARGETS[row.loss](part["quadrant"]),
            batch_size=batch_size, shuffle=crop, seed=seed, lengths={name: lengths[name] for name in row.inputs},
            random_crop=crop, axes=AXES, report_lengths=REPORT_LENGTHS, pad_id=PAD_ID)
    return out


def reused_branches(row: Row, models: Mapping[str, nn.Module]) -> dict[str, Zhao2023Net]:
    """``{branch name: trained single-branch model}`` of the rows a fused row reuses.

    Args:
        row: A fused row (``full``, ``no_mhsa``).
        models: ``{row name: trained model}`` with every row of ``row.reuses``.
    """
    return {ROWS[name].options["branches"][0]: models[name] for name in row.reuses}


@torch.no_grad()
def branch_features(branch_models: Mapping[str, Zhao2023Net], loader, device) -> tuple[list[np.ndarray], np.ndarray]:
    """Frozen branch vectors of every clip of ``loader``: ``([array (N, dim) per branch], targets)``.

    ``branch_models`` maps branch names to trained single-branch :class:`Zhao2023Net` models
    (:func:`reused_branches`); ``loader`` gives their inputs (:func:`loaders` of a fused row,
    ``crop_train=False``).
    """
    for model in branch_models.values():
        model.to(device).eval()
    features, targets = [[] for _ in branch_models], []
    for inputs, y in loader:
        inputs = train.to_device(inputs, device)
        for store, model in zip(features, branch_models.values()):
            store.append(model.branch_features(**inputs)[0].cpu().numpy())
        targets.append(y.numpy())
    return [np.concatenate(f) for f in features], np.concatenate(targets)


def head_loaders(vectors: Mapping[str, tuple[Sequence[np.ndarray], np.ndarray]], *, batch_size: int,
                 seed: int) -> dict:
    """DataLoaders of a fusion head: ``{split: (branch vectors, targets)}`` → batches
    ``((vector per branch, ...), float32 targets)``; the training split is shuffled."""
    return {split: train.clip_loader(tuple(x), np.asarray(y, dtype=np.float32), batch_size=batch_size,
                                     shuffle=split == "train", seed=seed)
            for split, (x, y) in vectors.items()}


def scores(y_true, y_score) -> dict[str, float]:
    """Test scores of model outputs (V/A probabilities or 4-class scores), read as quadrants."""
    return metrics.quadrant_scores(metrics.output_quadrants(y_true), metrics.output_quadrants(y_score))


def describe_run(split: str, seed: int, row: Row, result: train.Trained) -> str:
    """One progress line of a trained row: wall time, restored epoch, test 4Q accuracy."""
    return (f"{split:>4} seed {seed} {row.name:<19} {result.seconds:6.0f} s, best epoch "
            f"{result.best_epoch:2d}/{result.epochs_run}, test 4Q {result.scores['q4_acc']:.3f}")


def runs_in_table_order(runs: Mapping[tuple, train.Trained], split_names: Sequence[str],
                        seeds: Sequence[int]) -> list[dict]:
    """``[{"row", "seed", "result"}]`` of trained rows, split by split, seed by seed, in :data:`ROWS` order.

    Args:
        runs: ``{(split, seed, row name): Trained}``.
        split_names: Splits in report order (``"clip"`` first).
        seeds: Seeds in report order.
    """
    return [{"row": row_label(name, split), "seed": seed, "result": runs[(split, seed, name)]}
            for split in split_names for seed in seeds for name in ROWS if (split, seed, name) in runs]


def statistics_arrays(table: pd.DataFrame, statistics: Mapping[str, np.ndarray]) -> tuple[dict, dict]:
    """``({split: (clips, features)}, {split: quadrant labels})`` for a linear row."""
    x = splits.stack_split(statistics, splits.split_ids(table))
    y = {s: table.loc[table["split"] == s, "quadrant"].to_numpy() for s in SPLITS}
    return x, y


def parameter_counts(runs: Mapping[tuple, train.Trained], inputs: Mapping[str, Mapping], *, split: str,
                     seed: int, **settings) -> dict[str, int]:
    """Trainable parameters of every row trained on ``split`` with ``seed``, and of the linear rows.

    A fused row counts its whole assembled model (the branches it reuses and its head); a
    linear row a multinomial logistic regression (a weight per feature and class, a bias per
    class). ``settings`` are the build settings (:func:`build_options`).
    """
    models = {name: result.model for (s, k, name), result in runs.items() if (s, k) == (split, seed)}
    sizes = {}
    for row in ROWS.values():
        if not row.model and row.inputs[0] in inputs:
            n_features = len(next(iter(inputs[row.inputs[0]].values())))
            sizes[row.name] = n_features * len(metrics.QUADRANTS) + len(metrics.QUADRANTS)
        elif row.reuses and row.name in models:
            assembled = Zhao2023Net.assemble(reused_branches(row, models), models[row.name],
                                             **build_options(ROWS[row.reuses[0]], **settings))
            sizes[row.name] = count_parameters(assembled)
        elif row.name in models:
            sizes[row.name] = count_parameters(models[row.name])
    return sizes


@torch.no_grad()
def attention_weights(head: FusionHead, features: Sequence[np.ndarray], device, batch_size: int = 256) -> np.ndarray:
    """Self-attention weights of ``head`` on branch features: ``(N, heads, n_branches, n_branches)``."""
    head.to(device).eval()
    out = []
    for start in range(0, len(features[0]), batch_size):
        batch = [torch.as_tensor(f[start:start + batch_size], device=device) for f in features]
        out.append(head(*batch, return_attention=True)[1].float().cpu().numpy())
    return np.concatenate(out)


def attention_matrices(weights: Sequence[np.ndarray], quadrants) -> dict[str, pd.DataFrame]:
    """Mean attention matrix (query branch × key branch, averaged over heads) per true quadrant.

    Args:
        weights: :func:`attention_weights` of the test clips, one array per seed.
        quadrants: True quadrant of each test clip (the same clips for every seed).
    """
    pooled = np.concatenate(list(weights)).mean(axis=1)  # (seeds · clips, query, key)
    quadrant_of = np.tile(np.asarray(quadrants), len(weights))
    return {q: pd.DataFrame(pooled[quadrant_of == q].mean(axis=0), index=list(BRANCHES), columns=list(BRANCHES))
            for q in metrics.QUADRANTS}


def attention_received(weights: Mapping[int, np.ndarray], quadrants) -> pd.DataFrame:
    """Mean attention each branch receives (over heads, queries and clips), by true quadrant and seed.

    Args:
        weights: ``{seed: attention_weights of the test clips}``.
        quadrants: True quadrant of each test clip.

    Returns:
        A table indexed by ``(seed, quadrant)``, one column per branch.
    """
    quadrants = np.asarray(quadrants)
    by_seed = {seed: pd.DataFrame({q: w.mean(axis=1)[quadrants == q].mean(axis=(0, 1)) for q in metrics.QUADRANTS},
                                  index=list(BRANCHES)).T for seed, w in weights.items()}
    return pd.concat(by_seed)


def paper_and_ours(scores_per_seed: pd.DataFrame, row_names: Sequence[str], ours: str = "ours") -> pd.DataFrame:
    """A tidy frame of the paper's numbers and our per-seed scores for a bar chart.

    Returns:
        Columns ``row``, ``source`` (``"paper"`` or ``ours``), ``metric``, ``value``; rows of ``row_names`` only.
    """
    paper = paper_table().reset_index().assign(source="paper")
    both = pd.concat([paper, scores_per_seed.assign(source=ours)], ignore_index=True)
    tidy = both.melt(id_vars=["row", "source"], value_vars=list(METRICS), var_name="metric")
    return tidy[tidy["row"].isin(row_names)].reset_index(drop=True)
