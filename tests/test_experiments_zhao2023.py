"""How notebook 03 runs Zhao & Yoshii 2023: rows, targets, loaders, two-stage training, attention tables."""

import numpy as np
import pandas as pd
import pytest
import torch

from mer_lib import metrics, models, train, verdicts
from mer_lib.data.splits import readable_modalities
from mer_lib.experiments import rows
from mer_lib.experiments import zhao2023 as E
from mer_lib.features.symbolic import PAD_ID, VOCAB_SIZE
from mer_lib.models import emopia_baselines
from mer_lib.models import zhao2023 as Z

SETTINGS = {"token_window": 16, "frame_window": 24, "mixed_precision": False}
LENGTHS = {"train_lengths": {"tokens": 16, "chroma": 24, "mfcc": 24, "mel_chunks": 1},
           "eval_lengths": {"tokens": 32, "chroma": 48, "mfcc": 48, "mel_chunks": 2}}


@pytest.fixture
def clips():
    table = pd.DataFrame({"track_id": [f"c{i}" for i in range(6)],
                          "split": ["train"] * 2 + ["validation"] * 2 + ["test"] * 2,
                          "quadrant": ["Q1", "Q2", "Q3", "Q4", "Q1", "Q3"]})
    rng = np.random.default_rng(0)
    n_tokens = [30, 10, 40, 20, 30, 35]
    inputs = {"tokens": {t: rng.integers(0, VOCAB_SIZE, n).astype(np.int16) for t, n in zip(table.track_id, n_tokens)},
              "chroma": {t: rng.random((12, 50), dtype=np.float32) for t in table.track_id},
              "mfcc": {t: rng.standard_normal((25, 50)).astype(np.float32) for t in table.track_id},
              "mel_chunks": {t: rng.standard_normal((3, 8, 10)).astype(np.float32) for t in table.track_id},
              "note_statistics": {t: rng.standard_normal(5) for t in table.track_id}}
    return table, inputs


def test_rows_are_the_papers_table_rows_and_fused_rows_reuse_the_single_branches():
    assert set(E.ROWS) == set(E.PAPER_RESULTS)
    assert set(E.TABLE_I) | set(E.TABLE_III) == set(E.ROWS)
    assert [r.name for r in E.linear_rows()] == ["symbolic_lr", "audio_lr"]
    assert E.ROWS["full"].reuses == E.ROWS["no_mhsa"].reuses == E.BRANCH_ROWS
    assert [E.ROWS[r].options["branches"] for r in E.BRANCH_ROWS] == [(b,) for b in Z.BRANCHES]
    assert rows.select(E.ROWS, list(E.ROWS)) == list(E.ROWS.values())
    ran, status = rows.runnable(list(E.ROWS.values()), ("midi", "audio"), ("quadrant",))
    assert len(ran) == len(E.ROWS) and set(status["status"]) == {"ran"}
    with pytest.raises(ValueError, match="symbolic_only"):
        rows.select(E.ROWS, ["full"])


def test_midi_alone_feeds_every_row_when_clips_without_audio_are_heard_through_their_rendered_midi():
    assert readable_modalities(("midi",)) == ("midi", "audio")
    assert readable_modalities(("audio", "midi", "lyrics")) == ("audio", "midi", "lyrics")
    ran, status = rows.runnable(list(E.ROWS.values()), readable_modalities(("midi",)), ("quadrant",))
    assert len(ran) == len(E.ROWS) and set(status["status"]) == {"ran"}


def test_acoustic_rows_run_and_rows_reading_midi_are_skipped_when_a_dataset_has_audio_only():
    ran, status = rows.runnable(list(E.ROWS.values()), readable_modalities(("audio",)), ("quadrant", "polarity"))
    assert [row.name for row in ran] == ["audio_lr", "harmony_only", "tone_only", "short_chunk_resnet"]
    assert status.loc["full", "needs"] == "midi + audio"
    assert status.loc["lstm_attn", "status"] == status.loc["full", "status"] == "skipped: lacks midi"
    assert [r.name for r in E.linear_rows(ran)] == ["audio_lr"]
    assert [r.name for r in E.trained_rows("clip", 1, among=ran)] == ["harmony_only", "tone_only", "short_chunk_resnet"]
    assert E.trained_rows("clip", 2, among=ran) == []
    assert [r.name for r in E.trained_rows("song", 1, among=ran)] == ["harmony_only", "tone_only"]
    with pytest.raises(ValueError, match="none of the selected rows"):
        rows.runnable(list(E.ROWS.values()), readable_modalities(("midi",)), ("valence", "arousal"))


