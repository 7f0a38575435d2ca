"""How Zhao & Yoshii 2023 is run: the rows of Tables I and III, clips cut to windows, two-stage training.

The networks are in :mod:`mer_lib.models.zhao2023` (the model and its ablations) and
:mod:`mer_lib.models.emopia_baselines` (LSTM-Attn, short-chunk ResNet). This module says
which rows the paper's tables have (:data:`ROWS`), turns a dataset's clips into their inputs
and targets (:func:`loaders`: random windows batched by length in training, clips read from
their start at evaluation),
feeds the fusion heads with the frozen branches' vectors (:func:`branch_features`,
:func:`head_loaders`) and reads what the trained models did (:func:`scores`,
:func:`attention_weights`, :func:`attention_received`).

Two-stage training: every branch is first trained alone with the common head (the Table III
"branch alone" rows, :func:`fit_row` with one :class:`Recipe` for every row), then the fusion
head of ``full`` / ``no_mhsa`` is trained (:func:`fit_head`) on branch vectors: out-of-fold
ones for its training clips (:func:`out_of_fold_vectors`: branches refit per fold), the
stage-1 branches' for validation and test (those rows ``reuses`` the single-branch rows).
Networks train on random windows and read whole clips in windows, outputs averaged
(:func:`windowed`). :func:`emopia_cls_protocol` / :func:`protocol_table` give what EMOPIA_cls's
reporting (best of all epochs, mean of per-batch accuracies) would print for the same runs;
:func:`claims` marks the paper's claims on the run's numbers (:mod:`mer_lib.verdicts`).

A row reads MIDI (the symbolic rows), audio (the acoustic rows) or both (the fused rows); a clip
without an audio file is heard through its MIDI rendered (:func:`mer_lib.data.splits.readable_modalities`), so MIDI
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
import math
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
import torch
from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold
from torch import nn

from mer_lib import data, features, losses, metrics, reporting, repro, train, verdicts
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
# :func:`mer_lib.data.splits.readable_modalities`), or both; every row is scored on quadrants.
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
#: with the settings ``token_window``, ``frame_window``, ``mixed_precision``, ``resnet_channels``
#: (:func:`build_options`; a setting left out keeps the model's default).
PROFILE_OPTIONS = {
    "zhao2023": {"token_window": "token_window", "frame_window": "frame_window", "mixed_precision": "mixed_precision"},
    "lstm_attn": {"window": "token_window", "mixed_precision": "mixed_precision"},
    "short_chunk_resnet": {"mixed_precision": "mixed_precision", "base_channels": "resnet_channels"},
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
        read = "every token" if len(n_tokens) and n_tokens.max() <= max_tokens else f"first {max_tokens} tokens{span[max_tokens]}"
        reading["symbolic branch, LSTM-Attn"] = [f"{token_window} tokens{span[token_window]} (the whole clip if shorter)",
                                                 f"{read}, in windows of {token_window} (outputs averaged)",
                                                 f"{(n_tokens <= max_tokens).mean():.0%}"]
    if inputs & {"chroma", "mfcc"}:
        reading["harmony and tone-colour branches"] = [f"{frame_window_seconds:.1f} s ({frame_window} frames)",
                                                       f"first {excerpt_seconds:.0f} s ({max_frames} frames), in windows "
                                                       f"of {frame_window_seconds:.1f} s (outputs averaged)", "—"]
    if "mel_chunks" in inputs:
        reading["short-chunk ResNet"] = ["1 chunk of 3.69 s", f"first {max_chunks} chunks (probabilities averaged)", "—"]
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
    return {option: settings[setting] for option, setting in PROFILE_OPTIONS.get(row.model, {}).items()
            if setting in settings}


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

    Training clips are cut to a random window of ``train_lengths`` (the whole clip when it is
    shorter) and batched by similar length (:class:`~mer_lib.train.LengthBucketSampler`,
    seeded, new batches every epoch), each batch padded to its longest window only. Unless
    ``crop_train`` is false: then they are read like the others. Validation and test clips
    are read in the split's order, from their start, cut to ``eval_lengths``, each batch
    padded to its longest clip (the models read long clips in windows:
    :func:`windowed`). Tokens are padded with :data:`~mer_lib.features.symbolic.PAD_ID`,
    features with 0; ``mel_chunks`` is cut along its chunks (:data:`AXES`) and the models get
    the real lengths of :data:`REPORT_LENGTHS`. A split without clips gets no loader.

    Args:
        row: The row (its ``inputs``, and its ``loss`` for the targets: :data:`TARGETS`).
        table: Rows with ``track_id``, ``split`` and ``quadrant``.
        inputs: ``{name: {track_id: array}}`` (what :func:`mer_lib.features.extract` returns).
        train_lengths, eval_lengths: ``{input name: steps}``.
        batch_size: Clips per batch.
        seed: Seed of the crops and of the batches.
        crop_train: Randomly crop (and bucket) the training clips.

    Returns:
        ``{"train": DataLoader, "validation": ..., "test": ...}`` (see :func:`mer_lib.train.clip_loader`).
    """
    out = {}
    for split in SPLITS:
        part = table[table["split"] == split]
        if part.empty:
            continue
        ids = part["track_id"].astype(str).tolist()
        crop = crop_train and split == "train"
        lengths = train_lengths if crop else eval_lengths
        out[split] = train.clip_loader(
            {name: [inputs[name][t] for t in ids] for name in row.inputs}, TARGETS[row.loss](part["quadrant"]),
            batch_size=batch_size, shuffle=crop, seed=seed, lengths={name: lengths[name] for name in row.inputs},
            random_crop=crop, axes=AXES, report_lengths=REPORT_LENGTHS, pad_id=PAD_ID,
            bucket_by=row.inputs[0] if crop else None, pad_to_batch=True)
    return out


