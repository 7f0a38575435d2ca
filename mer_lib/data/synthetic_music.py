"""Composing a piano performance from valence and arousal (the synthetic corpus's MIDI).

The rules follow the music-psychology literature on cues to perceived emotion
(Gabrielsson & Lindström 2010; Juslin & Laukka 2004), each with noise so that no single
feature decides the label:

================  =================================================  ==========
cue               rule                                               carries
================  =================================================  ==========
mode              major with probability sigmoid(4·v)                 valence
harmony           major: I–V–vi–IV family; minor: i–iv–v / i–VI–III   valence
dissonance        diminished chords, chromatic notes ∝ (1−v)·(1+a)/4  valence−, arousal+
register          melody centre 67 + 5·v + N(0, 2) (MIDI pitch)       valence
tempo             90 + 45·a + N(0, 10) BPM, clipped to [50, 190]      arousal
note density      notes per beat from {1, 2, 4}, more for higher a    arousal
dynamics          velocity 64 + 30·a + N(0, 6), spread 4 + 6·(1+a)    arousal
articulation      duration = IOI × (0.95 − 0.25·(1+a) + N(0, .05))     arousal
sustain pedal     pedalled bars with probability (1 − a)/2            arousal−
================  =================================================  ==========

Notebook: ``00_primer`` (datasheet section).
"""

from __future__ import annotations

import numpy as np
import pretty_midi

MAJOR = (0, 2, 4, 5, 7, 9, 11)
MINOR = (0, 2, 3, 5, 7, 8, 10)
#: Progressions as scale-degree roots (0 = tonic), one chord per bar.
MAJOR_PROGRESSIONS = ((0, 4, 5, 3), (0, 3, 4, 0), (0, 5, 3, 4))
MINOR_PROGRESSIONS = ((0, 3, 4, 0), (0, 5, 2, 6), (0, 3, 6, 2))


def sigmoid(x: float) -> float:
    return float(1.0 / (1.0 + np.exp(-x)))


def _triad(scale, degree: int, tonic: int, diminished: bool) -> list[int]:
    """Pitch classes (relative to C) of the triad on ``degree`` of ``scale``."""
    if diminished:  # a diminished triad on the leading tone: unstable, tense
        root = tonic + 11
        return [root, root + 3, root + 6]
    return [tonic + scale[(degree + k) % 7] + 12 * ((degree + k) // 7) for k in (0, 2, 4)]


def performance_parameters(valence: float, arousal: float, rng: np.random.Generator) -> dict:
    """Draw the musical parameters of one clip from its latent V/A (see module table)."""
    v, a = float(valence), float(arousal)
    return {
        "mode": "major" if rng.random() < sigmoid(4.0 * v) else "minor",
        "tonic": int(rng.integers(12)),
        "tempo": float(np.clip(90 + 45 * a + rng.normal(0, 10), 50, 190)),
        "register": float(67 + 5 * v + rng.normal(0, 2)),
        "density_weights": np.array([max(0.05, 0.6 - 0.5 * a), 0.4, max(0.05, 0.1 + 0.5 * a)]),
        "velocity": float(np.clip(64 + 30 * a + rng.normal(0, 6), 25, 115)),
        "velocity_spread": 4 + 6 * (1 + a),
        "articulation": float(np.clip(0.95 - 0.25 * (1 + a) + rng.normal(0, 0.05), 0.3, 1.0)),
        "dissonance": float(np.clip((1 - v) * (1 + a) / 4 * 0.5, 0, 0.5)),
        "pedal": bool(rng.random() < (1 - a) / 2),
    }


def compose(valence: float, arousal: float, duration: float, rng: np.random.Generator):
    """Compose a two-hand piano performance of about ``duration`` seconds.

    Args:
        valence: Latent valence in [-1, 1].
        arousal: Latent arousal in [-1, 1].
        duration: Target length in seconds.
        rng: Random generator (the clip's own, for determinism).

    Returns:
        ``(pretty_midi.PrettyMIDI, parameters dict)``.
    """
    p = performance_parameters(valence, arousal, rng)
    scale = MAJOR if p["mode"] == "major" else MINOR
    progressions = MAJOR_PROGRESSIONS if p["mode"] == "major" else MINOR_PROGRESSIONS
    progression = progressions[rng.integers(len(progressions))]
    beat = 60.0 / p["tempo"]
    n_bars = max(2, int(np.ceil(duration / (4 * beat))))

    pm = pretty_midi.PrettyMIDI(initial_tempo=p["tempo"])
    piano = pretty_midi.Instrument(program=0, name="piano")

    def velocity():
        return int(np.clip(rng.normal(p["velocity"], p["velocity_spread"]), 1, 127))

    melody_pitch = int(round(p["register"]))
    for bar in range(n_bars):
        start = bar * 4 * beat
        diminished = rng.random() < p["dissonance"]
        chord = _triad(scale, progression[bar % len(progression)], p["tonic"], diminished)
        # Left hand: block chords for calm music, repeated chords for aroused music.
        bass_root = 36 + (chord[0] % 12)
        hits = 1 if p["articulation"] > 0.75 else (2 if p["articulation"] > 0.55 else 4)
        for h in range(hits):
            onset = start + h * 4 * beat / hits
            length = 4 * beat / hits * p["articulation"]
            for pc in chord:
                pitch = bass_root + 12 + (pc - chord[0])
                piano.notes.append(pretty_midi.Note(max(1, velocity() - 10), pitch, onset, onset + length))
            piano.notes.append(pretty_midi.Note(max(1, velocity() - 5), bass_root, onset, onset + length))
        # Right hand: a random walk on the scale, chord tones on the beat.
        t = start
        while t < start + 4 * beat - 1e-6:
            per_beat = rng.choice([1, 2, 4], p=p["density_weights"] / p["density_weights"].sum())
            ioi = beat / per_beat
            on_beat = abs((t - start) / beat - round((t - start) / beat)) < 1e-6
            if on_beat:
                targets = [c + 12 * k for c in chord for k in range(3, 8)]
                melody_pitch = min(targets, key=lambda x: abs(x - melody_pitch))
            else:
                step = rng.choice([-2, -1, 1, 2]) * (1 if rng.random() > 0.2 * (1 + arousal) else 2)
                pcs = [(p["tonic"] + s) % 12 for s in scale]
                candidate = melody_pitch + int(step)
                if rng.random() < p["dissonance"] * 0.5:
                    pcs = list(range(12))  # chromatic passing note
                while candidate % 12 not in pcs:
                    candidate += 1 if step > 0 else -1
                melody_pitch = candidate
            # Keep the melody near its register.
            melody_pitch = int(np.clip(melody_pitch, p["register"] - 9, p["register"] + 9))
            piano.notes.append(pretty_midi.Note(
                velocity(), melody_pitch, t, t + ioi * p["articulation"]))
            t += ioi
        if p["pedal"]:
            piano.control_changes.append(pretty_midi.ControlChange(64, 100, start + 0.01))
            piano.control_changes.append(pretty_midi.ControlChange(64, 0, start + 4 * beat - 0.02))
    # Trim to the requested duration.
    piano.notes = [n for n in piano.notes if n.start < duration]
    for n in piano.notes:
        n.end = min(n.end, duration)
    pm.instruments.append(piano)
    return pm, {k: v for k, v in p.items() if k != "density_weights"}
