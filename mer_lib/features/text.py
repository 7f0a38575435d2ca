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

Empty or whitespace-only texts raise :class:`TextError`; a non-English text gives a
documented *empty result* under the open-class filter (its words are not in WordNet).

Reference: Jeon et al., RecSys 2017 (lyrics preprocessing); mmer_analysis project
("Lyrics and comments", Porter stemming).
Notebook: the ``jeon2017`` and ``mmer_analysis`` notebooks.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Iterable, Sequence

import numpy as np

from mer_lib.features.registry import FeatureError, FrontEnd, register


class TextError(FeatureError):
    """An empty or unusable text."""


_WORD = re.compile(r"[a-z]+(?:'[a-z]+)*")

#: English closed-class words (function words) removed by the open-class filter.
CLOSED_CLASS = frozenset("""
a an the this that these those each every either neither some any no all both half such what
which whatever whichever another other own several few many much more most less least enough
i me my mine myself you your yours yourself yourselves he him his himself she her hers herself
it its itself we us our ours ourselves they them their theirs themselves who whom whose
whoever whomever one ones someone somebody something anyone anybody anything everyone
everybody everything nobody nothing none
about above across after against along amid among around as at before behind below beneath
beside besides between beyond by despite down during except for from in inside into like
near of off on onto out outside over past per since than through throughout till to toward
towards under underneath unlike until up upon via with within without
and but or nor so yet because although though while whereas if unless whether once lest
can could may might must shall should will would ought
two three four five six seven eight nine ten hundred thousand
oh ooh ah ahh uh hey yeah yea ya na la da whoa woah mmm hmm huh wow
""".split())


def tokenize(text: str) -> list[str]:
    """Lower-cased words (letters and inner apostrophes: "don't" stays one word)."""
    return _WORD.findall(text.lower())


def keep_open_class(words: Iterable[str]) -> list[str]:
    """Keep nouns, verbs, adjectives and adverbs (WordNet's lexicon; see the module docstring)."""
    from mer_lib.features.wordnet import in_wordnet

    return [w for w in words if w not in CLOSED_CLASS and in_wordnet(w)]


@lru_cache(maxsize=1)
def _porter():
    from nltk.stem import PorterStemmer

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
    truncated to ``max_words``; may be empty (e.g. a non-English text under the filter)."""
    tokens = tokenize(text)
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
