"""mmer_analysis: the audio/text CNNs, the fusion, sizes, the data helpers and the claims."""

import numpy as np
import pandas as pd
import pytest
import torch

from mer_lib import models
from mer_lib.data.base import DatasetError, MERDataset
from mer_lib.models import mmer_analysis as mmer
from mer_lib.models import mmer_analysis_findings as findings


# Small models: one torch thread is as fast, and avoids OpenMP spin-waiting on a busy CPU.
pytestmark = pytest.mark.usefixtures("one_torch_thread")


# --- sizes ----------------------------------------------------------------------------------------

def test_flattened_lengths_and_the_papers_25_75_split():
    assert mmer.excerpt_frames(73.0) == mmer.AUDIO_FRAMES == 1502   # 45 s of 30 ms windows
    assert mmer.audio_map_length(1502) == 22                        # 1493 → 373 → 364 → 91 → 22
    assert mmer.text_map_length(500) == 61                          # 491 → 245 → 61
    audio, text = mmer.fusion_shares(1502, 500, 32, 32)
    assert audio == pytest.approx(22 / 83) and round(audio, 3) == 0.265 and text == pytest.approx(61 / 83)
    assert mmer.fusion_shares(1502, 500, 64, 64) == (audio, text)   # independent of C when equal


def test_excerpt_frames_match_the_feature_extractor():
    from mer_lib import features

    y = np.random.default_rng(0).normal(size=22050 * 12).astype(np.float32)
    mfcc = features.compute("mmer_analysis_mfcc", (y, 22050), seconds=10.0, n_frames=None)
    assert mfcc.shape == (20, mmer.excerpt_frames(10.0)) == (20, 201)


def test_layer_output_sizes_reach_the_heads():
    audio, text = mmer.AudioCNN(), mmer.TextCNN()
    assert audio.feature_size == 32 * 22 and text.feature_size == 32 * 61
    assert audio.features(torch.zeros(2, 20, 1502)).shape == (2, 704)
    assert text.features(torch.zeros(2, 500, 300)).shape == (2, 1952)


def test_parameter_counts():
    conv1, conv2 = 20 * 32 * 10 + 32, 32 * 32 * 10 + 32
    bn = 2 * 32
    assert models.count_parameters(mmer.AudioCNN()) == conv1 + conv2 + 2 * bn + (704 * 64 + 64) + (64 * 2 + 2)
    assert models.count_parameters(mmer.TextCNN()) == (300 * 10 * 32 + 32) + bn + (1952 * 32 + 32) + (32 * 2 + 2)
    fused = models.build("mmer_analysis_fusion")
    assert models.count_parameters(fused) == (704 + 1952) * 256 + 256 + 256 * 2 + 2   # frozen convs: head only


# --- models ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("name, shape", [("mmer_analysis_audio_cnn", (3, 20, 1502)),
                                         ("mmer_analysis_text_cnn", (3, 500, 300))])
def test_unimodal_output_shapes(name, shape):
    net = models.build(name).eval()
    assert net(torch.randn(shape)).shape == (3, 2)


def test_other_input_lengths_via_the_constructor():
    assert mmer.AudioCNN(frames=201)(torch.randn(2, 20, 201)).shape == (2, 2)
    assert mmer.TextCNN(words=100)(torch.randn(2, 100, 300)).shape == (2, 2)
    with pytest.raises(ValueError, match="at least 109 MFCC frames"):
        mmer.AudioCNN(frames=100)


def test_text_conv_equals_the_papers_conv2d_over_the_whole_embedding():
    torch.manual_seed(0)
    net = mmer.TextCNN(channels=4).eval()
    conv1d = net.convs[0]
    conv2d = torch.nn.Conv2d(1, 4, (10, 300))
    with torch.no_grad():
        conv2d.weight.copy_(conv1d.weight.transpose(1, 2).unsqueeze(1))   # (C, 300, 10) → (C, 1, 10, 300)
        conv2d.bias.copy_(conv1d.bias)
    x = torch.randn(2, 500, 300)
    torch.testing.assert_close(conv1d(x.transpose(1, 2)), conv2d(x.unsqueeze(1)).squeeze(-1), atol=1e-4, rtol=1e-4)


