"""How the "Analysis of multimodal MER" project is run: its rows, data, training and analysis.

* **Rows** (:data:`ROWS`): three unimodal V/A regressors (audio, lyrics, comments) and two
  fusions built from the trained audio CNN and one trained text CNN; :func:`availability`
  keeps those a dataset can feed (all skipped, not an error, when it feeds none),
  :func:`training_order` trains the unimodal rows first,
  :func:`model_options` says what each row's registered constructor is given, and
  :func:`loaders` feeds a row's inputs to :func:`mer_lib.train.fit_and_test`.
* **Data preparation**: quadrants from V/A (:func:`with_quadrants`), a scarce quadrant
  (:func:`keep_fraction`), the balancing summary (:func:`balance_summary`), the augmentation
  of duplicates (:func:`augment_duplicate_texts`; new audio crops in :func:`excerpt_mfccs`),
  the MFCC excerpts (:func:`audio_inputs`) and the Word2Vec sequences (:func:`word_sequences`,
  :func:`embed_words`).
* **Analysis** for the notebook: input diagnostics (:func:`text_statistics`,
  :func:`duplicate_crop_distances`, :func:`synonym_shares`), architecture tables
  (:func:`fusion_share_table`, :func:`layer_shape_table`, :func:`parameter_count_table`) and
  result tables (:func:`prediction_ranges`, :func:`paired_comparisons`,
  :func:`bootstrap_intervals`). Scores are :func:`mer_lib.metrics.va_scores`; the paper's
  findings and its social-tag dataset are in :mod:`mer_lib.experiments.mmer_analysis_findings`.

The networks are in :mod:`mer_lib.models.mmer_analysis`.

Reference: "Analysis of multimodal Music Emotion Recognition" (project report on the DEAM and
social-tag datasets), sections "Methods", "Data Augmentation", "Unimodal Approach" and
"Multimodal Approach".
Notebook: ``05_mmer_analysis_unimodal_fusion``.
"""

from __future__ import annotations

import zlib
from collections import Counter
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from sklearn.linear_model import RidgeCV
from torch import nn

from mer_lib import features, metrics, reporting, train
from mer_lib.data import SPLITS
from mer_lib.data.splits import stack_split
from mer_lib.experiments import rows
from mer_lib.experiments.rows import Row
from mer_lib.features.pipeline import SOURCE_READERS
from mer_lib.features.text import require_text, tokenize
from mer_lib.features.word2vec import embed_sequence, train_word2vec
from mer_lib.features.wordnet import replace_synonyms
from mer_lib.models import count_parameters
from mer_lib.models.mmer_analysis import (
    AUDIO_FRAMES,
    TEXT_WORDS,
    AudioCNN,
    FusionCNN,
    TextCNN,
    audio_map_length,
    conv_layer_shapes,
    fusion_shares,
    text_map_length,
)

TARGETS = ("valence", "arousal")
#: The paper's result rows: a fusion reuses the trained audio CNN and one trained text CNN.
ROWS = rows.table(
    Row("audio", model="mmer_analysis_audio_cnn", inputs=("audio",), modalities=("audio",), targets=TARGETS),
    Row("lyrics", model="mmer_analysis_text_cnn", inputs=("lyrics",), modalities=("lyrics",), targets=TARGETS),
    Row("comments", model="mmer_analysis_text_cnn", inputs=("comments",), modalities=("comments",),
        targets=TARGETS),
    Row("audio_lyrics", model="mmer_analysis_fusion", inputs=("audio", "lyrics"), modalities=("audio", "lyrics"),
        targets=TARGETS, reuses=("audio", "lyrics")),
    Row("audio_comments", model="mmer_analysis_fusion", inputs=("audio", "comments"),
        modalities=("audio", "comments"), targets=TARGETS, reuses=("audio", "comments")),
)
#: The profile sizes each registered model is built with (see :func:`model_options`):
#: ``{model: {constructor option: profile size}}`` (the audio CNN's filters are ``audio_channels``).
MODEL_OPTIONS = {"mmer_analysis_audio_cnn": {"frames": "frames", "channels": "audio_channels"},
                 "mmer_analysis_text_cnn": {"words": "words", "dim": "dim", "channels": "channels"},
                 "mmer_analysis_fusion": {"freeze": "freeze"}}
