"""Input representations: audio, symbolic and text features, MIDI rendering, cache.

One registry of named, parameterized extractors; the papers' settings are named presets::

    from mer_lib import features
    features.available()                                   # every extractor name
    features.describe("zhao2022_mel")                      # parameters, source, reference
    mel = features.compute("zhao2022_mel", "clip.flac")    # one clip, no cache
    mels = features.extract(dataset, "zhao2022_mel", split="train", n_jobs=-1)
    both = features.extract(dataset, ["zhao2023_mfcc", "zhao2023_chroma"])

Modules: :mod:`.audio` (log-mel, MFCC + CMVN, chroma, statistics), :mod:`.excerpts`,
:mod:`.augment`, :mod:`.render` (MIDI → audio), :mod:`.symbolic` (MIDI-like tokens, note
statistics), :mod:`.text` (tokens, open-class filter, stemming, vocabularies), :mod:`.bert`,
:mod:`.word2vec`, :mod:`.wordnet` (synonym augmentation), :mod:`.cache`, :mod:`.presets`.

Notebook: ``00_primer``.
"""

from mer_lib.features.registry import (  # noqa: F401
    Extractor, FeatureError, available, describe, get, labels, preset, register,
)
# Modules register their extractors on import; presets come last (they refer to them).
from mer_lib.features import audio, symbolic, text, bert  # noqa: E402,F401
from mer_lib.features import presets  # noqa: E402,F401
from mer_lib.features.pipeline import compute, extract  # noqa: E402,F401
