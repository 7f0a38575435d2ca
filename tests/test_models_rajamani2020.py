"""Rajamani et al. (2020) networks: the paper's parameter counts, shapes, AReLU, self-attention."""

import pytest
import torch
import torch.nn.functional as F

from mer_lib import models
from mer_lib.models.blocks import AReLU, ConvBlock, StandAloneSelfAttention2d
from mer_lib.models.rajamani2020 import CHANNELS, POOLS, REAL_INPUT, VGGishTagger

# Small models: one torch thread is as fast, and avoids OpenMP spin-waiting on a busy CPU.
pytestmark = pytest.mark.usefixtures("one_torch_thread")


#: A short input that still survives the time pools (>= 320 frames): keeps tests fast.
SHORT = (96, 320)
#: The five architectures of Table 1 (options of VGGishTagger) and their parameter counts
#: for the 56 MediaEval tags, as the paper gives them.
ARCHITECTURES = {
    "baseline": ({}, 448122),
    "sa_layer3": ({"attention_layers": (3,)}, 350074),
    "sa_layer4": ({"attention_layers": (4,)}, 350074),
    "sa_layer5": ({"attention_layers": (5,)}, 399098),
    "arelu": ({"activation": "arelu"}, 448132),
}


@pytest.mark.parametrize("name", list(ARCHITECTURES))
def test_parameter_counts_match_table1(name):
    options, params = ARCHITECTURES[name]
    model = models.build("rajamani2020_vggish", n_tags=56, **options)
    assert models.count_parameters(model) == params


@pytest.mark.parametrize("name", list(ARCHITECTURES))
def test_shapes_and_sigmoid_outputs(name):
    torch.manual_seed(0)
    model = models.build("rajamani2020_vggish", n_tags=7, **ARCHITECTURES[name][0]).eval()
    with torch.no_grad():
        out = model(torch.randn(2, *SHORT))
        same = model(torch.randn(2, 1, *SHORT))
    assert out.shape == same.shape == (2, 7)
    assert ((out > 0) & (out < 1)).all()


def test_the_default_architecture_is_the_papers_baseline():
    model = models.build("rajamani2020_vggish")
    assert [block.mixer.out_channels for block in model.layers] == list(CHANNELS)
    assert [tuple(block.pool.kernel_size) for block in model.layers[:4]] == list(POOLS)
    assert model.dense.out_features == 56


def test_real_input_reaches_a_one_by_one_map():
    """On 96 x 1400 the pools leave layer 5 a 4 x 4 map (the baseline's MaxPool(4, 4))."""
    model = models.build("rajamani2020_vggish").eval()
    x = torch.zeros(1, 1, *REAL_INPUT)
    with torch.no_grad():
        for layer in model.layers[:4]:
            x = layer(x)
    assert tuple(x.shape[2:]) == (4, 4)


def test_gflops_are_measured_and_attention_in_layer3_is_cheaper():
    baseline = models.gflops(models.build("rajamani2020_vggish"), (1, *REAL_INPUT))
    sa3 = models.gflops(models.build("rajamani2020_vggish", attention_layers=(3,)), (1, *REAL_INPUT))
    assert baseline == pytest.approx(3.32, abs=0.01)   # Table 1
    assert sa3 < 0.9 * baseline