def test_song_level_options_switch_the_split_when_the_loader_has_one_and_are_none_otherwise():
    assert E.song_level_options("emopia", {"split": "clip", "audio_dir": "x"}) == {"split": "song", "audio_dir": "x"}
    assert E.song_level_options("emopia", {}) == {"split": "song"}
    assert E.song_level_options("synthetic", {"n_clips": 24}) is None
    assert E.song_level_options("folder", {"path": "x"}) is None


def test_extract_inputs_reads_the_start_of_the_audio_and_the_whole_midi_when_inputs_are_named(monkeypatch):
    calls = []
    monkeypatch.setattr(E.features, "extract",
                        lambda clips, name, **options: calls.append((name, options)) or {"c0": name})
    out = E.extract_inputs("clips", ["tokens", "mfcc"], excerpt_seconds=4.0, n_jobs=1)
    assert out == {"tokens": {"c0": "zhao2023_midi_like"}, "mfcc": {"c0": "zhao2023_mfcc"}}
    assert calls == [("zhao2023_midi_like", {"n_jobs": 1}),
                     ("zhao2023_mfcc", {"normalize": False, "excerpt": "first", "seconds": 4.0, "n_jobs": 1})]
    assert set(E.INPUT_FEATURES) == {name for row in E.ROWS.values() for name in row.inputs}


def test_reading_table_keeps_the_rows_of_the_inputs_present_and_seconds_only_when_they_are_known(clips):
    table, inputs = clips
    n_tokens, rate = E.token_counts(inputs, table["track_id"], frames_per_second=10.0)
    assert n_tokens["c1"] == 10 and rate == pytest.approx(np.median(np.array([30, 10, 40, 20, 30, 35]) / 5.0))
    settings = {"token_window": 16, "max_tokens": 32, "frame_window_seconds": 2.0, "frame_window": 21,
                "excerpt_seconds": 4.0, "max_frames": 41, "max_chunks": 2}
    reading = E.reading_table(inputs, n_tokens, rate, **settings)
    assert list(reading.index) == ["symbolic branch, LSTM-Attn", "harmony and tone-colour branches",
                                   "short-chunk ResNet"]
    in_seconds = [f" (≈ {n / rate:.1f} s)" for n in (16, 32)]
    assert reading.iloc[0].tolist() == [f"16 tokens{in_seconds[0]} (the whole clip if shorter)",
                                        f"first 32 tokens{in_seconds[1]}, in windows of 16 (outputs averaged)", "67%"]
    assert reading.iloc[1].tolist() == ["2.0 s (21 frames)",
                                        "first 4 s (41 frames), in windows of 2.0 s (outputs averaged)", "—"]
    whole = E.reading_table(inputs, n_tokens, rate, **{**settings, "max_tokens": 40})
    assert whole.iloc[0, 1] == "every token, in windows of 16 (outputs averaged)" and whole.iloc[0, 2] == "100%"
    no_audio = {"tokens": inputs["tokens"]}
    n_tokens, rate = E.token_counts(no_audio, table["track_id"], frames_per_second=10.0)
    assert np.isnan(rate)
    assert E.reading_table(no_audio, n_tokens, rate, **settings).iloc[0, 0] == "16 tokens (the whole clip if shorter)"
    n_tokens, rate = E.token_counts({"chroma": inputs["chroma"]}, table["track_id"], frames_per_second=10.0)
    assert n_tokens.empty and list(E.reading_table(["chroma", "mfcc"], n_tokens, rate, **settings).index) == [
        "harmony and tone-colour branches"]


