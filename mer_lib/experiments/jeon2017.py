"""How Jeon et al. 2017's Table 1 is run: its six rows, polarity labels, filters, vocabularies, scores.

The networks are in :mod:`mer_lib.models.jeon2017`; this module says what each row of Table 1
reads (:data:`ROWS`) and how a dataset's table becomes its inputs and targets:

* polarity labels come from :func:`mer_lib.data.polarity.polarity_labels` (the dataset's own
  ``polarity`` column, or a cluster → polarity map for MIREX-like data);
* the paper's lyrics filter (:func:`lyric_word_counts`, :func:`eligible_clips`: at least 30 words,
  applied when a row of the run reads lyrics);
* one run per seed (:func:`prepare_run`): the eligible clips class-balanced and split afresh
  (:func:`mer_lib.data.splits.fresh_split`), a vocabulary built on the training lyrics only
  (:func:`encode_lyrics`), the per-split arrays of the modalities the run reads and :func:`class_targets`;
* what a row's network is built and fed with (:func:`build_options`, :func:`loaders`) and how
  its test outputs are scored (:func:`scores`), for :func:`mer_lib.train.fit_and_test`;
* the analysis of the notebook's last sections (:func:`best_rows`, :func:`figure2_reading`,
  :func:`lyrics_vs_audio`, :func:`mel_statistics` for the audio's linear floor) and the claims
  of the paper read off the run (:func:`claims`).

Reference: Jeon, Kim, Kim, Kim, Park & Ha, "Music Emotion Recognition via End-to-End Multimodal
Neural Networks", RecSys 2017 (poster).
Notebook: ``01_jeon2017_end_to_end_polarity``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np
import pandas as pd
from torch.utils.data import DataLoader

from mer_lib import metrics, models, reporting, train, verdicts
from mer_lib.data import splits
from mer_lib.data.base import SPLITS
from mer_lib.experiments import rows
from mer_lib.experiments.rows import Row
from mer_lib.features.pipeline import SOURCE_READERS
from mer_lib.features.registry import FeatureError
from mer_lib.features.text import Vocabulary, tokenize
from mer_lib.models import jeon2017 as networks

#: Class index order of the two outputs.
POLARITIES = ("negative", "positive")
#: The paper drops lyrics of fewer words.
MIN_LYRIC_WORDS = 30
#: Cross-entropy of a two-class model that has learnt nothing (it answers 1/2 for every clip).
CHANCE_LOSS = math.log(2)
#: A validation loss this close to :data:`CHANCE_LOSS` is read as "no better than chance".
CHANCE_MARGIN = 0.02

#: Table 1 of the paper: accuracy (mean of 5 random 90/10 splits, validation) per row.
PAPER_TABLE1 = {"audio_cnn": 0.6479, "audio_rnn": 0.6303, "audio_crnn": 0.6619,
                "lyrics_cnn": 0.7815, "lyrics_rnn": 0.7716, "multimodal": 0.8046}

_AUDIO = {"inputs": ("audio",), "modalities": ("audio",), "targets": ("polarity",),
          "options": {"n_mels": networks.N_MELS}}
_LYRICS = {"inputs": ("lyrics",), "modalities": ("lyrics",), "targets": ("polarity",)}

#: Table 1's rows, in its order: each trains one registered ``jeon2017_<row>`` model.
ROWS = rows.table(
    Row("audio_cnn", model="jeon2017_audio_cnn", **_AUDIO),
    Row("audio_rnn", model="jeon2017_audio_rnn", **_AUDIO),
    Row("audio_crnn", model="jeon2017_audio_crnn", **_AUDIO),
    Row("lyrics_cnn", model="jeon2017_lyrics_cnn", **_LYRICS),
    Row("lyrics_rnn", model="jeon2017_lyrics_rnn", **_LYRICS),
    Row("multimodal", model="jeon2017_multimodal", inputs=("audio", "lyrics"), modalities=("audio", "lyrics"),
        targets=("polarity",), options={"n_mels": networks.N_MELS}),
)


def paper_results() -> dict[str, float]:
    """The paper's Table 1 as ``{"<row>.acc": value}`` (for ``Run.write_results``)."""
    return {f"{row}.acc": value for row, value in PAPER_TABLE1.items()}


