"""The common benchmark: one split and one set of clips per task, rows a task cannot feed shown
with the reason, baselines read against the best simple baseline of their modalities."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mer_lib import provenance
from mer_lib.data.base import MERDataset
from mer_lib.experiments import benchmark
from mer_lib.experiments.benchmark import base, cell_run, cells, scoring, simple, tasks
from mer_lib.grid import Cell
from mer_lib.reporting import is_timing


def _dataset(artists, splits, quadrants, **columns) -> MERDataset:
    table = pd.DataFrame({"track_id": [f"t{i}" for i in range(len(splits))], "split": splits,
                          "artist": artists, "quadrant": quadrants, **columns})
    return MERDataset("toy", table, Path("."))


def _balanced(n=40, **columns):
    quadrants = [f"Q{i % 4 + 1}" for i in range(n)]
    splits = (["train"] * 28 + ["validation"] * 4 + ["test"] * 8)[:n]
    return quadrants, splits


def test_a_task_keeps_the_datasets_split_when_it_keeps_artists_apart():
    quadrants, splits = _balanced()
    artists = [f"{s}-{i % 3}" for i, s in enumerate(splits)]  # no artist in two splits
    task = tasks.make_task(_dataset(artists, splits, quadrants, lyrics=["la la"] * 40), "quadrant")
    assert task.table["split"].tolist() == splits
    assert "own split" in task.split_note


def test_a_task_draws_an_artist_disjoint_split_when_the_datasets_split_shares_artists():
    quadrants, splits = _balanced()
    artists = [f"a{i % 8}" for i in range(40)]  # every artist in every split
    task = tasks.make_task(_dataset(artists, splits, quadrants, lyrics=["la la"] * 40), "quadrant")
    assert not tasks.shares_groups(task.table)
    assert "artist-disjoint split drawn here" in task.split_note
    assert set(task.table["split"]) == {"train", "validation", "test"}


def test_a_task_without_artists_keeps_every_song_in_one_split():
    quadrants, _ = _balanced()
    songs = [f"s{i // 4}" for i in range(40)]  # ten songs of four clips each, in every split
    splits = ["train", "validation", "test", "train"] * 10
    task = tasks.make_task(_dataset([None] * 40, splits, quadrants, song_id=songs, lyrics=["la la"] * 40), "quadrant")
    assert "song-disjoint split drawn here" in task.split_note and "shares songs" in task.split_note
    assert task.table.groupby("song_id")["split"].nunique().eq(1).all()
    assert not tasks.shares_groups(task.table)


def test_a_task_keeps_a_group_disjoint_own_split_and_leaves_out_the_clips_it_does_not_split():
    quadrants, splits = _balanced()
    songs = [f"{s}-{i % 5}" for i, s in enumerate(splits)]  # no song in two splits
    splits[-2:] = [None, None]
    task = tasks.make_task(_dataset([None] * 40, splits, quadrants, song_id=songs, lyrics=["la la"] * 40), "quadrant")
    assert len(task.table) == 38 and task.table["split"].tolist() == splits[:38]
    assert task.split_note == "the dataset's own split (song-disjoint); 2 clips it leaves unsplit left out"


def test_a_dataset_with_midi_and_no_audio_offers_audio_heard_through_its_rendering():
    quadrants, splits = _balanced()
    task = tasks.make_task(_dataset([None] * 40, splits, quadrants, midi_path=["x.mid"] * 40), "quadrant")
    assert task.modalities == ("midi", "audio")
    assert task.heard_as == {"audio": tasks.HEARD_AS["audio"]}
    assert tasks.task_table([task]).loc[task.name, "modalities"] == "midi, audio (its MIDI rendered with a SoundFont)"


def test_a_modality_few_clips_have_is_left_out_of_the_task_with_its_share():
    quadrants, splits = _balanced()
    midi = ["x.mid" if i < 10 else None for i in range(40)]
    task = tasks.make_task(_dataset([None] * 40, splits, quadrants, lyrics=["la la"] * 40, midi_path=midi),
                               "quadrant")
    assert task.modalities == ("lyrics",) and len(task.table) == 40
    assert task.left_out == {"midi": "midi for only 25% of the clips", "audio": "audio for only 25% of the clips"}
    _, status = cells.grid_cells([task], [benchmark.ROWS["symbolic_lr"], benchmark.ROWS["lyrics_tfidf_lr"]], [0])
    assert status.loc["symbolic_lr", task.name] == "— (midi for only 25% of the clips)"
    assert status.loc["lyrics_tfidf_lr", task.name] == "runs"


def test_cells_cover_every_runnable_row_and_seed_and_nothing_else():
    quadrants, splits = _balanced()
    task = tasks.make_task(_dataset([None] * 40, splits, quadrants, lyrics=["la"] * 40), "quadrant")
    chosen = [benchmark.ROWS[n] for n in ("majority", "audio_lr", "lyrics_tfidf_lr")]
    grid, status = cells.grid_cells([task], chosen, [0, 1])
    assert grid == [Cell(r, task.name, s) for r in ("majority", "lyrics_tfidf_lr") for s in (0, 1)]
    assert status.loc["audio_lr", task.name].startswith("— (lacks audio")


def test_an_unknown_label_is_refused_with_the_datasets_targets():
    quadrants, splits = _balanced()
    with pytest.raises(ValueError, match="has no 'valence' label"):
        tasks.make_task(_dataset([None] * 40, splits, quadrants), "valence")


def test_the_majority_baseline_predicts_the_training_splits_most_frequent_class():
    quadrants, splits = _balanced()
    quadrants[:3] = ["Q2"] * 3  # Q2 now leads in training
    task = tasks.make_task(_dataset([None] * 40, splits, quadrants), "quadrant")
    validation, test = simple.fit_majority(task, 0, base.Budget(), {})
    assert set(validation) == set(test) == {task.classes.index("Q2")}


def test_a_tfidf_row_learns_lyrics_whose_words_name_their_class():
    quadrants, splits = _balanced()
    lyrics = [f"word{q} word{q} filler" for q in quadrants]
    task = tasks.make_task(_dataset([None] * 40, splits, quadrants, lyrics=lyrics), "quadrant")
    result = cell_run.run_cell(Cell("lyrics_tfidf_lr", task.name, 0), benchmark.METHODS["lyrics_tfidf_lr"], task, base.Budget())
    assert result["accuracy"] == 1.0 and result["validation_accuracy"] == 1.0
    assert result["test_predictions"] == task.labels("test").tolist()
    assert result["seconds"] > 0


def test_a_row_is_read_against_the_best_validation_baseline_within_its_modalities():
    scores = pd.DataFrame({"row": ["majority", "lyrics_tfidf_lr", "audio_lr"], "task": ["t"] * 3, "seed": [0] * 3,
                           "validation_accuracy": [0.3, 0.5, 0.9]})
    assert scoring.reference_row("lyrics_tfidf_lr", "t", scores) == "majority"   # audio_lr reads audio
    assert scoring.reference_row("audio_lr", "t", scores) == "majority"


def test_ranks_give_one_to_the_best_mean_and_a_mean_rank_only_to_rows_on_every_task():
    scores = pd.DataFrame({"row": ["a", "b", "a", "b", "c"], "task": ["x", "x", "y", "y", "x"], "seed": 0,
                           "accuracy": [0.9, 0.5, 0.4, 0.6, 0.7]})
    ranking = scoring.ranks(scores)
    assert ranking.loc["a", "x"] == 1 and ranking.loc["b", "y"] == 1
    assert ranking.loc["a", "mean rank"] == 1.5 and np.isnan(ranking.loc["c", "mean rank"])


def test_result_scores_name_each_column_by_task_and_metric():
    scores = pd.DataFrame({"row": ["a"], "task": ["mirex_mm:cluster"], "seed": [0], "accuracy": [0.5], "f1_macro": [0.4],
                           "seconds": [12.5]})
    wide = scoring.result_scores(scores)
    assert set(wide.columns) == {"row", "seed", "mirex_mm_cluster_accuracy", "mirex_mm_cluster_f1_macro",
                                 "mirex_mm_cluster_seconds"}
    assert is_timing("mirex_mm_cluster_seconds") and not is_timing("mirex_mm_cluster_accuracy")


#: A row of each paper (fusions included) and the shortest excerpt its front end takes.
PAPER_ROWS = {"jeon2017_multimodal": 4.0, "zhao2022_hcman": 4.0, "zhao2022_delbouys2018": 4.0,
              "zhao2022_context_only": 4.0, "mmer_analysis_comments": 6.0, "mmer_analysis_audio_lyrics": 6.0,
              "rajamani2020_sa_layer3": 6.0, "rajamani2020_fusion_sa3_arelu": 6.0, "zhao2023_symbolic_only": 4.0,
              "zhao2023_lstm_attn": 4.0, "zhao2023_short_chunk_resnet": 4.0, "zhao2023_full": 4.0}


@pytest.mark.parametrize("row", list(PAPER_ROWS))
def test_a_paper_row_trains_on_a_quadrant_task_and_predicts_one_of_its_classes_per_test_clip(row, tiny_corpus,
                                                                                            one_torch_thread):
    task = tasks.make_task(tiny_corpus, "quadrant")
    budget = base.Budget(max_epochs=1, patience=1, audio_seconds=PAPER_ROWS[row])
    result = cell_run.run_cell(Cell(row, task.name, 0), benchmark.METHODS[row], task, budget)
    assert len(result["test_predictions"]) == len(task.labels("test")) and len(task.classes) == 4
    assert set(result["test_predictions"]) <= set(range(len(task.classes)))
    assert 0.0 <= result["accuracy"] <= 1.0 and 0.0 <= result["validation_accuracy"] <= 1.0


def test_a_zhao2023_row_is_not_run_on_a_task_that_is_not_quadrants(tiny_corpus):
    task = tasks.make_task(tiny_corpus, "polarity")
    _, status = cells.grid_cells([task], [benchmark.ROWS["zhao2023_tone_only"]], [0])
    assert status.loc["zhao2023_tone_only", task.name] == "— (lacks quadrant)"


def test_the_critical_difference_is_nemenyis_for_the_rows_that_ran_on_every_task():
    scores = pd.DataFrame({"row": ["a", "b", "c"] * 2 + ["d"], "task": ["x"] * 3 + ["y"] * 3 + ["x"], "seed": 0,
                           "accuracy": [0.9, 0.5, 0.7, 0.8, 0.6, 0.4, 0.95]})
    mean_ranks, cd, n_tasks = scoring.critical_difference(scoring.ranks(scores))
    assert list(mean_ranks.index) == ["a", "b", "c"] and n_tasks == 2   # d ran on one task only
    assert mean_ranks["a"] == 1.0 and mean_ranks["b"] == mean_ranks["c"] == 2.5
    assert cd == pytest.approx(3.314 / np.sqrt(2) * np.sqrt(3 * 4 / (6 * 2)), abs=1e-3)


def test_readings_name_the_best_rows_and_the_networks_that_do_not_beat_their_baseline():
    scores = pd.DataFrame({"row": ["majority", "jeon2017_audio_cnn", "audio_lr"], "task": "t", "seed": 0,
                           "accuracy": [0.25, 0.40, 0.50]})
    compared = pd.DataFrame({"question": "baseline", "row": ["jeon2017_audio_cnn", "audio_lr"], "task": "t",
                             "reference": "majority", "difference": [0.15, 0.25], "low": [-0.01, 0.1], "high": [0.3, 0.4]})
    first, second = scoring.readings(scores, compared, top=2)
    assert first == "t: the best rows are audio_lr 0.500 ± 0.000, jeon2017_audio_cnn 0.400 ± 0.000."
    assert second.startswith("t: 1 of 1 network rows do not beat their simple baseline") and "jeon2017_audio_cnn" in second


def test_a_task_asks_baselines_fusions_and_lyrics_against_audio_with_references_chosen_on_validation():
    names = ["majority", "audio_lr", "lyrics_tfidf_lr", "jeon2017_audio_cnn", "jeon2017_lyrics_cnn", "jeon2017_multimodal"]
    scores = pd.DataFrame({"row": names, "task": "t", "seed": 0,
                           "validation_accuracy": [0.3, 0.5, 0.4, 0.45, 0.6, 0.7]})
    pairs = scoring.comparison_pairs(scores, "t")
    assert ("baseline", "jeon2017_multimodal", "audio_lr") in pairs         # best simple baseline within audio + lyrics
    assert ("baseline", "jeon2017_lyrics_cnn", "lyrics_tfidf_lr") in pairs
    assert ("fusion", "jeon2017_multimodal", "jeon2017_lyrics_cnn") in pairs
    assert ("modality", "jeon2017_lyrics_cnn", "audio_lr") in pairs
    assert not [p for p in pairs if p[1] == "majority"]


def test_the_best_row_per_modality_combination_is_chosen_on_validation_and_leaves_out_rows_that_did_not_run():
    scores = pd.DataFrame({"row": ["audio_lr", "jeon2017_audio_cnn", "jeon2017_audio_cnn", "zhao2023_full", "audio_lr"],
                           "task": ["q", "q", "q", "q", "p"], "seed": [0, 0, 1, 0, 0],
                           "validation_accuracy": [0.6, 0.5, 0.55, 0.7, 0.8], "accuracy": [0.5, 0.6, 0.7, 0.7, 0.8]})
    best = scoring.best_per_modalities(scores)
    assert best.loc[("q", "audio"), "row"] == "audio_lr"                  # better on validation, worse on test
    assert best.loc[("q", "audio"), "test"] == "0.500 ± 0.000"
    assert best.loc[("q", "midi + audio"), "row"] == "zhao2023_full"
    assert list(best.loc["p"].index) == ["audio"]


def test_readings_name_the_fusions_that_beat_their_parts_and_read_lyrics_against_audio():
    scores = pd.DataFrame({"row": ["audio_lr", "jeon2017_lyrics_cnn", "jeon2017_multimodal"], "task": "t", "seed": 0,
                           "accuracy": [0.4, 0.5, 0.6]})
    compared = pd.DataFrame({"question": ["fusion", "modality"], "row": ["jeon2017_multimodal", "jeon2017_lyrics_cnn"],
                             "task": "t", "reference": ["jeon2017_lyrics_cnn", "audio_lr"],
                             "difference": [0.1, 0.1], "low": [0.02, -0.01], "high": [0.2, 0.2]})
    _, fusion, modality = scoring.readings(scores, compared)
    assert fusion == ("t: 1 of 1 fusions beat the best row on fewer of their modalities: jeon2017_multimodal over "
                      "jeon2017_lyrics_cnn by +0.100 (95 % interval +0.020 to +0.200).")
    assert modality.endswith("+0.100 (95 % interval -0.010 to +0.200), this test set does not tell them apart.")


def test_readings_over_several_tasks_end_with_how_often_networks_beat_baselines_and_fusions_their_parts():
    scores = pd.DataFrame({"row": ["audio_lr", "jeon2017_audio_cnn"] * 2, "task": ["t", "t", "u", "u"], "seed": 0,
                           "accuracy": [0.4, 0.5, 0.4, 0.3]})
    compared = pd.DataFrame({"question": "baseline", "row": "jeon2017_audio_cnn", "task": ["t", "u"],
                             "reference": "audio_lr", "difference": [0.1, -0.1], "low": [0.01, -0.2], "high": [0.2, 0.0]})
    assert scoring.readings(scores, compared)[-1] == ("Over the 2 tasks: 1 of 2 (network row, task) pairs beat their "
                                                      "simple baseline, and 0 of 0 fusions beat the best row on fewer "
                                                      "of their modalities.")


def test_a_cell_digest_covers_its_own_papers_code_and_not_another_papers():
    def closure(name):
        return {m for module in benchmark.METHODS[name].modules for m in provenance.module_closure(module)}
    shared = set(provenance.module_closure(cell_run.__name__))
    assert not {m for m in shared if m.startswith("mer_lib.experiments.benchmark.paper_rows")} | (
        {"mer_lib.experiments.jeon2017", "mer_lib.experiments.zhao2023", "mer_lib.experiments.benchmark"} & shared)
    jeon, zhao = closure("jeon2017_audio_cnn"), closure("zhao2023_full")
    assert "mer_lib.experiments.jeon2017" in jeon and "mer_lib.experiments.zhao2023" not in jeon
    assert "mer_lib.experiments.zhao2023" in zhao and "mer_lib.experiments.jeon2017" not in zhao


def test_a_cell_given_another_rows_method_is_refused(tiny_corpus):
    task = tasks.make_task(tiny_corpus, "quadrant")
    with pytest.raises(ValueError, match="was given the row 'audio_lr'"):
        cell_run.run_cell(Cell("majority", task.name, 0), benchmark.METHODS["audio_lr"], task, base.Budget())