def test_paper_numbers_come_as_a_table_and_as_flat_results():
    table = E.paper_table()
    assert list(table.columns) == list(E.METRICS) and table.index.name == "row"
    assert table.loc["full", "q4_acc"] == 0.692
    flat = E.paper_results()
    assert flat["no_mhsa.valence_acc"] == 0.753 and len(flat) == 3 * len(E.PAPER_RESULTS)


def test_two_stage_training_trains_branches_and_baselines_first_and_song_level_only_zhao_rows():
    assert [r.name for r in E.trained_rows("clip", 1)] == [*E.BRANCH_ROWS, "lstm_attn", "short_chunk_resnet"]
    assert [r.name for r in E.trained_rows("clip", 2)] == ["full", "no_mhsa"]
    assert [r.name for r in E.trained_rows("song", 1)] == list(E.BRANCH_ROWS)
    assert E.row_label("full", "song") == "full_song_level" and E.row_label("full", "clip") == "full"
    with pytest.raises(ValueError, match="stage"):
        E.trained_rows("clip", 3)


def test_each_row_builds_its_network_with_the_profile_settings():
    symbolic = E.ROWS["symbolic_only"].build(**E.build_options(E.ROWS["symbolic_only"], **SETTINGS))
    assert isinstance(symbolic, Z.Zhao2023Net) and symbolic.branches == ("symbolic",)
    assert symbolic.encoders["symbolic"].window == 16 and symbolic.head.fusion == "concat"
    lstm = E.ROWS["lstm_attn"].build(**E.build_options(E.ROWS["lstm_attn"], **SETTINGS))
    assert isinstance(lstm, emopia_baselines.LSTMAttention) and lstm.encoder.window == 16
    assert E.build_options(E.ROWS["short_chunk_resnet"], **SETTINGS) == {"mixed_precision": False}
    head = E.ROWS["full"].build(**E.build_options(E.ROWS["full"], **SETTINGS), in_dims=[4, 5, 6])
    assert isinstance(head, Z.FusionHead) and head.fusion == "mhsa"
    with pytest.raises(ValueError, match="not a network"):
        E.ROWS["symbolic_lr"].build()


def test_targets_are_va_probabilities_or_quadrant_indices_and_read_back_as_quadrants():
    quadrants = ["Q1", "Q2", "Q3", "Q4"]
    va, index = E.va_targets(quadrants), E.quadrant_targets(quadrants)
    assert va.dtype == np.float32 and va.tolist() == [[1, 1], [0, 1], [0, 0], [1, 0]]
    assert index.dtype == np.int64 and index.tolist() == [0, 1, 2, 3]
    assert list(metrics.output_quadrants(va)) == list(metrics.output_quadrants(index)) == quadrants
    scores = np.array([[0.9, 0.9], [0.9, 0.9], [0.1, 0.2], [0.6, 0.4]])  # Q1, Q1, Q3, Q4
    assert E.scores(va, scores) == {"q4_acc": 0.75, "valence_acc": 0.75, "arousal_acc": 1.0}


def test_loaders_crop_training_clips_and_read_evaluation_clips_from_the_start(clips):
    table, inputs = clips
    loaders = E.loaders(E.ROWS["full"], table, inputs, batch_size=4, seed=1, **LENGTHS)
    batch, y = next(iter(loaders["train"]))
    assert set(batch) == {"tokens", "chroma", "chroma_length", "mfcc", "mfcc_length"}
    assert batch["tokens"].dtype == torch.int64 and batch["tokens"].shape == (2, 16)
    assert batch["chroma"].shape == (2, 12, 24) and batch["chroma_length"].tolist() == [24, 24]
    assert y.dtype == torch.float32 and y.shape == (2, 2)
    test, _ = next(iter(loaders["test"]))
    assert test["mfcc"].shape == (2, 25, 48) and test["mfcc_length"].tolist() == [48, 48]
    assert test["tokens"][0].tolist() == inputs["tokens"]["c4"].tolist() + [PAD_ID] * 2  # 30 tokens read, 2 padded
    padded = next(iter(E.loaders(E.ROWS["symbolic_only"], table, inputs, batch_size=4, crop_train=False,
                                 **LENGTHS)["train"]))[0]["tokens"][1]
    assert padded[:10].tolist() == inputs["tokens"]["c1"].tolist() and set(padded[10:].tolist()) == {PAD_ID}