#: Inputs a model reads in consecutive windows at evaluation (:func:`windowed`) → the build
#: setting that is their window; ``mel_chunks`` is not here: the short-chunk ResNet averages
#: its chunks' probabilities itself, which is the same reading.
WINDOWED_INPUTS = {"tokens": "token_window", "chroma": "frame_window", "mfcc": "frame_window"}


def windowed(row: Row, model: nn.Module, **settings) -> nn.Module:
    """``model`` wrapped to read a whole clip the way it was trained: consecutive windows of the
    training crop whose outputs are averaged (:class:`mer_lib.train.WindowedPrediction`:
    probabilities for the V/A rows, class probabilities for the 4-class rows).

    A row with one input of :data:`WINDOWED_INPUTS` is wrapped, others (the short-chunk ResNet,
    the fusion heads) come back as they are. ``settings`` are the build settings.
    """
    if len(row.inputs) != 1 or row.inputs[0] not in WINDOWED_INPUTS:
        return model
    name = row.inputs[0]
    return train.WindowedPrediction(model, name, settings[WINDOWED_INPUTS[name]],
                                    pad_value=PAD_ID if name == "tokens" else 0.0,
                                    outputs="log_probabilities" if row.loss == "quadrant" else "probabilities")


@dataclass(frozen=True)
class Recipe:
    """How every network of a profile is trained (one recipe for all rows).

    Attributes:
        learning_rate, weight_decay: Adam's.
        max_epochs, patience: As :func:`mer_lib.train.fit`.
        schedule, restart_epochs: :func:`mer_lib.train.lr_schedule` (stepped per epoch).
        batch_size: Clips per batch.
        train_lengths, eval_lengths: Steps per input in training (the random window) and at
            evaluation (what is read of a clip).
        settings: Build settings (``token_window``, ``frame_window``, ``mixed_precision``,
            ``resnet_channels``: :func:`build_options`, :func:`windowed`).
        select: What the restored epoch is chosen on (``"metric"``: validation 4Q accuracy).
        row_epochs: ``{row name: epochs}`` for rows that train another number of epochs, each
            with patience as long (no early stop) and its schedule over its own epochs: a cheap
            row whose loss needs longer to flatten (:meth:`epochs_of`).
    """

    learning_rate: float
    weight_decay: float
    max_epochs: int
    patience: int
    schedule: str
    batch_size: int
    train_lengths: Mapping[str, int]
    eval_lengths: Mapping[str, int]
    settings: Mapping[str, object]
    restart_epochs: int = 25
    select: str = "metric"
    row_epochs: Mapping[str, int] = field(default_factory=dict)

    def epochs_of(self, row: str) -> tuple[int, int]:
        """``(max_epochs, patience)`` of a row: :attr:`row_epochs` (patience as long) or the common ones."""
        if row in self.row_epochs:
            return int(self.row_epochs[row]), int(self.row_epochs[row])
        return self.max_epochs, self.patience

    @property
    def loader_options(self) -> dict:
        """The options of :func:`loaders`."""
        return {"train_lengths": self.train_lengths, "eval_lengths": self.eval_lengths,
                "batch_size": self.batch_size}


