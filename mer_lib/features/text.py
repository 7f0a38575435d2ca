"""Text preprocessing: tokenization, the open-class word filter, Porter stemming, vocabularies.

Two paper pipelines are parameter sets of the ``lyrics_words`` extractor (a word array per
clip) followed by a dataset-level step fitted on the training split:

* ``jeon2017``: lower-cased words, keep only nouns, verbs, adjectives and adverbs, at most
  400 words → :class:`Vocabulary` built on the training split → ids padded to 400.
* ``mmer_analysis``: Porter-stemmed words, 500 per sequence → Word2Vec (300-d) trained on the
  training split (:mod:`mer_lib.features.word2vec`).

**Open-class filter (which and why).** No trained POS-tagger model can be installed offline
here (NLTK's tagger models come from the NLTK downloader; spaCy's models are not on PyPI), so
the filter uses **WordNet's open-class lexicon**: WordNet holds exactly the nouns, verbs,
adjectives and adverbs of English, so a word is kept when WordNet knows it (directly or by
its base form, via morphy). WordNet also lists some function-word homographs ("a" the
letter, "in" the inch, "can" the container, "us", "who"...), so a fixed list of English
closed-class words (determiners, pronouns, prepositions and particles, conjunctions,
modals, numerals, interjections) is removed first. Unlike a tagger, this ignores context:
"like" is always dropped, "love" always kept; for bag-of-words lyrics models this matters little.

**Tokens.** Words are runs of Unicode letters (lower-cased, NFC-normalised) with inner
apostrophes: "café", "coração", "fühle" and "사랑해" stay whole; digits, "_" and punctuation
separate words. On ASCII text this is exactly the former ``[a-z]+(?:'[a-z]+)*``. (Scripts whose
letters carry separate combining marks, e.g. Devanagari, are split at those marks.)

**Empty and non-English texts.** Empty or whitespace-only texts raise :class:`TextError`, and so
does a text with no word at all (only digits, symbols or punctuation). A non-English text gives
a documented *empty result* under the open-class filter (its words are not in WordNet), so it is
flagged, never silently empty: :func:`check_clip_text` (called per clip where the clip id is
known) warns with :class:`TextWarning` naming the clip when :func:`english_share` — the share of
its words that are distinctively English function words (:data:`ENGLISH_MARKERS`: the closed-class
list below without words that are also common in Spanish, Portuguese, French, Italian or German,
such as "a", "me", "no", "in", and without vocables like "la", "oh"; plus English contractions
"n't", "'re", "'ve", "'ll", "'m", "'d", "'s") — is under :data:`MIN_ENGLISH_SHARE` (5 %), unless
:data:`MIN_LEXICON_SHARE` (80 %) of its words are English words all the same (closed-class or in
WordNet: a list of content words, like the synthetic corpus's lyrics, has few function words).
On the 764 mirex-mm lyrics (English) the function-word share is 8–60 % (median 39 %); on the
synthetic corpus's lyrics it is 1–40 % (median 16 %) with a lexicon share of 89–100 %; on
Spanish, Portuguese, French, Italian and German verses it is 0–3 % with a lexicon share of
12–50 % (WordNet alone would not tell: it lists many Spanish and Italian words, "con", "mi",
"amor" among them), and 0 for non-Latin scripts. None of the mirex-mm or synthetic lyrics is
reported. A text under :data:`MIN_WORDS_FOR_LANGUAGE` words is too short for shares: it is
reported only when none of its words is in plain ASCII letters (e.g. a Korean line). The check
is cheap (WordNet is looked up only for the rare texts under 5 %), offline and deterministic;
without WordNet installed, the function-word share alone decides.

Reference: Jeon et al., RecSys 2017 (lyrics preprocessing); mmer_analysis project
("Lyrics and comments", Porter stemming).
Notebook: the ``jeon2017`` and ``mmer_analysis`` notebooks.
"""

from __future__ import annotations

import re
import unicodedata
import warnings
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Iterable, Sequence

import numpy as np
from nltk.stem import PorterStemmer

from mer_lib.features.registry import FeatureError, FrontEnd, register
from mer_lib.features.word_lists import CLOSED_CLASS, ENGLISH_CLITICS, ENGLISH_MARKERS
from mer_lib.features.wordnet import WordNetMissing, in_wordnet


