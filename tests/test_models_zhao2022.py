"""zhao2022: the CMA block, segment-averaged text features, both R²s, the models, the smoke run."""

import json
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import torch

from mer_lib import metrics, models
from mer_lib.models import zhao2022
from mer_lib.models.blocks_fusion import CrossModalAttention, masked_mean, pad_and_concat, padding_mask


# Small models: one torch thread is as fast, and avoids OpenMP spin-waiting on a busy CPU.
pytestmark = pytest.mark.usefixtures("one_torch_thread")


# --- cross-modal attention ----------------------------------------------------------------------

def test_cma_shapes_and_weights():
    torch.manual_seed(0)
    cma = CrossModalAttention(query_dim=16, key_dim=24, heads=8).eval()
    query, keys = torch.randn(3, 5, 16), torch.randn(3, 7, 24)
    fused, weights = cma(query, keys, return_attention=True)
    assert fused.shape == (3, 5, 16)            # aligned with the query modality
    assert weights.shape == (3, 8, 5, 7)        # (batch, heads, query steps, key steps)
    torch.testing.assert_close(weights.sum(-1), torch.ones(3, 8, 5))


def test_cma_is_a_residual_block():
    torch.manual_seed(0)
    cma = CrossModalAttention(8, 8, heads=2, norm=False).eval()
    torch.nn.init.zeros_(cma.out.weight)
    torch.nn.init.zeros_(cma.out.bias)
    query = torch.randn(2, 4, 8)
    torch.testing.assert_close(cma(query, torch.randn(2, 3, 8)), query)


def test_cma_masked_keys_get_no_weight_and_do_not_matter():
    torch.manual_seed(0)
    cma = CrossModalAttention(16, 12, heads=4).eval()
    query, keys = torch.randn(2, 5, 16), torch.randn(2, 6, 12)
    mask = torch.tensor([[True] * 4 + [False] * 2, [True] * 6])
    fused, weights = cma(query, keys, mask, return_attention=True)
    assert torch.all(weights[0, :, :, 4:] == 0)
    torch.testing.assert_close(weights.sum(-1), torch.ones(2, 4, 5))
    changed = keys.clone()
    changed[0, 4:] = 100.0
    torch.testing.assert_close(cma(query, changed, mask), fused)


def test_cma_all_keys_masked_gives_the_residual_not_nan():
    torch.manual_seed(0)
    cma = CrossModalAttention(8, 8, heads=2).eval()
    query = torch.randn(1, 3, 8)
    fused, weights = cma(query, torch.randn(1, 4, 8), torch.zeros(1, 4, dtype=torch.bool), return_attention=True)
    assert torch.isfinite(fused).all() and torch.all(weights == 0)
    torch.testing.assert_close(fused, cma.norm(query + cma.out.bias))  # no message: W_O sees zeros


def test_cma_refuses_heads_that_do_not_divide_the_size():
    with pytest.raises(ValueError, match="divisible"):
        CrossModalAttention(10, 10, heads=8)


def test_padding_helpers():
    x = torch.tensor([[[1.0, 2.0], [3.0, 0.0], [0.0, 0.0]]])
    mask = padding_mask(x)
    assert mask.tolist() == [[True, True, False]]
    torch.testing.assert_close(masked_mean(x, mask), torch.tensor([[2.0, 1.0]]))
    torch.testing.assert_close(masked_mean(x, torch.zeros_like(mask)), torch.zeros(1, 2))
    joined = pad_and_concat([torch.ones(2, 3, 4), torch.ones(2, 5, 1)])
    assert joined.shape == (2, 5, 5) and joined[:, 3:, :4].abs().sum() == 0


# --- segment-averaged text features -------------------------------------------------------------

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
    stacked = zhao2022.stack_token_features({"a": a, "b": b}, ["b", "a", "missing"])
    assert stacked.shape == (3, 5, 3)
    assert stacked[1, :2].min() == 1.0 and not stacked[1, 2:].any() and not stacked[2].any()


def test_context_only_mean_of_tokens_equals_pooled_input():
    torch.manual_seed(0)
    net = zhao2022.ContextOnlyNet(text_dim=4).eval()
    tokens = torch.zeros(1, 6, 4)
    tokens[0, :3] = torch.randn(3, 4)
    torch.testing.assert_close(net(tokens), net(tokens[:, :3].mean(1)))


