"""Write a dataset as a plain ``folder`` dataset: a complete example of the layout to copy.

Usage::

    python -m mer_lib.data.export synthetic DIR [--n-clips N] [--option KEY=VALUE ...]
                                  [--no-lyrics] [--no-midi] [--no-split] [--force]

writes::

    DIR/labels.csv               track_id, split, artist, title, valence, arousal, quadrant, polarity,
                                 cluster, mood, tags (;-separated), comments (one a line), audio_path,
                                 midi_path, lyrics_path (paths relative to DIR): those the dataset has
    DIR/audio/Q1/<track_id>.flac audio in class subfolders (a clip without a quadrant: DIR/audio/)
    DIR/midi/<track_id>.mid      MIDI
    DIR/lyrics/<track_id>.txt    lyrics (from the ``lyrics`` text or a ``lyrics_path`` file)

``data.load("folder", path=DIR)`` reads it back with the same labels, split and modalities.
``--no-lyrics``/``--no-midi`` leave those out (a reduced copy, for rows that must be skipped);
``--no-split`` leaves the split column out, so that the loader draws its own (artist-disjoint)
split. The folder is built beside DIR and renamed into place, so an interrupted export leaves
nothing half-written; a non-empty DIR is replaced only with ``--force``.

Notebook: ``00_primer``
"""

from __future__ import annotations

import argparse
import os
import shutil
from pathlib import Path

import pandas as pd
import yaml

from mer_lib import data
from mer_lib.data.base import DatasetError, MERDataset
from mer_lib.fileio import temp_dir

#: Label columns copied to ``labels.csv`` (those the dataset has), before the path columns.
LABEL_COLUMNS = ("track_id", "split", "artist", "title", "valence", "arousal", "quadrant", "polarity", "cluster",
                 "mood", "tags", "comments")


def _text(value) -> str | None:
    """``value`` when it is a non-blank string, else None."""
    return value if isinstance(value, str) and value.strip() else None


def _joined(value, separator: str):
    """A list cell joined by ``separator``; other cells as they are."""
    return separator.join(map(str, value)) if isinstance(value, (list, tuple)) else value


def _safe_id(track_id: str) -> str:
    if not track_id or track_id.startswith(".") or "/" in track_id or os.sep in track_id:
        raise DatasetError(f"track_id {track_id!r} cannot name a file: the folder layout names files by track_id")
    return track_id


def _copy(source, folder: Path, relative: str) -> str:
    """Copy ``source`` to ``folder/relative`` and return ``relative``."""
    (folder / relative).parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, folder / relative)
    return relative


def _lyrics_text(row: pd.Series) -> str | None:
    text = _text(row.get("lyrics"))
    if text is None and isinstance(row.get("lyrics_path"), str):
        text = _text(Path(row["lyrics_path"]).read_text(encoding="utf-8", errors="replace"))
    return text


def _clip_files(row: pd.Series, folder: Path, lyrics: bool, midi: bool) -> dict:
    """Write one clip's files into ``folder``; returns its path columns (relative)."""
    track_id = _safe_id(str(row["track_id"]))
    paths = {}
    if isinstance(row.get("audio_path"), str):
        quadrant = row.get("quadrant") if isinstance(row.get("quadrant"), str) else ""
        suffix = Path(row["audio_path"]).suffix
        paths["audio_path"] = _copy(row["audio_path"], folder, str(Path("audio", quadrant, track_id + suffix)))
    if midi and isinstance(row.get("midi_path"), str):
        paths["midi_path"] = _copy(row["midi_path"], folder, f"midi/{track_id}{Path(row['midi_path']).suffix}")
    text = _lyrics_text(row) if lyrics else None
    if text is not None:
        paths["lyrics_path"] = f"lyrics/{track_id}.txt"
        (folder / "lyrics").mkdir(exist_ok=True)
        (folder / paths["lyrics_path"]).write_text(text, encoding="utf-8")
    return paths


def _labels(table: pd.DataFrame, split: bool) -> pd.DataFrame:
    columns = [c for c in LABEL_COLUMNS if c in table.columns and (split or c != "split")]
    labels = table[columns].copy()
    if "tags" in labels.columns:
        labels["tags"] = labels["tags"].map(lambda v: _joined(v, ";"))
    if "comments" in labels.columns:
        labels["comments"] = labels["comments"].map(lambda v: _joined(v, "\n"))
    return labels