def test_a_training_crop_starts_where_the_seeded_generator_says(clips):
    table, inputs = clips
    dataset = E.loaders(E.ROWS["symbolic_only"], table, inputs, seed=3, **LENGTHS)["train"].dataset
    start = int(np.random.default_rng(3).integers(0, 30 - 16 + 1))
    item, target = dataset[0]
    assert item["tokens"].tolist() == inputs["tokens"]["c0"][start:start + 16].tolist()
    assert target.tolist() == [1.0, 1.0]


def test_baseline_rows_get_quadrant_indices_and_chunks_cut_along_their_first_axis(clips):
    table, inputs = clips
    loaders = E.loaders(E.ROWS["short_chunk_resnet"], table, inputs, batch_size=4, **LENGTHS)
    batch, y = next(iter(loaders["train"]))
    assert batch["mel_chunks"].shape == (2, 1, 8, 10) and batch["mel_chunks_length"].tolist() == [1, 1]
    assert y.dtype == torch.int64
    test, y = next(iter(loaders["test"]))
    assert test["mel_chunks"].shape == (2, 2, 8, 10) and y.tolist() == [0, 2]


def test_frozen_branch_vectors_train_a_head_equal_to_the_assembled_model(clips):
    table, inputs = clips
    loaders = E.loaders(E.ROWS["full"], table, inputs, batch_size=4, crop_train=False, **LENGTHS)
    single = {name: E.ROWS[name].build(**E.build_options(E.ROWS[name], **SETTINGS)).eval() for name in E.BRANCH_ROWS}
    branch_models = E.reused_branches(E.ROWS["full"], single)
    assert list(branch_models) == list(Z.BRANCHES)
    vectors = {split: E.branch_features(branch_models, loader, "cpu") for split, loader in loaders.items()}
    features, targets = vectors["test"]
    assert [f.shape for f in features] == [(2, 512), (2, 32), (2, 128)] and targets.shape == (2, 2)
    head_batch, head_y = next(iter(E.head_loaders(vectors, batch_size=4, seed=0)["test"]))
    assert len(head_batch) == 3 and head_y.dtype == torch.float32
    head = E.ROWS["full"].build(in_dims=[f.shape[1] for f in features]).eval()
    full = Z.Zhao2023Net.assemble(branch_models, head, **SETTINGS).eval()
    test_batch, _ = next(iter(loaders["test"]))
    with torch.no_grad():
        torch.testing.assert_close(full(**test_batch), head(*head_batch))
        weights = full(**test_batch, return_attention=True)[1].numpy()
    np.testing.assert_allclose(E.attention_weights(head, features, "cpu"), weights, atol=1e-5)


def test_linear_rows_read_stacked_statistics_and_count_a_weight_per_feature_and_class(clips):
    table, inputs = clips
    x, y = E.statistics_arrays(table, inputs["note_statistics"])
    assert {s: a.shape for s, a in x.items()} == {"train": (2, 5), "validation": (2, 5), "test": (2, 5)}
    assert y["validation"].tolist() == ["Q3", "Q4"]
    single = {name: E.ROWS[name].build(**E.build_options(E.ROWS[name], **SETTINGS)) for name in E.BRANCH_ROWS}
    head = E.ROWS["full"].build(in_dims=[512, 32, 128])
    runs = {("clip", 0, name): train.Trained(model, {"val_metric": [0.5]}, 1, 1.0, None, None)
            for name, model in {**single, "full": head}.items()}
    inputs["audio_statistics"] = {t: np.zeros(7) for t in table.track_id}
    sizes = E.parameter_counts(runs, inputs, split="clip", seed=0, **SETTINGS)
    assert sizes["symbolic_lr"] == 5 * 4 + 4 and sizes["audio_lr"] == 7 * 4 + 4
    assert sizes["full"] == sum(models.count_parameters(m) - models.count_parameters(m.head) for m in single.values()) \
        + models.count_parameters(head)
    assert "lstm_attn" not in sizes
    del inputs["note_statistics"]  # a dataset without MIDI: Symbolic-LR did not run
    assert "symbolic_lr" not in E.parameter_counts(runs, inputs, split="clip", seed=0, **SETTINGS)


