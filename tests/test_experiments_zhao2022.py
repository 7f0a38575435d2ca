"""How Zhao et al. 2022 is run: its rows, inputs, loaders, scores, analysis helpers and the smoke run."""

import json
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import torch

from mer_lib import metrics, train
from mer_lib.data import DatasetError, splits
from mer_lib.experiments import rows
from mer_lib.experiments import zhao2022 as experiment
from mer_lib.runner import run_profile

# Small models: one torch thread is as fast, and avoids OpenMP spin-waiting on a busy CPU.
pytestmark = pytest.mark.usefixtures("one_torch_thread")

TEXT_DIM = 12
#: Dataset modality each input is computed from.
SOURCE = {"audio": "audio", "lyrics": "lyrics", "words": "lyrics", "context": "context", "context_mean": "context"}


def _arrays(sizes=None, frames=100):
    """``{split: {input: array}}`` with every input of the rows, random values."""
    rng = np.random.default_rng(0)
    sizes = sizes or {"train": 6, "validation": 3, "test": 5}
    arrays = {s: {"audio": rng.normal(size=(n, 40, frames)).astype(np.float32),
                  "lyrics": rng.normal(size=(n, 5, TEXT_DIM)).astype(np.float32),
                  "context": rng.normal(size=(n, 3, TEXT_DIM)).astype(np.float32),
                  "words": rng.integers(1, 30, (n, 15)),
                  "context_mean": rng.normal(size=(n, TEXT_DIM)).astype(np.float32)} for s, n in sizes.items()}
    targets = {s: rng.normal(size=(n, 2)).astype(np.float32) for s, n in sizes.items()}
    return arrays, targets


# --- rows ---------------------------------------------------------------------------------------

def test_rows_follow_the_papers_tables_and_every_table_row_is_declared():
    assert list(experiment.ROWS) == ["hcman", "non_hierarchical", "direct_fusion", "bimodal", "delbouys2018",
                                     "pyrovolakis2021", "context_only"]
    assert set(experiment.TABLE2_ROWS) | set(experiment.TABLE3_ROWS) <= set(experiment.ROWS)
    assert set(experiment.PAPER_TABLES) - set(experiment.ROWS) == {"delbouys2018_reproduced"}


@pytest.mark.parametrize("name", list(experiment.ROWS))
def test_each_row_reads_what_its_network_takes_and_needs_the_modalities_behind_it(name):
    row = experiment.ROWS[name]
    net = row.build(n_regression=2, **experiment.model_options(
        row, text_dim=TEXT_DIM, embeddings=np.zeros((30, 4), np.float32)))
    assert tuple(experiment.ARGUMENTS.get(i, i) for i in row.inputs) == tuple(net.modalities)
    assert set(row.modalities) == {SOURCE[i] for i in row.inputs}
    assert row.targets == ()          # the profile's targets (profile_targets), one set for every row


def test_a_dataset_without_audio_runs_only_the_context_row():
    ran, status = rows.runnable(list(experiment.ROWS.values()), ["context"], ["valence", "arousal"])
    assert [r.name for r in ran] == ["context_only"]
    assert status.loc["hcman", "status"] == "skipped: lacks audio, lyrics"


def test_a_dataset_with_audio_and_title_artist_but_no_lyrics_runs_only_the_context_row():
    # the paper's Tables 2 and 3 have no audio-only row: every audio model also reads lyrics
    ran, status = rows.runnable(list(experiment.ROWS.values()), ["audio", "context"], ["valence", "arousal"])
    assert [r.name for r in ran] == ["context_only"]
    assert (status.drop("context_only")["status"] == "skipped: lacks lyrics").all()


def test_profile_targets_drop_the_targets_a_dataset_lacks_when_it_has_some():
    kept, class_target, dropped = experiment.profile_targets(["valence", "arousal"], "quadrant",
                                                             ("quadrant", "polarity"))
    assert (kept, class_target, dropped) == ([], "quadrant", ["valence", "arousal"])
    assert experiment.profile_targets(["valence"], "", ("valence", "arousal")) == (["valence"], "", [])


