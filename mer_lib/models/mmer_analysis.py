"""The unimodal CNNs and two-branch fusions of the "Analysis of multimodal MER" project.

V/A regression (2-D output) from three modalities:

* **audio** — 20 CMVN-normalised MFCCs of a 45 s excerpt (``mmer_analysis_mfcc``: 20 × 1502)
  through two 1-D convolution blocks and an average pool (:class:`AudioCNN`);
* **lyrics** or **comments** — 500 Porter-stemmed words as 300-d Word2Vec vectors (500 × 300)
  through one convolution whose 10 × 300 kernel spans the whole embedding (:class:`TextCNN`);
* **fusion** — the trained convolution parts of the audio CNN and of one text CNN, their
  flattened maps concatenated and fed to a new two-layer head (:class:`FusionCNN`).

The paper does not state the number of filters. With ``C`` filters in both branches the
flattened maps hold ``C × 22`` audio and ``C × 61`` text values (:func:`audio_map_length`,
:func:`text_map_length`): 26.5 % audio, 73.5 % text — the paper's "~25 % audio, ~75 % text",
so both branches use the same :data:`CHANNELS`.

Experiment helpers for the notebook: :func:`fit_regressor` (SGD + MSE + L2 through
:func:`mer_lib.train.fit`), :func:`va_scores`, data preparation (:func:`keep_fraction`,
:func:`balance_summary`, :func:`augment_duplicate_texts`, :func:`excerpt_mfccs`,
:func:`embed_words`). The social-tag analysis and the paper's qualitative findings are in
:mod:`mer_lib.models.mmer_analysis_findings`.
Generic split/target helpers come from :mod:`mer_lib.models.experiments`.

Reference: "Analysis of multimodal Music Emotion Recognition" (project report on the DEAM and
social-tag datasets), sections "Methods", "Unimodal Approach" and "Multimodal Approach".
Notebook: ``05_mmer_analysis_unimodal_fusion``.
"""

from __future__ import annotations

import copy
import time
import zlib
from collections.abc import Callable, Mapping, Sequence

import numpy as np
import pandas as pd
import torch
from torch import nn

from mer_lib import metrics
from mer_lib.models import register
from mer_lib.models.experiments import Trained, selection_metric

N_MFCC = 20
#: MFCC frames of the paper's 45 s excerpt (30 ms windows, no overlap, at 22.05 kHz).
AUDIO_FRAMES = 1502
TEXT_WORDS = 500
WORD_DIM = 300
#: Filters per convolution (not stated in the paper; equal in both branches, see module doc).
CHANNELS = 32
KERNEL = 10
DROPOUT = 0.5
#: Result rows → what each reads.
EXPERIMENTS = {
    "audio": ("audio",),
    "lyrics": ("lyrics",),
    "comments": ("comments",),
    "audio_lyrics": ("audio", "lyrics"),
    "audio_comments": ("audio", "comments"),
}
QUADRANTS = ("Q1", "Q2", "Q3", "Q4")


# --- sizes ----------------------------------------------------------------------------------------

def _after(length: int, kernel: int, stride: int = 1) -> int:
    return (length - kernel) // stride + 1


def audio_map_length(frames: int = AUDIO_FRAMES) -> int:
    """Time steps left by the audio CNN: 2 × (conv 10 → max-pool 4), then avg-pool 4.

    1502 → 1493 → 373 → 364 → 91 → 22.
    """
    length = frames
    for _ in range(2):
        length = _after(_after(length, KERNEL), 4, 4)
    return _after(length, 4, 4)


def text_map_length(words: int = TEXT_WORDS) -> int:
    """Time steps left by the text CNN: conv 10 → max-pool 2 → avg-pool 4 (500 → 491 → 245 → 61)."""
    return _after(_after(_after(words, KERNEL), 2, 2), 4, 4)


def fusion_shares(frames: int = AUDIO_FRAMES, words: int = TEXT_WORDS, audio_channels: int = CHANNELS,
                  text_channels: int = CHANNELS) -> tuple[float, float]:
    """(audio share, text share) of the fusion's concatenated feature vector."""
    audio = audio_channels * audio_map_length(frames)
    text = text_channels * text_map_length(words)
    return audio / (audio + text), text / (audio + text)