#: Batch size of EMOPIA_cls's validation and test loaders, whose per-batch accuracies it averages.
EMOPIA_CLS_BATCH = 16


def protocol_metrics(batch_size: int = EMOPIA_CLS_BATCH) -> dict:
    """``{"batch_q4_acc": metric}``: the mean of per-batch 4Q accuracies of a split read in its
    order (:func:`mer_lib.metrics.mean_batch_accuracy`), as EMOPIA_cls scores validation and test."""
    return {"batch_q4_acc": lambda y_true, y_score: metrics.mean_batch_accuracy(
        metrics.output_quadrants(y_true), metrics.output_quadrants(y_score), batch_size)}


def test_watch(loader, device, batch_size: int = EMOPIA_CLS_BATCH):
    """A :func:`mer_lib.train.fit` ``watch`` that reads the test clips after every epoch and
    records ``test_batch_q4_acc`` (mean of per-batch accuracies) and ``test_q4_acc`` (k/n).

    Only for the EMOPIA_cls-protocol column (:func:`emopia_cls_protocol`): selection never sees it.
    """
    def read(model) -> dict[str, float]:
        y_true, y_score = train.predict(model, loader, device)
        q_true, q_pred = metrics.output_quadrants(y_true), metrics.output_quadrants(y_score)
        return {"test_batch_q4_acc": metrics.mean_batch_accuracy(q_true, q_pred, batch_size),
                "test_q4_acc": metrics.accuracy(q_true, q_pred)}
    return read


def fit_row(row: Row, table: pd.DataFrame, inputs: Mapping[str, Mapping[str, np.ndarray]], *, seed: int,
            recipe: Recipe, device, validate: bool = True, watch_test: bool = False) -> train.Trained:
    """Train one network row on ``table``'s training clips and read its test clips once.

    Seeds (:func:`mer_lib.repro.seed_everything`), builds the loaders, the network (read in
    windows: :func:`windowed`), Adam and the schedule, and calls
    :func:`mer_lib.train.fit_and_test` with early stopping on the validation 4Q accuracy; the
    history also has the EMOPIA_cls-protocol validation score (``val_batch_q4_acc``) and, with
    ``watch_test``, the test scores of every epoch (:func:`test_watch`, for that column only).

    Args:
        row: A stage-1 row (a branch alone or a deep baseline).
        table: Clips with ``split``; without validation clips (or ``validate=False``) the
            model trains ``recipe.max_epochs`` and keeps its last weights; without test clips
            nothing is read after training (empty test arrays, no scores).
        inputs: ``{name: {track_id: array}}``.
        seed: The run's seed.
        recipe: :class:`Recipe`.
        device: Where to train.
        validate: Use the validation clips for early stopping and selection.
        watch_test: Record the test scores of every epoch (EMOPIA_cls protocol).

    Returns:
        :class:`mer_lib.train.Trained` whose ``model`` is the bare network (not the windowed reader).
    """
    repro.seed_everything(seed)
    split_loaders = loaders(row, table, inputs, seed=seed, **recipe.loader_options)
    if not validate:
        split_loaders.pop("validation", None)
    model = row.build(**build_options(row, **recipe.settings))
    reader = windowed(row, model, **recipe.settings)
    optimizer = torch.optim.Adam(model.parameters(), lr=recipe.learning_rate, weight_decay=recipe.weight_decay)
    max_epochs, patience = recipe.epochs_of(row.name)
    scheduler = train.lr_schedule(optimizer, recipe.schedule, max_epochs, recipe.restart_epochs)
    watch = test_watch(split_loaders["test"], device) if watch_test and "test" in split_loaders else None
    options = {"max_epochs": max_epochs, "patience": patience, "val_metric": metrics.output_quadrant_accuracy,
               "device": device, "select": recipe.select, "scheduler": scheduler, "val_metrics": protocol_metrics(),
               "watch": watch}
    loss = losses.PROBABILITY_LOSSES[row.loss]
    if "test" not in split_loaders:  # a fold's refit: nothing to read after training
        started = time.perf_counter()
        history = train.fit(reader, split_loaders["train"], split_loaders.get("validation"), loss, optimizer,
                            progress=False, **options)
        best = train.best_epoch(history, recipe.select) if "validation" in split_loaders else len(history["train_loss"])
        return train.Trained(model, history, best, time.perf_counter() - started, np.empty(0), np.empty(0))
    result = train.fit_and_test(reader, split_loaders, loss, optimizer, score=scores, **options)
    return replace(result, model=model)