def test_profile_targets_refuse_a_dataset_without_any_of_them():
    with pytest.raises(DatasetError, match=r"mine has none of the profile's targets \['cluster'\]"):
        experiment.profile_targets([], "cluster", ("valence", "arousal"), dataset="mine")


def test_model_options_give_word_vectors_to_the_word_baseline_and_the_text_width_to_the_rest():
    vectors = np.zeros((3, 2))
    assert experiment.model_options(experiment.ROWS["delbouys2018"], text_dim=8, embeddings=vectors)[
        "embeddings"] is vectors
    assert experiment.model_options(experiment.ROWS["hcman"], text_dim=8) == {"text_dim": 8}


def test_paper_values_are_keyed_by_result_rows_and_kept_only_for_the_papers_tasks():
    paper = experiment.paper_results()
    assert paper["hcman.r2eq4_valence"] == 0.306 and paper["pyrovolakis2021.r2eq4_arousal"] == 0.270
    assert paper["bimodal.f1_macro"] == 0.9528
    clusters = experiment.paper_results([], "cluster")  # 5 MIREX clusters: not the paper's 4Q task
    assert clusters == {}
    assert set(experiment.paper_results(["valence", "arousal"], "")) == {k for k in paper if "r2eq4" in k}


# --- inputs -------------------------------------------------------------------------------------

class _FakeTokenizer:
    cls_token_id, sep_token_id, pad_token_id = 1, 2, 0

    def __call__(self, text, **_):
        return {"input_ids": [10 + int(w[1:]) for w in text.split()]}


class _FakeEncoder(torch.nn.Module):
    """Token feature = (token id, position): segment averaging is then checkable by hand."""

    config = SimpleNamespace(hidden_size=2, max_position_embeddings=512)

    def forward(self, input_ids, attention_mask):
        positions = torch.arange(input_ids.shape[1]).expand_as(input_ids)
        hidden = torch.stack([input_ids.float(), positions.float()], dim=-1)
        return SimpleNamespace(last_hidden_state=hidden * attention_mask[..., None])


def test_long_texts_are_split_into_segments_whose_token_features_are_averaged(monkeypatch):
    from mer_lib.features import bert

    monkeypatch.setattr(bert, "load_encoder", lambda model, device: (_FakeTokenizer(), _FakeEncoder()))
    text = " ".join(f"w{i}" for i in range(10))           # 10 word pieces, segments of 4 + 2 specials
    tokens = bert.encode_texts([text], model="fake", segment_length=6)[0]
    # Segments: [CLS] w0-w3 [SEP] | [CLS] w4-w7 [SEP] | [CLS] w8 w9 [SEP]
    ids = np.array([[1, 10, 11, 12, 13, 2], [1, 14, 15, 16, 17, 2], [1, 18, 19, 2, 0, 0]], float)
    valid = ids > 0
    expected_ids = (ids * valid).sum(0) / valid.sum(0)
    np.testing.assert_allclose(tokens[:, 0], expected_ids)
    np.testing.assert_allclose(tokens[:, 1], np.arange(6))
    short = bert.encode_texts(["w1 w2"], model="fake", segment_length=6)[0]
    assert short[:4, 0].tolist() == [1, 11, 12, 2] and not short[4:].any()   # padding rows are zero
    pooled = bert.encode_texts(["w1 w2"], model="fake", segment_length=6, pooling="mean")[0]
    np.testing.assert_allclose(pooled, short[:4].mean(0))   # what context_only reads


def test_stack_token_features_cuts_padding_to_the_longest_text():
    a, b = np.zeros((8, 3), np.float32), np.zeros((8, 3), np.float32)
    a[:2], b[:5] = 1.0, 2.0
    stacked = experiment.stack_token_features({"a": a, "b": b}, ["b", "a", "missing"])
    assert stacked.shape == (3, 5, 3) and stacked.dtype == np.float32
    assert stacked[1, :2].min() == 1.0 and not stacked[1, 2:].any() and not stacked[2].any()


