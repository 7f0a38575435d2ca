"""MIDI-like tokens (round trip, vocabulary, pedal, truncation) and note statistics."""

from __future__ import annotations

import numpy as np
import pretty_midi
import pytest

from mer_lib import features
from mer_lib.features import symbolic
from mer_lib.features.symbolic import (
    NOTE_OFF, PAD_ID, STEP, TIME_SHIFT, VELOCITY, VOCAB_SIZE, decode_midi_like, encode_midi_like,
)


def performance(notes, pedal=()):
    """PrettyMIDI with one piano: notes as (pitch, start, end, velocity), pedal as (time, value)."""
    pm = pretty_midi.PrettyMIDI()
    inst = pretty_midi.Instrument(program=0)
    inst.notes = [pretty_midi.Note(v, p, s, e) for p, s, e, v in notes]
    inst.control_changes = [pretty_midi.ControlChange(64, v, t) for t, v in pedal]
    pm.instruments.append(inst)
    return pm


def random_performance(seed=0, n=60):
    rng = np.random.default_rng(seed)
    notes, free_at = [], {}
    t = 0.0
    for _ in range(n):
        t += float(rng.choice([0.0, rng.uniform(0.01, 0.6), rng.uniform(1.0, 2.5)], p=[0.2, 0.7, 0.1]))
        pitch = int(rng.integers(21, 109))
        start = max(t, free_at.get(pitch, 0.0) + 0.05)  # same-pitch notes do not overlap
        end = start + float(rng.uniform(0.03, 1.5))
        free_at[pitch] = end
        notes.append((pitch, start, end, int(rng.integers(1, 128))))
    return performance(notes)


def test_vocabulary_layout():
    assert (NOTE_OFF, TIME_SHIFT, VELOCITY, VOCAB_SIZE) == (128, 256, 356, 388)
    assert PAD_ID == VOCAB_SIZE


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_round_trip_keeps_notes_within_one_time_shift_step(seed):
    original = random_performance(seed)
    tokens = encode_midi_like(original, sustain=False)
    assert tokens.min() >= 0 and tokens.max() < VOCAB_SIZE
    decoded = decode_midi_like(tokens)
    before = sorted(original.instruments[0].notes, key=lambda n: (n.pitch, n.start))
    after = sorted(decoded.instruments[0].notes, key=lambda n: (n.pitch, n.start))
    assert len(before) == len(after)
    for a, b in zip(before, after):
        assert a.pitch == b.pitch
        assert abs(a.start - b.start) <= STEP / 2 + 1e-9
        assert abs(a.end - b.end) <= STEP + 1e-9
        assert abs(a.velocity - b.velocity) <= 2


def test_long_gaps_become_several_time_shifts():
    tokens = encode_midi_like(performance([(60, 0.0, 0.1, 64), (62, 3.5, 3.6, 64)]), sustain=False)
    shifts = tokens[(tokens >= TIME_SHIFT) & (tokens < VELOCITY)] - TIME_SHIFT + 1
    assert shifts.sum() == 360 and shifts.max() == 100
    assert decode_midi_like(tokens).instruments[0].notes[1].start == pytest.approx(3.5)


def test_velocity_tokens_only_when_the_bin_changes():
    tokens = encode_midi_like(performance([(60, 0, 0.1, 80), (62, 0.2, 0.3, 81), (64, 0.4, 0.5, 20)]))
    assert ((tokens >= VELOCITY).sum()) == 2  # 80 and 81 share a bin


def test_sustain_pedal_extends_notes_until_release_or_restrike():
    notes = [(60, 0.0, 0.5, 70), (64, 0.2, 0.4, 70), (64, 1.0, 1.2, 70)]
    pm = performance(notes, pedal=[(0.1, 127), (2.0, 0)])
    sustained = {(n.pitch, round(n.start, 2)): n.end for n in decode_midi_like(encode_midi_like(pm)).instruments[0].notes}
    assert sustained[(60, 0.0)] == pytest.approx(2.0)
    assert sustained[(64, 0.2)] == pytest.approx(1.0)   # cut when the key is struck again
    assert sustained[(64, 1.0)] == pytest.approx(2.0)
    dry = decode_midi_like(encode_midi_like(pm, sustain=False)).instruments[0].notes
    assert dry[0].end == pytest.approx(0.5)