# --- the two R² definitions ---------------------------------------------------------------------

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
    scores = zhao2022.task_scores(np.c_[y, y], np.c_[prediction, y], 2)
    assert scores["r2_valence"] == pytest.approx(r2) and scores["r2eq4_valence"] == pytest.approx(r2_eq4)
    assert scores["r2_mean"] == pytest.approx((r2 + 1) / 2) and scores["r2eq4_mean"] == pytest.approx((r2_eq4 + 1) / 2)


def test_task_scores_and_loss_with_classes():
    y_true = np.array([[0.5, 0], [0.1, 1], [0.3, 2], [0.9, 1]], np.float32)
    y_score = np.array([[0.4, 5, 0, 0], [0.2, 0, 5, 0], [0.3, 0, 0, 5], [0.8, 5, 0, 0]], np.float32)
    scores = zhao2022.task_scores(y_true, y_score, 1, ["valence"], classes=True)
    assert scores["acc"] == 0.75 and set(scores) == {"r2_valence", "r2eq4_valence", "r2_mean", "r2eq4_mean",
                                                     "f1_macro", "acc"}
    loss = zhao2022.MultiTaskLoss(1, 3)(torch.as_tensor(y_score), torch.as_tensor(y_true))
    assert loss.item() > 0
    assert zhao2022.selection_metric(0, True)(y_true[:, 1:], y_score[:, 1:]) == pytest.approx(scores["f1_macro"])


# --- the models ---------------------------------------------------------------------------------

N_CLASSES, TEXT_DIM, VOCAB = 3, 12, 30


def _batch(n=4, frames=64):
    torch.manual_seed(0)
    lyrics, context = torch.randn(n, 9, TEXT_DIM), torch.randn(n, 4, TEXT_DIM)
    lyrics[:, 6:], context[:, 3:] = 0, 0            # padding rows
    words = torch.randint(1, VOCAB, (n, 20))
    words[:, 15:] = 0
    inputs = {"audio": torch.randn(n, 40, frames) * 10, "lyrics": lyrics, "context": context, "words": words}
    targets = torch.cat([torch.randn(n, 2), torch.arange(n)[:, None] % N_CLASSES], dim=1)
    return inputs, targets


def _build(row):
    options = ({"embeddings": np.random.default_rng(0).normal(size=(VOCAB, 8)).astype(np.float32)}
               if row == "delbouys2018" else {"text_dim": TEXT_DIM})
    return models.build(zhao2022.ROW_MODELS[row], n_regression=2, n_classes=N_CLASSES, **options)


@pytest.mark.parametrize("row", list(zhao2022.ROW_MODELS))
def test_every_row_is_registered_and_gives_va_plus_logits(row):
    net = _build(row).eval()
    inputs, _ = _batch()
    out = net(**{m: inputs[m] for m in net.modalities})
    assert out.shape == (4, 2 + N_CLASSES) and torch.isfinite(out).all()
    assert set(zhao2022.ROW_SOURCES[row]) >= ({"lyrics" if m == "words" else m for m in net.modalities})


def test_audio_convnet_turns_32_frames_into_one_128_d_step():
    net = zhao2022.AudioConvNet()
    assert net(torch.randn(2, 40, 646)).shape == (2, 20, 128)
    with pytest.raises(ValueError, match="at least 32 frames"):
        net(torch.randn(1, 40, 16))


def test_hierarchy_order_and_stages():
    inputs, _ = _batch()
    proposed = _build("hcman").eval()
    stages = proposed.stages(inputs["audio"], lyrics=inputs["lyrics"], context=inputs["context"])
    assert list(stages["attention"]) == ["lyrics", "context"]
    assert stages["attention"]["lyrics"].shape == (4, 8, 2, 9)
    assert torch.all(stages["attention"]["lyrics"][..., 6:] == 0)
    assert _build("non_hierarchical").order == ("context", "lyrics")
    assert _build("bimodal").modalities == ("audio", "lyrics")
    with pytest.raises(ValueError, match="order"):
        zhao2022.HierarchicalCMANet(order=("audio",))