class TextError(FeatureError):
    """An empty or unusable text."""


class TextWarning(UserWarning):
    """A text that features will represent poorly (e.g. not English)."""


#: A word: Unicode letters (no digits, no "_") with inner apostrophes; on ASCII, ``[a-z]+(?:'[a-z]+)*``.
_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)*")

#: Under this share of :data:`ENGLISH_MARKERS`, a text is reported as non-English.
MIN_ENGLISH_SHARE = 0.05
#: A text with few function words is still English when this share of its words is in the
#: English lexicon (closed-class words or WordNet).
MIN_LEXICON_SHARE = 0.8
#: Texts with fewer words are too short for the shares (see the module docstring).
MIN_WORDS_FOR_LANGUAGE = 8
#: Sources whose texts :func:`check_clip_text` checks (titles and artist names are not judged).
CHECKED_SOURCES = ("lyrics", "comments")


def tokenize(text: str) -> list[str]:
    """Lower-cased words: runs of Unicode letters with inner apostrophes ("don't", "café" and
    "coração" stay one word); identical to ``[a-z]+(?:'[a-z]+)*`` on ASCII text."""
    return _WORD.findall(unicodedata.normalize("NFC", text.lower()))


def english_share(tokens: Sequence[str]) -> float:
    """Share of ``tokens`` that are distinctively English function words or contractions
    (:data:`ENGLISH_MARKERS`, :data:`ENGLISH_CLITICS`); 0.0 for no tokens."""
    if not tokens:
        return 0.0
    return sum(1 for w in tokens if w in ENGLISH_MARKERS or w.endswith(ENGLISH_CLITICS)) / len(tokens)


def lexicon_share(tokens: Sequence[str]) -> float | None:
    """Share of ``tokens`` that are English words (closed-class, or in WordNet directly or by
    base form); None when WordNet is not installed."""
    if not tokens:
        return 0.0
    try:
        return sum(1 for w in tokens if w in CLOSED_CLASS or in_wordnet(w)) / len(tokens)
    except WordNetMissing:
        return None


def looks_non_english(tokens: Sequence[str]) -> bool:
    """Whether a tokenized text looks non-English (see the module docstring): with at least
    :data:`MIN_WORDS_FOR_LANGUAGE` words, an :func:`english_share` under
    :data:`MIN_ENGLISH_SHARE` and a :func:`lexicon_share` under :data:`MIN_LEXICON_SHARE`;
    with fewer, no word in plain ASCII letters. False for no tokens."""
    if not tokens:
        return False
    if len(tokens) < MIN_WORDS_FOR_LANGUAGE:
        return not any(w.isascii() for w in tokens)
    if english_share(tokens) >= MIN_ENGLISH_SHARE:
        return False
    lexicon = lexicon_share(tokens)
    return lexicon is None or lexicon < MIN_LEXICON_SHARE


def check_clip_text(source: str, text, clip) -> object:
    """Check one clip's text before its features are computed; returns ``text`` unchanged.

    For the :data:`CHECKED_SOURCES` (lyrics, comments): a text with no word at all raises, and
    a text that looks non-English warns (:func:`looks_non_english`); both name the clip. Other
    sources, and missing texts (left to the extractor's front end), pass unchanged.

    Args:
        source: The extractor's source (``"lyrics"``, ``"comments"``, ``"context"`` ...).
        text: The clip's text (a list of comments is joined).
        clip: The clip's id, named in the message.

    Raises:
        TextError: The text has no word (only digits, symbols or punctuation).

    Warns:
        TextWarning: The text looks non-English: English-only steps (the open-class filter,
        English text encoders) represent it poorly or, under the filter, by an empty word list.
    """
    if source not in CHECKED_SOURCES:
        return text
    try:
        joined = require_text(text, source)
    except TextError:
        return text  # missing or empty: the front end raises, and the pipeline names the clip
    tokens = tokenize(joined)
    if not tokens:
        raise TextError(f"clip {clip}: the {source} have no words (only digits, symbols or punctuation)")
    if looks_non_english(tokens):
        share = english_share(tokens)
        warnings.warn(f"clip {clip}: the {source} look non-English ({share:.0%} of {len(tokens)} words are "
                      "English function words); English-only steps give poor or, under the open-class "
                      "filter, empty features for it", TextWarning, stacklevel=2)
    return text


