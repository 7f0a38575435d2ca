"""Symbolic features with pretty_midi: the MIDI-like event encoding and note statistics.

**MIDI-like encoding** (Oore et al. 2018, "This time with feeling"), as used by EMOPIA and by
Zhao & Yoshii 2023: a performance becomes a sequence over a 388-token vocabulary,

====================  ========  ==============================================
token ids             count     meaning
====================  ========  ==============================================
0 – 127               128       NOTE_ON(pitch)
128 – 255             128       NOTE_OFF(pitch)
256 – 355             100       TIME_SHIFT(10 ms … 1 s, in 10 ms steps)
356 – 387             32        SET_VELOCITY(bin), bin = velocity // 4
====================  ========  ==============================================

Times are quantised to a 10 ms grid (longer gaps are several TIME_SHIFTs); a velocity token
is written only when the velocity bin changes. With ``sustain=True`` the sustain pedal
(CC 64 ≥ 64) is baked into note durations: a note released while the pedal is down lasts
until the pedal is lifted, or until the same key is struck again. :func:`decode_midi_like`
turns tokens back into a ``PrettyMIDI`` (onsets and offsets within one 10 ms step, velocities
within 2 of the original). A MIDI file with no notes encodes to an empty sequence.

**Note statistics** for the Symbolic-LR baseline: density, pitch, velocity, duration,
key/mode and tempo summaries of a performance (:func:`note_statistics`), and a **piano roll**
(``piano_roll`` extractor).

Reference: Oore et al., "This time with feeling: learning expressive musical performance",
Neural Computing and Applications 2018; Hung et al., "EMOPIA", ISMIR 2021; Zhao & Yoshii 2023.
Notebook: the ``zhao2023`` notebook.
"""

from __future__ import annotations

import numpy as np
import pretty_midi

from mer_lib.features.registry import FrontEnd, register
from mer_lib.features.render import load_midi

N_PITCHES, N_TIME_SHIFTS, N_VELOCITIES = 128, 100, 32
NOTE_ON, NOTE_OFF = 0, N_PITCHES
TIME_SHIFT = 2 * N_PITCHES
VELOCITY = TIME_SHIFT + N_TIME_SHIFTS
#: Size of the event vocabulary (388).
VOCAB_SIZE = VELOCITY + N_VELOCITIES
#: Padding id for batches (one past the vocabulary); never produced by the encoder.
PAD_ID = VOCAB_SIZE
#: Seconds per TIME_SHIFT step.
STEP = 0.01
SUSTAIN_CC = 64


def performance_notes(pm, sustain: bool = True, threshold: int = 64) -> list:
    """Notes of every non-drum instrument, pedal applied (if ``sustain``), overlaps resolved.

    Returns:
        ``pretty_midi.Note`` copies sorted by (start, pitch). Same-pitch notes never overlap:
        a re-struck key ends the sounding note, as on a piano.
    """
    notes = []
    for inst in pm.instruments:
        if inst.is_drum:
            continue
        own = [pretty_midi.Note(n.velocity, n.pitch, n.start, n.end) for n in inst.notes]
        if sustain:
            _extend_by_pedal(own, inst.control_changes, threshold)
        notes.extend(own)
    notes.sort(key=lambda n: (n.pitch, n.start, -n.end))
    resolved = []
    for note in notes:
        previous = resolved[-1] if resolved and resolved[-1].pitch == note.pitch else None
        if previous is not None and note.start <= previous.start:
            continue  # a duplicate strike at the same time: keep the first (longest)
        if previous is not None and previous.end > note.start:
            previous.end = note.start
        resolved.append(note)
    return sorted(resolved, key=lambda n: (n.start, n.pitch))


def _extend_by_pedal(notes: list, control_changes: list, threshold: int) -> None:
    """Delay each note's end to the pedal release when it ends while the pedal is down."""
    downs, down_since = [], None
    for cc in sorted((c for c in control_changes if c.number == SUSTAIN_CC), key=lambda c: c.time):
        if cc.value >= threshold and down_since is None:
            down_since = cc.time
        elif cc.value < threshold and down_since is not None:
            downs.append((down_since, cc.time))
            down_since = None
    if down_since is not None:
        downs.append((down_since, max([n.end for n in notes], default=down_since)))
    for note in notes:
        for start, stop in downs:
            if start <= note.end < stop:
                note.end = stop
                break


