"""mmer_analysis networks: the audio/text CNNs, the fusion, their sizes and shapes, bad input."""

import pytest
import torch

from mer_lib import models
from mer_lib.models import mmer_analysis as mmer

# Small models: one torch thread is as fast, and avoids OpenMP spin-waiting on a busy CPU.
pytestmark = pytest.mark.usefixtures("one_torch_thread")


# --- sizes ----------------------------------------------------------------------------------------

def test_flattened_lengths_and_the_papers_25_75_split():
    assert mmer.audio_map_length(1502) == 22                        # 1493 → 373 → 364 → 91 → 22
    assert mmer.text_map_length(500) == 61                          # 491 → 245 → 61
    audio, text = mmer.fusion_shares(1502, 500, 32, 32)
    assert audio == pytest.approx(22 / 83) and round(audio, 3) == 0.265 and text == pytest.approx(61 / 83)
    assert mmer.fusion_shares(1502, 500, 64, 64) == (audio, text)   # independent of C when equal


def test_a_short_excerpt_keeps_the_papers_audio_share_with_more_audio_filters():
    assert mmer.paper_share_audio_channels(1502, 500, 32) == 32          # the paper's excerpt: equal filters
    assert mmer.audio_map_length(201) == 2 and mmer.paper_share_audio_channels(201, 500, 32) == 352
    assert mmer.fusion_shares(201, 500, 32, 32)[0] == pytest.approx(64 / 2016)   # equal filters: ~3 % audio
    assert mmer.fusion_shares(201, 500, 352, 32)[0] == pytest.approx(22 / 83)    # restored: 26.5 %
    with pytest.raises(ValueError, match="109 MFCC frames"):
        mmer.paper_share_audio_channels(100)


def test_layer_output_sizes_reach_the_heads():
    audio, text = mmer.AudioCNN(), mmer.TextCNN()
    assert audio.feature_size == 32 * 22 and text.feature_size == 32 * 61
    assert audio.features(torch.zeros(2, 20, 1502)).shape == (2, 704)
    assert text.features(torch.zeros(2, 500, 300)).shape == (2, 1952)


def test_conv_layer_shapes_walk_each_conv_part_to_its_flattened_map():
    audio = mmer.conv_layer_shapes(mmer.AudioCNN(frames=201))
    assert audio[0] == ("input", (2, 20, 201)) and audio[-1] == ("Flatten", (2, 32 * mmer.audio_map_length(201)))
    assert [layer for layer, _ in audio].count("Conv1d") == 2
    text = mmer.conv_layer_shapes(mmer.TextCNN(words=100), batch=3)
    assert text[0] == ("input", (3, 300, 100))                        # the words transposed
    assert text[-1] == ("Flatten", (3, 32 * mmer.text_map_length(100)))


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


def test_fusion_constructor_builds_untrained_branches_of_the_given_sizes():
    fused = models.build("mmer_analysis_fusion", frames=201, words=100, channels=8)
    assert fused.feature_sizes == (8 * mmer.audio_map_length(201), 8 * mmer.text_map_length(100))
    assert fused(torch.randn(2, 20, 201), torch.randn(2, 100, 300)).shape == (2, 2)


def test_audio_cnn_overfits_a_tiny_batch():
    torch.manual_seed(0)
    net = mmer.AudioCNN(frames=201, dropout=0.0)
    x, y = torch.randn(16, 20, 201), torch.rand(16, 2) * 2 - 1
    optimizer = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9)
    net.train()
    first = None
    for _ in range(150):
        loss = torch.nn.functional.mse_loss(net(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        first = loss.item() if first is None else first
    assert loss.item() < 0.05 * first