def keep_open_class(words: Iterable[str]) -> list[str]:
    """Keep nouns, verbs, adjectives and adverbs (WordNet's lexicon; see the module docstring)."""
    return [w for w in words if w not in CLOSED_CLASS and in_wordnet(w)]


@lru_cache(maxsize=1)
def _porter():
    return PorterStemmer()


def porter_stem(words: Iterable[str]) -> list[str]:
    """Porter stems of ``words`` (NLTK's implementation; needs no data download)."""
    stem = _porter().stem
    return [stem(w) for w in words]


def require_text(text, what: str = "text") -> str:
    """``text`` as a stripped string; lists (e.g. comments) are joined by newlines.

    Raises:
        TextError: For a missing, empty or whitespace-only text.
    """
    if isinstance(text, (list, tuple, np.ndarray)):
        text = "\n".join(str(t) for t in text if t is not None)
    if text is None or (isinstance(text, float) and np.isnan(text)):
        raise TextError(f"{what} is missing")
    text = str(text).strip()
    if not text:
        raise TextError(f"{what} is empty")
    return text


LYRICS = FrontEnd("lyrics", lambda text: require_text(text, "lyrics"))
CONTEXT = FrontEnd("context", lambda text: require_text(text, "title/artist context"))
COMMENTS = FrontEnd("comments", lambda text: require_text(text, "comments"))


@register("comments_words", COMMENTS)
@register("lyrics_words", LYRICS)
def words(text: str, open_class_only: bool = False, stem: bool = False,
          max_words: int | None = None) -> np.ndarray:
    """Word array of a text: tokenized, optionally filtered to open-class words and stemmed,
    truncated to ``max_words``; may be empty (a non-English text under the filter: see
    :func:`check_clip_text`).

    Raises:
        TextError: The text has no word at all (only digits, symbols or punctuation).
    """
    tokens = tokenize(text)
    if not tokens:
        raise TextError("the text has no words (only digits, symbols or punctuation)")
    if open_class_only:
        tokens = keep_open_class(tokens)
    if stem:
        tokens = porter_stem(tokens)
    return np.array(tokens[:max_words], dtype=str)


@dataclass
class Vocabulary:
    """Word ↔ id map built on the training split; id 0 pads, id 1 stands for unknown words.

    Attributes:
        words: The words, by id (``words[0] == "<pad>"``, ``words[1] == "<unk>"``).
    """

    words: list[str] = field(default_factory=lambda: [Vocabulary.PAD, Vocabulary.UNK])
    PAD = "<pad>"
    UNK = "<unk>"
    PAD_ID = 0
    UNK_ID = 1

    def __post_init__(self):
        self.index = {w: i for i, w in enumerate(self.words)}

    def __len__(self) -> int:
        return len(self.words)

    @classmethod
    def build(cls, documents: Iterable[Sequence[str]], min_count: int = 1,
              max_size: int | None = None) -> "Vocabulary":
        """Vocabulary of the words in ``documents`` (use the training split only).

        Words are ordered by decreasing count, then alphabetically (deterministic);
        ``max_size`` counts the two special entries.
        """
        counts = Counter(w for doc in documents for w in doc)
        ranked = sorted((w for w, c in counts.items() if c >= min_count), key=lambda w: (-counts[w], w))
        if max_size is not None:
            ranked = ranked[: max(max_size - 2, 0)]
        return cls([cls.PAD, cls.UNK, *ranked])

    def encode(self, words: Sequence[str], max_length: int) -> np.ndarray:
        """Ids of ``words``, truncated or right-padded with :attr:`PAD_ID` to ``max_length``."""
        ids = [self.index.get(w, self.UNK_ID) for w in list(words)[:max_length]]
        return np.array(ids + [self.PAD_ID] * (max_length - len(ids)), dtype=np.int64)

    def encode_many(self, documents: Iterable[Sequence[str]], max_length: int) -> np.ndarray:
        """``(n_documents, max_length)`` id matrix."""
        return np.stack([self.encode(doc, max_length) for doc in documents])
