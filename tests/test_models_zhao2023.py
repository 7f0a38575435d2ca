"""Zhao & Yoshii 2023 networks: the model, its ablations, EMOPIA's deep baselines and their blocks."""

import pytest
import torch

from mer_lib import losses, metrics, models
from mer_lib.features.symbolic import PAD_ID, VOCAB_SIZE
from mer_lib.models import blocks_sequence as B
from mer_lib.models import zhao2023 as Z

BATCH, TOKENS, FRAMES = 3, 40, 60


@pytest.fixture
def inputs():
    generator = torch.Generator().manual_seed(0)
    tokens = torch.randint(0, VOCAB_SIZE, (BATCH, TOKENS), generator=generator)
    tokens[0, 25:] = PAD_ID
    return {"tokens": tokens, "chroma": torch.rand(BATCH, 12, FRAMES, generator=generator),
            "mfcc": torch.randn(BATCH, 25, FRAMES, generator=generator),
            "chroma_length": torch.tensor([FRAMES, 30, 10]), "mfcc_length": torch.tensor([FRAMES, 30, 10])}


def small_zhao(**options):
    return models.build("zhao2023", token_window=16, frame_window=24, **options)


@pytest.mark.parametrize("branches", [Z.BRANCHES, ("symbolic",), ("harmony",), ("tone",)])
@pytest.mark.parametrize("fusion", ["mhsa", "concat"])
def test_zhao2023_outputs_two_probabilities(inputs, branches, fusion):
    net = small_zhao(branches=branches, fusion=fusion).eval()
    out = net(**inputs)
    assert out.shape == (BATCH, 2)
    assert ((out > 0) & (out < 1)).all()
    assert net.branches == tuple(branches)


def test_attention_weights_are_per_head_distributions_over_branches(inputs):
    net = small_zhao().eval()
    with torch.no_grad():
        probabilities, weights = net(**inputs, return_attention=True)
        from_features = net.head(*net.branch_features(**inputs), return_attention=True)
    assert probabilities.shape == (BATCH, 2) and weights.shape == (BATCH, 4, 3, 3)
    torch.testing.assert_close(weights.sum(-1), torch.ones(BATCH, 4, 3))
    torch.testing.assert_close(from_features[1], weights)


def test_mixed_precision_gives_float32_close_to_float32_run(inputs):
    torch.manual_seed(0)
    net = small_zhao().eval()
    exact = net(**inputs)
    net.mixed_precision = True
    fast = net(**inputs)
    assert fast.dtype == torch.float32
    torch.testing.assert_close(fast, exact, atol=0.05, rtol=0)


def test_mixed_precision_runs_in_float32_where_the_cpu_has_no_native_bfloat16(inputs, monkeypatch):
    # An AVX2-only CPU: oneDNN has no bfloat16 LSTM there, so autocast would fail.
    monkeypatch.setattr(B, "native_bfloat16", lambda device: False)
    torch.manual_seed(0)
    net = small_zhao().eval()
    exact = net(**inputs)
    net.mixed_precision = True
    torch.testing.assert_close(net(**inputs), exact, atol=0, rtol=0)


def test_native_bfloat16_is_a_yes_or_no_per_device():
    assert isinstance(B.native_bfloat16("cpu"), bool)
    assert B.native_bfloat16("meta") is False


@pytest.mark.parametrize(("cap", "native"), [("AVX2", False), ("avx512_core", False), ("AVX512_CORE_AMX", True), (None, True)])
def test_a_cpu_computes_bfloat16_only_where_onednn_is_not_capped_below_it(monkeypatch, cap, native):
    monkeypatch.setattr(torch.ops.mkldnn, "_is_mkldnn_bf16_supported", lambda: True)  # as on an AVX-512 BF16 CPU
    monkeypatch.delenv("DNNL_MAX_CPU_ISA", raising=False)
    if cap is None:
        monkeypatch.delenv("ONEDNN_MAX_CPU_ISA", raising=False)
    else:
        monkeypatch.setenv("ONEDNN_MAX_CPU_ISA", cap)
    assert B.native_bfloat16("cpu") is (native and torch.backends.mkldnn.is_available())