def fit_head(row: Row, vectors: Mapping[str, tuple[Sequence[np.ndarray], np.ndarray]], *, seed: int,
             recipe: Recipe, device, max_epochs: int, patience: int, watch_test: bool = False) -> train.Trained:
    """Train a fusion head (``full``, ``no_mhsa``) on branch vectors ``{split: (vectors, targets)}``.

    The recipe's learning rate, weight decay, schedule (over ``max_epochs``) and batch size;
    early stopping and the protocol columns as :func:`fit_row`.
    """
    repro.seed_everything(seed)
    head = row.build(in_dims=[v.shape[1] for v in vectors["train"][0]])
    split_loaders = head_loaders(vectors, batch_size=recipe.batch_size, seed=seed)
    optimizer = torch.optim.Adam(head.parameters(), lr=recipe.learning_rate, weight_decay=recipe.weight_decay)
    scheduler = train.lr_schedule(optimizer, recipe.schedule, max_epochs, recipe.restart_epochs)
    watch = test_watch(split_loaders["test"], device) if watch_test else None
    return train.fit_and_test(head, split_loaders, losses.PROBABILITY_LOSSES[row.loss], optimizer,
                              max_epochs=max_epochs, patience=patience, val_metric=metrics.output_quadrant_accuracy,
                              device=device, score=scores, select=recipe.select, scheduler=scheduler,
                              val_metrics=protocol_metrics(), watch=watch)


def fold_assignment(clips: pd.DataFrame, folds: int, seed: int, group_column: str | None = None) -> np.ndarray:
    """The fold (0 … ``folds`` − 1) of every clip, stratified by quadrant and seeded; with
    ``group_column`` (e.g. ``song_id``), all clips of a group share a fold."""
    if folds < 2:
        raise ValueError(f"out-of-fold vectors need at least 2 folds, got {folds}")
    y = clips["quadrant"].to_numpy()
    if group_column is not None and group_column in clips.columns:
        splitter = StratifiedGroupKFold(folds, shuffle=True, random_state=seed)
        parts = splitter.split(np.zeros(len(y)), y, clips[group_column].to_numpy())
    else:
        parts = StratifiedKFold(folds, shuffle=True, random_state=seed).split(np.zeros(len(y)), y)
    assignment = np.empty(len(y), dtype=int)
    for fold, (_, held_out) in enumerate(parts):
        assignment[held_out] = fold
    return assignment


#: The split name of the clips a fold holds out (no loader reads it while the fold's branches train).
HELD_OUT = "held_out"


