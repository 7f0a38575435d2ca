"""The common benchmark: methods of the five papers and simple baselines on the same data,
split and seeds.

A *task* is one label of one dataset (``"mirex_mm:cluster"``), with one split shared by every
row: the dataset's own when it keeps artists apart (or has none), else an artist-disjoint
split drawn here. Every row of a task sees the same clips: those that have every modality the
task offers (a modality only a few clips have is left out of the task, and the rows needing
it are shown as not run, with the reason). A *cell* is one row trained on one task with one
seed (:class:`mer_lib.grid.Cell`); :func:`run_cell` is its work, run by :func:`mer_lib.grid.run`
on Dask. Model selection reads validation only; the test split is read once, by the result.

The simple baselines are the floors a method must clear: the majority class, a logistic
regression on audio statistics (EMOPIA's Audio-LR features) or on note statistics
(Symbolic-LR), and a TF-IDF logistic regression on lyrics or on "title - artist". The paper
rows are those of notebooks 01–05, each with its paper's settings and a softmax head over the
task's classes where its paper had another task (:attr:`Method.head`).

Notebook: ``06_benchmark_common_data``.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from functools import partial
from typing import Callable, Mapping, Sequence

import numpy as np
import pandas as pd
import torch
from scipy import stats

from mer_lib import baselines, losses, metrics, train, verdicts
from mer_lib.data.base import SPLITS, MERDataset
from mer_lib.data.splits import FEATURE_SOURCES, fresh_split, split_ids, usable_clips
from mer_lib.data.tables import artist_groups
from mer_lib.experiments import jeon2017, mmer_analysis, rajamani2020, rows, zhao2022, zhao2023
from mer_lib.experiments.rows import Row
from mer_lib.features import text, word2vec
from mer_lib.features.pipeline import extract, read_source
from mer_lib.grid import Cell
from mer_lib.models import jeon2017 as jeon_networks, mmer_analysis as mmer_networks
from mer_lib.models.blocks import late_fusion
from mer_lib.repro import seed_everything

#: The label a dataset is asked to classify when a profile names none: the first it has.
DEFAULT_LABELS = ("quadrant", "cluster", "polarity")
#: A modality held by fewer of a task's clips than this share is left out of the task (its
#: rows are not run) rather than shrinking every row's clips to those that have it.
MIN_COVERAGE = 0.8
#: Seed of the artist-disjoint split drawn for a dataset whose own split shares artists.
SPLIT_SEED = 0
#: ``source`` of a simple baseline (a paper row names its paper key).
SIMPLE = "simple baseline"
METRICS = ("accuracy", "f1_macro")


@dataclass(frozen=True)
class Budget:
    """What a profile sets for every network row: its CPU budget and excerpt, not its method."""

    max_epochs: int = 15
    patience: int = 5
    audio_seconds: float = 10.0  # the audio excerpt from the start (notebooks 01 and 04's AUDIO_SECONDS)
    train_crop_frames: int = 64  # Zhao 2022's random training crop (notebook 04's TRAIN_CROP_FRAMES)
    torch_threads: int = 1


#: ``(task, budget, n_jobs, progress) -> {input name: {track_id: array}}``: a row's features.
Inputs = Callable[["Task", Budget, int, bool], dict]


@dataclass(frozen=True)
class Method:
    """A benchmark row.

    Attributes:
        row: What it needs (:class:`~mer_lib.experiments.rows.Row`).
        fit: ``fit(task, seed, budget, inputs) -> (validation, test)`` class indices.
        source: :data:`SIMPLE`, or the key of the paper whose row it is.
        inputs: Computes its features (cached on disk): run once over all cores before the
            grid, then read by each cell; ``None`` for a row that reads raw table columns.
        head: How its output was adapted to a task, where the paper's task differs.
    """

    row: Row
    fit: Callable[["Task", int, Budget, dict], tuple[np.ndarray, np.ndarray]]
    source: str
    inputs: Inputs | None = None
    head: str = ""


@dataclass(frozen=True, eq=False)
class Task:
    """One label of one dataset, with the split and clips every row of it shares.

    Attributes:
        name: ``"<dataset>:<label>"``.
        dataset: The dataset's registry name (the feature cache's namespace).
        label: The column classified.
        table: The task's clips: ``track_id``, ``split``, ``label`` and the source columns.
        classes: The label's values, sorted (class ``i`` is ``classes[i]``).
        modalities: The modalities every clip of the task has.
        split_note: Where the split comes from.
        left_out: Modality → why the task does not offer it.
    """

    name: str
    dataset: str
    label: str
    table: pd.DataFrame
    classes: tuple
    modalities: tuple[str, ...]
    split_note: str
    left_out: Mapping[str, str] = field(default_factory=dict)

    def labels(self, split: str) -> np.ndarray:
        """Class indices of a split's clips, in table order."""
        index = {c: i for i, c in enumerate(self.classes)}
        return self.table.loc[self.table["split"] == split, "label"].map(index).to_numpy(int)

    def fingerprint(self) -> str:
        """Digest of the task's clips, split, labels and sources: a cell's data input."""
        hashed = pd.util.hash_pandas_object(self.table.astype(str), index=False).to_numpy()
        return hashlib.sha256(hashed.tobytes() + repr((self.classes, self.modalities)).encode()).hexdigest()[:16]


# --------------------------------------------------------------------------------- tasks

def task_labels(dataset: MERDataset, labels: Sequence[str] = ()) -> list[str]:
    """The labels a dataset is asked: ``labels``, or the first of :data:`DEFAULT_LABELS` it has."""
    if labels:
        return list(labels)
    for label in DEFAULT_LABELS:
        if label in dataset.targets:
            return [label]
    raise ValueError(f"dataset {dataset.name!r} has none of the labels {list(DEFAULT_LABELS)}; "
                     f"name one of its targets {list(dataset.targets)} in LABELS")


