"""jeon2017 experiment: Table 1's rows, polarity labels, the lyrics filter, one run's data, scores, analysis."""

import numpy as np
import pandas as pd
import pytest
import torch

from mer_lib import data, models
from mer_lib.data.base import DatasetError, MERDataset
from mer_lib.data.polarity import polarity_labels
from mer_lib.experiments import jeon2017 as E
from mer_lib.experiments import rows

VOCAB = 50
FULL_MAP = {1: "positive", 2: "positive", 4: "positive", 3: "negative", 5: "negative"}

pytestmark = pytest.mark.usefixtures("one_torch_thread")


# --- rows ----------------------------------------------------------------------------------------

def test_the_six_rows_follow_table_1_and_its_paper_numbers():
    assert list(E.ROWS) == list(E.PAPER_TABLE1)
    assert {row.model for row in E.ROWS.values()} <= set(models.available())
    assert E.paper_results()["multimodal.acc"] == pytest.approx(0.8046) and len(E.paper_results()) == 6
    assert all(row.targets == ("polarity",) for row in E.ROWS.values())


@pytest.mark.parametrize("name", list(E.ROWS))
def test_every_row_builds_a_network_reading_its_inputs(name):
    row = E.ROWS[name]
    net = row.build(**E.build_options(row, VOCAB), dropout=0.2)
    assert net.modalities == row.inputs == row.modalities


def test_build_options_give_the_vocabulary_size_only_to_rows_reading_lyrics():
    assert E.build_options(E.ROWS["audio_crnn"], VOCAB) == {}
    assert E.build_options(E.ROWS["lyrics_rnn"], VOCAB) == {"vocab_size": VOCAB}
    assert E.build_options(E.ROWS["multimodal"], VOCAB) == {"vocab_size": VOCAB}
    counts = E.parameter_counts([E.ROWS["audio_crnn"], E.ROWS["lyrics_cnn"]], VOCAB)
    assert counts.loc["audio_crnn", "parameters"] == 206_530
    assert counts.loc["lyrics_cnn", "model"] == "jeon2017_lyrics_cnn"


def test_selecting_an_unknown_row_suggests_the_closest():
    with pytest.raises(ValueError, match="Did you mean 'audio_rnn'"):
        rows.select(E.ROWS, ["audio_rnm"])


def test_modality_groups_put_the_multimodal_row_in_both():
    assert [E.modality_group(r) for r in E.ROWS.values()] == ["audio"] * 3 + ["lyrics"] * 2 + ["both"]


# --- polarity, filters ----------------------------------------------------------------------------

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
    full = polarity_labels(table, FULL_MAP)
    assert set(full) == {"positive", "negative"}
    assert (full[table.cluster.isin([1, 2, 4])] == "positive").all()
    strict = polarity_labels(table, {2: "positive", 3: "negative"})
    assert strict.isna().sum() == (~table.cluster.isin([2, 3])).sum()


def test_polarity_map_errors_name_the_culprit():
    table = clip_table()
    with pytest.raises(ValueError, match="unknown cluster 7"):
        polarity_labels(table, {7: "positive", 3: "negative"})
    with pytest.raises(ValueError, match="'happy'"):
        polarity_labels(table, {2: "happy", 3: "negative"})
    with pytest.raises(ValueError, match="both polarities"):
        polarity_labels(table, {2: "positive", 1: "positive"})
    with pytest.raises(ValueError, match="no 'polarity' column"):
        polarity_labels(table, {})
    with pytest.raises(ValueError, match="'cluster' column"):
        polarity_labels(table.drop(columns="cluster").assign(polarity="positive"), FULL_MAP)


def test_polarity_column_is_used_without_a_map():
    table = clip_table().assign(polarity=["positive", "negative"] * 10)
    assert polarity_labels(table, {}).tolist() == table.polarity.tolist()
    with pytest.raises(ValueError, match="unknown polarity values"):
        polarity_labels(table.assign(polarity="neutral"), None)