def out_of_fold_vectors(row: Row, table: pd.DataFrame, inputs: Mapping[str, Mapping[str, np.ndarray]], *,
                        folds: int, seed: int, fit_branch, device, loader_options: Mapping,
                        group_column: str | None = None) -> tuple[tuple[list[np.ndarray], np.ndarray], np.ndarray]:
    """Branch vectors of the training clips, each from branches that never saw that clip.

    The training clips are cut into ``folds`` folds (:func:`fold_assignment`); for each fold
    the branches of ``row.reuses`` are trained on the other folds (``fit_branch(branch_row,
    fold_table)``, with no validation clips: fixed epochs, last weights) and encode the clips
    of the held-out fold. A fusion head trained on these vectors learns how the branches
    behave on clips they have not fitted, as it will meet the validation and test clips.

    Args:
        row: A fused row (``full``, ``no_mhsa``).
        table: Clips with ``split`` (only the training clips are used).
        inputs: ``{name: {track_id: array}}``.
        folds: Number of folds (≥ 2).
        seed: Seed of the folds.
        fit_branch: ``fit_branch(branch_row, fold_table) -> Trained``; ``fold_table`` has the
            fold's training clips as ``"train"`` and the held-out ones as :data:`HELD_OUT`
            (in no split: nothing reads them while the branches train).
        device: Where the branches encode.
        loader_options: :func:`loaders` options (``eval_lengths``: what a clip's vector reads).
        group_column: Keep the clips of a group (``song_id``) in one fold.

    Returns:
        ``((vectors per branch, targets), fold of each training clip)``, in the order of the
        training clips in ``table``.
    """
    clips = table[table["split"] == "train"].reset_index(drop=True)
    assignment = fold_assignment(clips, folds, seed, group_column)
    vectors: list[np.ndarray] | None = None
    for fold in range(folds):
        fold_table = clips.assign(split=np.where(assignment == fold, HELD_OUT, "train"))
        models = {name: fit_branch(ROWS[name], fold_table).model for name in row.reuses}
        branch_models = reused_branches(row, models)
        held_out = loaders(row, fold_table.assign(split=np.where(assignment == fold, "test", "")), inputs,
                           seed=seed, crop_train=False, **loader_options)["test"]
        encoded, _ = branch_features(branch_models, held_out, device)
        if vectors is None:
            vectors = [np.zeros((len(clips), e.shape[1]), dtype=e.dtype) for e in encoded]
        for store, values in zip(vectors, encoded):
            store[assignment == fold] = values
    return (vectors, TARGETS[row.loss](clips["quadrant"])), assignment


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


#: How EMOPIA_cls picks the reported checkpoint, by row: ``(monitor, early-stopping patience)``.
#: Its MIDI classifier (``midi_cls/train_test.py``: LSTM-Attn) keeps the best ``val_acc`` among
#: all epochs (its early stopping is commented out); its audio classifier (``audio_cls``: the
#: short-chunk ResNet) keeps the lowest ``val_loss`` (``--monitor loss``, the default) and stops
#: after 5 epochs without a lower one. Rows EMOPIA_cls does not have are read like its MIDI one.
EMOPIA_CLS_SELECTION = {"short_chunk_resnet": ("val_loss", 5)}


