"""``mediaeval2020_results``: MediaEval 2020 Emotion and Theme task, ground truth and submissions.

Layout read (under ``<data_home>/mtg-jamendo/``, beside the MTG-Jamendo metadata)::

    results/mediaeval/groundtruth.npy                  (4231, 56) bool: split-0 test tracks x tags
    results/mediaeval/baseline_{vggish,random}_predictions.npy, baseline_*_decisions.npy,
        baseline_*_thresholds.txt, baseline_*_results.tsv   the organisers' baselines
    mediaeval2020-augment/Submission{1..4}_*/{predictions.npy,decisions.npy,thresholds.txt}
                                                       team AUGment (Rajamani et al. 2020)

Rows follow ``data/splits/split-0/autotagging_moodtheme-test.tsv``; columns follow
``data/tags/moodtheme_split.txt`` (:func:`tag_names`, prefix stripped). Predictions are scores
in [0, 1] (float32/float64), decisions bool, as the task's ``evaluate.py`` expects.

The registered dataset is the 4,231 test tracks (``split="test"``) with their ground-truth
``tags``; :func:`load_groundtruth`, :func:`submission_names` and :func:`load_submission` give
the matrices; ``load_submission(path=...)`` reads any team's submission (a folder with
``predictions.npy`` [+ ``decisions.npy``], or one ``.npy``) from anywhere, checked for shape
:data:`SHAPE` and dtype. ``validate()`` checks that the ground truth equals the split-0 test tags.

Notebook: ``00_primer``, ``02_rajamani2020_attention_tagging`` (its ``SUBMISSIONS`` parameter).
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

import numpy as np
import pandas as pd

from mer_lib.data import mtg_jamendo, register
from mer_lib.data.base import DatasetError, MERDataset
from mer_lib.data.download import dataset_root, fetch_all
from mer_lib.data.mtg_jamendo import BIBTEX as MTG_BIBTEX
from mer_lib.data.mtg_jamendo import FOLDER, read_tsv, split_files, split_tags
from mer_lib.data.tables import problems

RESULTS = "results/mediaeval"
SUBMISSIONS = "mediaeval2020-augment"
KINDS = ("predictions", "decisions")
#: Shape of every matrix of the task: the 4,231 split-0 test tracks x the 56 mood/theme tags.
SHAPE = (4231, 56)
#: Macro ROC-AUC and PR-AUC published for the test set (Rajamani et al. 2020; the organisers).
PUBLISHED_MACRO = {
    "Submission1_AReLU": (0.7281, 0.1073),
    "Submission2_AttentionConv": (0.7169, 0.1083),
    "Submission3_Fusion_of_AReLU_and_AttentionConv": (0.7323, 0.1136),
    "Submission4_Fusion_of_AReLU,_AttentionConv_and_vggishBaseline": (0.7353, 0.1179),
    "baseline_vggish": (0.7258, 0.1077),
}

MTG_URL = "https://raw.githubusercontent.com/MTG/mtg-jamendo-dataset/master"
RESULTS_SHA256 = {
    f"{RESULTS}/groundtruth.npy": "ea63546ee281185b1afe62f25c436dde9d63827047e26b12b0417ade6f668286",
    f"{RESULTS}/baseline_vggish_predictions.npy": "019d409fab995ab13cbab7787a2db06bb6f60b69ea3a4960480a430d1b43abed",
    f"{RESULTS}/baseline_vggish_decisions.npy": "dfd1abd33978a41972a4405cde9998c5158ce3ec0c68d875e14569f342c0fc88",
    f"{RESULTS}/baseline_vggish_thresholds.txt": "ad32f50886897b71a1b1e84122da0ff7f89d53c71ca7f4e1609926e8cb50937a",
    f"{RESULTS}/baseline_vggish_results.tsv": "cc7cc1299a3ff8811f3212a6380de3bd226fa103c22262bae316c8f24166f66e",
    f"{RESULTS}/baseline_random_predictions.npy": "a3261e330d82192ffb69a2ce24eb9a8f1f4e243a21b4d4ff116afb4547ca50bc",
    f"{RESULTS}/baseline_random_decisions.npy": "0f18160e29e5ef13bf77208ea9aed8c5a08ac8b032efb5cde446d711ca57427c",
    f"{RESULTS}/baseline_random_thresholds.txt": "fa56eafa6ca79565e2995c90f3dc5fc9a4719c66af5722c03e351a1dbcebe34c",
    f"{RESULTS}/baseline_random_results.tsv": "2de609cb3369f6fb06b71d61028cc04f0d762161988d4b060f9feb46666472b0",
    f"{RESULTS}/baseline_popular_decisions.npy": "a44ffcadc875ba43bceb91bc5529445725ea7bd683bc15ae60128f8b540a39f4",
    f"{RESULTS}/baseline_popular_results.tsv": "a18fc575709abe292a71e0e7ec577851f34be5c15880302c04d7cd2e5af8a58e",
}
#: Team AUGment's repository (pinned commit): local folder -> (its folder there, {file: SHA-256}).
AUGMENT_URL = ("https://raw.githubusercontent.com/SrividyaTR/MediaEval2020-EmotionAndThemeInMusic/"
               "aa0688fba7630bd5f62144ffb17256897d8fec2e/submissions")
AUGMENT_FILES = {
    "Submission1_AReLU": ("Submission1 - AReLU", {
        "predictions.npy": "894637114508a47e7b5a4dad1f37393ef8fd55cd89544a20cbc9a25beae19a9c",
        "decisions.npy": "725e5f6295f9183c0090e0d27881114841f773e84084825c2b8fda86370ba29e",
        "thresholds.txt": "6792248da8af5ee28b2ce44db9ef6574ff46841cdb3b1cfc583b52982a642709"}),
    "Submission2_AttentionConv": ("Submission2 - AttentionConv", {
        "predictions.npy": "f0f87e5657b15b5db2ade7d7492569a03fca6edc393c204554be7484517c584a",
        "decisions.npy": "cd440c62be10ae65e457082be61bb094524e887dd5f0066b6d7b286bb39bd093",
        "thresholds.txt": "bf9b83d568252163baa3190dfeaf2494d8bd8e5ebfdbabf7858215b1c8355032"}),
    "Submission3_Fusion_of_AReLU_and_AttentionConv": ("Submission3 - Fusion of AReLU and AttentionConv", {
        "predictions.npy": "cbb040af0f849bc686ce3010b0c440ba471c002ef5525361464e74eb8f1c2e9e",
        "decisions.npy": "0eb2c0f19074547b6c4f009a2d53fef492ac33b6ae64efe4ffbd65dbd9f721ee",
        "thresholds.txt": "4838e93040fe2330ac034df5bb8c23df4a2f9d357e909e248606ce94385bb616"}),
    "Submission4_Fusion_of_AReLU,_AttentionConv_and_vggishBaseline": (
        "Submission4 - Fusion of AReLU, AttentionConv and vggishBaseline", {
            "predictions.npy": "ee4236c521a29798975277f9452980816c6026b805214742a3b14bd118c210ae",
            "decisions.npy": "332504da7ef9647c1a618e6c949b17be7b9aec9448de6c3006efc95531658d92",
            "thresholds.txt": "6da241c681941b83eb114f82bd64c177b5d9f57e3ce216ed42231a731d1b5c4c"}),
}

BIBTEX = MTG_BIBTEX + """
@inproceedings{bogdanov2020mediaeval,
  author    = {Bogdanov, Dmitry and Porter, Alastair and Tovstogan, Philip and Won, Minz},
  title     = {{MediaEval} 2020: Emotion and Theme Recognition in Music Using {Jamendo}},
  booktitle = {Working Notes Proceedings of the MediaEval 2020 Workshop},
  year      = {2020}
}
@inproceedings{rajamani2020augment,
  author    = {Rajamani, Srividya Tirunellai and Rajamani, Kumar and Schuller, Bj{\\"o}rn},
  title     = {Emotion and Theme Recognition in Music using Attention-based Methods},
  booktitle = {Working Notes Proceedings of the MediaEval 2020 Workshop},
  year      = {2020}
}"""
LICENSE = ("Ground truth and baselines: MTG-Jamendo metadata, CC BY-NC-SA 4.0. Team AUGment's "
           "submissions: published challenge outputs (research use, cite the paper).")
NOTES = ("tags: ground-truth tag names of the split-0 test tracks (56 tags, order of tag_names()); "
         "submissions: (4231, 56) scores in [0, 1] (predictions) or bool (decisions)")


def _home(data_home) -> Path:
    return dataset_root(data_home, FOLDER)


def tag_names(data_home=None) -> list[str]:
    """The 56 tags, in the column order of every matrix (``moodtheme_split.txt``, prefix stripped)."""
    return split_tags(_home(data_home).parent)


def track_ids(data_home=None) -> list[str]:
    """The split-0 test tracks, in the row order of every matrix."""
    return list(read_tsv(split_files(_home(data_home).parent, 0)["test"])["track_id"])


def _read_npy(path: Path) -> np.ndarray:
    """The array of one ``.npy`` file, with a clear error for a missing or unreadable one."""
    if not path.is_file():
        raise DatasetError(f"missing file: {path}")
    try:
        matrix = np.load(path, allow_pickle=False)
    except (ValueError, EOFError, OSError) as err:
        raise DatasetError(f"{path}: not a readable .npy file ({err})") from err
    if not isinstance(matrix, np.ndarray):
        matrix.close()   # an NpzFile keeps its file open
        raise DatasetError(f"{path}: an .npz archive, expected one .npy array")
    return matrix


def _checked(matrix: np.ndarray, path: Path, expected: tuple[int, int], kind: str) -> np.ndarray:
    """``matrix`` checked for shape, dtype (predictions: numbers; decisions, ground truth: bool or
    0/1, returned as bool) and finite values."""
    if matrix.shape != expected:
        transposed = " (transposed? rows are tracks)" if matrix.shape == expected[::-1] else ""
        raise DatasetError(f"{path}: shape {matrix.shape}, expected {expected} (split-0 test tracks x tags)"
                           + transposed)
    if matrix.dtype.kind not in "biuf":
        raise DatasetError(f"{path}: dtype {matrix.dtype}, expected numbers (scores) or bool (decisions)")
    if matrix.dtype.kind == "f" and not np.isfinite(matrix).all():
        raise DatasetError(f"{path}: {int((~np.isfinite(matrix)).sum())} NaN or infinite value(s)")
    if kind != "predictions" and matrix.dtype.kind != "b" and not np.isin(matrix, (0, 1)).all():
        raise DatasetError(f"{path}: {kind} must be bool or 0/1, found other {matrix.dtype} values")
    return matrix if kind == "predictions" else matrix.astype(bool)


def _matrix(path: Path, data_home, kind: str = "predictions") -> np.ndarray:
    """A (tracks x tags) matrix, checked against the shape of the split-0 test set under ``data_home``."""
    expected = (len(track_ids(data_home)), len(tag_names(data_home)))
    return _checked(_read_npy(path), path, expected, kind)


def _submission_file(path: Path, kind: str) -> Path:
    """``<path>/<kind>.npy`` of a submission folder, or ``path`` itself when it is a ``.npy`` file."""
    if path.is_dir():
        if not (path / f"{kind}.npy").is_file():
            raise DatasetError(f"{path}: no {kind}.npy (a submission folder holds predictions.npy and, "
                               f"optionally, decisions.npy); it has {sorted(p.name for p in path.glob('*.npy'))}")
        return path / f"{kind}.npy"
    if path.suffix != ".npy":
        raise DatasetError(f"{path}: expected a .npy file or a folder holding predictions.npy"
                           + ("" if path.exists() else " (it does not exist)"))
    return path


def load_groundtruth(data_home=None) -> np.ndarray:
    """Ground truth, (4231, 56) bool, rows :func:`track_ids`, columns :func:`tag_names`."""
    return _matrix(_home(data_home) / RESULTS / "groundtruth.npy", data_home, kind="groundtruth")


def _submission_files(data_home) -> dict[str, dict[str, Path]]:
    """``{name: {kind: path}}`` of every baseline and submission file present."""
    home = _home(data_home)
    found: dict[str, dict[str, Path]] = {}
    for path in sorted((home / RESULTS).glob("baseline_*_*.npy")):
        name, _, kind = path.stem.rpartition("_")
        if kind in KINDS:
            found.setdefault(name, {})[kind] = path
    for folder in sorted((home / SUBMISSIONS).glob("*")):
        files = {kind: folder / f"{kind}.npy" for kind in KINDS if (folder / f"{kind}.npy").is_file()}
        if files:
            found[folder.name] = files
    return found


def submission_names(data_home=None, kind: str = "predictions") -> list[str]:
    """Names of the baselines and submissions that have ``kind`` (``predictions``/``decisions``)."""
    return sorted(n for n, files in _submission_files(data_home).items() if kind in files)


def load_submission(name: str | None = None, data_home=None, kind: str = "predictions",
                    path=None) -> np.ndarray:
    """Scores (or decisions) of one submission, aligned with :func:`load_groundtruth`.

    Either a baseline or submission found under ``data_home`` (``name``), or any team's
    submission anywhere (``path``): a folder holding ``predictions.npy`` (and, optionally,
    ``decisions.npy``), as the task's submissions are laid out, or one ``.npy`` file (read as
    ``kind``). Rows must be the split-0 test tracks (:func:`track_ids`) and columns the 56 tags
    (:func:`tag_names`), in their order: a ``path`` matrix is checked for the shape
    :data:`SHAPE`, as its order cannot be checked.

    Args:
        name: A name of :func:`submission_names`, or an unambiguous start of one
            (``"Submission1"``, ``"baseline_vggish"``).
        data_home: Folder of the real datasets (with ``name``).
        kind: ``"predictions"`` (scores) or ``"decisions"`` (bool).
        path: A submission folder or ``.npy`` file, instead of ``name``; a relative one is taken
            from the current folder (a notebook's kernel runs in ``notebooks/``), and errors name
            the absolute path.

    Returns:
        (4231, 56) array: scores as stored (float), decisions as bool.

    Raises:
        DatasetError: Both or neither of ``name`` and ``path``; an unknown or ambiguous name;
            a missing or unreadable file; a wrong shape; a dtype other than numbers or bool;
            NaN or infinite scores; decisions other than 0/1.
    """
    if kind not in KINDS:
        raise DatasetError(f"kind must be one of {KINDS}, got {kind!r}")
    if (name is None) == (path is None):
        both = ", not both" if name is not None else ""
        raise DatasetError(f"load_submission: give a submission name or path=<folder or .npy file>{both}")
    if path is not None:
        file = _submission_file(Path(path).expanduser().absolute(), kind)
        return _checked(_read_npy(file), file, SHAPE, kind)
    files = _submission_files(data_home)
    matches = [n for n in files if n == name] or [n for n in files if n.startswith(name)]
    if len(matches) != 1:
        what = "is ambiguous" if matches else "is unknown"
        raise DatasetError(f"submission {name!r} {what}; available: {sorted(files)}")
    if kind not in files[matches[0]]:
        raise DatasetError(f"submission {matches[0]!r} has no {kind}; it has {sorted(files[matches[0]])}")
    return _matrix(files[matches[0]][kind], data_home, kind)


def _groundtruth_checks(dataset: MERDataset, deep: bool) -> pd.DataFrame:
    """The ground-truth matrix must equal the split-0 test tags."""
    path = dataset.root / RESULTS / "groundtruth.npy"
    try:
        truth = load_groundtruth(dataset.root.parent)
    except DatasetError as err:
        return problems([(None, str(path), str(err))])
    column = {tag: i for i, tag in enumerate(tag_names(dataset.root.parent))}
    expected = np.zeros_like(truth)
    for row, tags in enumerate(dataset.table["tags"]):
        expected[row, [column[t] for t in tags]] = True
    rows = np.flatnonzero((expected != truth).any(axis=1))
    return problems((dataset.table["track_id"].iloc[r], str(path), "ground truth differs from the split-0 tags")
                    for r in rows)


@register("mediaeval2020_results", folder=FOLDER,
          description="MediaEval 2020 mood/theme test set: ground truth + published submissions")
def load(data_home) -> MERDataset:
    """The 4,231 split-0 test tracks with their ground-truth tags (see the module functions)."""
    test = read_tsv(split_files(data_home, 0)["test"])
    kept = set(tag_names(data_home))
    table = pd.DataFrame({
        "track_id": test["track_id"], "split": "test", "artist_id": test["artist_id"],
        "album_id": test["album_id"], "path": test["path"], "duration": test["duration"],
        "tags": [[t for t in tags if t in kept] for tags in test["all_tags"]],
    })
    return MERDataset(name="mediaeval2020_results", table=table, root=Path(data_home) / FOLDER,
                      bibtex=BIBTEX, license_text=LICENSE, notes=NOTES, extra_checks=_groundtruth_checks)


def download(data_home=None) -> Path:
    """Download the ground truth, the baselines and team AUGment's submissions (checksums verified).

    Returns:
        The folder (``<data_home>/mtg-jamendo``).
    """
    home = _home(data_home)
    mtg_jamendo.download(home.parent)
    fetch_all(MTG_URL, RESULTS_SHA256, home)
    for local, (remote, digests) in AUGMENT_FILES.items():
        fetch_all(f"{AUGMENT_URL}/{quote(remote)}", digests, home / SUBMISSIONS / local)
    return home