def excerpt_frames(crop_seconds: float = 73.0, sr: int = 22050, hop_length: int = 661,
                   segment: float = 5.0, keep: float = 3.0) -> int:
    """MFCC frames of the excerpt of a clip at least ``crop_seconds`` long (73 s → 1502).

    The excerpt keeps the first ``keep`` seconds of every ``segment`` seconds of the crop
    (:func:`mer_lib.features.excerpts.keep_segment_heads`); librosa's centred frames add one.
    """
    n, seg, head = round(crop_seconds * sr), round(segment * sr), round(keep * sr)
    samples = sum(min(head, n - start) for start in range(0, n, seg))
    return 1 + samples // hop_length


# --- models ---------------------------------------------------------------------------------------

def _check_input(name: str, x: torch.Tensor, shape: tuple, meaning: str) -> None:
    if x.dim() != 3 or tuple(x.shape[1:]) != shape:
        raise ValueError(f"{name} expects a (batch, {shape[0]}, {shape[1]}) tensor of {meaning}, "
                         f"got shape {tuple(x.shape)}")


class AudioCNN(nn.Module):
    """Audio CNN: MFCCs (20 channels) → 2 × [Conv1d(10) → BN → ReLU → MaxPool(4)] → AvgPool(4)
    → flatten → Dropout → Linear(64) → ReLU → Dropout → Linear(2).

    Reference: mmer_analysis project, "Audio Modality".
    Notebook: ``05_mmer_analysis_unimodal_fusion``.

    Args:
        frames: MFCC frames of the input (1502 in the paper; shorter excerpts in ``demo``).
        n_mfcc: Coefficients (input channels).
        channels: Filters of both convolutions.
        hidden: Units of the hidden linear layer.
        dropout: Dropout before each linear layer.
        n_outputs: Regression outputs (valence, arousal).
    """

    def __init__(self, frames: int = AUDIO_FRAMES, n_mfcc: int = N_MFCC, channels: int = CHANNELS,
                 hidden: int = 64, dropout: float = DROPOUT, n_outputs: int = 2):
        super().__init__()
        self.frames, self.n_mfcc = frames, n_mfcc
        self.map_length = audio_map_length(frames)
        if self.map_length < 1:
            raise ValueError(f"AudioCNN needs at least 109 MFCC frames, got frames={frames}")
        blocks = []
        for width in (n_mfcc, channels):
            blocks += [nn.Conv1d(width, channels, KERNEL), nn.BatchNorm1d(channels), nn.ReLU(),
                       nn.MaxPool1d(4, 4)]
        self.convs = nn.Sequential(*blocks, nn.AvgPool1d(4, 4), nn.Flatten())
        self.feature_size = channels * self.map_length
        self.head = nn.Sequential(nn.Dropout(dropout), nn.Linear(self.feature_size, hidden), nn.ReLU(),
                                  nn.Dropout(dropout), nn.Linear(hidden, n_outputs))

    def features(self, mfcc: torch.Tensor) -> torch.Tensor:
        """``(B, n_mfcc, frames)`` → the flattened conv map ``(B, channels × map_length)``."""
        _check_input("AudioCNN", mfcc, (self.n_mfcc, self.frames), "MFCCs (coefficients, frames)")
        return self.convs(mfcc)

    def forward(self, mfcc: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(mfcc))


