"""mmer_analysis experiments: the rows, their models and loaders, data preparation, the
analysis tables, the paper's claims and the social-tag analysis."""

import numpy as np
import pandas as pd
import pytest
import torch
from torch import nn

from mer_lib import features, metrics, reporting, train, verdicts
from mer_lib.data.balance import balance_quadrants
from mer_lib.experiments import mmer_analysis as experiment
from mer_lib.experiments import mmer_analysis_findings as findings
from mer_lib.experiments import rows
from mer_lib.models import mmer_analysis as networks

# Small models: one torch thread is as fast, and avoids OpenMP spin-waiting on a busy CPU.
pytestmark = pytest.mark.usefixtures("one_torch_thread")

SIZES = {"frames": 201, "words": 100, "dim": 300, "channels": 8, "freeze": True}


# --- rows -----------------------------------------------------------------------------------------

def test_rows_are_three_unimodal_models_and_two_fusions_of_them():
    assert list(experiment.ROWS) == ["audio", "lyrics", "comments", "audio_lyrics", "audio_comments"]
    for row in experiment.ROWS.values():
        assert row.targets == ("valence", "arousal") and row.inputs == row.modalities
        assert set(row.reuses) <= set(experiment.ROWS) and row.reuses in ((), row.inputs)
    order = [row.name for row in experiment.training_order(list(experiment.ROWS.values())[::-1])]
    assert order[:3] == ["comments", "lyrics", "audio"] and set(order[3:]) == {"audio_lyrics", "audio_comments"}


def test_selecting_a_fusion_without_its_unimodal_rows_is_refused():
    with pytest.raises(ValueError, match=r"MODELS: 'audio_comments' is built from the trained \['comments'\]"):
        rows.select(experiment.ROWS, ["audio", "audio_comments"])
    with pytest.raises(ValueError, match="Did you mean 'audio_lyrics'"):
        rows.select(experiment.ROWS, ["audio_lyric"])


def test_availability_says_which_rows_a_dataset_without_comments_can_feed():
    selected = list(experiment.ROWS.values())
    running, status, table = experiment.availability(selected, ("audio", "lyrics"),
                                                     ("valence", "arousal", "quadrant"))
    assert [row.name for row in running] == ["audio", "lyrics", "audio_lyrics"]
    assert list(status.columns) == ["needs", "status"] and status.index.name == "row"
    assert status.loc["audio_comments", "status"] == "skipped: lacks comments"
    assert list(table.columns) == ["reads", "runs", "why not"] and table.index.name == "experiment"
    assert table.loc["audio_comments", "reads"] == "audio + comments"
    assert table.loc["comments", "why not"] == "the dataset has no comments" and table.loc["audio", "why not"] == ""


def test_availability_skips_every_row_without_an_error_when_the_dataset_feeds_none():
    selected = list(experiment.ROWS.values())
    running, status, none = experiment.availability(selected, ("context",), ("valence", "arousal"))
    assert running == [] and not none["runs"].any()
    assert status.loc["audio_lyrics", "status"] == "skipped: lacks audio, lyrics"
    assert status["status"].str.startswith("skipped: lacks").all()
    assert none.loc["audio_lyrics", "why not"] == "the dataset has no audio and no lyrics"


def test_each_row_builds_its_network_and_a_fusion_copies_the_trained_branches():
    audio = experiment.ROWS["audio"].build(**experiment.model_options(experiment.ROWS["audio"], {}, **SIZES))
    lyrics_row = experiment.ROWS["lyrics"]
    lyrics = lyrics_row.build(**experiment.model_options(lyrics_row, {}, **SIZES))
    assert isinstance(audio, networks.AudioCNN) and audio.frames == 201
    assert isinstance(lyrics, networks.TextCNN) and (lyrics.words, lyrics.dim) == (100, 300)
    fusion_row = experiment.ROWS["audio_lyrics"]
    options = experiment.model_options(fusion_row, {"audio": audio, "lyrics": lyrics}, **SIZES)
    assert options == {"freeze": True, "audio": audio, "text": lyrics}
    fused = fusion_row.build(**options)
    assert isinstance(fused, networks.FusionCNN) and fused.feature_sizes == (audio.feature_size, lyrics.feature_size)
    assert torch.equal(fused.audio.convs[0].weight, audio.convs[0].weight)
    with pytest.raises(ValueError, match=r"needs the trained \['comments'\]"):
        experiment.model_options(experiment.ROWS["audio_comments"], {"audio": audio}, **SIZES)
    wide = experiment.model_options(experiment.ROWS["audio"], {}, **SIZES, audio_channels=24)
    assert wide == {"frames": 201, "channels": 24}
    assert experiment.model_options(lyrics_row, {}, **SIZES, audio_channels=24)["channels"] == 8