@pytest.mark.parametrize("net, bad, message", [
    (mmer.AudioCNN(), torch.zeros(2, 1502, 20), r"AudioCNN expects a \(batch, 20, 1502\)"),
    (mmer.AudioCNN(), torch.zeros(20, 1502), r"got shape \(20, 1502\)"),
    (mmer.TextCNN(), torch.zeros(2, 300, 500), r"TextCNN expects a \(batch, 500, 300\)"),
])
def test_wrong_input_shape_is_a_clear_error(net, bad, message):
    with pytest.raises(ValueError, match=message):
        net(bad)


def test_fusion_copies_and_freezes_the_unimodal_convs():
    torch.manual_seed(0)
    audio, text = mmer.AudioCNN(frames=201), mmer.TextCNN(words=100)
    fused = mmer.FusionCNN(audio, text, freeze=True)
    for source, copy in ((audio.convs, fused.audio.convs), (text.convs, fused.text.convs)):
        for (name, p), q in zip(source.state_dict().items(), copy.state_dict().values()):
            assert torch.equal(p, q), name
    assert not any(p.requires_grad for p in (*fused.audio.parameters(), *fused.text.parameters()))
    before = {k: v.clone() for k, v in fused.state_dict().items() if not k.startswith("head")}
    optimizer = torch.optim.SGD([p for p in fused.parameters() if p.requires_grad], lr=0.1)
    fused.train()
    assert not fused.audio.training and not fused.text.training and fused.head.training
    loss = fused(torch.randn(4, 20, 201), torch.randn(4, 100, 300)).pow(2).mean()
    loss.backward()
    optimizer.step()
    after = {k: v for k, v in fused.state_dict().items() if not k.startswith("head")}
    assert all(torch.equal(before[k], after[k]) for k in before)      # weights and BN statistics
    # the copies are independent of the unimodal models
    assert fused.audio.convs[0].weight.data_ptr() != audio.convs[0].weight.data_ptr()


def test_fusion_can_fine_tune():
    fused = mmer.FusionCNN(mmer.AudioCNN(frames=201), mmer.TextCNN(words=100), freeze=False)
    assert all(p.requires_grad for p in fused.parameters())
    fused.train()
    assert fused.audio.training


def test_build_experiment_needs_trained_unimodal_models():
    with pytest.raises(ValueError, match=r"needs the trained \['audio', 'comments'\]"):
        mmer.build_experiment("audio_comments")
    trained = {"audio": mmer.AudioCNN(frames=201), "lyrics": mmer.TextCNN(words=100)}
    net = mmer.build_experiment("audio_lyrics", trained=trained)
    assert net.feature_sizes == (64, 32 * mmer.text_map_length(100))
    with pytest.raises(ValueError, match="unknown experiment"):
        mmer.build_experiment("video")


def test_fit_regressor_overfits_a_tiny_batch():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(16, 20, 201)).astype(np.float32)
    y = rng.uniform(-1, 1, size=(16, 2)).astype(np.float32)
    data = {split: (x,) for split in ("train", "validation", "test")}
    targets = {split: y for split in data}
    result = mmer.fit_regressor(lambda: mmer.AudioCNN(frames=201, dropout=0.0), data, targets, seed=0,
                                device="cpu", epochs=150, patience=150, batch_size=16, learning_rate=0.05,
                                weight_decay=0.0)
    assert result.scores["r2_valence"] > 0.9 and result.scores["r2_arousal"] > 0.9
    assert result.history["train_loss"][-1] < 0.05 * result.history["train_loss"][0]


# --- scores and claims ----------------------------------------------------------------------------