def test_only_the_audio_rows_run_when_the_dataset_has_no_lyrics():
    dataset = MERDataset(name="audio_only", table=clip_table().drop(columns="lyrics"), root=".")
    chosen, status = rows.runnable(list(E.ROWS.values()), dataset.modalities, ["polarity"], dataset=dataset.name)
    assert [row.name for row in chosen] == ["audio_cnn", "audio_rnn", "audio_crnn"]
    assert status.loc["multimodal", "status"] == "skipped: lacks lyrics"
    with pytest.raises(DatasetError, match="audio_only can feed none"):
        rows.runnable([E.ROWS["lyrics_cnn"]], dataset.modalities, ["polarity"], dataset=dataset.name)


def test_only_the_polarity_filters_when_no_row_reads_lyrics():
    table = clip_table(n=10).drop(columns="lyrics")
    polarity = polarity_labels(table, {2: "positive", 3: "negative"})
    kept, counts = E.eligible_clips(table, polarity, min_words=None, group="cluster")
    assert list(counts.columns) == ["polarity", "clips", "no_polarity", "eligible"]
    assert len(kept) == polarity.notna().sum() and "lyric_words" not in kept.columns
    assert counts["eligible"].sum() == len(kept)


def test_eligible_clips_apply_the_30_word_filter_and_count_reasons():
    table = clip_table(n=10)
    table.loc[0, "lyrics"] = "too short " * 5                      # 10 words
    table.loc[1, "lyrics"] = None                                  # no lyrics
    kept, counts = E.eligible_clips(table, polarity_labels(table, FULL_MAP), group="cluster")
    assert set(table.track_id) - set(kept.track_id) == {"000", "001"}
    assert counts["without_lyrics"].sum() == 1 and counts["under_30_words"].sum() == 1
    assert (kept.lyric_words >= 30).all() and kept.polarity.notna().all()
    strict = polarity_labels(table, {2: "positive", 3: "negative"})
    kept, counts = E.eligible_clips(table, strict, group="cluster")
    assert counts["no_polarity"].sum() == strict.isna().sum() and set(kept.cluster) <= {2, 3}
    reasons = ["no_polarity", "without_lyrics", "under_30_words", "eligible"]
    assert (counts[reasons].sum(axis=1) == counts["clips"]).all()    # every clip counted once
    assert counts["eligible"].sum() == len(kept)


# --- one run's data -------------------------------------------------------------------------------

def test_vocabulary_is_built_on_the_training_split_only():
    words = {"a": np.array(["sun", "love", "sun"]), "b": np.array(["rain"]), "c": np.array(["sun", "grief"])}
    vocabulary, ids = E.encode_lyrics(words, {"train": ["a", "b"], "test": ["c"]}, max_words=5)
    assert "grief" not in vocabulary.words and len(vocabulary) == 5   # pad, unk, sun, love, rain
    assert ids["test"].tolist() == [[vocabulary.index["sun"], 1, 0, 0, 0]]
    with pytest.raises(ValueError, match="non-empty 'train'"):
        E.encode_lyrics(words, {"test": ["c"]})


def test_class_targets_layout_and_errors():
    y = E.class_targets(pd.Series(["negative", "positive", "positive"]))
    assert y.shape == (3, 1) and y.dtype == np.float32 and y[:, 0].tolist() == [0.0, 1.0, 1.0]
    with pytest.raises(ValueError, match="unknown polarity"):
        E.class_targets(pd.Series(["positive", None]))