@pytest.mark.parametrize("row", list(zhao2022.ROW_MODELS))
def test_each_model_overfits_one_batch(row):
    torch.manual_seed(0)
    net = _build(row)
    inputs, targets = _batch()
    inputs = {m: inputs[m] for m in net.modalities}
    loss_fn = zhao2022.MultiTaskLoss(2, N_CLASSES)
    optimizer = torch.optim.Adam([p for p in net.parameters() if p.requires_grad], lr=3e-3)
    net.eval()  # no dropout; batch norm uses its running statistics, updated below
    first = loss_fn(net(**inputs), targets).item()
    net.train()
    for _ in range(150):
        optimizer.zero_grad()
        loss = loss_fn(net(**inputs), targets)
        loss.backward()
        optimizer.step()
    assert loss.item() < 0.1 * first, f"{row}: loss {first:.3f} -> {loss.item():.3f}"


# --- data helpers -------------------------------------------------------------------------------

def test_clip_tensors_augment_and_crop_training_clips_only():
    versions = [np.zeros((3, 40, 100), np.float32), np.ones((3, 40, 100), np.float32)]
    train = zhao2022.ClipTensors({"audio": versions, "words": np.ones((3, 5), np.int64)}, np.zeros((3, 2)),
                                 crop_frames=64, seed=0)
    drawn = {float(train[0][0]["audio"].mean()) for _ in range(20)}
    assert drawn == {0.0, 1.0} and train[1][0]["audio"].shape == (40, 64)
    assert train[0][0]["words"].dtype == torch.int64
    test = zhao2022.ClipTensors({"audio": versions[0]}, np.zeros((3, 2)))
    assert test[2][0]["audio"].shape == (40, 100)
    with pytest.raises(ValueError, match="one length"):
        zhao2022.ClipTensors({"audio": versions[0]}, np.zeros((2, 2)))


def test_usable_clips_counts_what_is_left_out():
    table = pd.DataFrame({
        "track_id": ["a", "b", "c", "d"], "split": ["train", "train", "test", "validation"],
        "audio_path": ["x", "x", "x", "x"], "lyrics_path": ["l", None, "l", "l"],
        "title": ["t", "t", None, "t"], "artist": ["r", "r", None, "r"], "cluster": [1, 2, 3, 4]})
    kept, counts = zhao2022.usable_clips(table, ["audio", "lyrics", "context"], ["cluster"])
    assert kept.track_id.tolist() == ["a", "d"]
    assert counts.loc["train", "without_lyrics"] == 1 and counts.loc["test", "without_context"] == 1
    assert counts["kept"].tolist() == [1, 1, 0] and counts["clips"].tolist() == [2, 1, 1]
    y = zhao2022.target_arrays(kept, [], "cluster", [1, 2, 3, 4])
    assert y["train"].tolist() == [[0.0]] and y["validation"].tolist() == [[3.0]]


def test_paper_values_are_keyed_by_result_rows():
    paper = zhao2022.paper_results()
    assert paper["hcman.r2eq4_valence"] == 0.306 and paper["pyrovolakis2021.r2eq4_arousal"] == 0.270
    assert paper["bimodal.f1_macro"] == 0.9528


# --- the notebook's smoke profile ---------------------------------------------------------------

@pytest.mark.smoke
def test_smoke_profile_reports_every_row(tmp_path, monkeypatch):
    from mer_lib.runner import run_profile

    monkeypatch.setenv("MER_CACHE_DIR", str(tmp_path / "cache"))
    out = run_profile("04_zhao2022_hierarchical_attention", "smoke", out_dir=tmp_path / "report")
    results = json.loads((out / "results.json").read_text())
    for row in zhao2022.ROW_MODELS:
        for metric in ("r2_valence", "r2_arousal", "r2_mean", "r2eq4_valence", "r2eq4_arousal", "f1_macro", "acc"):
            assert f"{row}.{metric}" in results["metrics"], f"{row}.{metric} missing"
    assert results["paper"]["hcman.r2eq4_valence"] == 0.306
    assert (out / "figures" / "attention_maps_by_class.png").is_file()
    assert (out / "tables" / "table3_ablations.csv").is_file()