def test_va_scores():
    y = np.array([[0.5, 0.5], [-0.5, 0.5], [-0.5, -0.5], [0.5, -0.5]])
    perfect = mmer.va_scores(y, y)
    assert perfect["r2_valence"] == 1 and perfect["mae_arousal"] == 0 and perfect["q4_acc"] == 1
    assert perfect["range_ratio_valence"] == 1 and perfect["quadrant_acc_std"] == 0
    shrunk = mmer.va_scores(y, 0.5 * y + np.array([0.0, 0.3]))     # arousal all positive: Q3/Q4 lost
    assert shrunk["range_ratio_arousal"] == pytest.approx(0.5)
    assert (shrunk["acc_q1"], shrunk["acc_q2"], shrunk["acc_q3"], shrunk["acc_q4"]) == (1, 1, 0, 0)
    assert shrunk["mse_valence"] == pytest.approx(0.0625)


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


def test_paper_results_keys_are_report_names():
    paper = findings.paper_results(dataset=True)
    assert paper["dataset.n_songs"] == 9972 and paper["dataset.q2_smallest_quadrant"] == 1 and paper["claims.ranges_narrower"] == 1.0


# --- data helpers ---------------------------------------------------------------------------------

def _table(n=40):
    rng = np.random.default_rng(1)
    table = pd.DataFrame({"track_id": [f"t{i}" for i in range(n)], "split": ["train"] * (n - 8) + ["test"] * 8,
                          "valence": rng.uniform(-1, 1, n), "arousal": rng.uniform(-1, 1, n)})
    return mmer.with_quadrants(table)


def test_keep_fraction_touches_one_quadrant_of_one_split():
    table = _table()
    kept = mmer.keep_fraction(table, "Q2", 0.5, seed=0)
    count = lambda t, split, q: int(((t.split == split) & (t.quadrant == q)).sum())
    assert count(kept, "train", "Q2") == round(0.5 * count(table, "train", "Q2"))
    for q in ("Q1", "Q3", "Q4"):
        assert count(kept, "train", q) == count(table, "train", q)
    assert count(kept, "test", "Q2") == count(table, "test", "Q2")
    with pytest.raises(ValueError, match="fraction"):
        mmer.keep_fraction(table, "Q2", 0.0)


def test_balance_summary_counts_removed_and_duplicated():
    from mer_lib.features.balance import balance_quadrants

    table = _table()
    summary = mmer.balance_summary(table, balance_quadrants(table, 8, seed=0))
    assert (summary["after"] == 8).all()
    assert (summary["before"] - summary["removed"] + summary["duplicated"] == summary["after"]).all()
    assert ((summary["removed"] == 0) | (summary["duplicated"] == 0)).all()


def test_dataset_without_comments_is_refused_clearly(tmp_path):
    table = _table().assign(audio_path="a.wav", lyrics="some words")
    dataset = MERDataset(name="no_comments", table=table, root=tmp_path)
    with pytest.raises(DatasetError, match=r"lacks modalities \['comments'\]"):
        mmer.require_experiments(dataset, ["audio", "audio_comments"])
    mmer.require_experiments(dataset, ["audio", "lyrics", "audio_lyrics"])
    runnable, skipped = mmer.runnable_experiments(dataset, list(mmer.EXPERIMENTS))
    assert runnable == ["audio", "lyrics", "audio_lyrics"] and "no comments" in skipped["comments"]
    with pytest.raises(ValueError, match="unknown experiment"):
        mmer.require_experiments(dataset, ["video"])


def test_tag_regression_recovers_a_tag_formula():
    rng = np.random.default_rng(0)
    tags = ("calmness", "sadness", "happiness")
    position = {"calmness": (0.3, -0.5), "sadness": (-0.6, -0.3), "happiness": (0.8, 0.4)}
    counts = rng.integers(0, 6, size=(200, 3)) + np.array([1, 0, 0])
    va = counts @ np.array([position[t] for t in tags]) / counts.sum(axis=1, keepdims=True)
    table = pd.DataFrame({"split": ["train"] * 150 + ["test"] * 50, "valence": va[:, 0], "arousal": va[:, 1],
                          "emotion_tags": [{t: int(c) for t, c in zip(tags, row) if c} for row in counts]})
    assert list(findings.tag_counts(table, tags).iloc[0]) == list(counts[0])
    assert findings.tag_regression(table.assign(emotion_tags=table.emotion_tags), "share")["r2_valence"] > 0.99
    with pytest.raises(ValueError, match="kind"):
        findings.tag_regression(table, "tfidf")