def encode_midi_like(midi, max_length: int | None = None, sustain: bool = True,
                     sustain_threshold: int = 64) -> np.ndarray:
    """Encode a performance as MIDI-like event tokens.

    Args:
        midi: A ``.mid`` path or a ``PrettyMIDI``.
        max_length: Keep at most this many tokens (None: all).
        sustain: Bake the sustain pedal into note durations.
        sustain_threshold: CC 64 value from which the pedal counts as down.

    Returns:
        int16 array of token ids in ``[0, VOCAB_SIZE)``; empty when the MIDI has no notes.
    """
    pm = load_midi(midi)
    events = []
    for note in performance_notes(pm, sustain, sustain_threshold):
        on = int(round(note.start / STEP))
        off = max(int(round(note.end / STEP)), on + 1)
        events.append((on, 1, note.pitch, note.velocity))
        events.append((off, 0, note.pitch, 0))
    events.sort()  # by time; note-offs (kind 0) before note-ons at the same step
    tokens, now, velocity_bin = [], 0, None
    for step, kind, pitch, velocity in events:
        while step > now:
            shift = min(step - now, N_TIME_SHIFTS)
            tokens.append(TIME_SHIFT + shift - 1)
            now += shift
        if kind == 0:
            tokens.append(NOTE_OFF + pitch)
            continue
        bin_ = min(velocity * N_VELOCITIES // 128, N_VELOCITIES - 1)
        if bin_ != velocity_bin:
            tokens.append(VELOCITY + bin_)
            velocity_bin = bin_
        tokens.append(NOTE_ON + pitch)
    tokens = np.asarray(tokens, dtype=np.int16)
    return tokens if max_length is None else tokens[:max_length]


def decode_midi_like(tokens, program: int = 0):
    """Turn MIDI-like tokens back into a ``PrettyMIDI`` with one instrument.

    Notes still sounding at the end are closed at the last time; NOTE_OFFs of silent keys are
    ignored (both happen in truncated sequences).

    Raises:
        ValueError: For a token id outside the vocabulary (e.g. :data:`PAD_ID`).
    """
    pm = pretty_midi.PrettyMIDI()
    inst = pretty_midi.Instrument(program=program)
    now, velocity, sounding = 0, 64, {}

    def close(pitch, end):
        start, vel = sounding.pop(pitch)
        inst.notes.append(pretty_midi.Note(vel, pitch, start * STEP, max(end, start + 1) * STEP))

    for token in np.asarray(tokens, dtype=np.int64):
        if not 0 <= token < VOCAB_SIZE:
            raise ValueError(f"token {token} is outside the MIDI-like vocabulary [0, {VOCAB_SIZE})")
        if token < NOTE_OFF:
            if token in sounding:
                close(int(token), now)
            sounding[int(token)] = (now, velocity)
        elif token < TIME_SHIFT:
            if token - NOTE_OFF in sounding:
                close(int(token - NOTE_OFF), now)
        elif token < VELOCITY:
            now += int(token - TIME_SHIFT) + 1
        else:
            velocity = int(token - VELOCITY) * 4 + 2  # the centre of the 4-wide bin
    for pitch in list(sounding):
        close(pitch, now)
    inst.notes.sort(key=lambda n: (n.start, n.pitch))
    pm.instruments.append(inst)
    return pm


def pad_tokens(tokens: np.ndarray, length: int, pad_id: int = PAD_ID) -> np.ndarray:
    """Truncate or right-pad a token sequence to ``length``."""
    out = np.full(length, pad_id, dtype=np.int64)
    out[: min(length, len(tokens))] = tokens[:length]
    return out


# Krumhansl–Kessler key profiles (C major / C minor), for the key/mode estimate.
_MAJOR = np.array([6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88])
_MINOR = np.array([6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17])


def estimate_key(pitch_class_weights: np.ndarray) -> tuple[int, int, float]:
    """Krumhansl–Schmuckler key estimate.

    Args:
        pitch_class_weights: 12 weights (e.g. note durations per pitch class, C first).

    Returns:
        (tonic pitch class 0–11, 1 for major / 0 for minor, correlation of the best key).
    """
    best = (0, 1, -np.inf)
    if np.ptp(pitch_class_weights) == 0:
        return 0, 1, 0.0
    for tonic in range(12):
        for major, profile in ((1, _MAJOR), (0, _MINOR)):
            r = float(np.corrcoef(pitch_class_weights, np.roll(profile, tonic))[0, 1])
            if r > best[2]:
                best = (tonic, major, r)
    return best


NOTE_STAT_NAMES = (
    "n_notes", "duration", "note_density", "polyphony", "pitch_min", "pitch_max", "pitch_range",
    "pitch_mean", "pitch_std", "velocity_mean", "velocity_std", "note_duration_mean",
    "note_duration_std", "note_duration_median", "ioi_mean", "ioi_std", "key_tonic",
    "key_major", "key_correlation", "tempo_estimate", "tempo_file",
) + tuple(f"pitch_class_{i}" for i in range(12))


def note_statistics(midi) -> dict[str, float]:
    """Summary statistics of a performance for the Symbolic-LR baseline.

    Note density (notes/s), mean polyphony, pitch range/mean/std, velocity mean/std, note
    duration stats, inter-onset intervals, a Krumhansl–Schmuckler key/mode estimate, a
    tempo estimate from onsets (pretty_midi; 0 when undefined) and the file's first tempo,
    and the duration-weighted pitch-class profile. Notes as written (no pedal).

    Raises:
        ValueError: When the MIDI has no notes.
    """
    pm = load_midi(midi)
    notes = [n for inst in pm.instruments if not inst.is_drum for n in inst.notes]
    if not notes:
        source = "(a PrettyMIDI)" if hasattr(midi, "instruments") else midi
        raise ValueError(f"MIDI {source} has no notes: note statistics are undefined")
    pitch = np.array([n.pitch for n in notes], dtype=float)
    velocity = np.array([n.velocity for n in notes], dtype=float)
    start = np.array([n.start for n in notes])
    length = np.array([n.end - n.start for n in notes])
    span = max(float(max(n.end for n in notes) - start.min()), STEP)
    ioi = np.diff(np.unique(np.round(start, 3)))
    classes = np.bincount(pitch.astype(int) % 12, weights=length, minlength=12)
    tonic, major, correlation = estimate_key(classes)
    try:
        tempo = float(pm.estimate_tempo())
    except (ValueError, IndexError, ZeroDivisionError):  # fewer than two onsets
        tempo = 0.0
    _, tempi = pm.get_tempo_changes()
    values = (
        len(notes), span, len(notes) / span, float(length.sum() / span), pitch.min(), pitch.max(),
        np.ptp(pitch), pitch.mean(), pitch.std(), velocity.mean(), velocity.std(), length.mean(),
        length.std(), float(np.median(length)), ioi.mean() if ioi.size else 0.0,
        ioi.std() if ioi.size else 0.0, tonic, major, correlation, tempo,
        float(tempi[0]) if len(tempi) else 120.0,
    ) + tuple(classes / max(classes.sum(), 1e-9))
    return {name: float(v) for name, v in zip(NOTE_STAT_NAMES, values)}


MIDI = FrontEnd("midi", load_midi)


@register("midi_like", MIDI)
def midi_like_features(pm, max_length: int | None = None, sustain: bool = True,
                       sustain_threshold: int = 64) -> np.ndarray:
    """MIDI-like event tokens (388-token vocabulary), int16; empty for a MIDI without notes."""
    return encode_midi_like(pm, max_length, sustain, sustain_threshold)


@register("note_stats", MIDI, labels=lambda: list(NOTE_STAT_NAMES))
def note_stats_features(pm) -> np.ndarray:
    """Summary vector of :func:`note_statistics` (names: ``labels("note_stats")``)."""
    return np.array(list(note_statistics(pm).values()), dtype=np.float32)


@register("piano_roll", MIDI)
def piano_roll_features(pm, fs: float = 25.0, sustain: bool = True, binary: bool = False) -> np.ndarray:
    """Piano roll, ``(128, frames)`` at ``fs`` frames/s: velocities (or 1 when ``binary``)
    of the sounding notes, pedal applied when ``sustain``; ``(128, 0)`` without notes."""
    roll = pretty_midi.Instrument(program=0)
    roll.notes = performance_notes(pm, sustain)
    matrix = roll.get_piano_roll(fs=fs).astype(np.float32)
    return (matrix > 0).astype(np.float32) if binary else matrix


def token_name(token: int) -> str:
    """Readable name of a MIDI-like token, e.g. ``NOTE_ON(60)``, ``TIME_SHIFT(250ms)``."""
    token = int(token)
    if NOTE_ON <= token < NOTE_OFF:
        return f"NOTE_ON({token - NOTE_ON})"
    if NOTE_OFF <= token < TIME_SHIFT:
        return f"NOTE_OFF({token - NOTE_OFF})"
    if TIME_SHIFT <= token < VELOCITY:
        return f"TIME_SHIFT({(token - TIME_SHIFT + 1) * round(STEP * 1000)}ms)"
    if VELOCITY <= token < VOCAB_SIZE:
        return f"VELOCITY({(token - VELOCITY) * 4})"
    if token == PAD_ID:
        return "PAD"
    raise ValueError(f"token {token} is outside the MIDI-like vocabulary (0..{VOCAB_SIZE})")