def _write(dataset: MERDataset, folder: Path, lyrics: bool, midi: bool, split: bool) -> None:
    files = [_clip_files(row, folder, lyrics, midi) for _, row in dataset.table.iterrows()]
    table = pd.concat([_labels(dataset.table, split), pd.DataFrame(files, index=dataset.table.index)], axis=1)
    table.to_csv(folder / "labels.csv", index=False)


def _check_target(target: Path, force: bool) -> None:
    if target.exists() and not target.is_dir():
        raise DatasetError(f"{target} is a file: export writes a folder")
    if target.is_dir() and any(target.iterdir()) and not force:
        raise DatasetError(f"{target} is not empty: choose another folder, or replace it with --force (force=True)")


def _move_into_place(work: Path, target: Path) -> None:
    """Rename ``work`` to ``target``; an existing ``target`` is renamed away first, then removed."""
    if not target.exists():
        os.rename(work, target)
        return
    old = temp_dir(f".{target.name}.old.", target.parent)
    os.replace(target, old)
    os.rename(work, target)
    shutil.rmtree(old)


def export(dataset: MERDataset, folder, lyrics: bool = True, midi: bool = True, split: bool = True,
           force: bool = False) -> Path:
    """Write ``dataset`` as a ``folder`` dataset (layout in the module docstring).

    Args:
        dataset: Any loaded dataset (its audio, MIDI and lyrics files are copied).
        folder: The folder to write (created; its parent too).
        lyrics: Write the lyrics (``lyrics/<track_id>.txt``).
        midi: Copy the MIDI files (``midi/``).
        split: Write the dataset's split column.
        force: Replace a non-empty ``folder``.

    Returns:
        The folder, resolved.

    Raises:
        DatasetError: ``folder`` is a file, or not empty without ``force``; a track_id that
            cannot name a file.
    """
    target = Path(folder).expanduser().resolve()
    _check_target(target, force)
    work = temp_dir(f".{target.name}.", target.parent)
    try:
        _write(dataset, work, lyrics, midi, split)
        _move_into_place(work, target)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return target


def _options(pairs) -> dict:
    """``--option KEY=VALUE`` pairs as loader options (values read as YAML: numbers, booleans ...)."""
    options = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise DatasetError(f"--option expects KEY=VALUE, got {pair!r}")
        options[key.strip()] = yaml.safe_load(value)
    return options


def main(argv=None) -> int:
    """Command line: ``python -m mer_lib.data.export DATASET DIR [options]`` (see the module docstring)."""
    parser = argparse.ArgumentParser(prog="python -m mer_lib.data.export",
                                     description="Write a dataset as a plain folder dataset (data.load('folder')).")
    parser.add_argument("dataset", help="registered dataset name, e.g. synthetic")
    parser.add_argument("folder", help="folder to write")
    parser.add_argument("--n-clips", type=int, help="number of clips (the synthetic corpus's n_clips)")
    parser.add_argument("--option", action="append", default=[], metavar="KEY=VALUE",
                        help="another loader option, e.g. min_seconds=1 (repeatable)")
    parser.add_argument("--no-lyrics", action="store_true", help="leave the lyrics out")
    parser.add_argument("--no-midi", action="store_true", help="leave the MIDI files out")
    parser.add_argument("--no-split", action="store_true", help="leave the split column out")
    parser.add_argument("--force", action="store_true", help="replace a non-empty folder")
    args = parser.parse_args(argv)
    try:
        _check_target(Path(args.folder).expanduser().resolve(), args.force)  # before generating a corpus
        options = _options(args.option)
        if args.n_clips is not None:
            options["n_clips"] = args.n_clips
        dataset = data.load(args.dataset, **options)
        target = export(dataset, args.folder, lyrics=not args.no_lyrics, midi=not args.no_midi,
                        split=not args.no_split, force=args.force)
    except DatasetError as err:
        parser.error(str(err))
    print(f"wrote {len(dataset)} clips of {dataset.name!r} to {target}; read it with "
          f"data.load('folder', path={str(target)!r})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