def run_inputs(n=60, frames=120):
    rng = np.random.default_rng(0)
    eligible = pd.DataFrame({"track_id": [f"t{i}" for i in range(n)],
                             "polarity": ["positive"] * (n // 2 + 10) + ["negative"] * (n // 2 - 10)})
    mel = {t: rng.normal(size=(8, frames)).astype(np.float32) for t in eligible.track_id}
    words = {t: np.array([f"w{rng.integers(30)}" for _ in range(12)]) for t in eligible.track_id}
    return eligible, mel, words


def test_prepare_run_gives_every_row_of_a_seed_the_same_balanced_split():
    eligible, mel, words = run_inputs()
    prepared = E.prepare_run(eligible, mel, words, seed=0, max_words=16)
    sizes = prepared.split_sizes()
    assert list(sizes.index) == ["train", "validation", "test"]
    assert (sizes["positive"] == sizes["negative"]).all() and sizes.to_numpy().sum() == 40
    for split, arrays in prepared.arrays.items():
        n = int(sizes.loc[split].sum())
        assert arrays["audio"].shape == (n, 8, 120) and arrays["lyrics"].shape == (n, 16)
        assert prepared.targets[split].shape == (n, 1)
    assert prepared.unknown_share()["train"] == 0.0
    again = E.prepare_run(eligible, mel, words, seed=0, max_words=16)
    assert again.table.equals(prepared.table) and len(again.vocabulary) == len(prepared.vocabulary)
    assert not E.prepare_run(eligible, mel, words, seed=1, max_words=16).table.equals(prepared.table)


@pytest.mark.parametrize("modality", ["audio", "lyrics"])
def test_prepare_run_stacks_only_the_modality_read_when_the_other_is_none(modality):
    eligible, mel, words = run_inputs()
    prepared = E.prepare_run(eligible, mel if modality == "audio" else None, words if modality == "lyrics" else None,
                             seed=0, max_words=16)
    assert all(list(arrays) == [modality] for arrays in prepared.arrays.values())
    assert (prepared.vocab_size is None) == (modality == "audio")
    assert (prepared.unknown_share() == {}) == (modality == "audio")
    both = E.prepare_run(eligible, mel, words, seed=0, max_words=16)
    assert prepared.table.equals(both.table)                             # the same clips and split either way


def test_loaders_feed_only_the_row_inputs_and_shuffle_only_training():
    eligible, mel, words = run_inputs()
    prepared = E.prepare_run(eligible, mel, words, seed=0, max_words=16)
    loaders = E.loaders(E.ROWS["lyrics_cnn"], prepared.arrays, prepared.targets, seed=3, batch_size=4)
    assert list(loaders) == ["train", "validation", "test"]
    inputs, target = next(iter(loaders["validation"]))
    assert list(inputs) == ["lyrics"] and inputs["lyrics"].dtype == torch.int64
    assert target.dtype == torch.float32
    torch.testing.assert_close(inputs["lyrics"], torch.as_tensor(prepared.arrays["validation"]["lyrics"][:4]))
    first = [t.tolist() for _, t in loaders["train"]]
    again = E.loaders(E.ROWS["lyrics_cnn"], prepared.arrays, prepared.targets, seed=3, batch_size=4)
    assert first == [t.tolist() for _, t in again["train"]]              # seeded batch order


def test_scores_are_the_argmax_accuracy_and_macro_f1():
    y_true = np.array([[0], [1], [1], [0]], dtype=np.float32)
    y_score = np.array([[2.0, 1.0], [0.0, 1.0], [3.0, 1.0], [1.0, 0.0]])
    out = E.scores(y_true, y_score)
    assert list(out) == ["acc", "f1_macro"] and out["acc"] == 0.75


# --- analysis -------------------------------------------------------------------------------------

def per_seed_scores():
    val = {"audio_cnn": [0.6, 0.62], "audio_crnn": [0.7, 0.68], "lyrics_cnn": [0.8, 0.8],
           "lyrics_rnn": [0.7, 0.9], "multimodal": [0.85, 0.8]}
    acc = {"audio_cnn": [0.5, 0.6], "audio_crnn": [0.6, 0.7], "lyrics_cnn": [0.75, 0.65],
           "lyrics_rnn": [0.7, 0.7], "multimodal": [0.8, 0.8]}
    return pd.DataFrame([{"row": r, "seed": s, "acc": acc[r][s], "val_acc": val[r][s]} for r in val for s in (0, 1)])


def test_best_rows_pick_by_mean_validation_accuracy_and_keep_the_first_of_equals():
    scores = per_seed_scores()
    assert E.best_rows(scores, list(scores.row.unique())) == {
        "audio": "audio_crnn", "lyrics": "lyrics_cnn", "both": "multimodal"}    # lyrics: 0.8 = 0.8, first wins
    assert E.best_rows(scores, ["lyrics_rnn"]) == {"lyrics": "lyrics_rnn"}


def test_lyrics_vs_audio_pairs_the_seeds():
    verdict = E.lyrics_vs_audio(per_seed_scores(), "audio_crnn", "lyrics_cnn")
    assert verdict.index.tolist() == ["audio_crnn"] and verdict.index.name == "best audio row"
    assert verdict["lyrics minus audio (test acc, mean)"].iloc[0] == pytest.approx(0.05)
    assert verdict["seeds where lyrics win"].iloc[0] == "1/2"
    assert verdict["paper (lyrics_cnn - audio_crnn)"].iloc[0] == pytest.approx(0.7815 - 0.6619)


def history(val_losses):
    return {"train_loss": list(val_losses), "val_loss": list(val_losses), "val_metric": [0.5] * len(val_losses)}


def test_figure2_reading_compares_the_lowest_validation_loss_with_ln_2():
    histories = {("audio_crnn", 0): history([0.70, 0.694, 0.70]), ("audio_crnn", 1): history([0.69, 0.70]),
                 ("lyrics_cnn", 0): history([0.69, 0.55, 0.60]), ("lyrics_cnn", 1): history([0.68, 0.45])}
    reading = E.figure2_reading(histories, {"audio": "audio_crnn", "lyrics": "lyrics_cnn"}, [0, 1])
    assert reading.loc["lyrics", "lowest val loss"] == pytest.approx(0.5)
    assert reading.loc["lyrics", "epoch of lowest (mean)"] == pytest.approx(2.0)
    assert reading.loc["audio", "jitter"] == pytest.approx((0.006 + 0.006 + 0.01) / 3, abs=1e-3)
    audio, lyrics = E.figure2_sentences(reading)
    assert "learnt next to nothing" in audio and "0.193 below ln 2" in lyrics


def test_claims_are_marked_from_the_paired_seeds_and_untestable_without_their_rows():
    rows_acc = {"audio_crnn": [0.60, 0.62, 0.61], "lyrics_cnn": [0.70, 0.71, 0.69], "lyrics_rnn": [0.69, 0.72, 0.70],
                "multimodal": [0.71, 0.69, 0.70]}
    scores = pd.DataFrame([{"row": r, "seed": s, "acc": a} for r, accs in rows_acc.items() for s, a in enumerate(accs)])
    histories = {(r, s): history([0.7, 0.6, 0.65] if r == "audio_crnn" else [0.7, 0.69, 0.68])
                 for r in rows_acc for s in range(3)}
    best = {"audio": "audio_crnn", "lyrics": "lyrics_cnn", "both": "multimodal"}
    marks = {v.claim.split(" (")[0]: v.verdict for v in E.claims(scores, best, histories)}
    assert marks["lyrics beat audio"] == "holds"
    assert marks["audio + lyrics beat lyrics alone"] == "does not hold here"
    assert marks["audio + lyrics beat audio alone"] == "holds"
    assert marks["on lyrics, the CNN beats the RNN"] == "does not hold here"
    assert marks["lyrics converge more stably than audio"] == "holds"
    assert marks["the best audio network beats a linear model of band statistics"] == "not testable here"
    audio_only = E.claims(scores[scores.row == "audio_crnn"], {"audio": "audio_crnn"}, histories)
    assert [v.verdict for v in audio_only[:5]] == ["not testable here"] * 5


def test_padded_frames_count_the_repeated_mean_frame():
    music = np.random.default_rng(0).normal(size=(4, 10))
    padded = np.concatenate([music, np.repeat(music.mean(axis=1, keepdims=True), 6, axis=1)], axis=1)
    assert E.padded_frames(padded) == 6 and E.padded_frames(music) == 0


def test_mel_statistics_are_band_means_then_stds():
    mel = {"a": np.array([[0, 1, 2], [3, 4, 5]], dtype=np.float32)}
    np.testing.assert_allclose(E.mel_statistics(mel, ["a"]), [[1, 4, np.std([0, 1, 2]), np.std([3, 4, 5])]])


@pytest.mark.real
def test_mirex_polarity_counts():
    dataset = data.load("mirex_mm")
    kept, counts = E.eligible_clips(dataset.table, polarity_labels(dataset.table, FULL_MAP), group="cluster")
    assert kept.polarity.value_counts().to_dict() == {"positive": 445, "negative": 318}
    assert counts["without_lyrics"].sum() == 903 - 764
