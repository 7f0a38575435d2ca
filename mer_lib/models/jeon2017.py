"""The end-to-end multimodal polarity models of Jeon et al. 2017 (audio + lyrics) and Table 1's rows.

Two branches (Sec. 3), each ending in a 64-d embedding:

* **audio** — a ``(128 mels, 1024 frames)`` log-mel spectrogram read as a sequence of 1024
  vectors of 128 values: five 1-D convolutions over time (kernel 3, ELU) with max-pooling
  (3, 3, 3, 2, 2), then two GRU layers (64) and a fully connected layer → ``v_a`` (Eq. 1–2);
* **lyrics** — word ids padded to 400: an embedding (200-d), a 1-D convolution (250 filters,
  kernel 3), global max-pooling, a fully connected layer → ``v_l`` (Eq. 3);
* **fusion** — ``concat(v_a, v_l)`` → fully connected (64) + ReLU → 2-way softmax (Eq. 4).

Table 1 has six rows; the paper describes only the multimodal model and, through it, the audio
CNN+RNN and lyrics CNN branches. The other three are our closest readings (documented on
each class): **audio CNN** = the conv stack + global max-pool + FC; **audio RNN** = the two
GRU layers directly on the mel frames + FC; **lyrics RNN** = embedding + two GRU layers + FC.
Every row ends in the same head as the multimodal model (FC 64 + ReLU → 2 logits), so the
rows differ only in what reads the input.

Choices where the paper is silent (the notebook's Deviations section lists them):

* the fifth conv layer's filter count (the paper lists four numbers for five layers): **64**,
  continuing the last listed value;
* ``same`` padding in the audio convolutions (lengths 1024 → 341 → 113 → 37 → 18 → **9**);
  ``valid`` in the lyrics convolution and ReLU after it, as in Keras's ``imdb_cnn`` example,
  whose sizes (maxlen 400, 250 filters, kernel 3, global max-pool) the lyrics branch shares;
* a batch norm over the 128 mel bands of the dB input (the paper gives no input scaling);
* dropout before the output layer and after the word embedding (default 0.2, the
  ``imdb_cnn`` value); the GRU branch reads its top layer's last state (Keras's default).

Experiment helpers used by the notebook: polarity labels (:func:`polarity_labels`, a cluster →
polarity map for MIREX-like data), the paper's lyrics filter (:func:`lyric_word_counts`,
:func:`eligible_clips`), class balancing and a fresh stratified split per run
(:func:`balance_classes`, :func:`run_split`), training-split vocabularies
(:func:`encode_lyrics`) and :func:`fit_and_score` with :func:`mer_lib.train.fit`.

Reference: Jeon, Kim, Kim, Kim, Park & Ha, "Music Emotion Recognition via End-to-End Multimodal
Neural Networks", RecSys 2017 (poster).
Notebook: ``01_jeon2017_end_to_end_polarity``.
"""

from __future__ import annotations

import time
from typing import Mapping, Sequence

import numpy as np
import pandas as pd
import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence

from mer_lib import metrics
from mer_lib.models import register

N_MELS = 128
N_FRAMES = 1024
MAX_WORDS = 400
EMBEDDING_DIM = 200
#: Filters of the five audio conv layers: the paper lists (128, 128, 64, 64); the fifth is ours.
AUDIO_CHANNELS = (128, 128, 64, 64, 64)
AUDIO_POOLS = (3, 3, 3, 2, 2)
KERNEL_SIZE = 3
GRU_UNITS = 64
GRU_LAYERS = 2
LYRICS_FILTERS = 250
BRANCH_DIM = 64
HIDDEN = 64
#: Class index order of the two outputs.
POLARITIES = ("negative", "positive")
MIN_LYRIC_WORDS = 30