def test_loaders_give_a_rows_inputs_in_order_as_float32_and_shuffle_training_only():
    rng = np.random.default_rng(0)
    arrays = {"audio": {s: rng.normal(size=(6, 20, 201)) for s in ("train", "validation", "test")},
              "lyrics": {s: rng.normal(size=(6, 100, 300)).astype(np.float32) for s in ("train", "validation", "test")}}
    targets = {s: rng.uniform(-1, 1, (6, 2)) for s in arrays["audio"]}
    loaders = experiment.loaders(experiment.ROWS["audio_lyrics"], arrays, targets, seed=3, batch_size=4)
    (audio, lyrics), y = next(iter(loaders["validation"]))
    assert audio.dtype == lyrics.dtype == y.dtype == torch.float32
    assert torch.equal(audio, torch.as_tensor(arrays["audio"]["validation"][:4], dtype=torch.float32))
    assert tuple(lyrics.shape) == (4, 100, 300)
    assert isinstance(loaders["train"].sampler, torch.utils.data.RandomSampler)
    assert not isinstance(loaders["test"].sampler, torch.utils.data.RandomSampler)


def test_a_row_trained_through_fit_and_test_overfits_a_tiny_batch():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(16, 20, 201)).astype(np.float32)
    y = rng.uniform(-1, 1, size=(16, 2)).astype(np.float32)
    arrays = {"audio": {split: x for split in ("train", "validation", "test")}}
    targets = {split: y for split in arrays["audio"]}
    row = experiment.ROWS["audio"]
    model = row.build(dropout=0.0, **experiment.model_options(row, {}, **SIZES))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    result = train.fit_and_test(model, experiment.loaders(row, arrays, targets, seed=0, batch_size=16), nn.MSELoss(),
                                optimizer, max_epochs=150, patience=150, val_metric=metrics.selection_metric(2, False),
                                device="cpu", score=metrics.va_scores)
    assert result.scores["r2_valence"] > 0.9 and result.scores["r2_arousal"] > 0.9
    run = reporting.training_run("audio", 0, result, metric="best_val_r2")
    assert list(run) == ["row", "seed", "epochs_run", "best_epoch", "best_val_r2", "seconds"]
    assert run["best_val_r2"] == max(result.history["val_metric"]) and run["best_epoch"] == result.best_epoch


# --- data preparation ---------------------------------------------------------------------------

def _table(n=40):
    rng = np.random.default_rng(1)
    table = pd.DataFrame({"track_id": [f"t{i}" for i in range(n)], "split": ["train"] * (n - 8) + ["test"] * 8,
                          "valence": rng.uniform(-1, 1, n), "arousal": rng.uniform(-1, 1, n)})
    return experiment.with_quadrants(table)


def test_excerpt_frames_of_the_papers_73_second_crop_are_the_audio_cnns_input():
    assert experiment.excerpt_frames(73.0) == networks.AUDIO_FRAMES == 1502   # 45 s of 30 ms windows
    assert experiment.excerpt_frames(10.0) == 201


def test_excerpt_frames_match_the_feature_extractor():
    y = np.random.default_rng(0).normal(size=22050 * 12).astype(np.float32)
    mfcc = features.compute("mmer_analysis_mfcc", (y, 22050), seconds=10.0, n_frames=None)
    assert mfcc.shape == (20, experiment.excerpt_frames(10.0)) == (20, 201)


def test_keep_fraction_touches_one_quadrant_of_one_split():
    table = _table()
    kept = experiment.keep_fraction(table, "Q2", 0.5, seed=0)
    count = lambda t, split, q: int(((t.split == split) & (t.quadrant == q)).sum())
    assert count(kept, "train", "Q2") == round(0.5 * count(table, "train", "Q2"))
    for q in ("Q1", "Q3", "Q4"):
        assert count(kept, "train", q) == count(table, "train", q)
    assert count(kept, "test", "Q2") == count(table, "test", "Q2")
    with pytest.raises(ValueError, match="fraction"):
        experiment.keep_fraction(table, "Q2", 0.0)