#: The fusion constructor's branch arguments, in the order of a fusion row's ``reuses``.
BRANCHES = ("audio", "text")
#: The word-sequence feature preset of each text modality.
WORD_PRESETS = {"lyrics": "mmer_analysis_lyrics_words", "comments": "mmer_analysis_comments_words"}


# --- rows -----------------------------------------------------------------------------------------

def availability(selected: Sequence[Row], modalities: Sequence[str], targets: Sequence[str] = TARGETS,
                 dataset: str = "the dataset") -> tuple[list[Row], pd.DataFrame, pd.DataFrame]:
    """The selected rows a dataset can feed (:func:`mer_lib.experiments.rows.runnable` decides),
    its ``rows_run`` table, and this notebook's table of every row: what it reads, whether it
    runs and why not.

    A dataset that feeds no row is not an error here (``require_one=False``): the notebook's
    dataset analysis runs without any model (the ``social_tags`` profile), so every row is
    then marked skipped, with what it lacks.

    Args:
        selected: Rows chosen by the notebook (:func:`mer_lib.experiments.rows.select`).
        modalities: The dataset's modalities (``dataset.modalities``).
        targets: The dataset's targets (``dataset.targets``).
        dataset: The dataset's name.

    Returns:
        ``(rows that run, rows_run table indexed by "row" with "needs" and "status",
        table indexed by "experiment" with "reads", "runs" and "why not")``.
    """
    running, status = rows.runnable(selected, modalities, targets, dataset=dataset, require_one=False)
    names = {row.name for row in running}
    table = pd.DataFrame([{"experiment": row.name, "reads": " + ".join(row.modalities), "runs": row.name in names,
                           "why not": _why_not(row, modalities)} for row in selected])
    return running, status, table.set_index("experiment")


def _why_not(row: Row, modalities: Sequence[str]) -> str:
    missing = [m for m in row.modalities if m not in modalities]
    return f"the dataset has no {' and no '.join(missing)}" if missing else ""


def training_order(selected: Sequence[Row]) -> list[Row]:
    """The rows in training order: every unimodal row before the fusions that reuse it."""
    return sorted(selected, key=lambda row: len(row.reuses))


def model_options(row: Row, trained: Mapping[str, nn.Module], *, frames: int, words: int, dim: int,
                  channels: int, freeze: bool, audio_channels: int | None = None) -> dict:
    """The options of ``row.build``: the profile's sizes the row's model takes
    (:data:`MODEL_OPTIONS`) and, for a fusion, its trained branches (:data:`BRANCHES`).

    Args:
        row: A row of :data:`ROWS`.
        trained: ``{row name: trained model}`` of this seed's rows trained so far.
        frames, words, dim, channels: MFCC frames, words per text, word-vector size, filters
            (of the text CNN, and of the audio CNN unless ``audio_channels`` is given).
        freeze: Keep a fusion's copied conv parts fixed.
        audio_channels: Filters of the audio CNN
            (:func:`mer_lib.models.mmer_analysis.paper_share_audio_channels` keeps the paper's
            audio share of the fusion input); None: ``channels``.

    Raises:
        ValueError: A fusion whose reused rows are not in ``trained``.
    """
    missing = [name for name in row.reuses if name not in trained]
    if missing:
        raise ValueError(f"the {row.name!r} fusion needs the trained {missing} model(s) first")
    sizes = {"frames": frames, "words": words, "dim": dim, "channels": channels, "freeze": freeze,
             "audio_channels": channels if audio_channels is None else audio_channels}
    return {**{option: sizes[size] for option, size in MODEL_OPTIONS[row.model].items()},
            **{branch: trained[name] for branch, name in zip(BRANCHES, row.reuses)}}