class TextCNN(nn.Module):
    """Text CNN: word vectors → Conv(10 × 300, one input channel) → BN → ReLU → MaxPool(2)
    → AvgPool(4) → flatten → Dropout → Linear(32) → Dropout → Linear(2).

    The 10 × 300 kernel spans the whole embedding, so it slides along the words only: it is
    computed as a ``Conv1d`` with the 300 embedding dimensions as input channels — the same
    function and parameters as the paper's ``Conv2d(1, C, (10, 300))`` (a test checks this),
    about four times faster on a CPU. The paper's head has no activation between its two
    linear layers; ``head_activation=True`` adds a ReLU.

    Reference: mmer_analysis project, "Text Modalities".
    Notebook: ``05_mmer_analysis_unimodal_fusion``.

    Args:
        words: Sequence length (500).
        dim: Word-vector size (300).
        channels: Filters of the convolution.
        hidden: Units of the hidden linear layer.
        dropout: Dropout before each linear layer.
        n_outputs: Regression outputs.
        head_activation: ReLU between the two linear layers (not in the paper).
    """

    def __init__(self, words: int = TEXT_WORDS, dim: int = WORD_DIM, channels: int = CHANNELS,
                 hidden: int = 32, dropout: float = DROPOUT, n_outputs: int = 2, head_activation: bool = False):
        super().__init__()
        self.words, self.dim = words, dim
        self.map_length = text_map_length(words)
        if self.map_length < 1:
            raise ValueError(f"TextCNN needs at least 17 words, got words={words}")
        self.convs = nn.Sequential(nn.Conv1d(dim, channels, KERNEL), nn.BatchNorm1d(channels), nn.ReLU(),
                                   nn.MaxPool1d(2, 2), nn.AvgPool1d(4, 4), nn.Flatten())
        self.feature_size = channels * self.map_length
        self.head = nn.Sequential(nn.Dropout(dropout), nn.Linear(self.feature_size, hidden),
                                  *([nn.ReLU()] if head_activation else []),
                                  nn.Dropout(dropout), nn.Linear(hidden, n_outputs))

    def features(self, words: torch.Tensor) -> torch.Tensor:
        """``(B, words, dim)`` → the flattened conv map ``(B, channels × map_length)``."""
        _check_input("TextCNN", words, (self.words, self.dim), "word vectors (words, dimensions)")
        return self.convs(words.transpose(1, 2))

    def forward(self, words: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(words))


class FusionCNN(nn.Module):
    """Fusion: the conv parts of an audio CNN and a text CNN, their flattened maps
    concatenated → Dropout → Linear(256) → Dropout → Linear(2).

    "Keeping the convolution layers along with the already learned parameters": the conv
    parts are copied from the trained unimodal models; with ``freeze=True`` (our reading, the
    default) they stay fixed — weights and batch-norm statistics (those layers stay in eval
    mode) — and only the new head is trained; ``freeze=False`` fine-tunes them too. As for
    the text head, no activation is stated between the two linear layers.

    Reference: mmer_analysis project, "Multimodal Approach".
    Notebook: ``05_mmer_analysis_unimodal_fusion``.

    Args:
        audio: A (trained) :class:`AudioCNN`; its conv part is copied.
        text: A (trained) :class:`TextCNN`; its conv part is copied.
        freeze: Keep the copied conv parts fixed.
        hidden: Units of the hidden linear layer.
        dropout: Dropout before each linear layer.
        n_outputs: Regression outputs.
        head_activation: ReLU between the two linear layers (not in the paper).
    """

    def __init__(self, audio: AudioCNN, text: TextCNN, freeze: bool = True, hidden: int = 256,
                 dropout: float = DROPOUT, n_outputs: int = 2, head_activation: bool = False):
        super().__init__()
        self.audio, self.text = copy.deepcopy(audio), copy.deepcopy(text)
        del self.audio.head, self.text.head      # only the conv parts are kept
        self.freeze = freeze
        if freeze:
            for p in (*self.audio.parameters(), *self.text.parameters()):
                p.requires_grad_(False)
        self.feature_sizes = (audio.feature_size, text.feature_size)
        self.head = nn.Sequential(nn.Dropout(dropout), nn.Linear(sum(self.feature_sizes), hidden),
                                  *([nn.ReLU()] if head_activation else []),
                                  nn.Dropout(dropout), nn.Linear(hidden, n_outputs))

    def train(self, mode: bool = True):
        super().train(mode)
        if self.freeze:  # frozen branches keep their batch-norm statistics
            self.audio.eval()
            self.text.eval()
        return self

    def features(self, audio: torch.Tensor, text: torch.Tensor) -> torch.Tensor:
        """The concatenated flattened maps ``(B, audio size + text size)``."""
        return torch.cat([self.audio.features(audio), self.text.features(text)], dim=1)

    def forward(self, audio: torch.Tensor, text: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(audio, text))


@register("mmer_analysis_audio_cnn")
def audio_cnn(**options) -> AudioCNN:
    """The audio (MFCC) CNN."""
    return AudioCNN(**options)