def test_balance_summary_counts_removed_and_duplicated():
    table = _table()
    summary = experiment.balance_summary(table, balance_quadrants(table, 8, seed=0))
    assert (summary["after"] == 8).all()
    assert (summary["before"] - summary["removed"] + summary["duplicated"] == summary["after"]).all()
    assert ((summary["removed"] == 0) | (summary["duplicated"] == 0)).all()


def test_oov_rate_counts_the_words_the_vectors_do_not_know():
    class Vectors(dict):
        vector_size = 3

    words = {"a": np.array(["x", "y", "z"]), "b": np.array(["x"])}
    vectors = Vectors(x=np.ones(3, np.float32), y=np.full(3, 2, np.float32))
    assert experiment.oov_rate(words, vectors, ["a", "b"]) == pytest.approx(1 / 4)
    assert np.isnan(experiment.oov_rate({"c": np.array([])}, vectors, ["c"]))


def test_duplicate_crop_distances_compare_a_copy_with_its_source():
    table = pd.DataFrame({"track_id": ["a", "b", "a#1"], "split": "train", "duplicate": [0, 0, 1],
                          "source_track_id": ["a", "b", "a"]})
    x = np.stack([np.zeros((2, 4)), np.ones((2, 4)), np.full((2, 4), 0.5)]).astype(np.float32)
    crops = experiment.duplicate_crop_distances(table, x)
    assert crops.iloc[0].tolist() == [0.5, 0]
    assert experiment.duplicate_crop_distances(table.iloc[:2], x[:2]) is None


# --- analysis tables ------------------------------------------------------------------------------

def test_fusion_share_table_shows_the_papers_and_this_profiles_excerpt():
    shares = experiment.fusion_share_table(10.0, 500, 32)
    assert list(shares.index) == ["paper (45 s excerpt)", "this profile (10 s crop)"]
    assert shares["MFCC frames"].tolist() == [1502, 201] and shares["audio map steps"].tolist() == [22, 2]
    assert round(shares.loc["paper (45 s excerpt)", "audio share"], 4) == 0.2651
    assert round(shares.loc["this profile (10 s crop)", "audio share"], 4) == 0.0317   # equal filters
    restored = experiment.fusion_share_table(10.0, 500, 32, networks.paper_share_audio_channels(201, 500, 32))
    assert restored["audio filters"].tolist() == [32, 352] and restored["text filters"].tolist() == [32, 32]
    assert restored["audio share"].round(4).tolist() == [0.2651, 0.2651]


def test_layer_shape_and_parameter_count_tables():
    audio, text = networks.AudioCNN(frames=201), networks.TextCNN(words=100)
    walk = experiment.layer_shape_table({"audio CNN": audio, "text CNN": text})
    assert walk.loc[("audio CNN", "input"), "output shape"] == (2, 20, 201)
    assert walk.loc["text CNN"].index[-1] == "Flatten"
    counts = experiment.parameter_count_table(audio, text, freeze=True)
    assert list(counts.index) == ["audio CNN", "text CNN", "fusion (freeze=True)"]
    assert counts.iloc[2, 0] == (audio.feature_size + text.feature_size) * 256 + 256 + 256 * 2 + 2


def _scores():
    lines = []
    for seed, shift in ((0, 0.0), (1, 0.1)):
        for row, (v, a) in {"audio": (0.1, 0.5), "lyrics": (0.4, 0.1), "comments": (0.5, 0.2),
                            "audio_lyrics": (0.45, 0.5)}.items():
            lines.append({"row": row, "seed": seed, "r2_valence": v + shift, "r2_arousal": a,
                          "r2_mean": (v + shift + a) / 2, "acc_q1": 0.5, "acc_q2": 0.25})
    return pd.DataFrame(lines)


def test_paired_comparisons_are_per_seed_differences_of_the_rows_that_ran():
    paired = experiment.paired_comparisons(_scores(), ["audio", "lyrics", "comments", "audio_lyrics"])
    assert list(paired.columns) == ["mean", "std over seeds", "seeds where > 0"]
    assert ("audio_comments − audio", "r2_mean") not in paired.index
    assert paired.loc[("comments − lyrics", "r2_valence"), "mean"] == pytest.approx(0.1)
    assert paired.loc[("audio: arousal − valence", "r2"), "seeds where > 0"] == "2/2"
    assert paired.loc[("audio_lyrics − audio", "r2_mean"), "std over seeds"] == pytest.approx(0.0, abs=1e-12)