def test_branch_needs_its_input(inputs):
    with pytest.raises(ValueError, match="'chroma' input"):
        small_zhao(branches=("harmony",))(tokens=inputs["tokens"])
    with pytest.raises(ValueError, match="subset"):
        small_zhao(branches=("lyrics",))
    with pytest.raises(ValueError, match="fusion"):
        small_zhao(fusion="sum")


def test_branch_widths_and_paper_sizes():
    net = models.build("zhao2023")
    assert net.encoders["symbolic"].encoder.gru.hidden_size == 256
    assert net.encoders["symbolic"].encoder.gru.num_layers == 2
    assert net.encoders["symbolic"].encoder.gru.bidirectional
    assert net.head.attention.num_heads == 4
    assert len(net.encoders["tone"].encoder.blocks) == 7
    kernels = [m.kernel_size for m in net.encoders["harmony"].encoder.modules() if isinstance(m, torch.nn.Conv2d)]
    assert kernels == [(12, 1)] * 3 + [(1, 48)] * 3


def test_halving_strides_stop_at_one():
    assert B.halving_strides(25, 7) == [2, 2, 2, 2, 2, 1, 1]
    assert B.halving_strides(128, 7) == [2] * 7


@pytest.mark.parametrize("input_norm", ["global", "rows", "none"])
def test_residual_cnn_pools_to_one_vector(input_norm):
    cnn = B.ResidualCNN(25, (4, 4, 8, 8, 8, 8, 16), input_norm=input_norm).eval()
    assert cnn(torch.randn(2, 25, 50)).shape == (2, 16)
    assert cnn(torch.randn(2, 25, 3)).shape == (2, 16)


def test_residual_cnn_row_norm_scales_each_coefficient():
    cnn = B.ResidualCNN(3, (2,), input_norm="rows").train()
    x = torch.randn(8, 3, 20) * torch.tensor([100.0, 1.0, 0.1])[:, None] + torch.tensor([-50.0, 0.0, 3.0])[:, None]
    normed = cnn.input_norm(x.unsqueeze(1)).squeeze(1)
    torch.testing.assert_close(normed.mean(dim=(0, 2)), torch.zeros(3), atol=1e-4, rtol=0)
    torch.testing.assert_close(normed.std(dim=(0, 2)), torch.ones(3), atol=1e-2, rtol=0)
    with pytest.raises(ValueError, match="input_norm"):
        B.ResidualCNN(3, (2,), input_norm="layer")


class _MeanEncoder(torch.nn.Module):
    out_dim = 1

    def forward(self, x):
        return x.float().mean(-1, keepdim=True)


def test_windowed_encoder_averages_real_windows_only():
    encoder = B.WindowedEncoder(_MeanEncoder(), window=2)
    x = torch.tensor([[1.0, 1.0, 3.0, 3.0, 9.0]])
    # windows [1, 1], [3, 3], [9, 0]: all real by default
    assert encoder(x).item() == pytest.approx((1 + 3 + 4.5) / 3)
    # length 4: the third window starts after the clip and is left out
    assert encoder(x, torch.tensor([4])).item() == pytest.approx(2.0)
    # at most one window: encoded directly
    assert encoder(x[:, :2]).item() == pytest.approx(1.0)


def test_structured_self_attention_ignores_masked_steps():
    attention = B.StructuredSelfAttention(6, attention_dim=5, hops=3)
    states = torch.randn(2, 4, 6)
    mask = torch.tensor([[True, True, False, False], [True, True, True, True]])
    embedding, weights = attention(states, mask)
    assert embedding.shape == (2, 3, 6) and weights.shape == (2, 3, 4)
    assert torch.all(weights[0, :, 2:] == 0)
    torch.testing.assert_close(weights.sum(-1), torch.ones(2, 3))