@pytest.mark.parametrize("name", ["baseline", "sa_layer4", "arelu"])
def test_one_batch_overfit(name):
    torch.manual_seed(0)
    model = models.build("rajamani2020_vggish", **ARCHITECTURES[name][0], n_tags=5, dropout=0.0,
                         channels=(8, 16, 16, 16, 8))
    x = torch.randn(4, *SHORT)
    y = torch.tensor([[1, 0, 0, 1, 0], [0, 1, 0, 0, 1], [1, 1, 0, 0, 0], [0, 0, 1, 1, 1]], dtype=torch.float32)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    for _ in range(60):
        loss = F.binary_cross_entropy(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    model.eval()
    with torch.no_grad():
        assert ((model(x) > 0.5).float() == y).all()


def test_arelu_formula_and_gradients():
    act = AReLU(alpha=0.9, beta=2.0)
    x = torch.tensor([-2.0, -0.5, 0.0, 0.5, 3.0])
    gain = 1 + torch.sigmoid(torch.tensor(2.0))
    expected = torch.where(x >= 0, gain * x, 0.9 * x)
    torch.testing.assert_close(act(x), expected)
    # alpha is clamped to [0.01, 0.99]
    torch.testing.assert_close(AReLU(alpha=5.0)(torch.tensor([-1.0])), torch.tensor([-0.99]))
    torch.testing.assert_close(AReLU(alpha=-1.0)(torch.tensor([-1.0])), torch.tensor([-0.01]))
    act(x).sum().backward()
    assert act.alpha.grad is not None and act.beta.grad is not None
    assert sum(p.numel() for p in act.parameters()) == 2


def test_self_attention_matches_a_direct_computation():
    torch.manual_seed(0)
    layer = StandAloneSelfAttention2d(4, 6, kernel_size=3, heads=2)
    x = torch.randn(1, 4, 5, 6)
    out = layer(x)
    assert out.shape == (1, 6, 5, 6)
    # Position (i, j) = (2, 3), head 1 (channels 3..5): explicit loop over the 3x3 window.
    q, k, v = layer.query(x)[0], layer.key(x)[0], layer.value(x)[0]
    rel = layer.relative_embedding().view(6, 3, 3)
    i, j, heads = 2, 3, slice(3, 6)
    logits, values = [], []
    for a in range(3):
        for b in range(3):
            logits.append((q[heads, i, j] * (k[heads, i + a - 1, j + b - 1] + rel[heads, a, b])).sum())
            values.append(v[heads, i + a - 1, j + b - 1])
    weights = torch.stack(logits).softmax(0)
    expected = (weights[:, None] * torch.stack(values)).sum(0)
    torch.testing.assert_close(out[0, heads, i, j], expected)
    # Parameters: 3 projections + C_out x k relative embeddings.
    assert sum(p.numel() for p in layer.parameters()) == 3 * 4 * 6 + 6 * 3


def test_self_attention_zero_pads_the_border():
    torch.manual_seed(0)
    layer = StandAloneSelfAttention2d(2, 2, kernel_size=3)
    x = torch.randn(1, 2, 3, 3)
    windows = layer.neighbourhoods(x)
    assert windows.shape == (1, 2, 9, 3, 3)
    assert (windows[0, :, :3, 0, 0] == 0).all()   # row above the top-left corner
    torch.testing.assert_close(windows[0, :, 4, 1, 1], x[0, :, 1, 1])  # centre of the window


def test_conv_block_and_registry_errors():
    block = ConvBlock(1, 4, (2, 4), "arelu")
    assert block(torch.randn(1, 1, 8, 16)).shape == (1, 4, 4, 4)
    assert ConvBlock(1, 4, None)(torch.randn(1, 1, 8, 16)).shape == (1, 4, 1, 1)
    with pytest.raises(ValueError, match="unknown activation"):
        ConvBlock(1, 4, None, "gelu")
    with pytest.raises(ValueError, match="Did you mean 'rajamani2020_vggish'"):
        models.build("rajamani2020_vgish")
    with pytest.raises(TypeError, match="variant"):   # Table 1's variants are rows of experiments.rajamani2020
        models.build("rajamani2020_vggish", variant="sa_layer3")
    with pytest.raises(ValueError, match="attention_layers"):
        models.build("rajamani2020_vggish", attention_layers=(6,))


def test_without_the_sigmoid_the_tagger_returns_the_logits_the_sigmoid_would_squash():
    torch.manual_seed(0)
    probabilities = VGGishTagger(n_tags=4, channels=(4, 4, 4, 4, 4)).eval()
    logits = VGGishTagger(n_tags=4, channels=(4, 4, 4, 4, 4), sigmoid=False).eval()
    logits.load_state_dict(probabilities.state_dict())
    x = torch.randn(2, 96, 320)
    with torch.no_grad():
        assert torch.allclose(torch.sigmoid(logits(x)), probabilities(x))
        assert (logits(x) < 0).any()