def emopia_cls_protocol(result: train.Trained, monitor: str = "val_acc", patience: int | None = None) -> dict:
    """What EMOPIA_cls's reporting would print for one trained run.

    EMOPIA_cls (seungheondoh/EMOPIA_cls, ``train_test.py``) keeps one checkpoint,
    ``ModelCheckpoint(monitor=..., save_top_k=1)`` (the first best), and reports that
    checkpoint's ``test_acc``, a mean of per-batch accuracies (batches of 16 in the split
    file's order; the 86 test clips make five batches of 16 and one of 6). It also writes the
    last epoch's (``results_last.json``: "last").

    Args:
        result: A run of :func:`fit_row` / :func:`fit_head` with ``watch_test`` (the test read
            every epoch, for this column only).
        monitor: ``"val_acc"`` (the highest mean per-batch validation accuracy, EMOPIA_cls's MIDI
            classifier) or ``"val_loss"`` (the lowest validation loss, its audio classifier; our
            loss is the mean over clips, EMOPIA_cls's the mean over batches).
        patience: Its early stopping on ``monitor`` (None: every epoch is a candidate).

    Returns:
        ``{"protocol_epoch": e, "protocol_q4_acc": test mean per-batch accuracy at e,
        "last_epoch_q4_acc": the same at the last epoch considered}``.
    """
    history = result.history
    if monitor not in ("val_acc", "val_loss"):
        raise ValueError(f"monitor must be 'val_acc' or 'val_loss', got {monitor!r}")
    scores = history["val_batch_q4_acc"] if monitor == "val_acc" else [-v for v in history["val_loss"]]
    best, since, last = 0, 0, len(scores)
    for epoch in range(1, len(scores)):
        if scores[epoch] > scores[best]:
            best, since = epoch, 0
        else:
            since += 1
        if patience is not None and since >= patience:
            last = epoch + 1
            break
    return {"protocol_epoch": best + 1, "protocol_q4_acc": float(history["test_batch_q4_acc"][best]),
            "last_epoch_q4_acc": float(history["test_batch_q4_acc"][last - 1])}


#: The protocol column's name: what it is, and why it is optimistic.
PROTOCOL_COLUMN = "EMOPIA_cls protocol (optimistic: best of all epochs on validation, mean of per-batch accuracies)"


def protocol_table(trained: Sequence[Mapping]) -> pd.DataFrame:
    """Our numbers next to EMOPIA_cls's protocol for the same runs, one line per row.

    Args:
        trained: :func:`runs_in_table_order` records whose histories have the protocol entries.

    Returns:
        Indexed by row: ``ours`` (mean 4Q accuracy over seeds, k/86, the epoch chosen on
        validation, one test read) and its ``± std``; :data:`PROTOCOL_COLUMN` (mean over seeds
        of :func:`emopia_cls_protocol`'s ``protocol_q4_acc``) and its ``± std``, ``max over
        seeds`` (EMOPIA_cls reports one seed), ``its last epoch``, and ``protocol − ours``.
    """
    lines = [{"row": r["row"], "seed": r["seed"], "ours": r["result"].scores["q4_acc"],
              **emopia_cls_protocol(r["result"], *EMOPIA_CLS_SELECTION.get(r["row"], ("val_acc", None)))}
             for r in trained if "test_batch_q4_acc" in r["result"].history]
    if not lines:
        return pd.DataFrame()
    frame = pd.DataFrame(lines).groupby("row", sort=False)
    table = pd.DataFrame({"ours": frame["ours"].mean(), "ours ± std": frame["ours"].std(),
                          PROTOCOL_COLUMN: frame["protocol_q4_acc"].mean(),
                          "protocol ± std": frame["protocol_q4_acc"].std(),
                          "protocol, max over seeds": frame["protocol_q4_acc"].max(),
                          "protocol, last epoch": frame["last_epoch_q4_acc"].mean()})
    table["protocol − ours"] = table[PROTOCOL_COLUMN] - table["ours"]
    return table


#: A training loss has flattened when the mean of its last three epochs is less than this fraction
#: below the mean of the three before (random training windows make single epochs noisy).
FLAT_CHANGE = 0.05