def test_runs_come_back_in_table_order_split_by_split_and_seed_by_seed():
    runs = {(split, seed, name): f"{split}{seed}{name}" for split in ("song", "clip") for seed in (1, 0)
            for name in ("no_mhsa", "full", "symbolic_only")}
    ordered = E.runs_in_table_order(runs, ["clip", "song"], [0, 1])
    assert [(r["row"], r["seed"]) for r in ordered[:4]] == [("symbolic_only", 0), ("full", 0), ("no_mhsa", 0),
                                                            ("symbolic_only", 1)]
    assert ordered[6]["row"] == "symbolic_only_song_level" and ordered[6]["result"] == "song0symbolic_only"


def test_attention_tables_average_heads_and_clips_by_true_quadrant():
    rng = np.random.default_rng(0)
    quadrants = np.array(["Q1", "Q2", "Q3", "Q4", "Q1"])
    weights = {seed: rng.dirichlet(np.ones(3), size=(5, 4, 3)) for seed in (0, 1)}
    per_seed = E.attention_received(weights, quadrants)
    assert per_seed.shape == (8, 3) and list(per_seed.columns) == list(Z.BRANCHES)
    np.testing.assert_allclose(per_seed.loc[(1, "Q1")], weights[1][[0, 4]].mean(axis=(0, 1, 2)))
    np.testing.assert_allclose(per_seed.sum(axis=1), 1.0)
    matrices = E.attention_matrices(list(weights.values()), quadrants)
    np.testing.assert_allclose(matrices["Q2"].to_numpy(), (weights[0][1] + weights[1][1]).mean(axis=0) / 2)


def test_paper_and_ours_gives_one_tidy_row_per_source_metric_and_seed():
    scores = pd.DataFrame({"row": ["full", "full", "tone_only"], "seed": [0, 1, 0],
                           "q4_acc": [0.5, 0.6, 0.4], "arousal_acc": [0.7] * 3, "valence_acc": [0.8] * 3})
    tidy = E.paper_and_ours(scores, ["full"], ours="ours")
    assert set(tidy.columns) == {"row", "source", "metric", "value"} and set(tidy["row"]) == {"full"}
    assert len(tidy) == 3 * 3
    assert tidy.query("source == 'paper' and metric == 'q4_acc'")["value"].tolist() == [0.692]


def test_the_protocol_metric_is_the_mean_of_per_batch_accuracies_in_split_order():
    rng = np.random.default_rng(0)
    truth, guess = rng.integers(0, 4, 86), rng.integers(0, 4, 86)
    by_hand = [np.mean(truth[i:i + 16] == guess[i:i + 16]) for i in (0, 16, 32, 48, 64, 80)]  # the last batch: 6
    assert metrics.mean_batch_accuracy(truth, guess, 16) == pytest.approx(sum(by_hand) / 6)
    assert metrics.mean_batch_accuracy(truth[:80], guess[:80], 16) == pytest.approx(np.mean(truth[:80] == guess[:80]))
    # EMOPIA_cls's reported 0.6840278: 197/48 summed batch accuracies over 6 batches (5 of 16, 1 of 6)
    correct = np.r_[np.ones(11), np.zeros(5), np.ones(11), np.zeros(5), np.ones(11), np.zeros(5),
                    np.ones(11), np.zeros(5), np.ones(11), np.zeros(5), np.ones(5), np.zeros(1)]
    assert metrics.mean_batch_accuracy(correct, np.ones(86), 16) == pytest.approx((5 * 11 / 16 + 5 / 6) / 6)
    score = E.protocol_metrics()["batch_q4_acc"]
    assert score(truth, np.eye(4)[guess]) == pytest.approx(sum(by_hand) / 6)