#: Table 1 of the paper: accuracy (mean of 5 random 90/10 splits, validation) per row.
PAPER_TABLE1 = {"audio_cnn": 0.6479, "audio_rnn": 0.6303, "audio_crnn": 0.6619,
                "lyrics_cnn": 0.7815, "lyrics_rnn": 0.7716, "multimodal": 0.8046}
#: Result row → registered model, in Table 1's order.
ROW_MODELS = {row: f"jeon2017_{row}" for row in PAPER_TABLE1}
#: Inputs each row reads.
ROW_INPUTS = {"audio_cnn": ("audio",), "audio_rnn": ("audio",), "audio_crnn": ("audio",),
              "lyrics_cnn": ("lyrics",), "lyrics_rnn": ("lyrics",), "multimodal": ("audio", "lyrics")}


def paper_results() -> dict[str, float]:
    """The paper's Table 1 as ``{"<row>.acc": value}`` (for ``Run.write_results``)."""
    return {f"{row}.acc": value for row, value in PAPER_TABLE1.items()}


# --- branches ------------------------------------------------------------------------------------

def pooled_length(frames: int, pools: Sequence[int] = AUDIO_POOLS) -> int:
    """Sequence length after the audio conv stack (``same`` convs, floor max-pools): 1024 → 9."""
    for pool in pools:
        frames //= pool
    return frames