def test_lstm_attention_and_short_chunk_resnet_output_log_probabilities(inputs):
    lstm = models.build("lstm_attn", window=16, embedding_dim=8, hidden_size=8, attention_dim=8, hops=2).eval()
    out = lstm(inputs["tokens"])
    assert out.shape == (BATCH, 4)
    torch.testing.assert_close(out.exp().sum(-1), torch.ones(BATCH))
    resnet = models.build("short_chunk_resnet", n_mels=32, base_channels=4).eval()
    chunks = torch.randn(BATCH, 3, 32, 40)
    out = resnet(chunks, torch.tensor([3, 1, 2]))
    assert out.shape == (BATCH, 4)
    torch.testing.assert_close(out.exp().sum(-1), torch.ones(BATCH))
    # one chunk per clip: the mean over chunks of the clip's first chunk alone
    torch.testing.assert_close(resnet(chunks[1:2, :1]), out[1:2])


#: (high valence, high arousal) of Q1, Q2, Q3.
VA_Q1_Q2_Q3 = torch.tensor([[1.0, 1.0], [0.0, 1.0], [0.0, 0.0]])


def _overfit(model, batch_inputs, targets, loss, steps=60, lr=3e-3):
    torch.manual_seed(0)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    model.train()
    for _ in range(steps):
        optimizer.zero_grad()
        loss(model(**batch_inputs), targets).backward()
        optimizer.step()
    model.eval()
    with torch.no_grad():
        return metrics.output_quadrant_accuracy(targets.numpy(), model(**batch_inputs).numpy())


@pytest.mark.parametrize("name,options,keys,targets", [
    ("zhao2023", {"token_window": 16, "frame_window": 24}, ("tokens", "chroma", "mfcc"), "va"),
    ("zhao2023", {"branches": ("harmony",), "fusion": "concat", "frame_window": 24}, ("chroma",), "va"),
    ("zhao2023", {"branches": ("tone",), "fusion": "concat", "frame_window": 24}, ("mfcc",), "va"),
    ("lstm_attn", {"window": 16, "embedding_dim": 16, "hidden_size": 16, "hops": 2}, ("tokens",), "quadrant"),
])
def test_one_batch_overfit(inputs, name, options, keys, targets):
    torch.manual_seed(0)
    y = VA_Q1_Q2_Q3 if targets == "va" else torch.tensor([0, 1, 2])
    accuracy = _overfit(models.build(name, **options), {k: inputs[k] for k in keys}, y,
                        losses.PROBABILITY_LOSSES[targets])
    assert accuracy == 1.0


def test_short_chunk_resnet_overfits_one_batch():
    torch.manual_seed(0)
    chunks = torch.randn(4, 1, 32, 40)
    y = torch.tensor([0, 1, 2, 3])
    model = models.build("short_chunk_resnet", n_mels=32, base_channels=4, dropout=0.0)
    assert _overfit(model, {"mel_chunks": chunks}, y, losses.PROBABILITY_LOSSES["quadrant"], steps=80) == 1.0


def test_assembled_model_equals_the_head_on_its_branches_vectors(inputs):
    branch_models = {b: small_zhao(branches=(b,), fusion="concat").eval() for b in Z.BRANCHES}
    with torch.no_grad():
        features = [m.branch_features(**inputs)[0] for m in branch_models.values()]
        head = models.build("zhao2023_fusion_head", in_dims=[f.shape[1] for f in features]).eval()
        full = Z.Zhao2023Net.assemble(branch_models, head, token_window=16, frame_window=24).eval()
        torch.testing.assert_close(full(**inputs), head(*features))
    assert [f.shape[1] for f in features] == [512, 32, 128] and full.branches == Z.BRANCHES