def training_summary(trained: Sequence[Mapping]) -> pd.DataFrame:
    """Epochs run, restored epoch and the end of the training loss of every run.

    Columns per (row, seed): ``epochs run``, ``best epoch`` (the one restored), ``final train
    loss``, ``last-3 drop`` (how much lower the mean training loss of the last three epochs is
    than that of the three before, relative to the latter; NaN with fewer than six epochs),
    ``flat`` (that drop below :data:`FLAT_CHANGE`) and ``final lr`` when a schedule ran.
    """
    lines = []
    for record in trained:
        result, loss = record["result"], np.asarray(record["result"].history["train_loss"], dtype=float)
        before = loss[-6:-3].mean() if len(loss) >= 6 else math.nan
        drop = (before - loss[-3:].mean()) / before if len(loss) >= 6 and before else math.nan
        line = {"row": record["row"], "seed": record["seed"], "epochs run": result.epochs_run,
                "best epoch": result.best_epoch, "final train loss": float(loss[-1]), "last-3 drop": drop,
                "flat": bool(drop < FLAT_CHANGE) if not math.isnan(drop) else False}
        if "lr" in result.history:
            line["final lr"] = result.history["lr"][-1]
        lines.append(line)
    return pd.DataFrame(lines).set_index(["row", "seed"])


def song_level_sentence(summary: pd.DataFrame, row: str = "full") -> str:
    """A sentence comparing ``row`` on the song-level split with the clip-level split, from the
    run's ``summary`` (``groupby("row")[METRICS].agg(["mean", "std"])``), or why there is none."""
    song = row_label(row, "song")
    if song not in summary.index or row not in summary.index:
        return f"No song-level result for `{row}` in this run (SONG_LEVEL off or no song-level split)."
    m_song, m_clip = summary.loc[song, ("q4_acc", "mean")], summary.loc[row, ("q4_acc", "mean")]
    s_song, s_clip = summary.loc[song, ("q4_acc", "std")], summary.loc[row, ("q4_acc", "std")]
    gap = m_song - m_clip
    spread = max(s_song, s_clip) if not (math.isnan(s_song) or math.isnan(s_clip)) else math.nan
    if not math.isnan(spread) and abs(gap) <= spread:
        trend = "about the same as"
    else:
        trend = "below" if gap < 0 else "above"
    return (f"On the song-level split `{row}` scores {m_song:.3f} ± {s_song:.3f} 4Q accuracy, {trend} its "
            f"clip-level {m_clip:.3f} ± {s_clip:.3f} ({gap:+.3f}; the two splits have different test clips, "
            "so this compares two test sets as much as two conditions).")


def attention_departure(received_table: pd.DataFrame) -> float:
    """Largest departure from uniform (1 / branches) of the mean attention a branch receives in a
    quadrant (``received_table["mean"]``: :func:`attention_received` averaged over seeds)."""
    means = received_table["mean"]
    return float((means - 1 / means.shape[1]).abs().to_numpy().max())


def attention_quadrant_spread(received_table: pd.DataFrame) -> float:
    """Largest change across quadrants of the mean attention one branch receives (max − min over
    the quadrants, the largest over branches): how much the weights depend on the emotion."""
    means = received_table["mean"]
    return float((means.max(axis=0) - means.min(axis=0)).max())


#: A change of a branch's mean attention weight this large (from uniform, or across quadrants)
#: counts as the attention singling a branch out.
ATTENTION_DEPARTURE = 0.1


def attention_sentence(received_table: pd.DataFrame) -> str:
    """What the attention received by quadrant says about the interpretability claim, computed.

    The claim is that the weights show which musical factor (branch) carries an emotion: that
    needs weights away from uniform *and* different from quadrant to quadrant.
    """
    means = received_table["mean"]
    departure, spread = attention_departure(received_table), attention_quadrant_spread(received_table)
    uniform = 1 / means.shape[1]
    weights = f"weights {means.min().min():.2f}–{means.max().max():.2f}, uniform {uniform:.2f}"
    if departure < ATTENTION_DEPARTURE:
        return (f"The mean attention each branch receives stays within {departure:.2f} of uniform in every "
                f"quadrant ({weights}; across quadrants a branch's weight moves by at most {spread:.2f}): the "
                "head mixes the branches almost evenly whatever the emotion, so these weights do not single out "
                "a musical factor per quadrant and do not confirm the interpretability claim.")
    top = means.idxmax(axis=1)
    if spread < ATTENTION_DEPARTURE:
        return (f"The head leans on the same branches in every quadrant ({weights}; most attended: "
                f"{', '.join(f'{q} {b}' for q, b in top.items())}; across quadrants a branch's weight moves by at "
                f"most {spread:.2f}): the weights say which branch vector the head copies most, not which factor "
                "carries which emotion, so they do not confirm the interpretability claim.")
    return (f"The weights change with the quadrant (a branch's weight moves by up to {spread:.2f} across "
            f"quadrants; {weights}; most attended: {', '.join(f'{q} {b}' for q, b in top.items())}). Whether "
            "that is a musical factor or the most separable branch vector cannot be told from the weights alone.")