def loaders(row: Row, arrays: Mapping[str, Mapping[str, np.ndarray]], targets: Mapping[str, np.ndarray], *,
            seed: int, batch_size: int) -> dict:
    """``{split: DataLoader}`` of one row: its inputs (float32, in the order of ``row.inputs``,
    passed positionally) and the float32 V/A targets; the training split shuffled by ``seed``.

    Args:
        row: A row of :data:`ROWS`.
        arrays: ``{modality: {split: (clips, ...)}}`` (:func:`audio_inputs`, :func:`embed_words`).
        targets: ``{split: (clips, 2)}`` valence and arousal.
        seed: Seed of the batch order.
        batch_size: Clips per batch (64 in the paper).
    """
    return {split: train.clip_loader(tuple(np.asarray(arrays[m][split], np.float32) for m in row.inputs),
                                     np.asarray(targets[split], np.float32), batch_size=batch_size,
                                     shuffle=split == "train", seed=seed)
            for split in SPLITS}


# --- data preparation ---------------------------------------------------------------------------

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

    ``after`` is a :func:`mer_lib.data.balance.balance_quadrants` result (with its
    ``duplicate`` column).
    """
    b, a = before[before["split"] == split], after[after["split"] == split]
    lines = []
    for q in metrics.QUADRANTS:
        n_before = int((b["quadrant"] == q).sum())
        part = a[a["quadrant"] == q]
        originals = int((part["duplicate"] == 0).sum())
        lines.append({"quadrant": q, "before": n_before, "removed": n_before - originals,
                      "duplicated": int((part["duplicate"] > 0).sum()), "after": len(part)})
    return pd.DataFrame(lines).set_index("quadrant")


def augment_duplicate_texts(table: pd.DataFrame, column: str, fraction: float = 0.2,
                            seed: int = 0) -> pd.DataFrame:
    """Replace ``fraction`` of the words of the duplicated rows' ``column`` with WordNet synonyms.

    Originals (``duplicate == 0``) are untouched; each duplicate gets its own draw, seeded by
    ``seed``, its copy number and its source clip. The text is read as the feature extractors
    read it (``lyrics`` or ``lyrics_path``; a list of comments is joined by newlines).
    """
    out = table.copy()
    out[column] = out[column].astype(object) if column in out.columns else None
    for i in out.index[out["duplicate"] > 0]:
        source, k = str(out.at[i, "source_track_id"]), int(out.at[i, "duplicate"])
        rng = np.random.default_rng([int(seed), k, zlib.crc32(source.encode())])
        text = require_text(SOURCE_READERS[column](out.loc[i].to_dict()), f"{column} of clip {source}")
        out.at[i, column] = replace_synonyms(text, fraction, rng)
    return out


def excerpt_frames(crop_seconds: float = 73.0, sr: int = 22050, hop_length: int = 661,
                   segment: float = 5.0, keep: float = 3.0) -> int:
    """MFCC frames of the excerpt of a clip at least ``crop_seconds`` long (73 s → 1502).

    The excerpt keeps the first ``keep`` seconds of every ``segment`` seconds of the crop
    (:func:`mer_lib.features.excerpts.keep_segment_heads`); librosa's centred frames add one.
    """
    n, seg, head = round(crop_seconds * sr), round(segment * sr), round(keep * sr)
    samples = sum(min(head, n - start) for start in range(0, n, seg))
    return 1 + samples // hop_length


def excerpt_mfccs(table: pd.DataFrame, crop_seconds: float, seed: int = 0, **extract_options) -> dict:
    """``{track_id: (20, frames)}`` MFCCs of the ``mmer_analysis_mfcc`` excerpt of each row.

    A row's random crop is drawn with ``seed + duplicate``: a duplicated training clip gets a
    new excerpt of its song (the paper's audio augmentation), originals the crop of ``seed``.
    ``frames`` is :func:`excerpt_frames` of ``crop_seconds``.
    """
    duplicate = table["duplicate"] if "duplicate" in table.columns else pd.Series(0, index=table.index)
    out = {}
    for k in sorted(duplicate.unique()):
        out.update(features.extract(table[duplicate == k], "mmer_analysis_mfcc", seconds=float(crop_seconds),
                                    seed=int(seed) + int(k), n_frames=excerpt_frames(crop_seconds),
                                    **extract_options))
    return {str(t): out[str(t)] for t in table["track_id"]}


def audio_inputs(table: pd.DataFrame, ids: Mapping[str, Sequence[str]], crop_seconds: float, seed: int = 0,
                 **extract_options) -> dict[str, np.ndarray]:
    """``{split: (clips, 20, frames)}``: the :func:`excerpt_mfccs` of the clips of ``ids``."""
    return stack_split(excerpt_mfccs(table, crop_seconds, seed=seed, **extract_options), ids)


def word_sequences(table: pd.DataFrame, modality: str, train_ids: Sequence[str], *, max_words: int, dim: int,
                   word2vec_epochs: int, skip_gram: bool, synonym_fraction: float, seed: int = 0,
                   **extract_options) -> tuple[pd.DataFrame, dict, object]:
    """One text modality's words and the Word2Vec vectors trained on the training texts only.

    The duplicates' texts are augmented first (:func:`augment_duplicate_texts`), then the
    modality's preset (:data:`WORD_PRESETS`: Porter-stemmed words, ``max_words`` kept) is
    extracted and gensim Word2Vec (``dim``-d) is trained on the texts of ``train_ids``.

    Returns:
        ``(augmented table, {track_id: words}, the KeyedVectors)``.
    """
    augmented = augment_duplicate_texts(table, modality, synonym_fraction, seed=seed)
    words = features.extract(augmented, WORD_PRESETS[modality], max_words=max_words, **extract_options)
    vectors = train_word2vec([list(words[t]) for t in train_ids], vector_size=dim, epochs=word2vec_epochs,
                             sg=skip_gram, seed=seed)
    return augmented, words, vectors


def embed_words(words: Mapping[str, np.ndarray], vectors, track_ids: Sequence[str],
                max_words: int = TEXT_WORDS) -> np.ndarray:
    """``(clips, max_words, dim)`` float32 Word2Vec sequences (zeros: padding, unknown words)."""
    return np.stack([embed_sequence(words[t], vectors, max_words) for t in track_ids])


def oov_rate(words: Mapping[str, np.ndarray], vectors, track_ids: Sequence[str]) -> float:
    """Share of the words of ``track_ids`` that ``vectors`` does not know."""
    total = sum(len(words[t]) for t in track_ids)
    unknown = sum(w not in vectors for t in track_ids for w in words[t])
    return unknown / total if total else float("nan")


# --- input diagnostics ----------------------------------------------------------------------------

def text_statistics(words: Mapping[str, np.ndarray], vectors, ids: Mapping[str, Sequence[str]],
                    sequences: Mapping[str, np.ndarray], targets: Mapping[str, np.ndarray]) -> dict[str, float]:
    """One line of the ``text_inputs`` table for one text modality.

    The training vocabulary, σ1/σ10 of the word-vector matrix (how spread the vectors are),
    the median words per training clip, the unknown-word rates of validation and test, and a
    diagnostic that is not one of the paper's models: the validation R² of a ridge regression
    (``RidgeCV``, fitted on the training split) from each text's mean word vector to valence
    and to arousal. It reads the validation split, never the test split, so it may inform the
    choice of the Word2Vec mode.

    Args:
        words: ``{track_id: words}``.
        vectors: The Word2Vec KeyedVectors.
        ids: ``{split: [track_id, ...]}``.
        sequences: ``{split: (clips, words, dim)}`` embedded sequences (:func:`embed_words`).
        targets: ``{split: (clips, 2)}`` valence and arousal.
    """
    singular = np.linalg.svd(vectors.vectors, compute_uv=False)
    stats = {"vocabulary (training)": len(vectors.index_to_key),
             "σ1/σ10 of the word vectors": float(singular[0] / singular[min(9, len(singular) - 1)]),
             "median words per clip": float(np.median([len(words[t]) for t in ids["train"]])),
             **{f"unknown words, {s}": oov_rate(words, vectors, ids[s]) for s in ("validation", "test")}}
    real = {s: (np.abs(sequences[s]).sum(-1) > 0).sum(1, keepdims=True) for s in ("train", "validation")}
    mean_vectors = {s: sequences[s].sum(1) / np.maximum(real[s], 1) for s in ("train", "validation")}
    for j, name in enumerate(TARGETS):
        ridge = RidgeCV(alphas=np.logspace(-4, 3, 15)).fit(mean_vectors["train"], targets["train"][:, j])
        stats[f"mean-vector ridge R² {name} (validation)"] = ridge.score(mean_vectors["validation"],
                                                                         targets["validation"][:, j])
    return stats


def duplicate_crop_distances(table: pd.DataFrame, mfccs: np.ndarray, seed: int = 0) -> pd.DataFrame | None:
    """How different a duplicate's new crop is from its original's: the mean absolute MFCC
    difference of each duplicate and its source clip, against 200 random pairs of training clips.

    Args:
        table: The balanced table (training rows in the order of ``mfccs``).
        mfccs: ``(training clips, 20, frames)``.
        seed: Seed of the random pairs.

    Returns:
        The ``duplicate_crops`` table, or None when the training split has no duplicate.
    """
    train_rows = table[table["split"] == "train"].reset_index(drop=True)
    position = {t: i for i, t in enumerate(train_rows["track_id"])}
    dups = train_rows[train_rows["duplicate"] > 0]
    if not len(dups):
        return None
    x = mfccs
    same_song = [np.abs(x[i] - x[position[s]]).mean() for i, s in zip(dups.index, dups["source_track_id"])]
    rng = np.random.default_rng(seed)
    pairs = rng.integers(0, len(x), (200, 2))
    other_songs = [np.abs(x[i] - x[j]).mean() for i, j in pairs if i != j]
    return pd.DataFrame({"mean |ΔMFCC|": [np.mean(same_song), np.mean(other_songs)],
                         "identical pairs": [int(np.sum(np.array(same_song) == 0)), 0]},
                        index=["duplicate vs its original (new crop)", "two random training clips"])


def synonym_shares(original: pd.DataFrame, augmented: pd.DataFrame, modality: str) -> list[float]:
    """Per duplicated row of ``augmented``: the share of its original's words (tokens, with
    repeats) that the synonym step replaced."""
    dup = augmented[augmented["duplicate"] > 0]
    readers = SOURCE_READERS[modality]
    changed = []
    for (_, o), new in zip(original.loc[dup.index].iterrows(), dup[modality]):
        before = Counter(tokenize(require_text(readers(o.to_dict()))))
        changed.append(1 - sum((before & Counter(tokenize(new))).values()) / max(sum(before.values()), 1))
    return changed


# --- architecture tables --------------------------------------------------------------------------

def fusion_share_table(crop_seconds: float, words: int, channels: int,
                       audio_channels: int | None = None) -> pd.DataFrame:
    """The fusion input's audio and text shares: the paper's excerpt with ``channels`` filters in
    both branches, and this profile's excerpt with ``audio_channels`` audio filters (None:
    ``channels``) and ``channels`` text filters."""
    audio_channels = channels if audio_channels is None else audio_channels
    shares = []
    for label, n_frames, n_audio in (("paper (45 s excerpt)", AUDIO_FRAMES, channels),
                                     (f"this profile ({crop_seconds:g} s crop)", excerpt_frames(crop_seconds),
                                      audio_channels)):
        audio_share, text_share = fusion_shares(n_frames, words, n_audio, channels)
        shares.append({"setting": label, "MFCC frames": n_frames, "audio filters": n_audio, "text filters": channels,
                       "audio map steps": audio_map_length(n_frames), "text map steps": text_map_length(words),
                       "audio values": n_audio * audio_map_length(n_frames),
                       "text values": channels * text_map_length(words), "audio share": audio_share,
                       "text share": text_share})
    return pd.DataFrame(shares).set_index("setting")


def layer_shape_table(nets: Mapping[str, AudioCNN | TextCNN]) -> pd.DataFrame:
    """Output shape after every conv-part layer of each network (a batch of two)."""
    walk = [{"model": name, "layer": layer, "output shape": shape}
            for name, net in nets.items() for layer, shape in conv_layer_shapes(net)]
    return pd.DataFrame(walk).set_index(["model", "layer"])


def parameter_count_table(audio: AudioCNN, text: TextCNN, freeze: bool) -> pd.DataFrame:
    """Trainable parameters of the audio CNN, the text CNN and their fusion."""
    return pd.DataFrame([
        {"model": "audio CNN", "trainable parameters": count_parameters(audio)},
        {"model": "text CNN", "trainable parameters": count_parameters(text)},
        {"model": f"fusion (freeze={freeze})",
         "trainable parameters": count_parameters(FusionCNN(audio, text, freeze=freeze))},
    ]).set_index("model")


# --- result tables --------------------------------------------------------------------------------

def tidy_scores(scores: pd.DataFrame, columns: Sequence[str], name: str = "dimension") -> pd.DataFrame:
    """Per-seed scores in long form for seaborn: ``row``, ``seed``, ``name`` (the column's last
    ``_`` part: ``valence``, ``q1``...) and ``value``."""
    long = scores.melt(id_vars=["row", "seed"], value_vars=list(columns), var_name="metric")
    return long.assign(**{name: long["metric"].str.rsplit("_", n=1).str[-1]})


def prediction_ranges(predictions: Mapping, row_names: Sequence[str], seed: int) -> pd.DataFrame:
    """Observed and predicted min/max of valence and arousal per row (test split, one seed).

    ``predictions[row, seed]`` is ``(y_true, y_score)``.
    """
    return pd.DataFrame([{"row": row, "dimension": name, "observed min": predictions[row, seed][0][:, j].min(),
                          "observed max": predictions[row, seed][0][:, j].max(),
                          "predicted min": predictions[row, seed][1][:, j].min(),
                          "predicted max": predictions[row, seed][1][:, j].max()}
                         for row in row_names for j, name in enumerate(TARGETS)]).set_index(["row", "dimension"])


#: The paired comparisons of :func:`paired_comparisons`: (row a, row b, metric) for a − b.
COMPARISONS = (("comments", "lyrics", "r2_valence"), ("audio_lyrics", "audio", "r2_mean"),
               ("audio_comments", "audio", "r2_mean"), ("audio_comments", "audio_lyrics", "r2_mean"))


def paired_comparisons(scores: pd.DataFrame, row_names: Sequence[str]) -> pd.DataFrame:
    """Differences paired by seed: the :data:`COMPARISONS` whose rows ran, then the arousal −
    valence R² gap of the audio CNN and of each fusion.

    Returns:
        Indexed by (``comparison``, ``metric``): the ``mean``, ``std over seeds`` (NaN for one
        seed) and ``seeds where > 0`` (``"k/n"``).
    """
    def line(comparison, metric, diff):
        return {"comparison": comparison, "metric": metric, "mean": diff.mean(),
                "std over seeds": diff.std(ddof=1) if len(diff) > 1 else float("nan"),
                "seeds where > 0": f"{int((diff > 0).sum())}/{len(diff)}"}

    paired = [line(f"{a} − {b}", key, reporting.per_seed(scores, a, key) - reporting.per_seed(scores, b, key))
              for a, b, key in COMPARISONS if a in row_names and b in row_names]
    paired += [line(f"{row}: arousal − valence", "r2",
                    reporting.per_seed(scores, row, "r2_arousal") - reporting.per_seed(scores, row, "r2_valence"))
               for row in ("audio", "audio_lyrics", "audio_comments") if row in row_names]
    return pd.DataFrame(paired).set_index(["comparison", "metric"])


def bootstrap_intervals(predictions: Mapping, row_names: Sequence[str], seed: int, n_boot: int = 500) -> pd.DataFrame:
    """95 % bootstrap intervals over test clips of each row's R² per dimension (one seed), as
    ``"low–high"`` strings (:func:`mer_lib.metrics.bootstrap_ci`, seeded by ``seed``)."""
    return pd.DataFrame([{"row": row, **{f"r2_{name}": "{:.3f}–{:.3f}".format(*metrics.bootstrap_ci(
        predictions[row, seed][0][:, j], predictions[row, seed][1][:, j], metrics.r2, n_boot=n_boot, seed=seed))
        for j, name in enumerate(TARGETS)}} for row in row_names]).set_index("row")