def _fake_extract(calls):
    """A stand-in for features.extract: one (2, 3) array per clip whose value says which call made it."""
    def extract(clips, name, **options):
        calls.append((name, options))
        value = float(1 + options.get("pitch_shift", 0) + options.get("downsample_sr", 0) / 1000)
        keep = clips if "split" not in options else clips[clips.split == options["split"]]
        return {t: np.full((2, 3), value, np.float32) for t in keep.track_id}
    return extract


def _clips():
    return pd.DataFrame({"track_id": list("abcd"), "split": ["train", "train", "validation", "test"]})


def test_mel_inputs_give_training_clips_every_augmented_version_and_the_others_the_original(monkeypatch):
    calls = []
    monkeypatch.setattr(experiment.features, "extract", _fake_extract(calls))
    clips = _clips()
    mel = experiment.mel_inputs(clips, splits.split_ids(clips), pitch_shifts=[2.0], downsample_rates=[8000],
                                seconds=4.0)
    assert isinstance(mel["train"], train.Versions) and len(mel["train"]) == 3
    assert [float(v[0, 0, 0]) for v in mel["train"]] == [1.0, 3.0, 9.0]
    assert mel["validation"].shape == (1, 2, 3) and not isinstance(mel["validation"], train.Versions)
    assert all(c[1]["seconds"] == 4.0 for c in calls) and [c[1].get("split") for c in calls] == [None, "train", "train"]


def test_extract_inputs_computes_only_what_the_rows_read(monkeypatch):
    calls = []
    monkeypatch.setattr(experiment.features, "extract", _fake_extract(calls))
    clips = _clips()
    arrays = experiment.extract_inputs(clips, splits.split_ids(clips), {"context_mean", "lyrics"},
                                       mel_options={"seconds": 4.0}, text_options={"model": "m"}, n_jobs=1)
    assert [name for name, _ in calls] == ["zhao2022_bert_lyrics", "zhao2022_bert_context"]
    assert calls[1][1] == {"pooling": "mean", "n_jobs": 1, "model": "m"}
    assert set(arrays) == {"train", "validation", "test"} and set(arrays["test"]) == {"lyrics", "context_mean"}
    assert arrays["train"]["context_mean"].shape == (2, 2, 3)
    shapes = experiment.input_shapes(arrays)
    assert shapes.loc["lyrics", "test"] == "(1, 2, 3)"


def test_loaders_augment_and_crop_training_clips_only_and_read_only_the_rows_inputs():
    arrays, targets = _arrays()
    arrays["train"]["audio"] = train.Versions((arrays["train"]["audio"], arrays["train"]["audio"] + 100))
    loaders = experiment.loaders(experiment.ROWS["delbouys2018"], arrays, targets, seed=0, batch_size=6,
                                 crop_frames=64)
    drawn = set()
    for _ in range(5):
        (inputs, y), = list(loaders["train"])
        assert set(inputs) == {"audio", "words"} and inputs["audio"].shape == (6, 40, 64)
        assert inputs["words"].dtype == torch.int64 and y.dtype == torch.float32
        drawn |= {bool(m > 50) for m in inputs["audio"].mean(dim=(1, 2))}
    assert drawn == {True, False}                       # both versions are drawn
    (inputs, y), = list(loaders["test"])
    assert inputs["audio"].shape == (5, 40, 100)        # whole excerpt, original version, in order
    torch.testing.assert_close(y, torch.as_tensor(targets["test"]))


def test_loaders_pass_the_pooled_context_under_the_networks_argument_name():
    arrays, targets = _arrays()
    loaders = experiment.loaders(experiment.ROWS["context_only"], arrays, targets, seed=0, batch_size=4,
                                 crop_frames=64)
    inputs, _ = next(iter(loaders["validation"]))
    assert set(inputs) == {"context"} and inputs["context"].shape == (3, TEXT_DIM)


def test_loaders_with_one_seed_give_the_same_batches():
    arrays, targets = _arrays()
    first, again = (experiment.loaders(experiment.ROWS["hcman"], arrays, targets, seed=3, batch_size=4,
                                       crop_frames=32)["train"] for _ in range(2))
    for (a, _), (b, _) in zip(list(first), list(again)):
        assert all(torch.equal(a[k], b[k]) for k in a)


