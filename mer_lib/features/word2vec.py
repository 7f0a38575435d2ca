"""Word2Vec embeddings trained on the training split (gensim), sequences and embedding matrices.

The mmer_analysis pipeline: Porter-stemmed words (``mmer_analysis_lyrics_words``) → a 300-d
Word2Vec model trained on the *training* clips only → each clip a ``(500, 300)`` matrix
(words past 500 dropped, shorter sequences padded with zero rows; words the model does not
know are zero rows too). :func:`embedding_matrix` gives the matrix for an embedding layer
indexed by a :class:`~mer_lib.features.text.Vocabulary` instead.

Reference: mmer_analysis project, "Lyrics and comments" (Word2Vec, 300 features, 500 words).
Notebook: the ``mmer_analysis`` notebook.
"""

from __future__ import annotations

import zlib
from typing import Iterable, Sequence

import numpy as np


def _stable_hash(text: str) -> int:
    # gensim seeds each word's initial vector with hash(word + seed); Python's str hash
    # changes per process, crc32 does not, so training is reproducible.
    return zlib.crc32(str(text).encode())


def train_word2vec(documents: Iterable[Sequence[str]], vector_size: int = 300, window: int = 5,
                   min_count: int = 1, epochs: int = 10, sg: bool = False, seed: int = 0,
                   workers: int = 1):
    """Train Word2Vec on token lists (pass the training split only).

    Args:
        documents: One word list per clip.
        vector_size: Embedding size (300 in mmer_analysis).
        window: Context window.
        min_count: Ignore rarer words.
        epochs: Passes over the corpus.
        sg: Skip-gram (True) or CBOW (False, gensim's default).
        seed: Seed; with ``workers=1`` training is deterministic.
        workers: Training threads.

    Returns:
        gensim ``KeyedVectors`` (``.vector_size``, ``word in kv``, ``kv[word]``).

    Raises:
        ValueError: When the documents hold no word.
    """
    from gensim.models import Word2Vec

    documents = [list(map(str, doc)) for doc in documents]
    if not any(documents):
        raise ValueError("cannot train Word2Vec: the documents hold no words")
    model = Word2Vec(sentences=documents, vector_size=vector_size, window=window, min_count=min_count,
                     epochs=epochs, sg=int(sg), seed=seed, workers=workers, hashfxn=_stable_hash)
    return model.wv


def embed_sequence(words: Sequence[str], vectors, max_length: int = 500) -> np.ndarray:
    """``(max_length, vector_size)`` float32: one row per word, zeros for unknown words and padding."""
    out = np.zeros((max_length, vectors.vector_size), dtype=np.float32)
    for row, word in enumerate(list(words)[:max_length]):
        if word in vectors:
            out[row] = vectors[word]
    return out


def embedding_matrix(vocabulary, vectors) -> np.ndarray:
    """``(len(vocabulary), vector_size)`` float32 rows for an embedding layer; the padding
    and unknown rows, and words the model lacks, are zeros."""
    out = np.zeros((len(vocabulary), vectors.vector_size), dtype=np.float32)
    for index, word in enumerate(vocabulary.words):
        if index > vocabulary.UNK_ID and word in vectors:
            out[index] = vectors[word]
    return out