@register("mmer_analysis_text_cnn")
def text_cnn(**options) -> TextCNN:
    """The lyrics / comments (Word2Vec) CNN."""
    return TextCNN(**options)


@register("mmer_analysis_fusion")
def fusion(audio: AudioCNN | None = None, text: TextCNN | None = None, frames: int = AUDIO_FRAMES,
           words: int = TEXT_WORDS, channels: int = CHANNELS, **options) -> FusionCNN:
    """Audio + text fusion; untrained branches of the given sizes when none are passed."""
    audio = audio if audio is not None else AudioCNN(frames=frames, channels=channels)
    text = text if text is not None else TextCNN(words=words, channels=channels)
    return FusionCNN(audio, text, **options)


def build_experiment(row: str, *, frames: int = AUDIO_FRAMES, words: int = TEXT_WORDS, dim: int = WORD_DIM,
                     channels: int = CHANNELS, freeze: bool = True,
                     trained: Mapping[str, nn.Module] | None = None) -> nn.Module:
    """The model of one result row (a key of :data:`EXPERIMENTS`).

    A fusion row copies the conv parts of the trained unimodal models in ``trained``
    (``{"audio": ..., "lyrics" or "comments": ...}``).

    Raises:
        ValueError: Unknown row, or a fusion whose unimodal models are not in ``trained``.
    """
    if row not in EXPERIMENTS:
        raise ValueError(f"unknown experiment {row!r}; choose from {list(EXPERIMENTS)}")
    sources = EXPERIMENTS[row]
    if sources == ("audio",):
        return AudioCNN(frames=frames, channels=channels)
    if len(sources) == 1:
        return TextCNN(words=words, dim=dim, channels=channels)
    missing = [m for m in sources if m not in (trained or {})]
    if missing:
        raise ValueError(f"the {row!r} fusion needs the trained {missing} model(s) first")
    return FusionCNN(trained["audio"], trained[sources[1]], freeze=freeze)


def experiment_inputs(row: str, inputs: Mapping[str, Mapping[str, np.ndarray]]) -> dict[str, tuple]:
    """``{split: (array, ...)}``: the arrays one row's model reads, in its argument order."""
    return {split: tuple(arrays[m] for m in EXPERIMENTS[row]) for split, arrays in inputs.items()}


# --- training and scores ------------------------------------------------------------------------

def fit_regressor(build: Callable[[], nn.Module], inputs: Mapping[str, Sequence[np.ndarray]],
                  targets: Mapping[str, np.ndarray], *, seed: int, device, epochs: int, patience: int,
                  batch_size: int = 64, learning_rate: float = 0.01, momentum: float = 0.9,
                  weight_decay: float = 1e-4, progress: bool = False) -> Trained:
    """Train a V/A regressor with SGD, MSE and an L2 penalty; score it on the test split.

    The model is built after seeding (``build()``), trained with :func:`mer_lib.train.fit`
    (early stopping and the restored weights on the validation mean R²), and the test split
    is predicted once at the end.

    Args:
        build: Returns the model (called after ``seed_everything(seed)``).
        inputs: ``{split: (array, ...)}``: the model's positional inputs per split.
        targets: ``{split: (clips, 2)}`` valence and arousal.
        seed: Seeds the weights and the batch order.
        device: Torch device.
        epochs: Maximum epochs.
        patience: Early-stopping patience.
        batch_size: Clips per batch (64 in the paper).
        learning_rate: SGD step size.
        momentum: SGD momentum.
        weight_decay: The L2 penalty (SGD ``weight_decay``).
        progress: Show tqdm bars.

    Returns:
        :class:`~mer_lib.models.experiments.Trained` with the test :func:`va_scores`.
    """
    from mer_lib.repro import seed_everything
    from mer_lib.train import fit, predict, tensor_loader

    started = time.time()
    seed_everything(seed)
    model = build()

    def loader(split: str, train: bool):
        return tensor_loader(*inputs[split], targets[split], batch_size=batch_size, shuffle=train, seed=seed)

    trainable = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.SGD(trainable, lr=learning_rate, momentum=momentum, weight_decay=weight_decay)
    history = fit(model, loader("train", True), loader("validation", False), nn.MSELoss(), optimizer,
                  max_epochs=epochs, patience=patience, val_metric=selection_metric(2, False),
                  device=device, progress=progress)
    y_true, y_score = predict(model, loader("test", False), device)
    return Trained(va_scores(y_true, y_score), model, history, time.time() - started, y_true, y_score)