def label_column(dataset: MERDataset, label: str, polarity_map: Mapping | None = None) -> pd.Series:
    """A dataset's ``label`` per clip; ``polarity`` may come from clusters (``POLARITY_MAP``)."""
    if label == "polarity":
        return jeon2017.polarity_labels(dataset.table, polarity_map)
    if label not in dataset.targets:
        raise ValueError(f"dataset {dataset.name!r} has no {label!r} label; it has {list(dataset.targets)}")
    return dataset.table[label]


def shares_artists(table: pd.DataFrame) -> bool:
    """Whether an artist of the validation or test split also has clips in training."""
    if "artist" not in table.columns or table["artist"].isna().all():
        return False
    groups = artist_groups(table["artist"])
    trained = set(groups[table["split"] == "train"].dropna())
    return bool(set(groups[table["split"].isin(["validation", "test"])].dropna()) & trained)


def common_split(table: pd.DataFrame, seed: int = SPLIT_SEED) -> tuple[pd.DataFrame, str]:
    """The split every row of a task shares, and where it comes from.

    The dataset's own split is kept when it keeps artists apart (or the table has none);
    otherwise an artist-disjoint split stratified on ``label`` is drawn (70/10/20, ``seed``),
    so no row is tested on an artist it was trained on.
    """
    has_split = table["split"].isin(SPLITS).all()
    if has_split and not shares_artists(table):
        artists = "artist-disjoint" if "artist" in table.columns and table["artist"].notna().any() else "no artists"
        return table, f"the dataset's own split ({artists})"
    why = "its own split shares artists" if has_split else "it has no complete split"
    return fresh_split(table, "label", seed, balance=False), f"artist-disjoint split drawn here (seed {seed}): {why}"


def make_task(dataset: MERDataset, label: str, polarity_map: Mapping | None = None,
              min_coverage: float = MIN_COVERAGE) -> Task:
    """One label of a dataset as a :class:`Task` (see the module docstring).

    Raises:
        ValueError: An unknown label, or fewer than two classes left.
    """
    table = dataset.table.assign(label=label_column(dataset, label, polarity_map))
    table = table[table["label"].notna()]
    offered, left_out = [], {}
    for modality in dataset.modalities:
        _, counts = usable_clips(table, [modality], [])
        share = counts["kept"].sum() / max(len(table), 1)
        if share >= min_coverage:
            offered.append(modality)
        else:
            left_out[modality] = f"{modality} for only {share:.0%} of the clips"
    table, _ = usable_clips(table, offered, [])
    classes = tuple(sorted(table["label"].unique()))
    if len(classes) < 2:
        raise ValueError(f"{dataset.name}:{label} has {len(classes)} class(es) among its usable clips")
    columns = ["track_id", "split", "label", "artist",
               *sorted({c for m in offered for c in FEATURE_SOURCES[m] if c in table.columns})]
    table, note = common_split(table[[c for c in dict.fromkeys(columns) if c in table.columns]].reset_index(drop=True))
    return Task(f"{dataset.name}:{label}", dataset.name, label, table, classes, tuple(offered), note, left_out)


def task_table(tasks: Sequence[Task]) -> pd.DataFrame:
    """One line per task: clips per split, classes, modalities offered and left out, the split."""
    records = []
    for task in tasks:
        counts = task.table["split"].value_counts()
        records.append({"task": task.name, **{s: int(counts.get(s, 0)) for s in SPLITS},
                        "classes": len(task.classes), "modalities": ", ".join(task.modalities),
                        "left out": "; ".join(task.left_out.values()), "split": task.split_note})
    return pd.DataFrame(records).set_index("task")


# ------------------------------------------------------------------------- simple baselines

def _by_split(task: Task, values: Mapping[str, object]) -> dict[str, list]:
    return {split: [values[t] for t in ids] for split, ids in split_ids(task.table).items()}


def preset_inputs(task: Task, budget: Budget, n_jobs: int, progress: bool, presets: Sequence[str] = ()) -> dict:
    """``{preset: {track_id: vector}}`` of feature presets over the task's clips."""
    return {preset: extract(task.table, preset, dataset_name=task.dataset, n_jobs=n_jobs, progress=progress)
            for preset in presets}


def fit_majority(task: Task, seed: int, budget: Budget, inputs: dict) -> tuple[np.ndarray, np.ndarray]:
    """The training split's most frequent class, for every clip."""
    chosen = baselines.majority_class(task.labels("train"))
    return tuple(np.full(len(task.labels(split)), chosen) for split in ("validation", "test"))


def fit_feature_lr(task: Task, seed: int, budget: Budget, inputs: dict) -> tuple[np.ndarray, np.ndarray]:
    """A standardised logistic regression on a preset's vectors, ``C`` chosen on validation."""
    (vectors,) = inputs.values()
    x = {split: np.stack(v) for split, v in _by_split(task, vectors).items()}
    return _predict(baselines.logistic_baseline(x, _labels(task), seed=seed)[0], x)


def fit_text_lr(task: Task, seed: int, budget: Budget, inputs: dict,
                source: str = "lyrics") -> tuple[np.ndarray, np.ndarray]:
    """A TF-IDF logistic regression on a text source (``lyrics``, ``context``), ``C`` chosen on validation."""
    texts = {row["track_id"]: str(read_source(source, row)) for row in task.table.to_dict("records")}
    x = _by_split(task, texts)
    return _predict(baselines.text_logistic_baseline(x, _labels(task), seed=seed)[0], x)


def _labels(task: Task) -> dict[str, np.ndarray]:
    return {split: task.labels(split) for split in SPLITS}


def _predict(model, x: Mapping[str, object]) -> tuple[np.ndarray, np.ndarray]:
    return model.predict(x["validation"]), model.predict(x["test"])