def test_max_length_truncates_and_truncated_sequences_still_decode():
    tokens = encode_midi_like(random_performance(), max_length=25)
    assert len(tokens) == 25
    assert all(n.end > n.start for n in decode_midi_like(tokens).instruments[0].notes)


def test_decoder_rejects_ids_outside_the_vocabulary():
    with pytest.raises(ValueError, match="outside"):
        decode_midi_like([PAD_ID])


def test_pad_tokens():
    np.testing.assert_array_equal(symbolic.pad_tokens(np.array([1, 2]), 4), [1, 2, PAD_ID, PAD_ID])
    np.testing.assert_array_equal(symbolic.pad_tokens(np.arange(6), 3), [0, 1, 2])


def test_registered_preset_reads_midi_files(tmp_path):
    path = tmp_path / "clip.mid"
    random_performance().write(str(path))
    tokens = features.compute("zhao2023_midi_like", path)
    assert tokens.dtype == np.int16 and len(tokens) > 100
    assert features.compute("zhao2023_midi_like", str(path), max_length=10).shape == (10,)


def test_midi_without_notes_gives_an_empty_sequence_but_no_statistics(tmp_path):
    path = tmp_path / "empty.mid"
    pretty_midi.PrettyMIDI().write(str(path))
    assert features.compute("zhao2023_midi_like", path).shape == (0,)
    with pytest.raises(ValueError, match="no notes"):
        features.compute("emopia_symbolic_lr", path)


def test_unreadable_midi_is_a_clear_error(tmp_path):
    path = tmp_path / "bad.mid"
    path.write_bytes(b"MThd garbage")
    with pytest.raises(ValueError, match="bad.mid"):
        features.compute("zhao2023_midi_like", path)


def test_note_statistics_known_values():
    scale = [60, 62, 64, 65, 67, 69, 71, 72]  # C major, one note every 0.5 s
    pm = performance([(p, i * 0.5, i * 0.5 + 0.5, 60 + 4 * i) for i, p in enumerate(scale)])
    stats = symbolic.note_statistics(pm)
    assert stats["n_notes"] == 8 and stats["duration"] == pytest.approx(4.0)
    assert stats["note_density"] == pytest.approx(2.0)
    assert stats["pitch_range"] == 12 and stats["pitch_mean"] == pytest.approx(np.mean(scale))
    assert stats["velocity_mean"] == pytest.approx(74.0)
    assert stats["note_duration_mean"] == pytest.approx(0.5) and stats["ioi_mean"] == pytest.approx(0.5)
    assert (stats["key_tonic"], stats["key_major"]) == (0, 1)
    assert stats["polyphony"] == pytest.approx(1.0)
    vector = features.compute("emopia_symbolic_lr", pm)
    assert vector.shape == (len(features.labels("emopia_symbolic_lr")),)


def test_key_estimate_finds_a_minor():
    a_minor = [57, 59, 60, 62, 64, 65, 67, 69, 60, 64, 57]
    pm = performance([(p, i * 0.3, i * 0.3 + 0.3, 64) for i, p in enumerate(a_minor)])
    stats = symbolic.note_statistics(pm)
    assert (stats["key_tonic"], stats["key_major"]) == (9, 0)


def test_piano_roll_shape_and_pedal():
    pm = performance([(60, 0.0, 0.5, 100)], pedal=[(0.0, 127), (2.0, 0)])
    roll = features.compute("piano_roll", pm, fs=10)
    assert roll.shape == (128, 20) and roll[60].max() == 100 and roll[60, 15] == 100
    dry = features.compute("piano_roll", pm, fs=10, sustain=False, binary=True)
    assert dry.shape == (128, 5) and set(np.unique(dry)) == {0.0, 1.0}
