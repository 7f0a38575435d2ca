"""jeon2017: the six Table 1 models, their shapes and sizes, and the polarity/lyrics/split helpers."""

import numpy as np
import pandas as pd
import pytest
import torch

from mer_lib import models
from mer_lib.data.base import DatasetError, MERDataset
from mer_lib.models import jeon2017 as J

VOCAB = 50
FULL_MAP = {1: "positive", 2: "positive", 4: "positive", 3: "negative", 5: "negative"}


# Small models: one torch thread is as fast, and avoids OpenMP spin-waiting on a busy CPU.
pytestmark = pytest.mark.usefixtures("one_torch_thread")


def inputs(batch=2, frames=J.N_FRAMES, words=J.MAX_WORDS, seed=0):
    g = torch.Generator().manual_seed(seed)
    ids = torch.randint(1, VOCAB, (batch, words), generator=g)
    ids[:, words // 2:] = 0                                  # right padding
    return {"audio": torch.randn(batch, J.N_MELS, frames, generator=g), "lyrics": ids}


# --- models -------------------------------------------------------------------------------------

@pytest.mark.parametrize("row", list(J.ROW_MODELS))
def test_every_row_maps_paper_inputs_to_two_logits(row):
    net = J.build_row(row, vocab_size=VOCAB).eval()
    assert net.modalities == J.ROW_INPUTS[row]
    x = inputs()
    with torch.no_grad():
        out = net(**{m: x[m] for m in net.modalities})
    assert out.shape == (2, 2) and torch.isfinite(out).all()


def test_all_six_rows_are_registered():
    assert {f"jeon2017_{row}" for row in J.PAPER_TABLE1} <= set(models.available())
    assert J.paper_results()["multimodal.acc"] == pytest.approx(0.8046)
    assert len(J.paper_results()) == 6


def test_conv_stack_reduces_1024_frames_to_9_steps():
    stack = J.AudioConvStack().eval()
    stages = stack.stages(torch.zeros(1, 128, 1024))
    lengths = [v.shape[-1] for k, v in stages.items() if k.startswith("conv")]
    assert lengths == [341, 113, 37, 18, 9]                    # ⌊1024/3⌋, ⌊341/3⌋, ⌊113/3⌋, ⌊37/2⌋, ⌊18/2⌋
    assert [v.shape[1] for k, v in stages.items() if k.startswith("conv")] == [128, 128, 64, 64, 64]
    assert J.pooled_length(1024) == 9 and stack.min_frames == 108


def test_crnn_stages_end_in_the_64_d_audio_embedding():
    stages = J.AudioCRNN().eval().stages(torch.zeros(2, 128, 1024))
    assert stages["gru (all steps)"].shape == (2, 9, 64)
    assert stages["v_a"].shape == (2, 64)


def test_parameter_counts_by_hand():
    convs = J.AudioConvStack()
    assert models.count_parameters(convs.layers[0]) == 128 * 128 * 3 + 128          # 49,280
    assert models.count_parameters(convs.layers[2]) == 128 * 64 * 3 + 64            # 24,640
    crnn = J.AudioCRNN()
    # PyTorch's GRU: 3 gates × (input weights + recurrent weights + two biases).
    assert models.count_parameters(crnn.gru) == 2 * 3 * (64 * 64 + 64 * 64 + 64 + 64)
    lyrics = J.LyricsCNN(VOCAB)
    assert models.count_parameters(lyrics.conv) == 200 * 250 * 3 + 250             # 150,250
    assert models.count_parameters(lyrics.embedding) == VOCAB * 200
    head = J.build_row("multimodal", vocab_size=VOCAB).head
    assert models.count_parameters(head) == (128 * 64 + 64) + (64 * 2 + 2)          # 8,386
    # The audio CRNN row: norm 256 + convs 147,904 + GRUs 49,920 + FC 4,160 + head 4,290.
    assert models.count_parameters(J.build_row("audio_crnn", VOCAB)) == 206_530


def test_padding_does_not_change_the_lyrics_rnn_state():
    net = J.LyricsRNN(VOCAB).eval()
    ids = torch.randint(1, VOCAB, (1, 20))
    with torch.no_grad():
        short = net(ids)
        padded = net(torch.cat([ids, torch.zeros(1, 30, dtype=torch.long)], dim=1))
    torch.testing.assert_close(short, padded)


def test_bad_inputs_raise_clear_errors():
    with pytest.raises(ValueError, match="at least 108 frames"):
        J.AudioConvStack()(torch.zeros(1, 128, 100))
    with pytest.raises(ValueError, match="128 mels"):
        J.AudioCRNN()(torch.zeros(1, 40, 1024))
    with pytest.raises(ValueError, match="integer word ids"):
        J.LyricsCNN(VOCAB)(torch.zeros(1, 400))
    with pytest.raises(ValueError, match=r"\[0, 50\)"):
        J.LyricsCNN(VOCAB)(torch.full((1, 400), VOCAB))
    with pytest.raises(ValueError, match="missing input"):
        J.build_row("multimodal", VOCAB)(audio=torch.zeros(1, 128, 1024))
    with pytest.raises(ValueError, match="unknown row"):
        J.build_row("audio_lstm", VOCAB)


def test_multimodal_overfits_a_tiny_batch_with_fit_and_score():
    x = inputs(batch=8, frames=216, words=40, seed=1)
    y = np.array([[0], [1]] * 4, dtype=np.float32)
    arrays = {s: {"audio": x["audio"].numpy(), "lyrics": x["lyrics"].numpy()} for s in ("train", "validation", "test")}
    targets = {s: y for s in arrays}
    result = J.fit_and_score("multimodal", arrays, targets, seed=0, device="cpu", epochs=30, patience=30,
                             batch_size=8, learning_rate=3e-3, vocab_size=VOCAB, dropout=0.0)
    assert result.scores["acc"] == 1.0
    assert result.history["train_loss"][-1] < 0.2 * result.history["train_loss"][0]
    assert result.y_score.shape == (8, 2)


# --- polarity, filters, splits --------------------------------------------------------------------

def clip_table(n=20, lyrics_words=40):
    rng = np.random.default_rng(0)
    return pd.DataFrame({
        "track_id": [f"{i:03d}" for i in range(n)],
        "split": "train",
        "audio_path": [f"/x/{i}.opus" for i in range(n)],
        "lyrics": [" ".join(["river"] * lyrics_words) for _ in range(n)],
        "cluster": rng.permutation(np.arange(n) % 5 + 1),
    })


def test_polarity_from_clusters_and_the_strict_variant():
    table = clip_table()
    full = J.polarity_labels(table, FULL_MAP)
    assert set(full) == {"positive", "negative"}
    assert (full[table.cluster.isin([1, 2, 4])] == "positive").all()
    strict = J.polarity_labels(table, {2: "positive", 3: "negative"})
    assert strict.isna().sum() == (~table.cluster.isin([2, 3])).sum()


def test_polarity_map_errors_name_the_culprit():
    table = clip_table()
    with pytest.raises(ValueError, match="unknown cluster 7"):
        J.polarity_labels(table, {7: "positive", 3: "negative"})
    with pytest.raises(ValueError, match="'happy'"):
        J.polarity_labels(table, {2: "happy", 3: "negative"})
    with pytest.raises(ValueError, match="both polarities"):
        J.polarity_labels(table, {2: "positive", 1: "positive"})
    with pytest.raises(ValueError, match="no 'polarity' column"):
        J.polarity_labels(table, {})
    with pytest.raises(ValueError, match="'cluster' column"):
        J.polarity_labels(table.drop(columns="cluster").assign(polarity="positive"), FULL_MAP)


def test_polarity_column_is_used_without_a_map():
    table = clip_table().assign(polarity=["positive", "negative"] * 10)
    assert J.polarity_labels(table, {}).tolist() == table.polarity.tolist()
    with pytest.raises(ValueError, match="unknown polarity values"):
        J.polarity_labels(table.assign(polarity="neutral"), None)


def test_a_dataset_without_lyrics_is_refused():
    table = clip_table().drop(columns="lyrics")
    dataset = MERDataset(name="audio_only", table=table, root=".")
    with pytest.raises(DatasetError, match=r"lacks modalities \['lyrics'\]"):
        dataset.require(modalities=["audio", "lyrics"], targets=["cluster"])


def test_eligible_clips_apply_the_30_word_filter_and_count_reasons():
    table = clip_table(n=10)
    table.loc[0, "lyrics"] = "too short " * 5                      # 10 words
    table.loc[1, "lyrics"] = None                                  # no lyrics
    kept, counts = J.eligible_clips(table, J.polarity_labels(table, FULL_MAP), group="cluster")
    assert set(table.track_id) - set(kept.track_id) == {"000", "001"}
    assert counts["without_lyrics"].sum() == 1 and counts["under_30_words"].sum() == 1
    assert (kept.lyric_words >= 30).all() and kept.polarity.notna().all()
    strict = J.polarity_labels(table, {2: "positive", 3: "negative"})
    kept, counts = J.eligible_clips(table, strict, group="cluster")
    assert counts["no_polarity"].sum() == strict.isna().sum() and set(kept.cluster) <= {2, 3}
    reasons = ["no_polarity", "without_lyrics", "under_30_words", "eligible"]
    assert (counts[reasons].sum(axis=1) == counts["clips"]).all()    # every clip counted once
    assert counts["eligible"].sum() == len(kept)


def test_balance_classes_downsamples_the_majority_only():
    table = pd.DataFrame({"track_id": [str(i) for i in range(30)],
                          "polarity": ["positive"] * 20 + ["negative"] * 10})
    balanced = J.balance_classes(table, seed=1)
    assert balanced.polarity.value_counts().to_dict() == {"positive": 10, "negative": 10}
    assert set(table.track_id[20:]) <= set(balanced.track_id)       # the minority class is kept whole
    assert balanced.track_id.tolist() == J.balance_classes(table, seed=1).track_id.tolist()
    assert balanced.track_id.tolist() != J.balance_classes(table, seed=2).track_id.tolist()
    with pytest.raises(ValueError, match="need two classes"):
        J.balance_classes(table[table.polarity == "positive"])


def test_run_split_is_balanced_stratified_and_seeded():
    table = pd.DataFrame({"track_id": [str(i) for i in range(300)],
                          "polarity": ["positive"] * 180 + ["negative"] * 120})
    one = J.run_split(table, seed=0)
    assert len(one) == 240
    counts = one.groupby(["split", "polarity"]).size().unstack()
    assert (counts["positive"] == counts["negative"]).all()
    assert counts.loc["train"].sum() == 168 and counts.loc["test"].sum() == 48
    assert not one.split.equals(J.run_split(table, seed=1).split)


def test_vocabulary_is_built_on_the_training_split_only():
    words = {"a": np.array(["sun", "love", "sun"]), "b": np.array(["rain"]), "c": np.array(["sun", "grief"])}
    vocabulary, ids = J.encode_lyrics(words, {"train": ["a", "b"], "test": ["c"]}, max_words=5)
    assert "grief" not in vocabulary.words and len(vocabulary) == 5   # pad, unk, sun, love, rain
    assert ids["test"].tolist() == [[vocabulary.index["sun"], 1, 0, 0, 0]]
    with pytest.raises(ValueError, match="non-empty 'train'"):
        J.encode_lyrics(words, {"test": ["c"]})


def test_class_targets_layout_and_errors():
    y = J.class_targets(pd.Series(["negative", "positive", "positive"]))
    assert y.shape == (3, 1) and y[:, 0].tolist() == [0.0, 1.0, 1.0]
    with pytest.raises(ValueError, match="unknown polarity"):
        J.class_targets(pd.Series(["positive", None]))


@pytest.mark.real
def test_mirex_polarity_counts():
    from mer_lib import data

    dataset = data.load("mirex_mm")
    kept, counts = J.eligible_clips(dataset.table, J.polarity_labels(dataset.table, FULL_MAP), group="cluster")
    assert kept.polarity.value_counts().to_dict() == {"positive": 445, "negative": 318}
    assert counts["without_lyrics"].sum() == 903 - 764

