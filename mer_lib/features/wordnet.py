"""WordNet through NLTK, offline: lexicon look-ups and synonym replacement for text augmentation.

WordNet is installed by ``python -m mer_lib.features.wordnet_setup`` (``make setup``) into
``<project>/.cache/nltk_data``; :func:`wordnet` adds that folder to ``nltk.data.path``.

Notebook: the ``mmer_analysis`` notebook (synonym augmentation).
"""

from __future__ import annotations

import re
from functools import lru_cache

import nltk
import numpy as np
from nltk.corpus import wordnet as wn

from mer_lib.features.registry import FeatureError
from mer_lib.features.word_lists import CLOSED_CLASS
from mer_lib.paths import nltk_data_dir


class WordNetMissing(FeatureError):
    """WordNet is not installed where NLTK looks."""


@lru_cache(maxsize=1)
def wordnet():
    """The NLTK WordNet reader, loaded from the project's NLTK data folder.

    Raises:
        WordNetMissing: With the command that installs it.
    """
    folder = str(nltk_data_dir())
    if folder not in nltk.data.path:
        nltk.data.path.append(folder)
    try:
        wn.ensure_loaded()
    except LookupError as err:
        raise WordNetMissing(
            f"WordNet is not installed (looked in {folder} and NLTK's usual folders). Run "
            "`python -m mer_lib.features.wordnet_setup` (part of `make setup`)."
        ) from err
    return wn


@lru_cache(maxsize=200_000)
def in_wordnet(word: str) -> bool:
    """Whether WordNet has ``word`` (or its base form, via morphy) as a noun, verb,
    adjective or adverb."""
    return bool(wordnet().synsets(word))


@lru_cache(maxsize=50_000)
def synonyms(word: str) -> tuple[str, ...]:
    """WordNet synonyms of ``word`` (lemmas of all its synsets), without the word itself."""
    names = {lemma.name().replace("_", " ").lower()
             for synset in wordnet().synsets(word) for lemma in synset.lemmas()}
    names.discard(word.lower())
    return tuple(sorted(names))


_WORD = re.compile(r"[A-Za-z]+(?:'[A-Za-z]+)*")


def replace_synonyms(text: str, fraction: float = 0.2, seed: int | np.random.Generator = 0) -> str:
    """Replace a fraction of the words of ``text`` with a random WordNet synonym.

    ``round(fraction × number of words)`` words are replaced, drawn among the content words
    that have a synonym (fewer when not enough have one; function words are kept);
    punctuation and spacing are kept, and a capitalised word gets a capitalised synonym.

    Reference: mmer_analysis project, "Lyrics and Comments Augmentation" (20 % of the words
    of duplicated samples).
    Notebook: the ``mmer_analysis`` notebook.

    Args:
        text: The lyrics or comments.
        fraction: Share of words to replace, in [0, 1].
        seed: Seed or generator (a duplicate's index makes each copy different).
    """
    if not 0.0 <= fraction <= 1.0:
        raise ValueError(f"fraction must be in [0, 1], got {fraction}")
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    matches = list(_WORD.finditer(text))
    # Function words are never replaced: WordNet would turn "in" into "Indiana".
    eligible = [m for m in matches
                if m.group().lower() not in CLOSED_CLASS and synonyms(m.group().lower())]
    n = min(int(round(fraction * len(matches))), len(eligible))
    if n == 0:
        return text
    chosen = sorted(rng.choice(len(eligible), size=n, replace=False))
    pieces, last = [], 0
    for index in chosen:
        match = eligible[index]
        options = synonyms(match.group().lower())
        new = options[int(rng.integers(len(options)))]
        if match.group()[0].isupper():
            new = new[0].upper() + new[1:]
        pieces += [text[last:match.start()], new]
        last = match.end()
    return "".join(pieces) + text[last:]