def _fit_classifier(model, loaders: Mapping, optimizer, n_classes: int, max_epochs: int, patience: int,
                    val_metric, select: str) -> tuple[np.ndarray, np.ndarray]:
    """Train with cross-entropy over ``n_classes`` (on the CPU), restore the selected epoch and
    return the class logits of every validation and test clip."""
    device = torch.device("cpu")
    result = train.fit_and_test(model, loaders, losses.MultiTaskLoss(0, n_classes), optimizer, max_epochs=max_epochs,
                                patience=patience, val_metric=val_metric, device=device, select=select)
    _, validation = train.predict(result.model, loaders["validation"], device)
    return validation, result.y_score


def _classes(scores: tuple[np.ndarray, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    return tuple(s.argmax(axis=1) for s in scores)


def _feature_lr(name: str, modality: str, preset: str) -> Method:
    return Method(Row(name, modalities=(modality,)), fit_feature_lr, SIMPLE, partial(preset_inputs, presets=(preset,)))


def _text_lr(name: str, source: str) -> Method:
    return Method(Row(name, modalities=(source,)), partial(fit_text_lr, source=source), SIMPLE)


SIMPLE_METHODS = (
    Method(Row("majority"), fit_majority, SIMPLE),
    _feature_lr("audio_lr", "audio", "emopia_audio_lr"),
    _feature_lr("symbolic_lr", "midi", "emopia_symbolic_lr"),
    _text_lr("lyrics_tfidf_lr", "lyrics"),
    _text_lr("context_tfidf_lr", "context"),
)


# ------------------------------------------------------------------------- Jeon et al. 2017

def jeon2017_inputs(task: Task, budget: Budget, n_jobs: int, progress: bool, reads: Sequence[str] = ()) -> dict:
    """The inputs of notebook 01: the ``jeon2017_mel`` log-mel whose 1024 frames span the first
    ``budget.audio_seconds``, and the lyrics' open-class words (``jeon2017_lyrics_words``)."""
    options = {"dataset_name": task.dataset, "n_jobs": n_jobs, "progress": progress}
    out = {}
    if "audio" in reads:
        hop_length = int(round(budget.audio_seconds * 22050 / jeon_networks.N_FRAMES))
        out["audio"] = extract(task.table, "jeon2017_mel", seconds=budget.audio_seconds, hop_length=hop_length,
                               **options)
    if "lyrics" in reads:
        out["lyrics"] = extract(task.table, "jeon2017_lyrics_words", max_words=jeon_networks.MAX_WORDS, **options)
    return out


def fit_jeon2017(task: Task, seed: int, budget: Budget, inputs: dict, name: str = "") -> tuple[np.ndarray, np.ndarray]:
    """Table 1's row ``name`` of notebook 01 with the paper's settings (Adam 1e-3, batch 32, dropout
    0.2, the epoch of lowest validation loss restored) and a softmax over the task's classes."""
    row = jeon2017.ROWS[name]
    ids = split_ids(task.table)
    arrays = {split: {} for split in SPLITS}
    if "audio" in inputs:
        for split, tids in ids.items():
            arrays[split]["audio"] = np.stack([inputs["audio"][t] for t in tids])
    vocab_size = None
    if "lyrics" in inputs:
        vocabulary, word_ids = jeon2017.encode_lyrics(inputs["lyrics"], ids, jeon_networks.MAX_WORDS)
        vocab_size = len(vocabulary)
        for split in SPLITS:
            arrays[split]["lyrics"] = word_ids[split]
    targets = {split: task.labels(split).astype(np.float32)[:, None] for split in SPLITS}
    seed_everything(seed)
    model = row.build(**jeon2017.build_options(row, vocab_size), n_classes=len(task.classes), dropout=0.2)
    loaders = jeon2017.loaders(row, arrays, targets, seed=seed, batch_size=32)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    return _classes(_fit_classifier(model, loaders, optimizer, len(task.classes), budget.max_epochs, budget.patience,
                                    metrics.argmax_accuracy, "loss"))


def _jeon2017(row: Row) -> Method:
    return Method(Row(f"jeon2017_{row.name}", modalities=row.modalities), partial(fit_jeon2017, name=row.name), "jeon2017",
                  partial(jeon2017_inputs, reads=row.inputs), "softmax over the task's classes (paper: polarity)")


# ------------------------------------------------------------------------- Zhao et al. 2022

#: Notebook 04's settings (its demo and mirex profiles): the frozen text encoder, training
#: augmentation, Adam 1e-3 in batches of 32, Delbouys's word inputs, and the longer budget of
#: the fast context-only row (there 40 epochs, patience 8, against 8 and 3).
ZHAO2022 = {"text_model": "all-MiniLM-L6-v2", "pitch_shifts": (2.0,), "downsample_rates": (8000,),
            "batch_size": 32, "learning_rate": 1e-3, "max_words": 300, "word_dim": 100,
            "context_epoch_factor": 5, "context_extra_patience": 5}


def zhao2022_inputs(task: Task, budget: Budget, n_jobs: int, progress: bool, reads: Sequence[str] = ()) -> dict:
    """The inputs of notebook 04: ``{"arrays": {split: {input: array}}}`` (log-mel with the
    training augmentation, frozen-encoder token features of lyrics and title/artist, their
    mean) and, for Delbouys's row, ``{"words": {track_id: words}}``."""
    options = {"dataset_name": task.dataset, "n_jobs": n_jobs, "progress": progress}
    mel_options = {"seconds": budget.audio_seconds, "n_frames": int(round(budget.audio_seconds * 22050 / 1024))}
    arrays = zhao2022.extract_inputs(task.table, split_ids(task.table), [r for r in reads if r != "words"],
                                     mel_options=mel_options, text_options={"model": ZHAO2022["text_model"], "device": "cpu"},
                                     pitch_shifts=ZHAO2022["pitch_shifts"], downsample_rates=ZHAO2022["downsample_rates"],
                                     **options)
    out = {"arrays": arrays}
    if "words" in reads:
        out["words"] = extract(task.table, "lyrics_words", max_words=ZHAO2022["max_words"], **options)
    return out


def fit_zhao2022(task: Task, seed: int, budget: Budget, inputs: dict, name: str = "") -> tuple[np.ndarray, np.ndarray]:
    """The row ``name`` of notebook 04's Tables 2 and 3 with its settings (:data:`ZHAO2022`),
    a classification layer over the task's classes, the epoch of best validation macro-F1 restored."""
    row = zhao2022.ROWS[name]
    ids = split_ids(task.table)
    arrays = {split: dict(values) for split, values in inputs["arrays"].items()}
    embeddings = None
    if "words" in inputs:
        documents = [list(inputs["words"][t]) for t in ids["train"]]
        vocabulary = text.Vocabulary.build(documents)
        embeddings = word2vec.embedding_matrix(
            vocabulary, word2vec.train_word2vec(documents, vector_size=ZHAO2022["word_dim"], seed=seed))
        for split, tids in ids.items():
            arrays[split]["words"] = vocabulary.encode_many([inputs["words"][t] for t in tids], ZHAO2022["max_words"])
    text_dim = next((arrays["train"][n].shape[-1] for n in ("lyrics", "context", "context_mean") if n in arrays["train"]),
                    None)  # the frozen encoder's size; Delbouys's row reads words instead
    targets = {split: task.labels(split).astype(np.float32)[:, None] for split in SPLITS}
    n_classes = len(task.classes)
    seed_everything(seed)
    model = row.build(n_regression=0, n_classes=n_classes, **zhao2022.model_options(row, text_dim=text_dim,
                                                                                    embeddings=embeddings))
    loaders = zhao2022.loaders(row, arrays, targets, seed=seed, batch_size=ZHAO2022["batch_size"],
                               crop_frames=budget.train_crop_frames)
    optimizer = torch.optim.Adam((p for p in model.parameters() if p.requires_grad), lr=ZHAO2022["learning_rate"])
    epochs, patience = budget.max_epochs, budget.patience
    if name == "context_only":
        epochs, patience = epochs * ZHAO2022["context_epoch_factor"], patience + ZHAO2022["context_extra_patience"]
    return _classes(_fit_classifier(model, loaders, optimizer, n_classes, epochs, patience,
                                    metrics.selection_metric(0, True), "metric"))


def _zhao2022(row: Row) -> Method:
    return Method(Row(f"zhao2022_{row.name}", modalities=row.modalities), partial(fit_zhao2022, name=row.name),
                  "zhao2022", partial(zhao2022_inputs, reads=row.inputs),
                  "its classification layer alone (paper: V/A regression and 4Q)")


# ------------------------------------------------------------------- the mmer_analysis project

#: Notebook 05's settings (its demo profile): words and Word2Vec vectors (trained on the task's
#: training texts, crops and vectors drawn with seed 0 as there with ``SEEDS[0]``), filters,
#: SGD with momentum and L2, batches of 64, frozen branch convolutions in a fusion.
MMER_ANALYSIS = {"max_words": 500, "word_dim": 300, "word2vec_epochs": 50, "skip_gram": True, "channels": 32,
                 "freeze": True, "batch_size": 64, "learning_rate": 0.003, "momentum": 0.9, "weight_decay": 1e-4,
                 "data_seed": 0}


def mmer_analysis_inputs(task: Task, budget: Budget, n_jobs: int, progress: bool, reads: Sequence[str] = ()) -> dict:
    """The inputs of notebook 05, ``{modality: {split: array}}``: MFCCs of the excerpt (a random
    ``budget.audio_seconds`` crop, 3 s of every 5 s) and Word2Vec sequences of lyrics or comments."""
    settings, ids = MMER_ANALYSIS, split_ids(task.table)
    options = {"dataset_name": task.dataset, "n_jobs": n_jobs, "progress": progress}
    out = {}
    if "audio" in reads:
        out["audio"] = mmer_analysis.audio_inputs(task.table, ids, budget.audio_seconds, seed=settings["data_seed"],
                                                  **options)
    for modality in [m for m in mmer_analysis.WORD_PRESETS if m in reads]:
        _, words, vectors = mmer_analysis.word_sequences(
            task.table.assign(duplicate=0), modality, ids["train"], max_words=settings["max_words"],
            dim=settings["word_dim"], word2vec_epochs=settings["word2vec_epochs"], skip_gram=settings["skip_gram"],
            synonym_fraction=0.0, seed=settings["data_seed"], **options)
        out[modality] = {split: mmer_analysis.embed_words(words, vectors, tids, settings["max_words"])
                         for split, tids in ids.items()}
    return out


def fit_mmer_analysis(task: Task, seed: int, budget: Budget, inputs: dict, name: str = "") -> tuple[np.ndarray, np.ndarray]:
    """The row ``name`` of notebook 05 with its settings (:data:`MMER_ANALYSIS`), an output per
    class, the epoch of best validation accuracy restored. A fusion first trains, with the same
    seed, the branches it copies (as the branch cells do: the grid's cells stay independent)."""
    settings, n_classes = MMER_ANALYSIS, len(task.classes)
    frames = (inputs["audio"]["train"].shape[-1] if "audio" in inputs
              else mmer_analysis.excerpt_frames(budget.audio_seconds))
    sizes = {"frames": frames, "words": settings["max_words"], "dim": settings["word_dim"],
             "channels": settings["channels"], "freeze": settings["freeze"],
             "audio_channels": mmer_networks.paper_share_audio_channels(frames, settings["max_words"], settings["channels"])}
    targets = {split: task.labels(split).astype(np.float32)[:, None] for split in SPLITS}
    row, trained = mmer_analysis.ROWS[name], {}
    for part in mmer_analysis.training_order([*(mmer_analysis.ROWS[r] for r in row.reuses), row]):
        seed_everything(seed)
        model = part.build(**mmer_analysis.model_options(part, trained, **sizes), n_outputs=n_classes)
        loaders = mmer_analysis.loaders(part, inputs, targets, seed=seed, batch_size=settings["batch_size"])
        optimizer = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=settings["learning_rate"],
                                    momentum=settings["momentum"], weight_decay=settings["weight_decay"])
        predicted = _fit_classifier(model, loaders, optimizer, n_classes, budget.max_epochs, budget.patience,
                                    metrics.argmax_accuracy, "metric")
        trained[part.name] = model
    return _classes(predicted)


def _mmer_analysis(row: Row) -> Method:
    return Method(Row(f"mmer_analysis_{row.name}", modalities=row.modalities), partial(fit_mmer_analysis, name=row.name),
                  "mmer_analysis", partial(mmer_analysis_inputs, reads=row.inputs),
                  "an output per class, cross-entropy (paper: V/A regression)")


# ----------------------------------------------------------------------- Rajamani et al. 2020

#: Notebook 02's demo settings: a quarter of the paper's layer widths, Adam 1e-3 (the paper:
#: 1e-4, for a longer budget), batches of 16, the MTG-Jamendo mel front end (12 kHz, hop 256).
RAJAMANI2020 = {"channels": (16, 32, 32, 32, 16), "learning_rate": 1e-3, "batch_size": 16, "sr": 12000, "hop_length": 256}


def rajamani2020_frames(budget: Budget) -> int:
    """Input frames of the ``budget.audio_seconds`` excerpt (at least 320: the time pools need them)."""
    return max(320, int(round(budget.audio_seconds * RAJAMANI2020["sr"] / RAJAMANI2020["hop_length"])))


def rajamani2020_inputs(task: Task, budget: Budget, n_jobs: int, progress: bool) -> dict:
    """``{"mel": {track_id: (96, frames)}}``: the ``rajamani2020_mel`` log-mel of the excerpt."""
    return {"mel": extract(task.table, "rajamani2020_mel", n_frames=rajamani2020_frames(budget),
                           dataset_name=task.dataset, n_jobs=n_jobs, progress=progress)}


def fit_rajamani2020(task: Task, seed: int, budget: Budget, inputs: dict, name: str = "") -> tuple[np.ndarray, np.ndarray]:
    """The row ``name`` of notebook 02's Table 1 as a single-label classifier: its network with a
    softmax over the task's classes, the epoch of best validation accuracy restored; a late
    fusion averages the class probabilities of its members, trained here with the same seed."""
    row, n_classes = rajamani2020.ROWS[name], len(task.classes)
    x = np.stack([inputs["mel"][t] for t in task.table["track_id"]])
    positions = rajamani2020.split_indices(task.table)
    y = np.zeros((len(task.table), 1), np.float32)
    for split, where in positions.items():
        y[where, 0] = task.labels(split)
    probabilities = []
    for member in rajamani2020.members(row):
        seed_everything(seed)
        model = rajamani2020.ROWS[member].build(n_tags=n_classes, channels=RAJAMANI2020["channels"], sigmoid=False)
        loaders = rajamani2020.loaders(x, y, positions, seed=seed, batch_size=RAJAMANI2020["batch_size"])
        optimizer = torch.optim.Adam(model.parameters(), lr=RAJAMANI2020["learning_rate"])
        scores = _fit_classifier(model, loaders, optimizer, n_classes, budget.max_epochs, budget.patience,
                                 metrics.argmax_accuracy, "metric")
        probabilities.append([torch.softmax(torch.as_tensor(s), dim=1).numpy() for s in scores])
    return tuple(late_fusion(*parts).argmax(axis=1) for parts in zip(*probabilities))


def _rajamani2020(row: Row) -> Method:
    return Method(Row(f"rajamani2020_{row.name}", modalities=("audio",)), partial(fit_rajamani2020, name=row.name),
                  "rajamani2020", rajamani2020_inputs, "a softmax over the task's classes (paper: 56 sigmoid tags)")


# ------------------------------------------------------------------------ Zhao & Yoshii 2023

#: Notebook 03's demo settings (one recipe for its networks): training windows of 64 tokens or
#: 5 s of frames, evaluation over 256 tokens or the excerpt in consecutive windows (outputs
#: averaged), 2 short chunks for the ResNet (32 base channels), Adam 1e-3 with L2 1e-4, a
#: cosine schedule, batches of 16, the epoch of best validation 4Q accuracy restored; fusion
#: heads on 2-fold out-of-fold branch vectors, at most 60 epochs with patience 10.
ZHAO2023 = {"token_window": 64, "max_tokens": 256, "frame_window_seconds": 5.0, "max_chunks": 2,
            "resnet_channels": 32, "batch_size": 16, "learning_rate": 1e-3, "weight_decay": 1e-4,
            "schedule": "cosine", "mixed_precision": True, "fusion_epochs": 60, "fusion_patience": 10, "fusion_folds": 2}
#: The network rows of notebook 03 (its linear rows are the simple baselines here).
ZHAO2023_ROWS = ("symbolic_only", "harmony_only", "tone_only", "lstm_attn", "short_chunk_resnet", "full", "no_mhsa")


def zhao2023_recipe(budget: Budget) -> zhao2023.Recipe:
    """Notebook 03's recipe (:data:`ZHAO2023`) with the benchmark's epochs and excerpt."""
    settings, frames_per_second = ZHAO2023, 22050 / 512
    frame_window = int(settings["frame_window_seconds"] * frames_per_second) + 1
    max_frames = int(budget.audio_seconds * frames_per_second) + 1
    return zhao2023.Recipe(
        learning_rate=settings["learning_rate"], weight_decay=settings["weight_decay"], max_epochs=budget.max_epochs,
        patience=budget.patience, schedule=settings["schedule"], batch_size=settings["batch_size"],
        train_lengths={"tokens": settings["token_window"], "chroma": frame_window, "mfcc": frame_window, "mel_chunks": 1},
        eval_lengths={"tokens": settings["max_tokens"], "chroma": max_frames, "mfcc": max_frames,
                      "mel_chunks": settings["max_chunks"]},
        settings={"token_window": settings["token_window"], "frame_window": frame_window,
                  "mixed_precision": settings["mixed_precision"], "resnet_channels": settings["resnet_channels"]})


def zhao2023_inputs(task: Task, budget: Budget, n_jobs: int, progress: bool, reads: Sequence[str] = ()) -> dict:
    """The inputs of notebook 03 (:data:`mer_lib.experiments.zhao2023.INPUT_FEATURES`), audio read
    over the first ``budget.audio_seconds``."""
    return zhao2023.extract_inputs(task.table, reads, excerpt_seconds=budget.audio_seconds,
                                   dataset_name=task.dataset, n_jobs=n_jobs, progress=progress)


def fit_zhao2023(task: Task, seed: int, budget: Budget, inputs: dict, name: str = "") -> tuple[np.ndarray, np.ndarray]:
    """The network row ``name`` of notebook 03 with its recipe (:func:`zhao2023_recipe`); its
    outputs (V/A probabilities or 4 classes) read as quadrants, so it runs on quadrant tasks.

    A fused row (``full``, ``no_mhsa``) is built as in notebook 03: its three branches trained
    alone, their frozen vectors of the validation and test clips, out-of-fold vectors of the
    training clips, and a head trained on those."""
    row, recipe, device = zhao2023.ROWS[name], zhao2023_recipe(budget), torch.device("cpu")
    table = task.table.assign(quadrant=task.table["label"])
    if row.reuses:
        validation, test = _zhao2023_fused(row, table, inputs, seed, recipe, device)
    else:
        result = zhao2023.fit_row(row, table, inputs, seed=seed, recipe=recipe, device=device)
        reader = zhao2023.windowed(row, result.model, **recipe.settings)
        validation_loader = zhao2023.loaders(row, table, inputs, seed=seed, **recipe.loader_options)["validation"]
        validation, test = train.predict(reader, validation_loader, device)[1], result.y_score
    index = {c: i for i, c in enumerate(task.classes)}
    return tuple(np.array([index[q] for q in metrics.output_quadrants(s)]) for s in (validation, test))


def _zhao2023_fused(row: Row, table: pd.DataFrame, inputs: dict, seed: int, recipe: zhao2023.Recipe,
                    device) -> tuple[np.ndarray, np.ndarray]:
    def fit_branch(branch: Row, fold_table: pd.DataFrame, validate: bool = False) -> train.Trained:
        return zhao2023.fit_row(branch, fold_table, inputs, seed=seed, recipe=recipe, device=device, validate=validate)

    branches = zhao2023.reused_branches(row, {name: fit_branch(zhao2023.ROWS[name], table, validate=True).model
                                              for name in row.reuses})
    readers = zhao2023.loaders(row, table, inputs, seed=seed, crop_train=False, **recipe.loader_options)
    vectors = {split: zhao2023.branch_features(branches, readers[split], device) for split in ("validation", "test")}
    vectors["train"], _ = zhao2023.out_of_fold_vectors(row, table, inputs, folds=ZHAO2023["fusion_folds"], seed=seed,
                                                       fit_branch=fit_branch, device=device,
                                                       loader_options=recipe.loader_options)
    result = zhao2023.fit_head(row, vectors, seed=seed, recipe=recipe, device=device,
                               max_epochs=ZHAO2023["fusion_epochs"], patience=ZHAO2023["fusion_patience"])
    validation_loader = zhao2023.head_loaders(vectors, batch_size=recipe.batch_size, seed=seed)["validation"]
    return train.predict(result.model, validation_loader, device)[1], result.y_score


def _zhao2023(name: str) -> Method:
    row = zhao2023.ROWS[name]
    return Method(Row(f"zhao2023_{name}", modalities=row.modalities, targets=("quadrant",)),
                  partial(fit_zhao2023, name=name), "zhao2023", partial(zhao2023_inputs, reads=row.inputs))


METHODS = {method.row.name: method for method in (*SIMPLE_METHODS, *map(_jeon2017, jeon2017.ROWS.values()),
                                                       *map(_zhao2022, zhao2022.ROWS.values()),
                                                       *map(_mmer_analysis, mmer_analysis.ROWS.values()),
                                                       *map(_rajamani2020, rajamani2020.ROWS.values()),
                                                       *map(_zhao2023, ZHAO2023_ROWS))}
ROWS = rows.table(*(method.row for method in METHODS.values()))


# ---------------------------------------------------------------------------------- cells

def cells(tasks: Sequence[Task], chosen: Sequence[Row], seeds: Sequence[int]) -> tuple[list[Cell], pd.DataFrame]:
    """The grid's cells, and a (row × task) table saying which run and why the others do not."""
    grid, status = [], {}
    for task in tasks:
        ran, table = rows.runnable(chosen, task.modalities, (task.label,), dataset=task.name, require_one=False)
        for name, why in table["status"].items():
            lacking = [m for m in ROWS[name].modalities if m in task.left_out]
            status[(name, task.name)] = f"— ({task.left_out[lacking[0]]})" if lacking else (
                "runs" if why == "ran" else f"— ({why.removeprefix('skipped: ')})")
        grid += [Cell(row.name, task.name, seed) for row in ran for seed in seeds]
    index = pd.Index([row.name for row in chosen], name="row")
    frame = pd.DataFrame({task.name: [status[(r, task.name)] for r in index] for task in tasks}, index=index)
    return grid, frame


def prepare_features(tasks: Sequence[Task], chosen: Sequence[Row], budget: Budget, n_jobs: int = -1,
                     progress: bool = True) -> pd.DataFrame:
    """Compute the chosen rows' features for every task here, over ``n_jobs`` processes, into
    the on-disk cache the grid's cells then read; one line per (task, row) with its inputs."""
    records = []
    for task in tasks:
        for row in chosen:
            method = METHODS[row.name]
            if method.inputs is not None and set(row.modalities) <= set(task.modalities):
                found = method.inputs(task, budget, n_jobs, progress)
                records.append({"task": task.name, "row": row.name, "inputs": ", ".join(found)})
    return pd.DataFrame(records, columns=["task", "row", "inputs"])


def origins(chosen: Sequence[Row]) -> pd.DataFrame:
    """Per row: where it comes from, what it needs and its head on these tasks."""
    return pd.DataFrame([{"row": row.name, "source": METHODS[row.name].source,
                          "needs": " + ".join(row.modalities) or "nothing",
                          "head": METHODS[row.name].head or "its own"} for row in chosen]).set_index("row")


def result_scores(scores: pd.DataFrame) -> pd.DataFrame:
    """Scores in the layout of :meth:`mer_lib.reporting.Run.write_results`: one line per
    (row, seed), one column per ``<task>_<metric>`` (``mirex_mm_cluster_accuracy``)."""
    long = scores.melt(id_vars=["row", "task", "seed"], value_vars=list(METRICS), var_name="metric")
    long["column"] = (long["task"].str.replace(r"[^a-z0-9]+", "_", regex=True) + "_" + long["metric"])
    wide = long.pivot_table(index=["row", "seed"], columns="column", values="value", sort=False)
    return wide.reset_index().rename_axis(columns=None)


def cell_inputs(task: Task, budget: Budget) -> dict:
    """What determines a cell of ``task`` besides the cell and the code: the data and the budget."""
    return {"task": task.fingerprint(), "classes": list(map(str, task.classes)), "budget": asdict(budget)}


def run_cell(cell: Cell, task: Task, budget: Budget) -> dict:
    """Fit one row on one task with one seed; score its validation and test predictions.

    Returns:
        ``{"validation_accuracy", "accuracy", "f1_macro", "test_predictions"}`` (class indices).
    """
    method = METHODS[cell.row]
    with train.torch_threads(budget.torch_threads):
        inputs = method.inputs(task, budget, 1, False) if method.inputs is not None else {}
        seed_everything(cell.seed)
        validation, test = method.fit(task, cell.seed, budget, inputs)
    truth = task.labels("test")
    return {"validation_accuracy": metrics.accuracy(task.labels("validation"), validation),
            "accuracy": metrics.accuracy(truth, test), "f1_macro": metrics.f1_macro(truth, test),
            "test_predictions": np.asarray(test).astype(int).tolist()}


# --------------------------------------------------------------------------------- tables

def scores_table(results: Mapping[Cell, dict]) -> pd.DataFrame:
    """One line per cell: ``row``, ``task``, ``seed``, validation accuracy and the test metrics."""
    return pd.DataFrame([{"row": c.row, "task": c.task, "seed": c.seed,
                          "validation_accuracy": r["validation_accuracy"], **{m: r[m] for m in METRICS}}
                         for c, r in results.items()])


def summary(scores: pd.DataFrame, status: pd.DataFrame, metric: str = "accuracy", digits: int = 3) -> pd.DataFrame:
    """(row × task) ``"mean ± std"`` over seeds; a cell that did not run keeps its reason."""
    grouped = scores.groupby(["row", "task"])[metric]
    text = (grouped.mean().map(lambda v: f"{v:.{digits}f}") + " ± "
            + grouped.std(ddof=1).fillna(0.0).map(lambda v: f"{v:.{digits}f}"))
    out = status.copy()
    for (row, task), value in text.items():
        out.loc[row, task] = value
    return out


def means(scores: pd.DataFrame, metric: str = "accuracy") -> pd.DataFrame:
    """(row × task) mean of ``metric`` over seeds (NaN where a row did not run)."""
    return scores.pivot_table(index="row", columns="task", values=metric, aggfunc="mean", sort=False)


def ranks(scores: pd.DataFrame, metric: str = "accuracy") -> pd.DataFrame:
    """Rank of every row's mean per task (1 = best, ties share the mean rank) and, for rows that
    ran on every task, the mean rank over tasks."""
    table = means(scores, metric).rank(ascending=False, method="average")
    table["mean rank"] = table.mean(axis=1).where(table.notna().all(axis=1))
    return table.sort_values("mean rank", na_position="last")


def _validation_means(scores: pd.DataFrame, task: str) -> pd.Series:
    return scores[scores["task"] == task].groupby("row", sort=False)["validation_accuracy"].mean()


def best_on_validation(scores: pd.DataFrame, task: str, candidates: Sequence[str]) -> str | None:
    """The candidate row with the best mean validation accuracy on ``task`` (the first listed on
    ties), among those that ran there; None when none did."""
    validation = _validation_means(scores, task)
    ran = [name for name in candidates if name in validation.index]
    return max(ran, key=lambda name: (validation[name], -ran.index(name))) if ran else None


def reference_row(row: str, task: str, scores: pd.DataFrame) -> str:
    """The simple baseline a row is read against: the best on validation among those that
    need only the row's modalities (the majority class needs none), other than the row."""
    needs = set(ROWS[row].modalities)
    return best_on_validation(scores, task, [name for name, method in METHODS.items() if method.source == SIMPLE
                                             and name != row and set(method.row.modalities) <= needs])


def _modalities(row: str) -> frozenset:
    return frozenset(ROWS[row].modalities)


def comparison_pairs(scores: pd.DataFrame, task: str) -> list[tuple[str, str, str]]:
    """``(question, row, reference)`` pairs a task is asked, every reference chosen on validation:

    * ``baseline``: each row against :func:`reference_row`;
    * ``fusion``: each row on several modalities against the best row on a strict subset of them;
    * ``modality``: the best lyrics-only row against the best audio-only row.
    """
    ran = list(dict.fromkeys(scores.loc[scores["task"] == task, "row"]))
    pairs = [("baseline", row, reference_row(row, task, scores)) for row in ran if row != "majority"]
    for row in ran:
        if len(_modalities(row)) > 1:
            fewer = best_on_validation(scores, task, [r for r in ran if _modalities(r) and _modalities(r) < _modalities(row)])
            if fewer is not None:
                pairs.append(("fusion", row, fewer))
    lyrics, audio = (best_on_validation(scores, task, [r for r in ran if _modalities(r) == {m}]) for m in ("lyrics", "audio"))
    if lyrics and audio:
        pairs.append(("modality", lyrics, audio))
    return pairs


def comparisons(results: Mapping[Cell, dict], tasks: Sequence[Task], n_boot: int = 2000,
                metric: str = "accuracy") -> pd.DataFrame:
    """Every :func:`comparison_pairs` pair of every task: the difference of seed-mean test
    ``metric`` with a paired bootstrap 95 % interval over test clips (:func:`metrics.paired_bootstrap_over_seeds`)."""
    scores = scores_table(results)
    scorer = {"accuracy": metrics.accuracy, "f1_macro": metrics.f1_macro}[metric]
    records = []
    for task in tasks:
        predictions = {}
        for cell, result in results.items():
            if cell.task == task.name:
                predictions.setdefault(cell.row, []).append(result["test_predictions"])
        for question, row, reference in comparison_pairs(scores, task.name):
            difference, low, high = metrics.paired_bootstrap_over_seeds(
                task.labels("test"), predictions[row], predictions[reference], scorer, n_boot=n_boot)
            records.append({"question": question, "row": row, "task": task.name, "reference": reference,
                            "difference": difference, "low": low, "high": high})
    return pd.DataFrame(records, columns=["question", "row", "task", "reference", "difference", "low", "high"])


def best_per_modalities(scores: pd.DataFrame, metric: str = "accuracy") -> pd.DataFrame:
    """Per task and modality combination, the row with the best mean test ``metric``."""
    table = means(scores, metric).stack().dropna().rename(metric).reset_index()
    table["modalities"] = table["row"].map(lambda name: " + ".join(ROWS[name].modalities) or "none")
    best = table.loc[table.groupby(["task", "modalities"])[metric].idxmax()]
    return best.set_index(["task", "modalities"])[["row", metric]]


#: How a comparison of each kind reads as a claim.
CLAIMS = {"baseline": "{row} beats its simple baseline {reference} on {task}",
          "fusion": "{row} beats {reference}, the best row on fewer of its modalities, on {task}",
          "modality": "lyrics beat audio on {task} (best rows on validation: {row} vs {reference})"}


def claims(compared: pd.DataFrame, digits: int = 3) -> list[verdicts.Verdict]:
    """One verdict per line of :func:`comparisons` (:data:`CLAIMS`): it holds when the paired
    95 % interval of the difference lies above 0."""
    return [verdicts.interval(CLAIMS[line.question].format(row=line.row, reference=line.reference, task=line.task),
                              line.difference, line.low, line.high, "test accuracy difference", digits)
            for line in compared.itertuples()]


def readings(scores: pd.DataFrame, compared: pd.DataFrame, top: int = 3, digits: int = 3) -> list[str]:
    """The sentences that read the results, from the numbers: per task its ``top`` rows (mean ±
    std of test accuracy over seeds), the network rows that do not beat their simple baseline,
    and how many fusions beat the best row on fewer of their modalities."""
    out = []
    grouped = scores.groupby(["task", "row"])["accuracy"]
    mean, std = grouped.mean(), grouped.std(ddof=1).fillna(0.0)
    for task in dict.fromkeys(scores["task"]):
        best = mean[task].sort_values(ascending=False).head(top)
        listed = ", ".join(f"{row} {value:.{digits}f} ± {std[task][row]:.{digits}f}" for row, value in best.items())
        out.append(f"{task}: the best rows are {listed}.")
        lines = compared[(compared["question"] == "baseline") & (compared["task"] == task)
                         & compared["row"].map(lambda r: METHODS[r].source != SIMPLE)]
        failing = lines[lines["low"] <= 0]
        if len(lines):
            out.append(f"{task}: {len(failing)} of {len(lines)} network rows do not beat their simple baseline "
                       f"(95 % interval reaching 0 or below)" + (f": {', '.join(failing['row'])}." if len(failing) else "."))
        fusions = compared[(compared["question"] == "fusion") & (compared["task"] == task)]
        if len(fusions):
            out.append(f"{task}: {int((fusions['low'] > 0).sum())} of {len(fusions)} fusions beat the best row on fewer "
                       "of their modalities.")
    return out


def critical_difference(ranking: pd.DataFrame, alpha: float = 0.05) -> tuple[pd.Series, float, int]:
    """Mean ranks of the rows that ran on every task, and the Nemenyi critical difference: two
    rows whose mean ranks differ by less are not told apart over these tasks (Demšar, JMLR 2006).

    Returns:
        ``(mean rank per row, best first; critical difference; number of tasks)``.
    """
    complete = ranking.drop(columns="mean rank").dropna()
    if complete.empty:
        raise ValueError("no row ran on every task: a critical difference needs common rows")
    k, n = complete.shape
    # Re-rank among the common rows only: the ranks of the Friedman/Nemenyi test.
    ranks = complete.rank(ascending=True, method="average").mean(axis=1).sort_values()
    q = stats.studentized_range.ppf(1 - alpha, k, np.inf) / np.sqrt(2) if k > 1 else 0.0
    return ranks, float(q * np.sqrt(k * (k + 1) / (6 * n))), n
