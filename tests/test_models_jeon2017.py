"""jeon2017 networks: the six Table 1 models, their shapes and sizes, bad inputs, a tiny overfit."""

import numpy as np
import pytest
import torch

from mer_lib import losses, metrics, models, train
from mer_lib.models import jeon2017 as J

VOCAB = 50
#: Registered model → the inputs it reads and the sizes it is built with.
MODELS = {"jeon2017_audio_cnn": (("audio",), {}), "jeon2017_audio_rnn": (("audio",), {}),
          "jeon2017_audio_crnn": (("audio",), {}), "jeon2017_lyrics_cnn": (("lyrics",), {"vocab_size": VOCAB}),
          "jeon2017_lyrics_rnn": (("lyrics",), {"vocab_size": VOCAB}),
          "jeon2017_multimodal": (("audio", "lyrics"), {"vocab_size": VOCAB})}


# Small models: one torch thread is as fast, and avoids OpenMP spin-waiting on a busy CPU.
pytestmark = pytest.mark.usefixtures("one_torch_thread")


def inputs(batch=2, frames=J.N_FRAMES, words=J.MAX_WORDS, seed=0):
    g = torch.Generator().manual_seed(seed)
    ids = torch.randint(1, VOCAB, (batch, words), generator=g)
    ids[:, words // 2:] = 0                                  # right padding
    return {"audio": torch.randn(batch, J.N_MELS, frames, generator=g), "lyrics": ids}


@pytest.mark.parametrize("name", list(MODELS))
def test_every_model_maps_the_paper_inputs_to_two_logits(name):
    reads, sizes = MODELS[name]
    net = models.build(name, **sizes).eval()
    assert net.modalities == reads
    x = inputs()
    with torch.no_grad():
        out = net(**{m: x[m] for m in net.modalities})
    assert out.shape == (2, 2) and torch.isfinite(out).all()


def test_all_six_models_are_registered():
    assert set(MODELS) <= set(models.available())


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
    head = J.multimodal(vocab_size=VOCAB).head
    assert models.count_parameters(head) == (128 * 64 + 64) + (64 * 2 + 2)          # 8,386
    # The audio CRNN row: norm 256 + convs 147,904 + GRUs 49,920 + FC 4,160 + head 4,290.
    assert models.count_parameters(J.audio_crnn()) == 206_530


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
        J.multimodal(vocab_size=VOCAB)(audio=torch.zeros(1, 128, 1024))
    with pytest.raises(ValueError, match="'audio' and/or 'lyrics'"):
        J.PolarityNet({"midi": J.AudioCNN()})


def test_multimodal_overfits_a_tiny_batch():
    x = inputs(batch=8, frames=216, words=40, seed=1)
    y = np.array([[0], [1]] * 4, dtype=np.float32)
    loader = train.clip_loader({"audio": x["audio"].numpy(), "lyrics": x["lyrics"].numpy()}, y, batch_size=8)
    torch.manual_seed(0)
    model = J.multimodal(vocab_size=VOCAB, dropout=0.0)
    result = train.fit_and_test(model, {"train": loader, "validation": loader, "test": loader},
                                losses.MultiTaskLoss(0, 2), torch.optim.Adam(model.parameters(), lr=3e-3),
                                max_epochs=30, patience=30, val_metric=metrics.argmax_accuracy, device="cpu")
    assert metrics.argmax_accuracy(result.y_true, result.y_score) == 1.0
    assert result.history["train_loss"][-1] < 0.2 * result.history["train_loss"][0]
    assert result.y_score.shape == (8, 2)