class AudioConvStack(nn.Module):
    """Eq. 1: five ``Conv1d(kernel 3, same) → ELU → MaxPool1d`` layers over time, mel bands as channels.

    A batch norm over the mel bands scales the dB input first (our addition: the paper gives
    no input scaling). ``(B, n_mels, frames)`` → ``(B, channels[-1], pooled_length(frames))``.

    Reference: Jeon et al., RecSys 2017, Sec. 3, Eq. 1 (fifth filter count: ours).
    Notebook: ``01_jeon2017_end_to_end_polarity``.

    Args:
        n_mels: Mel bands (input channels).
        channels: Filters of the conv layers.
        pools: Max-pool sizes, one per layer.
    """

    def __init__(self, n_mels: int = N_MELS, channels: Sequence[int] = AUDIO_CHANNELS,
                 pools: Sequence[int] = AUDIO_POOLS):
        super().__init__()
        if len(channels) != len(pools):
            raise ValueError(f"one pool size per conv layer: got {len(channels)} layers, {len(pools)} pools")
        self.n_mels, self.pools = n_mels, tuple(pools)
        self.input_norm = nn.BatchNorm1d(n_mels)
        widths = (n_mels, *channels)
        self.layers = nn.ModuleList(
            nn.Sequential(nn.Conv1d(widths[i], widths[i + 1], KERNEL_SIZE, padding=KERNEL_SIZE // 2),
                          nn.ELU(), nn.MaxPool1d(pools[i]))
            for i in range(len(channels)))
        self.out_dim = channels[-1]
        self.min_frames = int(np.prod(pools))

    def stages(self, mel: torch.Tensor) -> dict[str, torch.Tensor]:
        """Output of every layer, for teaching: ``{"input", "input_norm", "conv1"...}``."""
        if mel.dim() != 3 or mel.shape[1] != self.n_mels:
            raise ValueError(f"audio input must be (batch, {self.n_mels} mels, frames), got {tuple(mel.shape)}")
        if mel.shape[-1] < self.min_frames:
            raise ValueError(f"the audio conv stack needs at least {self.min_frames} frames, got {mel.shape[-1]}")
        out = {"input": mel, "input_norm": self.input_norm(mel)}
        x = out["input_norm"]
        for i, layer in enumerate(self.layers, 1):
            x = out[f"conv{i}+pool{i}"] = layer(x)
        return out

    def forward(self, mel: torch.Tensor) -> torch.Tensor:
        return list(self.stages(mel).values())[-1]


def last_gru_state(gru: nn.GRU, sequence: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
    """Top-layer state after the last (real) step of ``sequence`` ``(B, T, D)`` → ``(B, hidden)``."""
    if lengths is not None:
        sequence = pack_padded_sequence(sequence, lengths.clamp(min=1).cpu(), batch_first=True,
                                        enforce_sorted=False)
    _, hidden = gru(sequence)
    return hidden[-1]


class AudioCNN(nn.Module):
    """Table 1 "Audio / CNN": the conv stack, global max-pool over time, FC → 64-d embedding.

    The paper does not describe it; this is the CRNN without its GRUs, pooled like the lyrics
    branch (a global max-pool keeps the strongest response of each filter).

    Reference: Jeon et al., RecSys 2017, Table 1 (architecture: our reading).
    Notebook: ``01_jeon2017_end_to_end_polarity``.
    """

    def __init__(self, n_mels: int = N_MELS):
        super().__init__()
        self.convs = AudioConvStack(n_mels)
        self.fc = nn.Linear(self.convs.out_dim, BRANCH_DIM)
        self.out_dim = BRANCH_DIM

    def forward(self, mel: torch.Tensor) -> torch.Tensor:
        return self.fc(self.convs(mel).amax(dim=-1))


class AudioRNN(nn.Module):
    """Table 1 "Audio / RNN": two GRU layers (64) over the mel frames, FC → 64-d embedding.

    The paper does not describe it; this is the CRNN without its conv stack: the GRUs read all
    1024 frames (each a 128-value vector, batch-normalised per band) and the top layer's last
    state is projected.

    Reference: Jeon et al., RecSys 2017, Table 1 (architecture: our reading).
    Notebook: ``01_jeon2017_end_to_end_polarity``.
    """

    def __init__(self, n_mels: int = N_MELS):
        super().__init__()
        self.n_mels = n_mels
        self.input_norm = nn.BatchNorm1d(n_mels)
        self.gru = nn.GRU(n_mels, GRU_UNITS, num_layers=GRU_LAYERS, batch_first=True)
        self.fc = nn.Linear(GRU_UNITS, BRANCH_DIM)
        self.out_dim = BRANCH_DIM

    def forward(self, mel: torch.Tensor) -> torch.Tensor:
        if mel.dim() != 3 or mel.shape[1] != self.n_mels:
            raise ValueError(f"audio input must be (batch, {self.n_mels} mels, frames), got {tuple(mel.shape)}")
        return self.fc(last_gru_state(self.gru, self.input_norm(mel).transpose(1, 2)))


class AudioCRNN(nn.Module):
    """The paper's audio branch (Eq. 1–2): conv stack → two GRU layers (64) → FC → ``v_a`` (64).

    Reference: Jeon et al., RecSys 2017, Sec. 3, Eq. 1–2 (after Choi et al.'s CRNN, 2016).
    Notebook: ``01_jeon2017_end_to_end_polarity``.
    """

    def __init__(self, n_mels: int = N_MELS):
        super().__init__()
        self.convs = AudioConvStack(n_mels)
        self.gru = nn.GRU(self.convs.out_dim, GRU_UNITS, num_layers=GRU_LAYERS, batch_first=True)
        self.fc = nn.Linear(GRU_UNITS, BRANCH_DIM)
        self.out_dim = BRANCH_DIM

    def stages(self, mel: torch.Tensor) -> dict[str, torch.Tensor]:
        """Every intermediate tensor, for teaching (conv stages, ``gru``, ``v_a``)."""
        out = self.convs.stages(mel)
        sequence = list(out.values())[-1].transpose(1, 2)          # (B, steps, channels)
        output, hidden = self.gru(sequence)
        out["gru (all steps)"], out["gru (last state)"] = output, hidden[-1]
        out["v_a"] = self.fc(hidden[-1])
        return out

    def forward(self, mel: torch.Tensor) -> torch.Tensor:
        return self.fc(last_gru_state(self.gru, self.convs(mel).transpose(1, 2)))


def _check_ids(ids: torch.Tensor, vocab_size: int) -> None:
    if ids.dim() != 2 or ids.is_floating_point():
        raise ValueError(f"lyrics input must be integer word ids (batch, words), got {ids.dtype} {tuple(ids.shape)}")
    if ids.numel() and (int(ids.min()) < 0 or int(ids.max()) >= vocab_size):
        raise ValueError(f"word ids must lie in [0, {vocab_size}) (the vocabulary size), "
                         f"got [{int(ids.min())}, {int(ids.max())}]")


class _LyricsBranch(nn.Module):
    """What both lyrics branches share: the 200-d word embedding (id 0 = padding) and its dropout."""

    def __init__(self, vocab_size: int, dropout: float):
        super().__init__()
        self.vocab_size = vocab_size
        self.embedding = nn.Embedding(vocab_size, EMBEDDING_DIM, padding_idx=0)
        self.dropout = nn.Dropout(dropout)
        self.out_dim = BRANCH_DIM


class LyricsCNN(_LyricsBranch):
    """The paper's lyrics branch (Eq. 3): embedding (200) → Conv1d (250, kernel 3) → global max → FC (64).

    Word id 0 is padding (its embedding stays zero). Dropout after the embedding and ReLU after
    the convolution follow Keras's ``imdb_cnn`` example, whose sizes this branch shares.

    Reference: Jeon et al., RecSys 2017, Sec. 3, Eq. 3.
    Notebook: ``01_jeon2017_end_to_end_polarity``.

    Args:
        vocab_size: Vocabulary size, padding and unknown ids included.
        dropout: Dropout on the word embeddings.
    """

    def __init__(self, vocab_size: int, dropout: float = 0.2):
        super().__init__(vocab_size, dropout)
        self.conv = nn.Conv1d(EMBEDDING_DIM, LYRICS_FILTERS, KERNEL_SIZE)
        self.fc = nn.Linear(LYRICS_FILTERS, BRANCH_DIM)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        _check_ids(ids, self.vocab_size)
        if ids.shape[1] < KERNEL_SIZE:
            raise ValueError(f"the lyrics CNN needs at least {KERNEL_SIZE} word positions, got {ids.shape[1]}")
        x = self.dropout(self.embedding(ids)).transpose(1, 2)        # (B, 200, words)
        return self.fc(torch.relu(self.conv(x)).amax(dim=-1))


class LyricsRNN(_LyricsBranch):
    """Table 1 "Lyrics / RNN": embedding (200) → two GRU layers (64) → FC (64).

    The paper does not describe it; this mirrors the audio branch's GRUs. Padding is skipped
    (packed sequences): the state after a song's last real word is projected.

    Reference: Jeon et al., RecSys 2017, Table 1 (architecture: our reading).
    Notebook: ``01_jeon2017_end_to_end_polarity``.

    Args:
        vocab_size: Vocabulary size, padding and unknown ids included.
        dropout: Dropout on the word embeddings.
    """

    def __init__(self, vocab_size: int, dropout: float = 0.2):
        super().__init__(vocab_size, dropout)
        self.gru = nn.GRU(EMBEDDING_DIM, GRU_UNITS, num_layers=GRU_LAYERS, batch_first=True)
        self.fc = nn.Linear(GRU_UNITS, BRANCH_DIM)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        _check_ids(ids, self.vocab_size)
        lengths = (ids != 0).sum(dim=1)
        return self.fc(last_gru_state(self.gru, self.dropout(self.embedding(ids)), lengths))


class PolarityNet(nn.Module):
    """Branch embeddings, concatenated → FC (64) + ReLU → dropout → 2 logits (Eq. 4).

    With one branch this is a unimodal Table 1 row; with the audio CRNN and the lyrics CNN it
    is the paper's multimodal model. The softmax is in the loss (cross-entropy on logits).

    Reference: Jeon et al., RecSys 2017, Sec. 3, Eq. 4 (the 2-unit output layer before the
    softmax is implied by "output vector o includes two values").
    Notebook: ``01_jeon2017_end_to_end_polarity``.

    Args:
        branches: ``{input name: branch}``; ``input name`` is ``"audio"`` or ``"lyrics"``.
        n_classes: Outputs (2: negative, positive).
        dropout: Dropout before the output layer.
    """

    def __init__(self, branches: Mapping[str, nn.Module], n_classes: int = 2, dropout: float = 0.2):
        super().__init__()
        unknown = set(branches) - {"audio", "lyrics"}
        if not branches or unknown:
            raise ValueError(f"branches must be named 'audio' and/or 'lyrics', got {sorted(branches)}")
        self.modalities = tuple(branches)
        self.branches = nn.ModuleDict(branches)
        width = sum(b.out_dim for b in branches.values())
        self.head = nn.Sequential(nn.Linear(width, HIDDEN), nn.ReLU(), nn.Dropout(dropout),
                                  nn.Linear(HIDDEN, n_classes))

    def embed(self, audio: torch.Tensor | None = None, lyrics: torch.Tensor | None = None) -> torch.Tensor:
        """The concatenated branch embeddings ``(B, 64 · branches)``."""
        given = {"audio": audio, "lyrics": lyrics}
        missing = [m for m in self.modalities if given[m] is None]
        if missing:
            raise ValueError(f"this model reads {list(self.modalities)}; missing input {missing}")
        return torch.cat([self.branches[m](given[m]) for m in self.modalities], dim=1)

    def forward(self, audio: torch.Tensor | None = None, lyrics: torch.Tensor | None = None) -> torch.Tensor:
        return self.head(self.embed(audio, lyrics))


@register("jeon2017_audio_cnn")
def audio_cnn(n_mels: int = N_MELS, n_classes: int = 2, dropout: float = 0.2) -> PolarityNet:
    """Table 1, Audio / CNN."""
    return PolarityNet({"audio": AudioCNN(n_mels)}, n_classes, dropout)


@register("jeon2017_audio_rnn")
def audio_rnn(n_mels: int = N_MELS, n_classes: int = 2, dropout: float = 0.2) -> PolarityNet:
    """Table 1, Audio / RNN."""
    return PolarityNet({"audio": AudioRNN(n_mels)}, n_classes, dropout)


@register("jeon2017_audio_crnn")
def audio_crnn(n_mels: int = N_MELS, n_classes: int = 2, dropout: float = 0.2) -> PolarityNet:
    """Table 1, Audio / CNN+RNN (the paper's audio branch)."""
    return PolarityNet({"audio": AudioCRNN(n_mels)}, n_classes, dropout)


@register("jeon2017_lyrics_cnn")
def lyrics_cnn(vocab_size: int, n_classes: int = 2, dropout: float = 0.2) -> PolarityNet:
    """Table 1, Lyrics / CNN (the paper's lyrics branch)."""
    return PolarityNet({"lyrics": LyricsCNN(vocab_size, dropout)}, n_classes, dropout)


@register("jeon2017_lyrics_rnn")
def lyrics_rnn(vocab_size: int, n_classes: int = 2, dropout: float = 0.2) -> PolarityNet:
    """Table 1, Lyrics / RNN."""
    return PolarityNet({"lyrics": LyricsRNN(vocab_size, dropout)}, n_classes, dropout)


@register("jeon2017_multimodal")
def multimodal(vocab_size: int, n_mels: int = N_MELS, n_classes: int = 2, dropout: float = 0.2) -> PolarityNet:
    """Table 1, Both: audio CNN+RNN ‖ lyrics CNN (Fig. 1)."""
    return PolarityNet({"audio": AudioCRNN(n_mels), "lyrics": LyricsCNN(vocab_size, dropout)}, n_classes, dropout)


def build_row(row: str, vocab_size: int, n_mels: int = N_MELS, dropout: float = 0.2) -> PolarityNet:
    """The model of a Table 1 row (a key of :data:`ROW_MODELS`)."""
    if row not in ROW_MODELS:
        raise ValueError(f"unknown row {row!r}; choose from {list(ROW_MODELS)}")
    from mer_lib import models

    options = {"dropout": dropout}
    if "audio" in ROW_INPUTS[row]:
        options["n_mels"] = n_mels
    if "lyrics" in ROW_INPUTS[row]:
        options["vocab_size"] = vocab_size
    return models.build(ROW_MODELS[row], **options)


# --- data helpers ---------------------------------------------------------------------------------

def check_polarity_map(polarity_map: Mapping, clusters: Sequence[int] = (1, 2, 3, 4, 5)) -> dict[int, str]:
    """A cluster → polarity map with int keys, checked.

    Raises:
        ValueError: A key that is not one of ``clusters``, or a value other than
            ``"positive"``/``"negative"`` (naming it).
    """
    checked = {}
    for key, value in dict(polarity_map).items():
        try:
            cluster = int(key)
        except (TypeError, ValueError):
            cluster = None
        if cluster not in clusters:
            raise ValueError(f"POLARITY_MAP: unknown cluster {key!r}; the dataset's clusters are {list(clusters)}")
        if value not in POLARITIES:
            raise ValueError(f"POLARITY_MAP: cluster {key!r} maps to {value!r}; use one of {list(POLARITIES)}")
        checked[cluster] = value
    if len(set(checked.values())) < 2:
        raise ValueError(f"POLARITY_MAP must give both polarities, got {checked}")
    return checked


def polarity_labels(table: pd.DataFrame, polarity_map: Mapping | None = None) -> pd.Series:
    """Polarity per clip: ``"positive"``, ``"negative"`` or NaN (no label: left out).

    With a non-empty ``polarity_map`` it is read from the ``cluster`` column (clusters absent
    from the map get NaN: the stricter variants drop them, as the paper drops ambiguous
    tracks); otherwise the table's own ``polarity`` column is used.

    Raises:
        ValueError: A bad map (see :func:`check_polarity_map`), or a table with neither a
            ``polarity`` column nor (with a map) a ``cluster`` column.
    """
    if polarity_map:
        if "cluster" not in table.columns:
            raise ValueError("POLARITY_MAP needs a 'cluster' column, which this dataset lacks; "
                             "use POLARITY_MAP: {} to read its 'polarity' column")
        clusters = sorted(int(c) for c in table["cluster"].dropna().unique())
        mapping = check_polarity_map(polarity_map, clusters)
        return table["cluster"].map(lambda c: mapping.get(int(c)) if pd.notna(c) else None).rename("polarity")
    if "polarity" not in table.columns or table["polarity"].isna().all():
        raise ValueError("the dataset has no 'polarity' column: give POLARITY_MAP (cluster → polarity)")
    bad = set(table["polarity"].dropna()) - set(POLARITIES)
    if bad:
        raise ValueError(f"unknown polarity values {sorted(bad)}; expected {list(POLARITIES)}")
    return table["polarity"].copy()


def lyric_word_counts(table: pd.DataFrame) -> pd.Series:
    """Words per lyric (all words, before the open-class filter); 0 where a clip has no lyrics."""
    from mer_lib.features.pipeline import SOURCE_READERS
    from mer_lib.features.registry import FeatureError
    from mer_lib.features.text import tokenize

    counts = []
    for row in table.to_dict("records"):
        try:
            counts.append(len(tokenize(str(SOURCE_READERS["lyrics"](row)))))
        except FeatureError:  # no lyrics
            counts.append(0)
    return pd.Series(counts, index=table.index, name="lyric_words")


def eligible_clips(table: pd.DataFrame, polarity: pd.Series, min_words: int = MIN_LYRIC_WORDS,
                   group: str | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The clips the paper's filters keep: a polarity, lyrics, at least ``min_words`` words.

    Args:
        table: Dataset table (``audio_path``/``lyrics``/``lyrics_path``...).
        polarity: :func:`polarity_labels` of ``table``.
        min_words: Fewest lyric words (the paper: 30).
        group: Column to count by (e.g. ``"cluster"``); default the polarity.

    Returns:
        ``(kept rows with a "polarity" column, counts)``; ``counts`` has one row per group and
        the columns ``clips``, ``no_polarity``, ``without_lyrics``, ``under_<min_words>_words``,
        ``eligible`` (each clip counted under the first reason that drops it).
    """
    words = lyric_word_counts(table)
    no_polarity = polarity.isna()
    no_lyrics = ~no_polarity & (words == 0)
    short = ~no_polarity & ~no_lyrics & (words < min_words)
    keep = ~(no_polarity | no_lyrics | short)
    by = table[group] if group else polarity.fillna("none")
    reasons = pd.DataFrame({"clips": 1, "no_polarity": no_polarity, "without_lyrics": no_lyrics,
                            f"under_{min_words}_words": short, "eligible": keep}, index=table.index)
    counts = reasons.groupby(by.to_numpy()).sum().astype(int)
    counts.index.name = group or "polarity"
    if group:
        counts.insert(0, "polarity", polarity.groupby(by.to_numpy()).first().reindex(counts.index).fillna("–"))
    kept = table[keep].assign(polarity=polarity[keep], lyric_words=words[keep])
    return kept, counts


def balance_classes(table: pd.DataFrame, column: str = "polarity", seed: int = 0) -> pd.DataFrame:
    """Randomly downsample every class to the smallest class's size (seeded; table order kept).

    Raises:
        ValueError: The column is missing or holds fewer than two classes.
    """
    if column not in table.columns:
        raise ValueError(f"cannot balance: the table has no {column!r} column")
    sizes = table[column].value_counts()
    if len(sizes) < 2:
        raise ValueError(f"cannot balance {column!r}: need two classes, got {sizes.to_dict()}")
    rng = np.random.default_rng(seed)
    keep = []
    for label in sorted(sizes.index):
        rows = np.flatnonzero(table[column].to_numpy() == label)
        keep.extend(rng.choice(rows, size=sizes.min(), replace=False))
    return table.iloc[np.sort(keep)]


def run_split(eligible: pd.DataFrame, seed: int, fractions: Sequence[float] = (0.7, 0.1, 0.2),
              balance: bool = True) -> pd.DataFrame:
    """One run's data: the eligible clips class-balanced (optional) and a fresh stratified split.

    Balancing comes first, on the whole eligible set (the paper's data is 3,742/3,742), then
    the split is drawn stratified on polarity; both use ``seed``.
    """
    from mer_lib.data.tables import stratified_split

    table = balance_classes(eligible, "polarity", seed) if balance else eligible
    return table.assign(split=stratified_split(table["polarity"], tuple(fractions), seed))


def encode_lyrics(words: Mapping[str, np.ndarray], ids: Mapping[str, Sequence[str]], max_words: int = MAX_WORDS):
    """Vocabulary built on the training split only, and ``{split: (clips, max_words)}`` word ids.

    Args:
        words: ``{track_id: word array}`` (the ``jeon2017_lyrics_words`` feature).
        ids: ``{split: [track_id, ...]}`` with a ``"train"`` entry.
        max_words: Sequence length (ids right-padded with 0).

    Returns:
        ``(vocabulary, {split: int64 array})``; words unseen in training map to ``<unk>`` (1).
    """
    from mer_lib.features.text import Vocabulary

    if "train" not in ids or not len(ids["train"]):
        raise ValueError("encode_lyrics needs a non-empty 'train' split to build the vocabulary on")
    vocabulary = Vocabulary.build([list(words[t]) for t in ids["train"]])
    return vocabulary, {s: vocabulary.encode_many([words[t] for t in tids], max_words) for s, tids in ids.items()}


def class_targets(polarity: pd.Series) -> np.ndarray:
    """``(clips, 1)`` float32 class indices in :data:`POLARITIES` order (the trainer's layout)."""
    index = {p: i for i, p in enumerate(POLARITIES)}
    bad = set(polarity) - set(index)
    if bad:
        raise ValueError(f"unknown polarity values {sorted(map(str, bad))}; expected {list(POLARITIES)}")
    return polarity.map(index).to_numpy(dtype=np.float32)[:, None]


def accuracy_score(y_true: np.ndarray, y_score: np.ndarray) -> float:
    """Accuracy of the arg-max class: the paper's metric and our model-selection score."""
    return metrics.accuracy(y_true[:, 0].astype(int), y_score.argmax(axis=1))


def scores(y_true: np.ndarray, y_score: np.ndarray) -> dict[str, float]:
    """Test metrics: ``acc`` (the paper's) and ``f1_macro``."""
    from mer_lib.models.experiments import task_scores

    both = task_scores(y_true, y_score, n_regression=0, classes=True)
    return {"acc": both["acc"], "f1_macro": both["f1_macro"]}


def fit_and_score(row: str, arrays: Mapping[str, Mapping[str, np.ndarray]], targets: Mapping[str, np.ndarray], *,
                  seed: int, device, epochs: int, patience: int, batch_size: int = 32,
                  learning_rate: float = 1e-3, vocab_size: int = 2, n_mels: int = N_MELS,
                  dropout: float = 0.2, progress: bool = False):
    """Train one Table 1 row with :func:`mer_lib.train.fit` (Adam, cross-entropy) and score it on test.

    Early stopping and the restored weights use validation accuracy only; the test split is
    predicted once, at the end.

    Args:
        row: A key of :data:`ROW_MODELS`.
        arrays: ``{split: {"audio": (clips, n_mels, frames), "lyrics": (clips, words) int}}``
            for ``train``/``validation``/``test``; only the inputs the row reads are used.
        targets: ``{split: (clips, 1)}`` (:func:`class_targets`).
        seed: Seeds the weights and the batch order.
        device: Torch device.
        epochs: Maximum epochs.
        patience: Early-stopping patience (epochs without a better validation accuracy).
        batch_size: Clips per batch.
        learning_rate: Adam learning rate.
        vocab_size: Vocabulary size (lyrics rows).
        n_mels: Mel bands (audio rows).
        dropout: Dropout of the head (and of the word embeddings).
        progress: Show tqdm bars.

    Returns:
        :class:`mer_lib.models.experiments.Trained`: test scores (:func:`scores`), the model
        (best validation epoch), the history (``val_metric`` = validation accuracy), wall
        time, test targets and logits.
    """
    from torch.utils.data import DataLoader

    from mer_lib.models.experiments import ClipTensors, MultiTaskLoss, Trained
    from mer_lib.repro import seed_everything
    from mer_lib.train import fit, predict

    started = time.time()
    seed_everything(seed)
    model = build_row(row, vocab_size, n_mels, dropout)

    def loader(split: str, train: bool) -> DataLoader:
        inputs = {name: arrays[split][name] for name in model.modalities}
        return DataLoader(ClipTensors(inputs, targets[split], seed=seed), batch_size=batch_size, shuffle=train,
                          generator=torch.Generator().manual_seed(seed))

    optimizer = torch.optim.Adam(model.parameters(), lr=learning_rate)
    history = fit(model, loader("train", True), loader("validation", False), MultiTaskLoss(0, len(POLARITIES)),
                  optimizer, max_epochs=epochs, patience=patience, val_metric=accuracy_score, device=device,
                  progress=progress)
    y_true, y_score = predict(model, loader("test", False), device)
    return Trained(scores(y_true, y_score), model, history, time.time() - started, y_true, y_score)