def va_scores(y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, float]:
    """Test metrics of V/A predictions ``(clips, 2)``.

    Per dimension (``valence``, ``arousal``): ``r2_*`` (scikit-learn), ``mae_*``, ``mse_*`` and
    ``range_ratio_*`` (range of the predictions / range of the observed values; < 1: the
    predictions cover a narrower range). Quadrants read from the predicted and observed V/A:
    ``q4_acc``, ``acc_q1``..``acc_q4`` (accuracy on the clips of each true quadrant; NaN when
    the test split has none) and ``quadrant_acc_std`` (their spread: 0 = balanced).
    """
    y_true, y_pred = np.asarray(y_true, float), np.asarray(y_pred, float)
    out = {}
    for j, name in enumerate(("valence", "arousal")):
        t, p = y_true[:, j], y_pred[:, j]
        out[f"r2_{name}"] = metrics.r2(t, p)
        out[f"mae_{name}"] = metrics.mae(t, p)
        out[f"mse_{name}"] = metrics.mse(t, p)
        out[f"range_ratio_{name}"] = float(np.ptp(p) / np.ptp(t)) if np.ptp(t) > 0 else float("nan")
    out["r2_mean"] = (out["r2_valence"] + out["r2_arousal"]) / 2
    q_true = metrics.quadrant(y_true[:, 0], y_true[:, 1])
    q_pred = metrics.quadrant(y_pred[:, 0], y_pred[:, 1])
    out["q4_acc"] = metrics.accuracy(q_true, q_pred)
    per_quadrant = [float((q_pred[q_true == q] == q).mean()) if (q_true == q).any() else float("nan")
                    for q in QUADRANTS]
    out.update({f"acc_{q.lower()}": a for q, a in zip(QUADRANTS, per_quadrant)})
    out["quadrant_acc_std"] = float(np.nanstd(per_quadrant))
    return out


# --- data preparation ---------------------------------------------------------------------------

def require_experiments(dataset, experiments: Sequence[str]) -> None:
    """Refuse, naming what is missing, a dataset that lacks a modality the experiments read.

    Raises:
        ValueError: An unknown experiment name.
        DatasetError: From :meth:`MERDataset.require` (e.g. no ``comments``).
    """
    unknown = [e for e in experiments if e not in EXPERIMENTS]
    if unknown:
        raise ValueError(f"unknown experiment(s) {unknown}; choose from {list(EXPERIMENTS)}")
    needed = sorted({m for e in experiments for m in EXPERIMENTS[e]})
    dataset.require(modalities=needed, targets=("valence", "arousal"))


def runnable_experiments(dataset, experiments: Sequence[str]) -> tuple[list[str], dict[str, str]]:
    """The experiments the dataset's modalities allow, and why each other one is skipped."""
    runnable, skipped = [], {}
    for name in experiments:
        missing = [m for m in EXPERIMENTS[name] if m not in dataset.modalities]
        if missing:
            skipped[name] = f"the dataset has no {' and no '.join(missing)}"
        else:
            runnable.append(name)
    return runnable, skipped


def with_quadrants(table: pd.DataFrame) -> pd.DataFrame:
    """``table`` with a ``quadrant`` column read from its ``valence``/``arousal`` (if absent)."""
    if "quadrant" in table.columns:
        return table
    return table.assign(quadrant=metrics.quadrant(table["valence"], table["arousal"]))


def keep_fraction(table: pd.DataFrame, quadrant: str, fraction: float, seed: int = 0,
                  split: str = "train") -> pd.DataFrame:
    """Drop clips of one quadrant in one split, keeping a random ``fraction`` (at least one).

    Used to make a quadrant under-represented in the training data, as Q2 is in the paper's
    dataset; other quadrants and splits are untouched.
    """
    if not 0.0 < fraction <= 1.0:
        raise ValueError(f"fraction must be in (0, 1], got {fraction}")
    chosen = table.index[(table["split"] == split) & (table["quadrant"] == quadrant)]
    keep = max(1, round(fraction * len(chosen))) if len(chosen) else 0
    rng = np.random.default_rng(seed)
    dropped = rng.permutation(chosen)[keep:]
    return table.drop(index=dropped)