def test_usable_clips_counts_what_is_left_out():
    table = pd.DataFrame({
        "track_id": ["a", "b", "c", "d"], "split": ["train", "train", "test", "validation"],
        "audio_path": ["x", "x", "x", "x"], "lyrics_path": ["l", None, "l", "l"],
        "title": ["t", "t", None, "t"], "artist": ["r", "r", None, "r"], "cluster": [1, 2, 3, 4]})
    kept, counts = splits.usable_clips(table, ["audio", "lyrics", "context"], ["cluster"])
    assert kept.track_id.tolist() == ["a", "d"]
    assert counts.loc["train", "without_lyrics"] == 1 and counts.loc["test", "without_context"] == 1
    assert counts["kept"].tolist() == [1, 1, 0] and counts["clips"].tolist() == [2, 1, 1]
    y = splits.target_arrays(kept, [], "cluster", [1, 2, 3, 4])
    assert y["train"].tolist() == [[0.0]] and y["validation"].tolist() == [[3.0]]


def test_context_sets_leave_out_datasets_that_are_not_present(tmp_path):
    assert experiment.context_sets(["social_tags"], tmp_path, text_options={}) == {}


# --- scores and analysis ------------------------------------------------------------------------

@pytest.mark.parametrize("prediction, r2, r2_eq4", [
    ([1.0, 2.0, 3.0, 4.0], 1.0, 1.0),                 # perfect
    ([2.5, 2.5, 2.5, 2.5], 0.0, 0.0),                 # the mean
    ([0.0, 1.0, 2.0, 3.0], 0.2, 1.8),                 # biased by -1: Eq. 4 rewards it
    ([1.75, 2.25, 2.75, 3.25], 0.75, 0.25),           # shrunk to half the spread
])
def test_both_r2_definitions_on_known_values(prediction, r2, r2_eq4):
    y = [1.0, 2.0, 3.0, 4.0]
    assert metrics.r2(y, prediction) == pytest.approx(r2)
    assert metrics.r2_eq4(y, prediction) == pytest.approx(r2_eq4)
    scores = experiment.task_scorer(2, ["valence", "arousal"], False)(np.c_[y, y], np.c_[prediction, y])
    assert scores["r2_valence"] == pytest.approx(r2) and scores["r2eq4_valence"] == pytest.approx(r2_eq4)
    assert scores["r2_mean"] == pytest.approx((r2 + 1) / 2) and scores["r2eq4_mean"] == pytest.approx((r2_eq4 + 1) / 2)


def test_task_scorer_with_classes_scores_the_arg_max_class():
    y_true = np.array([[0.5, 0], [0.1, 1], [0.3, 2], [0.9, 1]], np.float32)
    y_score = np.array([[0.4, 5, 0, 0], [0.2, 0, 5, 0], [0.3, 0, 0, 5], [0.8, 5, 0, 0]], np.float32)
    scores = experiment.task_scorer(1, ["valence"], True)(y_true, y_score)
    assert scores["acc"] == 0.75 and set(scores) == {"r2_valence", "r2eq4_valence", "r2_mean", "r2eq4_mean",
                                                     "f1_macro", "acc"}
    assert metrics.selection_metric(0, True)(y_true[:, 1:], y_score[:, 1:]) == pytest.approx(scores["f1_macro"])


def test_bootstrap_intervals_give_one_line_per_row_with_low_below_high():
    rng = np.random.default_rng(0)
    y_true = np.c_[rng.normal(size=(40, 2)), rng.integers(0, 3, 40)]
    y_score = np.c_[y_true[:, :2] + rng.normal(scale=0.3, size=(40, 2)), rng.normal(size=(40, 3))]
    predictions = {("a", 1): (y_true, y_score), ("b", 1): (y_true, y_score),
                   ("a", 2): (y_true, y_score + 0.1), ("b", 2): (y_true, y_score)}
    table = experiment.bootstrap_intervals(predictions, ["a", "b"], [1, 2], ["valence", "arousal"], 3, n_boot=50)
    assert table.index.tolist() == ["a", "b"] and list(table.columns) == ["r2_valence", "r2_arousal", "f1_macro"]
    low, high = map(float, table.loc["a", "r2_valence"].split("–"))
    assert low <= high