def modality_group(row: Row) -> str:
    """``"audio"``, ``"lyrics"`` or ``"both"``: what a row reads, as Figure 2 groups the rows."""
    return row.modalities[0] if len(row.modalities) == 1 else "both"


# --- labels and filters -------------------------------------------------------------------------

def lyric_word_counts(table: pd.DataFrame) -> pd.Series:
    """Words per lyric (all words, before the open-class filter); 0 where a clip has no lyrics."""
    counts = []
    for row in table.to_dict("records"):
        try:
            counts.append(len(tokenize(str(SOURCE_READERS["lyrics"](row)))))
        except FeatureError:  # no lyrics
            counts.append(0)
    return pd.Series(counts, index=table.index, name="lyric_words")


def eligible_clips(table: pd.DataFrame, polarity: pd.Series, min_words: int | None = MIN_LYRIC_WORDS,
                   group: str | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The clips the paper's filters keep: a polarity, lyrics, at least ``min_words`` words.

    Args:
        table: Dataset table (``audio_path``/``lyrics``/``lyrics_path``...).
        polarity: :func:`mer_lib.data.polarity.polarity_labels` of ``table``.
        min_words: Fewest lyric words (the paper: 30); None when no row of the run reads lyrics:
            then only the polarity filters, and a dataset without lyrics keeps its clips.
        group: Column to count by (e.g. ``"cluster"``); default the polarity.

    Returns:
        ``(kept rows with a "polarity" column, counts)``; ``counts`` has one row per group and
        the columns ``clips``, ``no_polarity``, ``without_lyrics``, ``under_<min_words>_words``,
        ``eligible`` (each clip counted under the first reason that drops it; no lyrics columns,
        and no ``lyric_words`` column in the kept rows, when ``min_words`` is None).
    """
    no_polarity = polarity.isna()
    reasons = {"clips": 1, "no_polarity": no_polarity}
    keep = ~no_polarity
    if min_words is not None:
        words = lyric_word_counts(table)
        no_lyrics = keep & (words == 0)
        short = keep & ~no_lyrics & (words < min_words)
        reasons.update({"without_lyrics": no_lyrics, f"under_{min_words}_words": short})
        keep = keep & ~no_lyrics & ~short
    by = table[group] if group else polarity.fillna("none")
    counts = pd.DataFrame({**reasons, "eligible": keep}, index=table.index).groupby(by.to_numpy()).sum().astype(int)
    counts.index.name = group or "polarity"
    if group:
        counts.insert(0, "polarity", polarity.groupby(by.to_numpy()).first().reindex(counts.index).fillna("–"))
    kept = table[keep].assign(polarity=polarity[keep])
    if min_words is not None:
        kept = kept.assign(lyric_words=words[keep])
    return kept, counts


# --- one run's data ------------------------------------------------------------------------------

def encode_lyrics(words: Mapping[str, np.ndarray], ids: Mapping[str, Sequence[str]],
                  max_words: int = networks.MAX_WORDS):
    """Vocabulary built on the training split only, and ``{split: (clips, max_words)}`` word ids.

    Args:
        words: ``{track_id: word array}`` (the ``jeon2017_lyrics_words`` feature).
        ids: ``{split: [track_id, ...]}`` with a ``"train"`` entry.
        max_words: Sequence length (ids right-padded with 0).

    Returns:
        ``(vocabulary, {split: int64 array})``; words unseen in training map to ``<unk>`` (1).
    """
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


@dataclass
class RunData:
    """One seed's data, shared by every row of that seed (same clips, same split).

    Attributes:
        table: The balanced eligible clips with this seed's ``split`` column.
        vocabulary: Built on the training lyrics; None when the run reads no lyrics.
        arrays: ``{split: {"audio": (clips, n_mels, frames), "lyrics": (clips, words) int64}}``, with
            the modalities the run reads.
        targets: ``{split: (clips, 1) float32}`` (:func:`class_targets`).
    """

    table: pd.DataFrame
    vocabulary: Vocabulary | None
    arrays: dict
    targets: dict

    @property
    def vocab_size(self) -> int | None:
        """Words in the vocabulary (incl. ``<pad>``, ``<unk>``); None without lyrics."""
        return None if self.vocabulary is None else len(self.vocabulary)

    def split_sizes(self) -> pd.DataFrame:
        """Clips per split (rows, in :data:`SPLITS` order) and polarity (columns)."""
        return self.table.groupby(["split", "polarity"]).size().unstack().loc[list(SPLITS)]

    def unknown_share(self) -> dict[str, float]:
        """Per split, the share of ``<unk>`` among the (non-padding) word ids; empty without lyrics."""
        return {s: float((a["lyrics"] == 1).sum() / max((a["lyrics"] > 0).sum(), 1))
                for s, a in self.arrays.items() if "lyrics" in a}


def prepare_run(eligible: pd.DataFrame, mel: Mapping[str, np.ndarray] | None, words: Mapping[str, np.ndarray] | None,
                seed: int, fractions: Sequence[float] = (0.7, 0.1, 0.2), balance: bool = True,
                max_words: int = networks.MAX_WORDS) -> RunData:
    """One seed's run: balance and split the eligible clips afresh, build the vocabulary, stack the arrays.

    Args:
        eligible: :func:`eligible_clips`' kept rows.
        mel: ``{track_id: (n_mels, frames)}`` (the ``jeon2017_mel`` feature); None when no row reads audio.
        words: ``{track_id: word array}`` (the ``jeon2017_lyrics_words`` feature); None when no row
            reads lyrics (no vocabulary then).
        seed: Seeds the balancing and the split (:func:`mer_lib.data.splits.fresh_split`).
        fractions: Train / validation / test shares.
        balance: Downsample the majority class first.
        max_words: Word ids per clip.
    """
    table = splits.fresh_split(eligible, "polarity", seed, fractions, balance=balance)
    ids = splits.split_ids(table)
    arrays = {s: {} for s in ids}
    if mel is not None:
        for s, tids in ids.items():
            arrays[s]["audio"] = np.stack([mel[t] for t in tids])
    vocabulary = None
    if words is not None:
        vocabulary, word_ids = encode_lyrics(words, ids, max_words)
        for s in ids:
            arrays[s]["lyrics"] = word_ids[s]
    targets = {s: class_targets(table.loc[table.split == s, "polarity"]) for s in ids}
    return RunData(table, vocabulary, arrays, targets)


# --- building, feeding and scoring a row ---------------------------------------------------------

def build_options(row: Row, vocab_size: int) -> dict:
    """The sizes only a run knows that the row's inputs need: ``vocab_size`` for a row reading lyrics.

    Use as ``row.build(**build_options(row, len(vocabulary)), dropout=...)``; the fixed sizes
    (``n_mels``) are in the row's ``options``.
    """
    needs = {"audio": {}, "lyrics": {"vocab_size": vocab_size}}
    return {key: value for name in row.inputs for key, value in needs[name].items()}


def parameter_counts(chosen: Sequence[Row], vocab_size: int) -> pd.DataFrame:
    """Trainable parameters of each row's network for a vocabulary size, indexed by row."""
    return pd.DataFrame([{"row": row.name, "model": row.model,
                          "parameters": models.count_parameters(row.build(**build_options(row, vocab_size)))}
                         for row in chosen]).set_index("row")


def loaders(row: Row, arrays: Mapping[str, Mapping[str, np.ndarray]], targets: Mapping[str, np.ndarray], *,
            seed: int, batch_size: int) -> dict[str, DataLoader]:
    """``{split: DataLoader}`` of the inputs ``row`` reads; only ``train`` is shuffled (seeded)."""
    return {split: train.clip_loader({name: arrays[split][name] for name in row.inputs}, targets[split],
                                     batch_size=batch_size, shuffle=split == "train", seed=seed)
            for split in SPLITS}


def scores(y_true: np.ndarray, y_score: np.ndarray) -> dict[str, float]:
    """Test metrics: ``acc`` (the paper's) and ``f1_macro`` of the arg-max class."""
    both = metrics.task_scores(y_true, y_score, n_regression=0, classes=True)
    return {"acc": both["acc"], "f1_macro": both["f1_macro"]}


# --- analysis ------------------------------------------------------------------------------------

def best_rows(scores_per_seed: pd.DataFrame, names: Sequence[str]) -> dict[str, str]:
    """The row of each modality group (audio, lyrics, both) with the best mean validation accuracy.

    Args:
        scores_per_seed: One line per (row, seed) with ``row`` and ``val_acc`` columns.
        names: The rows run, in order (the first of equal rows wins).

    Returns:
        ``{group: row}`` for the groups that have a row, in the order audio, lyrics, both.
    """
    val_acc = scores_per_seed.groupby("row", sort=False)["val_acc"].mean()
    out = {}
    for group in ("audio", "lyrics", "both"):
        members = [r for r in names if modality_group(ROWS[r]) == group]
        if members:
            out[group] = max(members, key=lambda r: val_acc.loc[r])
    return out


def lyrics_vs_audio(scores_per_seed: pd.DataFrame, best_audio: str, best_lyrics: str) -> pd.DataFrame:
    """The best lyrics row's test accuracy minus the best audio row's, paired by seed, next to the paper's gap.

    Returns:
        One line indexed by ``best audio row``: ``best lyrics row``, the mean difference, its std
        over seeds (NaN for one seed), ``seeds where lyrics win`` (``"k/n"``) and the paper's
        ``lyrics_cnn − audio_crnn``.
    """
    paired = reporting.paired_differences(scores_per_seed, best_lyrics, "acc", rows=[best_audio],
                                          label="lyrics minus audio (test acc, mean)")
    paired = paired.rename(columns={f"seeds where {best_lyrics} is better": "seeds where lyrics win"})
    paired.insert(0, "best lyrics row", best_lyrics)
    paired["paper (lyrics_cnn - audio_crnn)"] = PAPER_TABLE1["lyrics_cnn"] - PAPER_TABLE1["audio_crnn"]
    return paired.rename_axis("best audio row")


def padded_frames(mel: np.ndarray) -> int:
    """Frames the ``jeon2017_mel`` feature padded a short clip with: the run of identical final
    frames (its mean frame repeated), when it is at least two long (a single padded frame cannot
    be told from music, and counts 0)."""
    last = mel[:, -1:]
    same = np.all(mel == last, axis=0)[::-1]
    run = int(np.argmin(same)) if not same.all() else len(same)
    return run if run >= 2 else 0


def mel_statistics(mel: Mapping[str, np.ndarray], ids: Sequence[str]) -> np.ndarray:
    """``(clips, 2 · n_mels)``: every band's mean, then its standard deviation, over time."""
    return np.stack([np.concatenate([mel[t].mean(axis=1), mel[t].std(axis=1)]) for t in ids])



def jitter(history: Mapping[str, Sequence[float]]) -> float:
    """Mean absolute epoch-to-epoch change of the validation loss: how unsteady a curve is (NaN
    for one epoch)."""
    losses = np.asarray(history["val_loss"], dtype=float)
    return float(np.abs(np.diff(losses)).mean()) if len(losses) > 1 else math.nan


def figure2_reading(histories: Mapping, best: Mapping[str, str], seeds: Sequence[int]) -> pd.DataFrame:
    """What Figure 2's curves say, in numbers: per modality group (index), its best row, the mean
    over seeds of the first and the lowest validation loss, the lowest minus ln 2 (the loss of a
    model that answers 1/2), the epoch it was reached and :func:`jitter`.

    Args:
        histories: ``{(row, seed): fit history}``.
        best: :func:`best_rows`' ``{group: row}``.
        seeds: The seeds run.
    """
    lines = []
    for group, row in best.items():
        runs = [histories[row, seed] for seed in seeds]
        lowest = np.mean([min(h["val_loss"]) for h in runs])
        lines.append({"group": group, "row": row, "first val loss": np.mean([h["val_loss"][0] for h in runs]),
                      "lowest val loss": lowest, "lowest minus ln 2": lowest - CHANCE_LOSS,
                      "epoch of lowest (mean)": np.mean([int(np.argmin(h["val_loss"])) + 1 for h in runs]),
                      "jitter": np.mean([jitter(h) for h in runs])})
    return pd.DataFrame(lines).set_index("group")


def figure2_sentences(reading: pd.DataFrame) -> list[str]:
    """One sentence per group of :func:`figure2_reading`: does its validation loss leave ln 2?"""
    out = []
    for group, line in reading.iterrows():
        gap = line["lowest minus ln 2"]
        verdict = (f"within {CHANCE_MARGIN} of ln 2 = {CHANCE_LOSS:.3f}, the loss of answering 1/2 for every "
                   "clip: on validation this model learnt next to nothing" if abs(gap) < CHANCE_MARGIN
                   else f"{-gap:.3f} below ln 2 = {CHANCE_LOSS:.3f}: it learnt something that transfers"
                   if gap < 0 else f"{gap:.3f} above ln 2: worse than answering 1/2 (overconfident)")
        out.append(f"{group} ({line['row']}): lowest validation loss {line['lowest val loss']:.3f} "
                   f"(epoch {line['epoch of lowest (mean)']:.1f} on average), {verdict}.")
    return out


def _versus(scores_per_seed: pd.DataFrame, claim: str, better: str | None, worse: str | None,
            needs: str) -> verdicts.Verdict:
    """"``better`` beats ``worse`` on test accuracy", or untestable when one of them did not run."""
    if better is None or worse is None:
        return verdicts.untestable(claim, f"needs {needs}, which did not run")
    return verdicts.compare(claim, reporting.per_seed(scores_per_seed, better, "acc"),
                            reporting.per_seed(scores_per_seed, worse, "acc"), f"test accuracy, {better} vs {worse}")


def claims(scores_per_seed: pd.DataFrame, best: Mapping[str, str], histories: Mapping,
           floor: pd.Series | None = None) -> list[verdicts.Verdict]:
    """The paper's claims (Table 1, Figure 2) and the notebook's linear-floor question, read off the run.

    Args:
        scores_per_seed: One line per (row, seed) with ``acc``.
        best: :func:`best_rows`' ``{group: row}`` (chosen on validation).
        histories: ``{(row, seed): fit history}``.
        floor: The audio linear floor's test accuracy per seed (None when audio was not read).
    """
    ran = set(scores_per_seed["row"])
    audio, lyrics, both = best.get("audio"), best.get("lyrics"), best.get("both")
    cnn, rnn = ("lyrics_cnn", "lyrics_rnn") if {"lyrics_cnn", "lyrics_rnn"} <= ran else (None, None)
    out = [_versus(scores_per_seed, "lyrics beat audio (Table 1: 0.78 vs 0.66)", lyrics, audio,
                   "an audio and a lyrics row"),
           _versus(scores_per_seed, "audio + lyrics beat lyrics alone (Table 1: 0.80 vs 0.78)", both, lyrics,
                   "multimodal and a lyrics row"),
           _versus(scores_per_seed, "audio + lyrics beat audio alone (Table 1: 0.80 vs 0.66)", both, audio,
                   "multimodal and an audio row"),
           _versus(scores_per_seed, "on lyrics, the CNN beats the RNN (Table 1: 0.78 vs 0.77)", cnn, rnn,
                   "lyrics_cnn and lyrics_rnn")]
    stable = "lyrics converge more stably than audio (Figure 2)"
    if audio is None or lyrics is None:
        out.append(verdicts.untestable(stable, "needs an audio and a lyrics row, which did not run"))
    else:
        seeds = sorted(set(scores_per_seed["seed"]))
        unsteadiness = {row: pd.Series({s: jitter(histories[row, s]) for s in seeds}) for row in (audio, lyrics)}
        out.append(verdicts.compare(stable, unsteadiness[audio], unsteadiness[lyrics],
                                    f"mean |epoch-to-epoch change| of validation loss, {audio} vs {lyrics} "
                                    "(larger = less stable)"))
    beyond = "the best audio network beats a linear model of band statistics (ours, not the paper's)"
    if floor is None or audio is None:
        out.append(verdicts.untestable(beyond, "needs an audio row and its linear floor"))
    else:
        out.append(verdicts.compare(beyond, reporting.per_seed(scores_per_seed, audio, "acc"), floor,
                                    f"test accuracy, {audio} vs the linear floor"))
    return out