def test_tidy_scores_are_long_per_seed_lines_for_seaborn():
    tidy = experiment.tidy_scores(_scores(), ["acc_q1", "acc_q2"], name="quadrant")
    assert list(tidy.columns) == ["row", "seed", "metric", "value", "quadrant"] and len(tidy) == 16
    assert set(tidy["quadrant"]) == {"q1", "q2"}


def test_prediction_ranges_and_bootstrap_intervals_per_row():
    y = np.array([[-0.5, 0.2], [0.5, -0.4], [0.1, 0.9], [-0.2, -0.1]])
    predictions = {("audio", 2): (y, 0.5 * y)}
    ranges = experiment.prediction_ranges(predictions, ["audio"], 2)
    assert ranges.loc[("audio", "valence")].tolist() == [-0.5, 0.5, -0.25, 0.25]
    intervals = experiment.bootstrap_intervals(predictions, ["audio"], 2, n_boot=20)
    assert list(intervals.columns) == ["r2_valence", "r2_arousal"] and "–" in intervals.loc["audio", "r2_valence"]


# --- claims ----------------------------------------------------------------------------

def _row(r2v, r2a, mae=0.3, acc=(0.5, 0.5, 0.5, 0.5), ratio=0.6):
    return {"r2_valence": r2v, "r2_arousal": r2a, "r2_mean": (r2v + r2a) / 2, "mae_valence": mae,
            "mae_arousal": mae, "range_ratio_valence": ratio, "range_ratio_arousal": ratio,
            **{f"acc_q{i + 1}": a for i, a in enumerate(acc)}, "quadrant_acc_std": float(np.std(acc))}


def test_claims_hold_on_the_papers_pattern_and_fail_on_its_opposite():
    paper_like = {"audio": _row(0.1, 0.5, 0.35), "lyrics": _row(0.3, 0.1, 0.3, (0.9, 0.2, 0.5, 0.6)),
                  "comments": _row(0.4, 0.15, 0.25, (0.9, 0.3, 0.4, 0.7)),
                  "audio_lyrics": _row(0.3, 0.5, 0.3, (0.7, 0.7, 0.4, 0.4)),
                  "audio_comments": _row(0.35, 0.55, 0.28, (0.7, 0.7, 0.4, 0.4))}
    table = findings.evaluate_claims(paper_like)
    assert table["holds"].all(), table[~table["holds"].astype(bool)]
    assert set(table.index) == set(findings.paper_claims().index)
    flipped = {row: {**values, "r2_valence": values["r2_arousal"], "r2_arousal": values["r2_valence"]}
               for row, values in paper_like.items()}
    assert not findings.evaluate_claims(flipped).loc["audio_arousal_over_valence", "holds"]
    partial = findings.evaluate_claims({"audio": paper_like["audio"]})
    assert partial.loc["audio_arousal_over_valence", "ours"] == pytest.approx(0.4)
    assert partial.loc["comments_lower_errors", "holds"] is None


def _per_seed(rows_by_seed):
    return pd.DataFrame([{"row": row, "seed": seed, **values} for seed, by_row in rows_by_seed.items()
                         for row, values in by_row.items()])


def test_claim_verdicts_read_the_per_seed_margins_and_say_why_a_claim_is_untestable():
    seeds = {seed: {"audio": _row(0.1, 0.5 + 0.01 * seed), "lyrics": _row(0.3, 0.1 + 0.2 * (seed - 1))}
             for seed in range(3)}
    scores = _per_seed(seeds)
    audio_gap = findings.CLAIMS[0]
    assert findings.claim_margins(scores, audio_gap).tolist() == pytest.approx([0.4, 0.41, 0.42])
    table = verdicts.table(findings.claim_verdicts(scores, {"comments": "the dataset has no comments"}))
    assert table.loc[audio_gap.paper, "verdict"] == verdicts.HOLDS and "3/3" in table.loc[audio_gap.paper, "evidence"]
    lyrics = findings.CLAIMS[1].paper            # R²(V) − R²(A) = 0.4, 0.2, 0.0: positive mean, noisy
    assert table.loc[lyrics, "verdict"] == verdicts.FAILS
    comments = table.loc[findings.CLAIMS[2].paper]
    assert comments["verdict"] == verdicts.UNTESTABLE and "the dataset has no comments" in comments["evidence"]
    ranges = findings.CLAIMS[9]                   # "< 1": the margin is 1 − the largest range ratio
    assert findings.claim_margins(scores, ranges).tolist() == pytest.approx([0.4] * 3)
    nothing = verdicts.table(findings.claim_verdicts(pd.DataFrame()))
    assert (nothing["verdict"] == verdicts.UNTESTABLE).all() and len(nothing) == len(findings.CLAIMS)