def test_emopia_cls_protocol_reads_the_test_score_of_the_best_validation_epoch_among_all():
    history = {"val_batch_q4_acc": [0.5, 0.7, 0.7, 0.6], "test_batch_q4_acc": [0.4, 0.65, 0.9, 0.3],
               "test_q4_acc": [0.41, 0.64, 0.88, 0.31], "val_metric": [0.5, 0.6, 0.8, 0.9]}
    result = train.Trained(None, history, 4, 0.0, np.zeros(1), np.zeros(1), {"q4_acc": 0.3})
    protocol = E.emopia_cls_protocol(result)
    assert protocol == {"protocol_epoch": 2, "protocol_q4_acc": 0.65, "last_epoch_q4_acc": 0.3}


class FoldStub(torch.nn.Module):
    """A 'branch model' that remembers the clips it was trained on and encodes every clip as its fold id."""

    def __init__(self, fold, trained_on):
        super().__init__()
        self.fold, self.trained_on = fold, set(trained_on)

    def branch_features(self, **inputs):
        return [torch.full((len(next(iter(inputs.values()))), 1), float(self.fold))]


def test_out_of_fold_vectors_never_come_from_a_model_that_saw_the_clip():
    n = 24
    table = pd.DataFrame({"track_id": [f"c{i}" for i in range(n)], "split": ["train"] * 20 + ["test"] * 4,
                          "quadrant": [f"Q{1 + i % 4}" for i in range(n)], "song_id": [f"s{i // 2}" for i in range(n)]})
    inputs = {name: {t: np.ones((12, 8) if name == "chroma" else (25, 8) if name == "mfcc" else 8,
                                dtype=np.float32 if name != "tokens" else np.int64) for t in table.track_id}
              for name in ("tokens", "chroma", "mfcc")}
    fitted = []

    def fit_branch(row, fold_table):
        assert set(fold_table["split"]) == {"train", E.HELD_OUT} and len(fold_table) == 20  # training clips only
        fitted.append(FoldStub(len(fitted), fold_table.loc[fold_table.split == "train", "track_id"]))
        return train.Trained(fitted[-1], {}, 1, 0.0, np.zeros(1), np.zeros(1))

    for group in (None, "song_id"):
        fitted.clear()
        (vectors, targets), folds = E.out_of_fold_vectors(
            E.ROWS["full"], table, inputs, folds=4, seed=0, fit_branch=fit_branch, device="cpu",
            loader_options={**LENGTHS, "batch_size": 3}, group_column=group)
        assert len(fitted) == 4 * 3 and sorted(set(folds)) == [0, 1, 2, 3]  # 3 branches refit per fold
        train_ids = table.track_id[:20].tolist()
        for branch, values in enumerate(vectors):
            for clip, value in zip(train_ids, values[:, 0]):
                model = fitted[int(value)]
                assert clip not in model.trained_on and int(value) % 3 == branch
        np.testing.assert_array_equal(targets, E.va_targets(table.quadrant[:20]))
        if group:
            songs = table.song_id[:20].to_numpy()
            assert all(len(set(folds[songs == s])) == 1 for s in set(songs))  # a song stays in one fold


def recipe(**changes):
    options = dict(learning_rate=1e-3, weight_decay=0.0, max_epochs=2, patience=2, schedule="cosine", batch_size=2,
                   settings={**SETTINGS, "resnet_channels": 4}, **LENGTHS)
    return E.Recipe(**{**options, **changes})


def test_rows_read_whole_clips_in_windows_of_their_training_crop_except_chunks_and_heads():
    lstm = E.windowed(E.ROWS["lstm_attn"], models.build("lstm_attn", window=16), **SETTINGS)
    assert isinstance(lstm, train.WindowedPrediction) and lstm.window == 16 and lstm.outputs == "log_probabilities"
    tone = E.windowed(E.ROWS["tone_only"], nn := models.build("zhao2023", branches=("tone",)), **SETTINGS)
    assert tone.name == "mfcc" and tone.window == 24 and tone.outputs == "probabilities" and tone.model is nn
    resnet = models.build("short_chunk_resnet", base_channels=4)
    assert E.windowed(E.ROWS["short_chunk_resnet"], resnet, **SETTINGS) is resnet


