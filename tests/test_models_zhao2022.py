"""zhao2022 networks: the CMA block, HCMAN and its ablations, the two baselines (shapes, overfitting, bad input).

How the paper is run (rows, inputs, loaders, scores) is tested in ``test_experiments_zhao2022.py``."""

import numpy as np
import pytest
import torch

from mer_lib import losses, models
from mer_lib.models import zhao2022
from mer_lib.models.blocks import masked_mean
from mer_lib.models.blocks_fusion import CrossModalAttention, pad_and_concat, padding_mask


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
    torch.testing.assert_close(masked_mean(x, mask[..., None], dim=1), torch.tensor([[2.0, 1.0]]))
    torch.testing.assert_close(masked_mean(x, torch.zeros_like(mask)[..., None], dim=1), torch.zeros(1, 2))
    joined = pad_and_concat([torch.ones(2, 3, 4), torch.ones(2, 5, 1)])
    assert joined.shape == (2, 5, 5) and joined[:, 3:, :4].abs().sum() == 0


def test_context_only_mean_of_tokens_equals_pooled_input():
    torch.manual_seed(0)
    net = zhao2022.ContextOnlyNet(text_dim=4).eval()
    tokens = torch.zeros(1, 6, 4)
    tokens[0, :3] = torch.randn(3, 4)
    torch.testing.assert_close(net(tokens), net(tokens[:, :3].mean(1)))


# --- the models ---------------------------------------------------------------------------------

N_CLASSES, TEXT_DIM, VOCAB = 3, 12, 30
#: Every registered network of the paper's tables (Table 3 ablations, Table 2 baselines, context only).
REGISTERED = ("zhao2022_hcman", "zhao2022_non_hierarchical", "zhao2022_direct_fusion", "zhao2022_bimodal",
              "delbouys2018", "pyrovolakis2021", "zhao2022_context_only")


def _batch(n=4, frames=64):
    torch.manual_seed(0)
    lyrics, context = torch.randn(n, 9, TEXT_DIM), torch.randn(n, 4, TEXT_DIM)
    lyrics[:, 6:], context[:, 3:] = 0, 0            # padding rows
    words = torch.randint(1, VOCAB, (n, 20))
    words[:, 15:] = 0
    inputs = {"audio": torch.randn(n, 40, frames) * 10, "lyrics": lyrics, "context": context, "words": words}
    targets = torch.cat([torch.randn(n, 2), torch.arange(n)[:, None] % N_CLASSES], dim=1)
    return inputs, targets


def _build(name):
    options = ({"embeddings": np.random.default_rng(0).normal(size=(VOCAB, 8)).astype(np.float32)}
               if name == "delbouys2018" else {"text_dim": TEXT_DIM})
    return models.build(name, n_regression=2, n_classes=N_CLASSES, **options)


@pytest.mark.parametrize("name", REGISTERED)
def test_every_network_is_registered_and_gives_va_plus_logits(name):
    net = _build(name).eval()
    inputs, _ = _batch()
    out = net(**{m: inputs[m] for m in net.modalities})
    assert out.shape == (4, 2 + N_CLASSES) and torch.isfinite(out).all()


def test_audio_convnet_turns_32_frames_into_one_128_d_step():
    net = zhao2022.AudioConvNet()
    assert net(torch.randn(2, 40, 646)).shape == (2, 20, 128)
    with pytest.raises(ValueError, match="at least 32 frames"):
        net(torch.randn(1, 40, 16))
    with pytest.raises(ValueError, match="n_mels must be at least 32"):
        zhao2022.AudioConvNet(n_mels=16)


def test_hierarchy_order_and_stages():
    inputs, _ = _batch()
    proposed = _build("zhao2022_hcman").eval()
    stages = proposed.stages(inputs["audio"], lyrics=inputs["lyrics"], context=inputs["context"])
    assert list(stages["attention"]) == ["lyrics", "context"]
    assert stages["attention"]["lyrics"].shape == (4, 8, 2, 9)
    assert torch.all(stages["attention"]["lyrics"][..., 6:] == 0)
    assert _build("zhao2022_non_hierarchical").order == ("context", "lyrics")
    assert _build("zhao2022_bimodal").modalities == ("audio", "lyrics")
    with pytest.raises(ValueError, match="order"):
        zhao2022.HierarchicalCMANet(order=("audio",))


def test_hcman_without_a_text_it_fuses_says_which():
    inputs, _ = _batch()
    with pytest.raises(ValueError, match="needs \\['context'\\]"):
        _build("zhao2022_hcman")(inputs["audio"], lyrics=inputs["lyrics"])


@pytest.mark.parametrize("name", REGISTERED)
def test_each_model_overfits_one_batch(name):
    torch.manual_seed(0)
    net = _build(name)
    inputs, targets = _batch()
    inputs = {m: inputs[m] for m in net.modalities}
    loss_fn = losses.MultiTaskLoss(2, N_CLASSES)
    optimizer = torch.optim.Adam([p for p in net.parameters() if p.requires_grad], lr=3e-3)
    net.eval()  # no dropout; batch norm uses its running statistics, updated below
    first = loss_fn(net(**inputs), targets).item()
    net.train()
    for _ in range(150):
        optimizer.zero_grad()
        loss = loss_fn(net(**inputs), targets)
        loss.backward()
        optimizer.step()
    assert loss.item() < 0.1 * first, f"{name}: loss {first:.3f} -> {loss.item():.3f}"
