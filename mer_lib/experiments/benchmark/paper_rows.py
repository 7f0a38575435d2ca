"""The trainable rows of notebooks 01–05 as benchmark rows: each with the settings its notebook
uses and a head for the task (a softmax over its classes, or Zhao & Yoshii's V/A outputs read
as quadrants), where its paper had another task (:attr:`~.base.Method.head`).

Notebook: ``06_benchmark_common_data``.
"""

from __future__ import annotations

from functools import partial
from typing import Sequence

import numpy as np
import pandas as pd
import torch

from mer_lib import metrics, train
from mer_lib.data.base import SPLITS
from mer_lib.data.splits import split_ids
from mer_lib.experiments import jeon2017, mmer_analysis, rajamani2020, zhao2022, zhao2023
from mer_lib.experiments.benchmark.base import Budget, Method, classes_of, fit_classifier
from mer_lib.experiments.benchmark.tasks import Task
from mer_lib.experiments.rows import Row
from mer_lib.features import text, word2vec
from mer_lib.features.pipeline import extract
from mer_lib.models import jeon2017 as jeon_networks, mmer_analysis as mmer_networks
from mer_lib.models.blocks import late_fusion
from mer_lib.repro import seed_everything


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
    return classes_of(fit_classifier(model, loaders, optimizer, len(task.classes), budget.max_epochs, budget.patience,
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
    return classes_of(fit_classifier(model, loaders, optimizer, n_classes, epochs, patience,
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
        predicted = fit_classifier(model, loaders, optimizer, n_classes, budget.max_epochs, budget.patience,
                                    metrics.argmax_accuracy, "metric")
        trained[part.name] = model
    return classes_of(predicted)


def _mmer_analysis(row: Row) -> Method:
    return Method(Row(f"mmer_analysis_{row.name}", modalities=row.modalities), partial(fit_mmer_analysis, name=row.name),
                  "mmer_analysis", partial(mmer_analysis_inputs, reads=row.inputs),
                  "an output per class, cross-entropy (paper: V/A regression)")


# ----------------------------------------------------------------------- Rajamani et al. 2020

#: Notebook 02's demo settings: a quarter of the paper's layer widths, Adam 1e-3 (the paper:
#: 1e-4, for a longer budget), batches of 16, the MTG-Jamendo mel front end (12 kHz, hop 256);
#: and, for the benchmark's budget, training on random crops of the fewest frames the pools take
#: (320, 6.8 s), the whole excerpt read on validation and test. Trained whole, the 30-s excerpt
#: (1,406 frames) costs about 70 s per epoch of mirex_mm's 552 training clips on one core.
RAJAMANI2020 = {"channels": (16, 32, 32, 32, 16), "learning_rate": 1e-3, "batch_size": 16, "sr": 12000, "hop_length": 256,
                "train_frames": rajamani2020.MIN_FRAMES}


def rajamani2020_frames(budget: Budget) -> int:
    """Input frames of the ``budget.audio_seconds`` excerpt (at least :data:`mer_lib.experiments.rajamani2020.MIN_FRAMES`)."""
    return max(rajamani2020.MIN_FRAMES, int(round(budget.audio_seconds * RAJAMANI2020["sr"] / RAJAMANI2020["hop_length"])))


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
        loaders = rajamani2020.loaders(x, y, positions, seed=seed, batch_size=RAJAMANI2020["batch_size"],
                                       train_frames=RAJAMANI2020["train_frames"])
        optimizer = torch.optim.Adam(model.parameters(), lr=RAJAMANI2020["learning_rate"])
        scores = fit_classifier(model, loaders, optimizer, n_classes, budget.max_epochs, budget.patience,
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




PAPER_METHODS = (*map(_jeon2017, jeon2017.ROWS.values()), *map(_zhao2022, zhao2022.ROWS.values()),
                 *map(_mmer_analysis, mmer_analysis.ROWS.values()), *map(_rajamani2020, rajamani2020.ROWS.values()),
                 *map(_zhao2023, ZHAO2023_ROWS))