def test_fit_row_trains_a_fold_without_validation_or_test_and_records_the_protocol_with_them(clips):
    table, inputs = clips
    fold = table.assign(split=["train", "train", E.HELD_OUT, E.HELD_OUT, "train", "train"])
    result = E.fit_row(E.ROWS["symbolic_only"], fold, inputs, seed=0, recipe=recipe(), device="cpu")
    assert result.best_epoch == 2 and np.isnan(result.history["val_loss"]).all() and result.scores == {}
    assert isinstance(result.model, Z.Zhao2023Net) and len(result.history["lr"]) == 2
    full = E.fit_row(E.ROWS["lstm_attn"], table, inputs, seed=0, recipe=recipe(), device="cpu", watch_test=True)
    assert set(full.scores) == set(E.METRICS) and len(full.history["test_batch_q4_acc"]) == 2
    assert len(full.history["val_batch_q4_acc"]) == 2 and isinstance(full.model, emopia_baselines.LSTMAttention)
    assert set(E.emopia_cls_protocol(full)) == {"protocol_epoch", "protocol_q4_acc", "last_epoch_q4_acc"}


def test_attention_sentences_and_verdict_are_computed_from_the_weights():
    def received(rows):
        return pd.concat({"mean": pd.DataFrame(rows, index=list(metrics.QUADRANTS), columns=list(Z.BRANCHES))}, axis=1)

    near_uniform = received([[0.38, 0.35, 0.27]] * 4)
    assert "do not confirm" in E.attention_sentence(near_uniform) and "within 0.06 of uniform" in E.attention_sentence(near_uniform)
    same_everywhere = received([[0.6, 0.2, 0.2]] * 4)
    assert E.attention_quadrant_spread(same_everywhere) == pytest.approx(0)
    assert "same branches in every quadrant" in E.attention_sentence(same_everywhere)
    varying = received([[0.6, 0.2, 0.2], [0.2, 0.6, 0.2], [0.2, 0.2, 0.6], [0.34, 0.33, 0.33]])
    assert "change with the quadrant" in E.attention_sentence(varying)
    scores = pd.DataFrame({"row": ["full"] * 3 + ["symbolic_only"] * 3, "seed": [0, 1, 2] * 2,
                           "q4_acc": [0.6, 0.62, 0.61, 0.5, 0.52, 0.5]})
    marks = verdicts.table(E.claims(scores, near_uniform))
    assert marks.loc["fusion beats the symbolic branch alone", "verdict"] == verdicts.HOLDS
    assert marks.loc["the attention weights show which branch carries each emotion (interpretability)",
                     "verdict"] == verdicts.FAILS
    assert verdicts.table(E.claims(scores, varying)).iloc[-2]["verdict"] == verdicts.HOLDS
    assert marks.iloc[-1]["verdict"] == verdicts.UNTESTABLE


def test_song_level_sentence_reads_the_direction_from_the_numbers():
    summary = pd.DataFrame({("q4_acc", "mean"): [0.578, 0.629], ("q4_acc", "std"): [0.044, 0.007]},
                           index=["full", "full_song_level"])
    sentence = E.song_level_sentence(summary)
    assert "0.629 ± 0.007" in sentence and "above" in sentence and "+0.051" in sentence
    assert "No song-level result" in E.song_level_sentence(summary.loc[["full"]])


