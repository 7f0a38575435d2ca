"""MIDI → audio rendering with a SoundFont, pip-only (``tinysoundfont``).

Used to give symbolic datasets (EMOPIA, the synthetic corpus) an audio modality. The default
SoundFont is the General MIDI ``TimGM6mb.sf2`` that ``pretty_midi`` ships, so rendering works
offline on a fresh machine. Notebook: ``00_primer`` (the synthetic corpus's audio).
"""

from __future__ import annotations

import hashlib
import os
from functools import lru_cache
from pathlib import Path

import numpy as np
import pretty_midi
import soundfile as sf
import tinysoundfont
from joblib import Parallel, delayed
from tqdm.auto import tqdm

from mer_lib import provenance
from mer_lib.features.cache import feature_cache_root
from mer_lib.fileio import atomic_write

DEFAULT_SR = 22050
#: Seconds rendered after the last event, so notes can ring out.
TAIL_SECONDS = 1.0


def default_soundfont() -> Path:
    """Path of the General MIDI SoundFont shipped with pretty_midi."""
    return Path(pretty_midi.__file__).with_name("TimGM6mb.sf2")


def load_midi(midi):
    """A ``PrettyMIDI`` from a path or a ``PrettyMIDI``; clear error for bad files.

    Raises:
        FileNotFoundError: The file does not exist.
        ValueError: The file is not a readable MIDI file.
    """
    if isinstance(midi, pretty_midi.PrettyMIDI):
        return midi
    path = Path(midi)
    if not path.is_file():
        raise FileNotFoundError(f"MIDI file not found: {path}")
    try:
        return pretty_midi.PrettyMIDI(str(path))
    except Exception as err:  # mido raises many types for corrupt files
        raise ValueError(f"Unreadable MIDI file {path}: {err}") from err


def _events(pm) -> list[tuple]:
    """(time, order, channel, kind, a, b) for every note and controller, sorted.

    ``order`` puts note-offs before controllers before note-ons at equal times, so a
    repeated note is released before it is struck again.
    """
    events, melodic_channels = [], [c for c in range(16) if c != 9]
    for index, inst in enumerate(pm.instruments):
        channel = 9 if inst.is_drum else melodic_channels[index % len(melodic_channels)]
        events.append((0.0, -1, channel, "program", inst.program, inst.is_drum))
        for note in inst.notes:
            events.append((note.start, 2, channel, "on", note.pitch, note.velocity))
            events.append((note.end, 0, channel, "off", note.pitch, 0))
        for cc in inst.control_changes:
            events.append((cc.time, 1, channel, "cc", cc.number, cc.value))
    return sorted(events, key=lambda e: (e[0], e[1]))


def render_midi(midi, sr: int = DEFAULT_SR, soundfont: str | os.PathLike | None = None,
                gain_db: float = 0.0) -> np.ndarray:
    """Render a MIDI performance to mono audio.

    Args:
        midi: Path to a ``.mid`` file or a ``pretty_midi.PrettyMIDI``.
        sr: Output sample rate in Hz.
        soundfont: ``.sf2`` file; default :func:`default_soundfont`.
        gain_db: Synth gain; audio is scaled down only if it would clip, so the
            performance's dynamics (velocities) survive.

    Returns:
        float32 array of shape ``(n_samples,)`` in [-1, 1].

    Raises:
        ValueError: When the MIDI has no notes.
    """
    pm = load_midi(midi)
    if not any(inst.notes for inst in pm.instruments):
        source = midi if not hasattr(midi, "instruments") else "the given PrettyMIDI"
        raise ValueError(f"MIDI {source} has no notes to render")
    synth = tinysoundfont.Synth(samplerate=sr, gain=gain_db)
    sfid = synth.sfload(str(soundfont or default_soundfont()))
    chunks, now = [], 0
    for time, _, channel, kind, a, b in _events(pm):
        target = int(round(time * sr))
        if target > now:
            chunks.append(np.frombuffer(synth.generate(target - now), dtype=np.float32))
            now = target
        if kind == "program":
            synth.program_select(channel, sfid, 128 if b else 0, 0 if b else a, is_drums=bool(b))
        elif kind == "on":
            synth.noteon(channel, a, b)
        elif kind == "off":
            synth.noteoff(channel, a)
        else:
            synth.control_change(channel, a, b)
    chunks.append(np.frombuffer(synth.generate(int(TAIL_SECONDS * sr)), dtype=np.float32))
    stereo = np.concatenate(chunks).reshape(-1, 2)
    mono = stereo.mean(axis=1)
    peak = float(np.abs(mono).max(initial=0.0))
    if peak > 0.99:
        mono = mono * (0.99 / peak)
    return mono.astype(np.float32)