def test_unseen_artists_mark_test_songs_whose_artist_has_no_training_song():
    clips = pd.DataFrame({"split": ["train", "train", "test", "test", "test", "validation"],
                          "artist": ["Queen", "Abba", "queen ", "Blur", None, "Blur"]})
    assert experiment.unseen_artists(clips).tolist() == [False, True, True]


def test_claims_read_context_on_unseen_artists_and_mark_missing_rows_untestable():
    rng = np.random.default_rng(0)
    y_true = rng.normal(size=(30, 1))
    unseen = np.arange(30) >= 10
    close, far = y_true + rng.normal(scale=0.2, size=(30, 1)), y_true + rng.normal(scale=1.0, size=(30, 1))
    seen_only = np.where(unseen[:, None], far, y_true)  # perfect on seen artists, poor on unseen ones
    predictions = {}
    for seed in range(3):
        predictions["hcman", seed] = (y_true, seen_only + 0.01 * seed)
        predictions["bimodal", seed] = (y_true, close + 0.01 * seed)
    score = experiment.task_scorer(1, ["valence"], False)
    marks = {v.claim: v for v in experiment.claims(predictions, ["hcman", "bimodal"], [0, 1, 2], score, "r2_mean",
                                                   unseen)}
    context = marks["context helps (Table 3: hcman vs bimodal), on artists unseen in training"]
    assert context.verdict == "does not hold here" and "20 test songs of unseen artists" in context.evidence
    assert marks["HCMAN beats Delbouys et al. 2018 (Table 2)"].verdict == "not testable here"
    few = experiment.claims(predictions, ["hcman", "bimodal"], [0, 1, 2], score, "r2_mean", np.arange(30) < 5)
    assert few[2].verdict == "not testable here"


def test_attention_spread_of_a_uniform_map_counts_every_token():
    spread = experiment.attention_spread(np.full((3, 4), 0.25))
    assert spread["real tokens"] == 4 and spread["share on [CLS]"] == 0.25
    assert spread["effective tokens"] == pytest.approx(4.0)


def test_clip_attention_keeps_real_tokens_and_averages_heads():
    net = experiment.ROWS["hcman"].build(n_regression=2, text_dim=TEXT_DIM).eval()
    arrays, _ = _arrays()
    inputs = {k: torch.as_tensor(arrays["test"][k][:1]) for k in ("audio", "lyrics", "context")}
    inputs["lyrics"][0, 3:] = 0                         # two padding tokens
    weights = experiment.clip_attention(net, inputs)
    assert list(weights) == ["lyrics", "context"] and weights["lyrics"].shape == (3, 3)
    assert weights["context"].shape == (3, 3)


def test_first_clip_per_class_in_sorted_class_order():
    assert experiment.first_clip_per_class(pd.Series(["Q2", "Q1", "Q2", "Q3", "Q1"])) == [1, 0, 3]


# --- the notebook's smoke profile ---------------------------------------------------------------

@pytest.mark.smoke
def test_smoke_profile_reports_every_row(tmp_path, monkeypatch):
    monkeypatch.setenv("MER_CACHE_DIR", str(tmp_path / "cache"))
    out = run_profile("04_zhao2022_hierarchical_attention", "smoke", out_dir=tmp_path / "report")
    results = json.loads((out / "results.json").read_text())
    for row in experiment.ROWS:
        for metric in ("r2_valence", "r2_arousal", "r2_mean", "r2eq4_valence", "r2eq4_arousal", "f1_macro", "acc"):
            assert f"{row}.{metric}" in results["metrics"], f"{row}.{metric} missing"
    assert results["paper"]["hcman.r2eq4_valence"] == 0.306
    assert (out / "figures" / "attention_maps_by_class.png").is_file()
    assert (out / "tables" / "table3_ablations.csv").is_file()
