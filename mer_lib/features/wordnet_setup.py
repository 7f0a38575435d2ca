"""Install WordNet 3.0 for NLTK offline: ``python -m mer_lib.features.wordnet_setup``.

``nltk.download`` needs the internet; Debian's ``wordnet-base`` and ``wordnet-sense-index``
packages carry the same WordNet 3.0 database. This script (idempotent, run by ``make setup``):

1. returns at once when NLTK already finds WordNet in :func:`nltk_data_dir`;
2. otherwise installs the two Debian packages with ``apt-get`` when ``/usr/share/wordnet`` is
   missing (as root; else it says what to run);
3. copies ``/usr/share/wordnet`` to ``<nltk_data_dir>/corpora/wordnet`` and writes the
   ``lexnames`` file NLTK needs, generated from the ``lexnames(5WN)`` manual page the
   package ships (``/usr/share/man/man5/lexnames.5WN.gz``).

The text features point NLTK at :func:`nltk_data_dir` (``<project>/.cache/nltk_data``, which
``make clean-cache`` keeps).
"""

from __future__ import annotations

import argparse
import gzip
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from mer_lib.features.wordnet import wordnet
from mer_lib.paths import nltk_data_dir

DEBIAN_WORDNET = Path("/usr/share/wordnet")
LEXNAMES_MAN = Path("/usr/share/man/man5/lexnames.5WN.gz")
DEBIAN_PACKAGES = ("wordnet-base", "wordnet-sense-index")
#: The files of the WordNet database NLTK reads.
REQUIRED = ("data.noun", "index.noun", "data.verb", "index.verb", "data.adj", "index.adj",
            "data.adv", "index.adv", "index.sense", "noun.exc", "verb.exc", "adj.exc", "adv.exc")
#: Syntactic category numbers of lexnames: 1 noun, 2 verb, 3 adjective, 4 adverb.
CATEGORY = {"noun": 1, "verb": 2, "adj": 3, "adv": 4}


def wordnet_dir() -> Path:
    """Where the WordNet corpus goes: ``<nltk_data_dir>/corpora/wordnet``."""
    return nltk_data_dir() / "corpora" / "wordnet"


def is_installed() -> bool:
    """Whether every database file and ``lexnames`` are in :func:`wordnet_dir`."""
    folder = wordnet_dir()
    return all((folder / name).is_file() for name in REQUIRED + ("lexnames",))


def lexnames_from_man_page(man_page: Path = LEXNAMES_MAN) -> str:
    """The ``lexnames`` file (``NN<TAB>name<TAB>category``), parsed from the manual page."""
    text = gzip.decompress(man_page.read_bytes()).decode("latin-1")
    lines = []
    for number, name in re.findall(r"^(\d\d)\s+((?:noun|verb|adj|adv)\.\w+)", text, flags=re.M):
        lines.append(f"{number}\t{name}\t{CATEGORY[name.split('.')[0]]}")
    numbers = [int(line.split("\t")[0]) for line in lines]
    if numbers != list(range(len(numbers))) or len(numbers) < 45:
        raise RuntimeError(f"could not parse the lexicographer file list from {man_page}")
    return "\n".join(lines) + "\n"


def _install_debian_packages() -> None:
    if shutil.which("apt-get") is None or os.geteuid() != 0:
        raise RuntimeError(
            f"WordNet is missing and {DEBIAN_WORDNET} does not exist. Install it with "
            f"`apt-get update && apt-get install -y {' '.join(DEBIAN_PACKAGES)}` (as root), "
            "then rerun `python -m mer_lib.features.wordnet_setup`."
        )
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", *DEBIAN_PACKAGES],
                   check=True, env=env)


def install(force: bool = False) -> Path:
    """Install WordNet into :func:`wordnet_dir` (no-op when present, unless ``force``).

    Returns:
        The WordNet folder.

    Raises:
        RuntimeError: When the Debian packages are missing and cannot be installed.
    """
    target = wordnet_dir()
    if is_installed() and not force:
        return target
    if not (DEBIAN_WORDNET / "data.noun").is_file() or not LEXNAMES_MAN.is_file():
        _install_debian_packages()
    target.parent.mkdir(parents=True, exist_ok=True)
    # Build beside the target and rename, so an interrupted install leaves nothing half-done.
    work = Path(tempfile.mkdtemp(prefix=".wordnet.", dir=target.parent))
    try:
        for name in os.listdir(DEBIAN_WORDNET):
            source = DEBIAN_WORDNET / name
            if source.is_file():
                shutil.copy2(source, work / name)
        (work / "lexnames").write_text(lexnames_from_man_page())
        if target.exists():
            shutil.rmtree(target)
        os.rename(work, target)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return target


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--force", action="store_true", help="reinstall even when present")
    args = parser.parse_args(argv)
    try:
        folder = install(force=args.force)
    except (RuntimeError, subprocess.CalledProcessError) as err:
        print(f"wordnet_setup: {err}", file=sys.stderr)
        return 1
    print(f"WordNet {wordnet().get_version()} ready in {folder}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