def write_audio(path: str | os.PathLike, audio: np.ndarray, sr: int) -> Path:
    """Write audio atomically (temporary file + rename); the format follows the suffix."""
    return atomic_write(path, lambda tmp: sf.write(tmp, audio, sr))


def render_to_file(midi_path, audio_path, sr: int = DEFAULT_SR, soundfont=None) -> Path:
    """Render ``midi_path`` to ``audio_path`` unless it already exists (a file cache)."""
    audio_path = Path(audio_path)
    if not audio_path.is_file():
        write_audio(audio_path, render_midi(midi_path, sr=sr, soundfont=soundfont), sr)
    return audio_path


@lru_cache(maxsize=8)
def _renderer_digest(soundfont: str, sr: int) -> str:
    """Digest of this module's code (and imports), the SoundFont's bytes, ``sr`` and the
    packages: a changed renderer never reuses an older rendering."""
    return provenance.digest_of([__name__], files=[soundfont], extra=sr, length=12)


def rendered_audio(midi_path, sr: int = DEFAULT_SR, soundfont=None, cache_root=None) -> Path:
    """Path of ``midi_path`` rendered to FLAC, rendering it into the feature cache if needed.

    The cache key is the MIDI file's content, ``sr``, the SoundFont's content and the digest
    of the rendering code, so an edited MIDI file, another SoundFont or changed rendering code
    gives a new rendering. Safe when several
    processes render the same file (each writes a temporary file, then renames it).

    Args:
        midi_path: A ``.mid`` file.
        sr: Sample rate of the rendering.
        soundfont: ``.sf2`` file; default :func:`default_soundfont`.
        cache_root: Feature cache folder; default ``cache_dir() / "features"``.

    Raises:
        FileNotFoundError, ValueError: As :func:`load_midi` and :func:`render_midi`.
    """
    midi_path = Path(midi_path)
    if not midi_path.is_file():
        raise FileNotFoundError(f"MIDI file not found: {midi_path}")
    font = Path(soundfont or default_soundfont())
    digest = hashlib.sha1(midi_path.read_bytes())
    digest.update(f"|{_renderer_digest(str(font.resolve()), int(sr))}".encode())
    target = feature_cache_root(cache_root) / "rendered" / f"{midi_path.stem}-{digest.hexdigest()[:12]}.flac"
    return render_to_file(midi_path, target, sr=sr, soundfont=font)


def render_all(midi_paths, sr: int = DEFAULT_SR, soundfont=None, n_jobs: int = -1,
               progress: bool = True, cache_root=None) -> list[Path]:
    """:func:`rendered_audio` of many MIDI files, in parallel (joblib) with a progress bar.

    Returns:
        The cached FLAC paths, in the order of ``midi_paths``.
    """
    root = feature_cache_root(cache_root)  # resolved here: workers may hold an older environment
    paths = list(midi_paths)
    jobs = (delayed(rendered_audio)(p, sr, soundfont, root) for p in paths)
    results = Parallel(n_jobs=n_jobs, return_as="generator")(jobs)
    return list(tqdm(results, total=len(paths), desc="rendering MIDI", disable=not progress))