def balance_summary(before: pd.DataFrame, after: pd.DataFrame, split: str = "train") -> pd.DataFrame:
    """Per quadrant: clips before, removed, duplicated and after balancing (one split).

    ``after`` is a :func:`mer_lib.features.balance.balance_quadrants` result (with its
    ``duplicate`` column).
    """
    b, a = before[before["split"] == split], after[after["split"] == split]
    rows = []
    for q in QUADRANTS:
        n_before = int((b["quadrant"] == q).sum())
        part = a[a["quadrant"] == q]
        originals = int((part["duplicate"] == 0).sum())
        rows.append({"quadrant": q, "before": n_before, "removed": n_before - originals,
                     "duplicated": int((part["duplicate"] > 0).sum()), "after": len(part)})
    return pd.DataFrame(rows).set_index("quadrant")


def augment_duplicate_texts(table: pd.DataFrame, column: str, fraction: float = 0.2,
                            seed: int = 0) -> pd.DataFrame:
    """Replace ``fraction`` of the words of the duplicated rows' ``column`` with WordNet synonyms.

    Originals (``duplicate == 0``) are untouched; each duplicate gets its own draw, seeded by
    ``seed``, its copy number and its source clip. The text is read as the feature extractors
    read it (``lyrics`` or ``lyrics_path``; a list of comments is joined by newlines).
    """
    from mer_lib.features.pipeline import SOURCE_READERS
    from mer_lib.features.text import require_text
    from mer_lib.features.wordnet import replace_synonyms

    out = table.copy()
    out[column] = out[column].astype(object) if column in out.columns else None
    for i in out.index[out["duplicate"] > 0]:
        source, k = str(out.at[i, "source_track_id"]), int(out.at[i, "duplicate"])
        rng = np.random.default_rng([int(seed), k, zlib.crc32(source.encode())])
        text = require_text(SOURCE_READERS[column](out.loc[i].to_dict()), f"{column} of clip {source}")
        out.at[i, column] = replace_synonyms(text, fraction, rng)
    return out


def excerpt_mfccs(table: pd.DataFrame, crop_seconds: float, seed: int = 0, **extract_options) -> dict:
    """``{track_id: (20, frames)}`` MFCCs of the ``mmer_analysis_mfcc`` excerpt of each row.

    A row's random crop is drawn with ``seed + duplicate``: a duplicated training clip gets a
    new excerpt of its song (the paper's audio augmentation), originals the crop of ``seed``.
    ``frames`` is :func:`excerpt_frames` of ``crop_seconds``.
    """
    from mer_lib import features

    duplicate = table["duplicate"] if "duplicate" in table.columns else pd.Series(0, index=table.index)
    out = {}
    for k in sorted(duplicate.unique()):
        out.update(features.extract(table[duplicate == k], "mmer_analysis_mfcc", seconds=float(crop_seconds),
                                    seed=int(seed) + int(k), n_frames=excerpt_frames(crop_seconds),
                                    **extract_options))
    return {str(t): out[str(t)] for t in table["track_id"]}


def embed_words(words: Mapping[str, np.ndarray], vectors, track_ids: Sequence[str],
                max_words: int = TEXT_WORDS) -> np.ndarray:
    """``(clips, max_words, dim)`` float32 Word2Vec sequences (zeros: padding, unknown words)."""
    from mer_lib.features.word2vec import embed_sequence

    return np.stack([embed_sequence(words[t], vectors, max_words) for t in track_ids])


def oov_rate(words: Mapping[str, np.ndarray], vectors, track_ids: Sequence[str]) -> float:
    """Share of the words of ``track_ids`` that ``vectors`` does not know."""
    total = sum(len(words[t]) for t in track_ids)
    unknown = sum(w not in vectors for t in track_ids for w in words[t])
    return unknown / total if total else float("nan")