def claims(scores: pd.DataFrame, received_table: pd.DataFrame | None = None, digits: int = 3) -> list:
    """The paper's claims marked on this run's per-seed scores (:mod:`mer_lib.verdicts`).

    Args:
        scores: One line per (row, seed) with ``q4_acc`` (the notebook's ``scores``).
        received_table: The attention received by quadrant (``mean`` / ``std over seeds``), or None.
    """
    per_seed = {row: reporting.per_seed(scores, row, "q4_acc") for row in scores["row"].unique()}
    metric = "test 4Q accuracy"
    out = []
    if "full" in per_seed:
        full = per_seed["full"]
        out.append(verdicts.threshold("the full model reaches the paper's 0.692 4Q accuracy", float(full.mean()),
                                      PAPER_RESULTS["full"]["q4_acc"], "mean 4Q accuracy of full", digits))
        for other, claim in (("lstm_attn", "the full model beats LSTM-Attn (best symbolic baseline)"),
                             ("short_chunk_resnet", "the full model beats the short-chunk ResNet (best audio baseline)"),
                             ("symbolic_only", "fusion beats the symbolic branch alone"),
                             ("tone_only", "fusion beats the tone-colour branch alone"),
                             ("no_mhsa", "self-attention fusion beats concatenation (no MHSA)")):
            if other in per_seed:
                out.append(verdicts.compare(claim, full, per_seed[other], metric, digits))
    if received_table is not None and not received_table.empty:
        departure, spread = attention_departure(received_table), attention_quadrant_spread(received_table)
        out.append(verdicts.threshold(
            "the attention weights show which branch carries each emotion (interpretability)",
            min(departure, spread), ATTENTION_DEPARTURE,
            f"the smaller of the largest departure of a branch's mean attention from uniform "
            f"({departure:.{digits}f}) and its largest change across quadrants ({spread:.{digits}f})", digits))
    out.append(verdicts.untestable("the acoustic branches add what real recordings carry (room, instrument, "
                                   "performance noise)",
                                   "EMOPIA's audio is not redistributed: every acoustic row hears the MIDI rendered "
                                   "with a SoundFont, the same notes as the symbolic branch"))
    return out


def protocol_sentence(protocol: pd.DataFrame, row: str = "lstm_attn") -> str:
    """How much of the gap between ``row`` and the paper the EMOPIA_cls protocol accounts for, computed
    from :func:`protocol_table` (or why it cannot be said)."""
    if protocol.empty:
        return "No EMOPIA_cls-protocol column in this run (no network row was trained)."
    gap = protocol["protocol − ours"]
    text = (f"Read the EMOPIA_cls way, the same runs score {gap.mean():+.3f} on average "
            f"({gap.min():+.3f} to {gap.max():+.3f} over the rows): that much of any comparison with a "
            "best-of-epochs, per-batch-averaged number is protocol, not model.")
    if row in protocol.index and row in PAPER_RESULTS:
        paper, ours = PAPER_RESULTS[row]["q4_acc"], protocol.loc[row, "ours"]
        read = protocol.loc[row, PROTOCOL_COLUMN]
        best = protocol.loc[row, "protocol, max over seeds"]
        text += (f" For `{row}`: ours {ours:.3f}, the protocol's reading {read:.3f} (best seed {best:.3f}), "
                 f"the paper {paper:.3f}; the protocol closes {read - ours:+.3f} of the {paper - ours:+.3f} gap"
                 f"{', and its best seed reaches the paper' if best >= paper else ''}.")
    return text