def test_training_summary_calls_a_loss_flat_when_its_last_three_epochs_barely_improve():
    def run(loss):
        history = {"train_loss": loss, "val_metric": [0.5] * len(loss), "val_loss": [1.0] * len(loss)}
        return {"row": "symbolic_only", "seed": len(loss), "result": train.Trained(None, history, 2, 0.0, None, None)}

    falling, flat = [1.0, 0.9, 0.8, 0.7, 0.6, 0.5], [1.0, 0.9, 0.50, 0.49, 0.51, 0.49, 0.50, 0.49]
    summary = E.training_summary([run(falling), run(flat), run([1.0, 0.5])])
    assert summary["last-3 drop"].iloc[0] == pytest.approx((0.9 - 0.6) / 0.9) and not summary["flat"].iloc[0]
    assert summary["last-3 drop"].iloc[1] == pytest.approx((0.50 - 0.49333333) / 0.50) and summary["flat"].iloc[1]
    assert np.isnan(summary["last-3 drop"].iloc[2]) and not summary["flat"].iloc[2]
    assert list(summary["best epoch"]) == [2, 2, 2] and summary.index.names == ["row", "seed"]


def test_a_row_given_its_own_epochs_trains_them_without_early_stopping(clips):
    table, inputs = clips
    longer = recipe(max_epochs=1, patience=1, row_epochs={"lstm_attn": 3})
    assert longer.epochs_of("lstm_attn") == (3, 3) and longer.epochs_of("symbolic_only") == (1, 1)
    result = E.fit_row(E.ROWS["lstm_attn"], table, inputs, seed=0, recipe=longer, device="cpu")
    assert result.epochs_run == 3
    np.testing.assert_allclose(result.history["lr"], [1e-3 * (1 + np.cos(np.pi * e / 3)) / 2 for e in range(3)])


def test_protocol_table_puts_emopia_cls_reading_beside_ours_and_says_how_much_is_protocol():
    def run(seed, ours, val, test):
        history = {"val_batch_q4_acc": val, "test_batch_q4_acc": test, "val_metric": val}
        return {"row": "lstm_attn", "seed": seed,
                "result": train.Trained(None, history, 1, 0.0, None, None, {"q4_acc": ours})}

    records = [run(0, 0.55, [0.5, 0.7, 0.6], [0.5, 0.65, 0.6]), run(1, 0.60, [0.6, 0.5, 0.8], [0.55, 0.7, 0.75])]
    table = E.protocol_table(records)
    assert table.loc["lstm_attn", "ours"] == pytest.approx(0.575)
    assert table.loc["lstm_attn", E.PROTOCOL_COLUMN] == pytest.approx((0.65 + 0.75) / 2)
    assert table.loc["lstm_attn", "protocol, max over seeds"] == pytest.approx(0.75)
    assert table.loc["lstm_attn", "protocol − ours"] == pytest.approx(0.7 - 0.575)
    sentence = E.protocol_sentence(table)
    assert "+0.125" in sentence and "the paper 0.684" in sentence and "best seed 0.750" in sentence
    assert E.protocol_table([]).empty and "No EMOPIA_cls-protocol column" in E.protocol_sentence(pd.DataFrame())


def test_the_audio_classifiers_protocol_keeps_the_lowest_validation_loss_and_stops_after_five_epochs():
    history = {"val_loss": [1.0, 0.8, 0.9, 0.9, 0.95, 0.85, 0.81, 0.5, 0.4],
               "val_batch_q4_acc": [0.1] * 9, "test_batch_q4_acc": [0.1, 0.6, 0.2, 0.3, 0.3, 0.3, 0.4, 0.9, 0.95]}
    result = train.Trained(None, history, 1, 0.0, None, None, {"q4_acc": 0.5})
    # the loss stops improving after epoch 2; five epochs later (epoch 7) EMOPIA_cls would have stopped
    assert E.emopia_cls_protocol(result, "val_loss", 5) == {"protocol_epoch": 2, "protocol_q4_acc": 0.6,
                                                            "last_epoch_q4_acc": 0.4}
    assert E.emopia_cls_protocol(result, "val_loss")["protocol_epoch"] == 9
    assert E.EMOPIA_CLS_SELECTION["short_chunk_resnet"] == ("val_loss", 5)
    table = E.protocol_table([{"row": "short_chunk_resnet", "seed": 0, "result": result}])
    assert table.loc["short_chunk_resnet", E.PROTOCOL_COLUMN] == pytest.approx(0.6)