def test_the_dataset_verdict_is_testable_on_the_papers_data_only():
    stats = {"share_q1": 0.3, "share_q2": 0.1, "share_q3": 0.3, "share_q4": 0.3, "q2_smallest_quadrant": 1.0}
    assert findings.dataset_verdict(stats, paper_data=True).verdict == verdicts.HOLDS
    assert "Q2 10.0%" in findings.dataset_verdict(stats, paper_data=True).evidence
    other = findings.dataset_verdict(stats, paper_data=False, dataset="synthetic")
    assert other.verdict == verdicts.UNTESTABLE and "synthetic is not the paper's dataset" in other.evidence
    assert findings.dataset_verdict({**stats, "q2_smallest_quadrant": 0.0}, True).verdict == verdicts.FAILS


def test_paper_results_keys_are_report_names():
    paper = findings.paper_results(dataset=True)
    assert paper["dataset.n_songs"] == 9972 and paper["dataset.q2_smallest_quadrant"] == 1
    assert paper["claims.ranges_narrower"] == 1.0


# --- the social-tag dataset -----------------------------------------------------------------------

def test_quadrant_statistics_find_the_scarce_quadrant():
    table = _table()
    counts = pd.crosstab(table["split"], table["quadrant"]).reindex(columns=list(metrics.QUADRANTS), fill_value=0)
    counts.loc["all"] = counts.sum()
    stats = findings.quadrant_statistics(table, counts)
    assert stats["n_songs"] == 40 and sum(stats[f"share_q{i}"] for i in range(1, 5)) == pytest.approx(1)
    assert stats["q2_smallest_quadrant"] == float(counts.loc["all"].idxmin() == "Q2")


def _tag_table():
    rng = np.random.default_rng(0)
    tags = ("calmness", "sadness", "happiness")
    position = {"calmness": (0.3, -0.5), "sadness": (-0.6, -0.3), "happiness": (0.8, 0.4)}
    counts = rng.integers(0, 6, size=(200, 3)) + np.array([1, 0, 0])
    va = counts @ np.array([position[t] for t in tags]) / counts.sum(axis=1, keepdims=True)
    table = pd.DataFrame({"split": ["train"] * 150 + ["test"] * 50, "valence": va[:, 0], "arousal": va[:, 1],
                          "emotion_tags": [{t: int(c) for t, c in zip(tags, row) if c} for row in counts]})
    return table, tags, counts


def test_tag_regression_recovers_a_tag_formula():
    table, tags, counts = _tag_table()
    assert list(findings.tag_counts(table, tags).iloc[0]) == list(counts[0])
    assert findings.tag_regression(table, "share")["r2_valence"] > 0.99
    with pytest.raises(ValueError, match="kind"):
        findings.tag_regression(table, "tfidf")
    regression = findings.tag_regressions(table)
    assert list(regression.index) == ["share", "count", "presence"] and regression.index.name == "tag features"


def test_calmness_subsets_and_their_spread():
    table, _, counts = _tag_table()
    tag_counts = findings.tag_counts(table)
    subsets, only = findings.calmness_subsets(tag_counts)
    assert list(subsets) == list(findings.CALMNESS_SUBSETS) and subsets["calmness"].all()
    both = (counts[:, 0] > 0) & (counts[:, 1] > 0)
    assert (subsets["calmness & sadness"] == both).all()
    assert (only["only calmness & sadness"] == (both & (counts[:, 2] == 0))).all()
    spread = findings.subset_spread(table, {**subsets, **only})
    assert spread.loc["calmness", "count"] == 200 and spread.loc["calmness", "share"] == 1.0
    summary = findings.tag_summary(tag_counts)
    assert summary.index[0] == "calmness" and summary.loc["calmness", "songs"] == 200
    stats = findings.tag_statistics(table, tag_counts, findings.tag_regressions(table))
    assert stats["share_with_calmness"] == 1.0 and stats["tag_r2_share_valence"] > 0.99
