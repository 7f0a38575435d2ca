"""How Rajamani et al. (2020) are run: Table 1's rows, inputs, loaders, scores, published results."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from torch.utils.data import DataLoader, TensorDataset

from mer_lib import metrics, train, verdicts
from mer_lib.data import DatasetError, MERDataset, mediaeval2020
from mer_lib.experiments import rajamani2020 as experiment
from mer_lib.experiments import rows
from mer_lib.features.audio import SILENCE_DB
from mer_lib.models.blocks import late_fusion

pytestmark = pytest.mark.usefixtures("one_torch_thread")

NARROW = {"channels": (4, 8, 8, 8, 4)}


def test_table1_has_five_networks_then_two_fusions_of_trained_rows():
    assert list(experiment.ROWS) == ["baseline", "sa_layer3", "sa_layer4", "sa_layer5", "arelu",
                                     "fusion_sa3_arelu", "fusion_all"]
    assert [r.name for r in experiment.networks()] == list(experiment.ROWS)[:5]
    for row in experiment.networks():
        assert (row.model, row.inputs, row.modalities, row.targets) == (
            "rajamani2020_vggish", ("mel",), ("audio",), ("tags",))
        assert experiment.members(row) == (row.name,)
    assert experiment.members(experiment.ROWS["fusion_all"]) == ("baseline", "sa_layer3", "arelu")
    with pytest.raises(ValueError, match="not a network"):
        experiment.ROWS["fusion_sa3_arelu"].build()


def test_a_fusion_cannot_be_selected_without_its_members():
    with pytest.raises(ValueError, match="add them"):
        rows.select(experiment.ROWS, ["sa_layer3", "fusion_sa3_arelu"])
    with pytest.raises(DatasetError, match=r"lacks audio; .*fusion_all: needs baseline, sa_layer3, arelu"):
        rows.runnable(list(experiment.ROWS.values()), ["midi"], ["tags"])


def test_rows_build_the_variants_their_names_say():
    baseline = experiment.ROWS["baseline"].build(n_tags=3, **NARROW)
    arelu = experiment.ROWS["arelu"].build(n_tags=3, **NARROW)
    sa4 = experiment.ROWS["sa_layer4"].build(n_tags=3, **NARROW)
    assert type(baseline.layers[0].activation).__name__ == "ELU"
    assert all(type(b.activation).__name__ == "AReLU" for b in arelu.layers)
    assert [type(b.mixer).__name__ for b in sa4.layers] == ["Conv2d"] * 3 + ["StandAloneSelfAttention2d", "Conv2d"]
    # Options given to build() win over the row's (the exercise: AReLU inside the attention model).
    both = experiment.ROWS["sa_layer3"].build(activation="arelu", n_tags=3, **NARROW)
    assert type(both.layers[2].mixer).__name__ == "StandAloneSelfAttention2d"
    assert type(both.layers[2].activation).__name__ == "AReLU"


def test_measured_complexity_matches_table1_and_savings_are_relative_to_the_baseline():
    measured = experiment.complexity()
    assert list(measured.index) == list(experiment.ROWS)[:5]
    for name, row in measured.iterrows():
        assert row["params"] == experiment.PAPER_TABLE1[name]["params"]
        assert row["gflops"] == pytest.approx(experiment.PAPER_TABLE1[name]["gflops"], abs=0.02)
    cost = experiment.complexity_vs_paper(measured)
    assert cost.loc["baseline", "params saved (ours)"] == "0.0%"
    assert cost.loc["sa_layer3", "params saved (paper)"] == "21.9%"
    tidy = experiment.complexity_long(measured)
    assert len(tidy) == 5 * 2 * 2 and set(tidy["source"]) == {"measured", "paper"}
    paper_row = tidy[(tidy["row"] == "arelu") & (tidy["source"] == "paper") & (tidy["quantity"] == "GFLOPs")]
    assert paper_row["value"].item() == 3.32


def test_paper_results_are_keyed_row_dot_metric_in_table_order():
    results = experiment.paper_results()
    assert list(results)[:4] == ["baseline.roc_auc", "baseline.pr_auc", "sa_layer3.roc_auc", "sa_layer3.pr_auc"]
    assert results["fusion_all.pr_auc"] == 0.118
    assert experiment.paper_results(["arelu"], ("gflops", "params")) == {"arelu.gflops": 3.32, "arelu.params": 448132}


def test_tag_targets_are_sorted_float32_multi_hot():
    vocabulary, y = experiment.tag_targets(pd.Series([["sad", "dark"], ["happy"], ["dark"]]))
    assert vocabulary == ["dark", "happy", "sad"]
    assert y.dtype == np.float32
    np.testing.assert_array_equal(y, [[1, 0, 1], [0, 1, 0], [1, 0, 0]])


def test_split_indices_are_positions_per_split():
    table = pd.DataFrame({"split": ["test", "train", "validation", "train"]})
    split = experiment.split_indices(table)
    assert list(split) == ["train", "validation", "test"]
    np.testing.assert_array_equal(split["train"], [1, 3])


def test_training_batches_are_those_of_the_former_tensor_loader():
    """Same seeded shuffle, float32 inputs and targets: the refactor changes no batch."""
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(20, 4, 6)).astype(np.float32), (rng.random((20, 3)) > 0.5).astype(np.float32)
    split = {"train": np.arange(12), "validation": np.arange(12, 16), "test": np.arange(16, 20)}
    loaders = experiment.loaders(x, y, split, seed=3, batch_size=5)
    former = DataLoader(TensorDataset(torch.as_tensor(x[:12]), torch.as_tensor(y[:12])), batch_size=5,
                        shuffle=True, generator=torch.Generator().manual_seed(3))
    for (inputs, targets), (x_old, y_old) in zip(loaders["train"], former, strict=True):
        assert len(inputs) == 1 and inputs[0].dtype == targets.dtype == torch.float32
        torch.testing.assert_close(inputs[0], x_old)
        torch.testing.assert_close(targets, y_old)
    (test_inputs, _), = list(loaders["test"])   # one batch of up to EVAL_BATCH_SIZE, in order
    torch.testing.assert_close(test_inputs[0], torch.as_tensor(x[16:]))


def test_training_crops_are_random_windows_of_the_clip_and_evaluation_reads_it_whole():
    x = np.arange(6 * 2 * 400, dtype=np.float32).reshape(6, 2, 400)
    y = np.zeros((6, 1), np.float32)
    split = {"train": np.arange(4), "validation": np.arange(4, 5), "test": np.arange(5, 6)}
    loaders = experiment.loaders(x, y, split, seed=0, batch_size=4, train_frames=experiment.MIN_FRAMES)
    starts = set()
    for _ in range(3):  # a new crop every epoch
        (inputs,), _ = next(iter(loaders["train"]))
        assert inputs.shape == (4, 2, experiment.MIN_FRAMES)
        for crop in inputs:  # a contiguous window of one clip
            clip, start = divmod(int(crop[0, 0]), 2 * 400)
            torch.testing.assert_close(crop, torch.as_tensor(x[clip][:, start:start + experiment.MIN_FRAMES]))
            starts.add(start)
    assert len(starts) > 1
    (whole,), _ = next(iter(loaders["test"]))
    assert whole.shape == (1, 2, 400)
    with pytest.raises(ValueError, match="at least 320"):
        experiment.loaders(x, y, split, seed=0, batch_size=4, train_frames=100)


def _trained(y_score, best_epoch, seconds):
    return train.Trained(model=None, history={}, best_epoch=best_epoch, seconds=seconds, y_true=None, y_score=y_score)


def test_score_row_averages_members_and_tunes_thresholds_on_validation():
    rng = np.random.default_rng(1)
    y_val, y_test = (rng.random((30, 4)) > 0.6).astype(np.float32), (rng.random((30, 4)) > 0.6).astype(np.float32)
    y_val[0], y_test[0] = 1, 1   # every tag has positives
    outputs = {m: (rng.random((30, 4)), rng.random((30, 4))) for m in ("sa_layer3", "arelu")}
    trained = {"sa_layer3": _trained(outputs["sa_layer3"][1], 2, 1.5), "arelu": _trained(outputs["arelu"][1], 5, 2.0)}
    validation = {m: v for m, (v, _) in outputs.items()}

    single = experiment.score_row(experiment.ROWS["arelu"], trained, validation, y_val, y_test)
    expected = metrics.tagging_scores(y_test, outputs["arelu"][1],
                                      metrics.best_f1_thresholds(y_val, outputs["arelu"][0]))
    assert single == {**expected, "best_epoch": 5.0, "train_s": 2.0}

    fused = experiment.score_row(experiment.ROWS["fusion_sa3_arelu"], trained, validation, y_val, y_test)
    thresholds = metrics.best_f1_thresholds(y_val, late_fusion(validation["sa_layer3"], validation["arelu"]))
    assert fused["f1_macro"] == metrics.tagging_scores(
        y_test, late_fusion(trained["sa_layer3"].y_score, trained["arelu"].y_score), thresholds)["f1_macro"]
    assert (fused["best_epoch"], fused["train_s"]) == (3.5, 3.5)


def test_arelu_parameters_start_at_the_initial_slope_and_gain():
    learnt = experiment.arelu_parameters(experiment.ROWS["arelu"].build(n_tags=3, **NARROW))
    assert list(learnt) == [f"layer {i}" for i in range(1, 6)]
    assert learnt["layer 1"]["negative slope C(α)"] == pytest.approx(0.9)
    assert learnt["layer 5"]["positive gain 1+σ(β)"] == pytest.approx(1 + 1 / (1 + np.exp(-2)))
    assert experiment.arelu_parameters(experiment.ROWS["baseline"].build(n_tags=3, **NARROW)) == {}


def test_recompute_published_puts_ours_next_to_the_challenge_and_table1():
    rng = np.random.default_rng(2)
    truth = (rng.random((40, 5)) > 0.7).astype(np.float32)
    truth[0] = 1
    predictions = {row: rng.random((40, 5)) for row in experiment.PUBLISHED}
    table = experiment.recompute_published(truth, predictions)
    assert list(table.index) == list(experiment.PUBLISHED)
    assert table.loc["sub1_arelu", "ROC-AUC (ours)"] == metrics.roc_auc_macro(truth, predictions["sub1_arelu"])
    assert table.loc["sub1_arelu", "ROC-AUC (published)"] == mediaeval2020.PUBLISHED_MACRO["Submission1_AReLU"][0]
    assert table.loc["sub3_fusion", "PR-AUC (Table 1)"] == 0.114
    assert not table["agree to 4 decimals"].any()   # random scores do not reproduce the challenge


class _Corpus:
    def __init__(self, table):
        self.table, self.name = table, "fake"


def test_mel_inputs_read_official_melspecs_cut_and_padded(tmp_path):
    paths = []
    for i, frames in enumerate((10, 3)):
        paths.append(tmp_path / f"{i}.npy")
        np.save(paths[-1], np.full((96, frames), float(i), dtype=np.float64))
    corpus = _Corpus(pd.DataFrame({"track_id": ["a", "b"], "melspec_path": [str(p) for p in paths]}))
    mels = experiment.mel_inputs(corpus, n_frames=5, track_ids=["b"])
    assert list(mels) == ["b"] and mels["b"].shape == (96, 5) and mels["b"].dtype == np.float32
    np.testing.assert_array_equal(mels["b"][:, 3:], SILENCE_DB)


def test_trainable_clips_need_media_and_a_split():
    table = pd.DataFrame({"track_id": list("abcd"), "split": ["train", "train", None, "test"],
                          "audio_path": ["a.mp3", "b.mp3", "c.mp3", None]})
    clips = experiment.trainable_clips(_Corpus(table))
    assert list(clips["track_id"]) == ["a", "b"]
    assert len(experiment.trainable_clips(_Corpus(table), max_tracks=1, seed=0)) == 1
    assert experiment.trainable_clips(_Corpus(table.drop(columns="audio_path"))) is None



def _dataset(**columns):
    table = pd.DataFrame({"track_id": ["a", "b"], "split": ["train", "test"], **columns})
    return MERDataset(name="mine", table=table, root=Path("."))


def test_every_row_runs_when_the_dataset_has_audio_and_tags():
    chosen, status = experiment.runnable_rows(_dataset(audio_path=["a.wav", "b.wav"], tags=[["sad"], ["dark"]]))
    assert chosen == list(experiment.ROWS.values())
    assert (status["status"] == "ran").all() and status.loc["baseline", "needs"] == "audio"


def test_a_dataset_without_tags_is_refused_when_rows_need_them():
    with pytest.raises(DatasetError, match=r"mine can feed none .*baseline: lacks tags"):
        experiment.runnable_rows(_dataset(audio_path=["a.wav", "b.wav"], quadrant=["Q1", "Q2"]))


def test_official_melspecs_stand_in_for_audio_when_rows_read_mel_spectrograms():
    chosen, _ = experiment.runnable_rows(_dataset(melspec_path=["a.npy", None], tags=[["sad"], ["dark"]]))
    assert len(chosen) == len(experiment.ROWS)


def test_rows_are_all_skipped_not_refused_when_training_is_optional():
    chosen, status = experiment.runnable_rows(_dataset(tags=[["sad"], ["dark"]]), required=False)
    assert chosen == []
    assert status.loc["arelu", "status"] == "skipped: lacks audio"
    assert status.loc["fusion_all", "status"] == "skipped: needs baseline, sa_layer3, arelu"
    assert list(status.columns) == ["needs", "status"] and status.index.name == "row"


def _random_submission(folder: Path, seed: int) -> np.ndarray:
    folder.mkdir(parents=True)
    scores = np.random.default_rng(seed).random(mediaeval2020.SHAPE, dtype=np.float32)
    np.save(folder / "predictions.npy", scores)
    return scores


def test_a_submission_folder_is_scored_next_to_the_published_systems_when_given(tmp_path):
    rng = np.random.default_rng(0)
    truth = rng.random(mediaeval2020.SHAPE) < 0.05
    truth[0], truth[1] = True, False   # every tag has positives and negatives
    published = {row: rng.random(mediaeval2020.SHAPE) for row in experiment.PUBLISHED}
    scores = _random_submission(tmp_path / "team x" / "run1", seed=1)
    np.save(tmp_path / "winner.npy", scores[::-1].copy())

    others = experiment.load_submissions([tmp_path / "team x" / "run1", str(tmp_path / "winner.npy")])
    assert list(others) == ["run1", "winner"]
    np.testing.assert_array_equal(others["run1"], scores)
    table = experiment.recompute_published(truth, {**published, **others})
    assert list(table.index) == [*experiment.PUBLISHED, "run1", "winner"]
    assert list(table.columns) == list(experiment.recompute_published(truth, published).columns)
    assert table.loc["run1", "ROC-AUC (ours)"] == metrics.roc_auc_macro(truth, scores)
    assert table.loc["run1", "PR-AUC (ours)"] == metrics.pr_auc_macro(truth, scores)
    assert 0.45 < table.loc["run1", "ROC-AUC (ours)"] < 0.55   # random scores: chance
    assert table.loc[["run1", "winner"], ["ROC-AUC (published)", "PR-AUC (Table 1)"]].isna().all(axis=None)
    assert pd.isna(table.loc["run1", "agree to 4 decimals"])   # nothing published to agree with
    assert table.loc[list(experiment.PUBLISHED), "agree to 4 decimals"].tolist() == [False] * 5


def test_without_other_submissions_the_published_table_keeps_its_bool_column():
    rng = np.random.default_rng(3)
    truth = (rng.random((40, 5)) > 0.7)
    truth[0] = True
    table = experiment.recompute_published(truth, {row: rng.random((40, 5)) for row in experiment.PUBLISHED})
    assert table["agree to 4 decimals"].dtype == bool


@pytest.mark.parametrize("names, message", [
    (["a/run1", "b/run1"], r"'run1', the label of another submission"),
    (["a/sub1_arelu"], r"'sub1_arelu', the label of a published system"),
])
def test_submission_labels_must_be_distinct_from_each_other_and_the_published_rows(tmp_path, names, message):
    for seed, name in enumerate(names):
        _random_submission(tmp_path / name, seed)
    with pytest.raises(ValueError, match=message):
        experiment.load_submissions([tmp_path / n for n in names])


def test_no_submissions_load_nothing():
    assert experiment.load_submissions([]) == {}


# --- the paper's claims, for the verdict table -------------------------------------------------

def test_cost_verdicts_hold_when_the_measured_saving_reaches_the_stated_one():
    measured = pd.DataFrame({"gflops": [3.32, 2.92], "params": [448122, 350074]}, index=["baseline", "sa_layer3"])
    flops, params = experiment.cost_verdicts(measured)
    assert flops.holds and "12.0% fewer" in flops.evidence and "11% fewer FLOPs" in flops.claim
    assert params.holds and "21.9% fewer" in params.evidence        # 21.9 % rounds to the stated 22 %
    heavier = experiment.cost_verdicts(measured.assign(params=[448122, 400000]))[1]
    assert heavier.verdict == verdicts.FAILS
    assert experiment.saving_rounds_to(0.105, 0.11) and not experiment.saving_rounds_to(0.104, 0.11)


def test_accuracy_verdicts_read_trained_or_published_scores_and_say_why_not():
    scores = pd.DataFrame([{"row": row, "seed": seed, "roc_auc": base + 0.01 * seed, "pr_auc": base / 2}
                           for seed in (0, 1, 2) for row, base in (("baseline", 0.70), ("sa_layer3", 0.72),
                                                                   ("arelu", 0.71), ("fusion_sa3_arelu", 0.74),
                                                                   ("fusion_all", 0.75))])
    table = verdicts.table(experiment.accuracy_verdicts(scores, "trained here"))
    assert len(table) == len(experiment.ACCURACY_CLAIMS) and table.index.str.endswith("(trained here)").all()
    assert (table["verdict"] == verdicts.HOLDS).all(), table
    untrained = verdicts.table(experiment.accuracy_verdicts(None, "trained here", "nothing was trained"))
    assert (untrained["verdict"] == verdicts.UNTESTABLE).all() and (untrained["evidence"] == "nothing was trained").all()
    recomputed = pd.DataFrame({"ROC-AUC (ours)": [0.7281, 0.7169, 0.7323, 0.7353, 0.7258],
                               "PR-AUC (ours)": [0.1073, 0.1083, 0.1136, 0.1179, 0.1077]},
                              index=list(experiment.PUBLISHED))
    published = experiment.published_scores(recomputed)
    assert set(published["row"]) == {"arelu", "sa_layer3", "fusion_sa3_arelu", "fusion_all", "baseline"}
    marks = verdicts.table(experiment.accuracy_verdicts(published, "published predictions"))
    assert (marks["verdict"] == verdicts.HOLDS).all() and marks["evidence"].str.contains("one seed").all()
