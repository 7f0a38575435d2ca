"""Text features: tokens, open-class filter, stemming, vocabularies, Word2Vec, WordNet, BERT."""

from __future__ import annotations

import random
import re
import string
import warnings

import numpy as np
import pandas as pd
import pytest

from mer_lib import features
from mer_lib.features import text, word2vec, wordnet_setup
from mer_lib.features.text import TextError, Vocabulary

LYRICS = "I love you baby, and the night is dark and cold. We were running through the rain!"

needs_wordnet = pytest.mark.skipif(
    not wordnet_setup.is_installed(),
    reason="WordNet not installed: run `python -m mer_lib.features.wordnet_setup` (make setup)",
)


def test_tokenize_lowercases_and_keeps_inner_apostrophes():
    assert text.tokenize("Don't STOP me-now!") == ["don't", "stop", "me", "now"]


def test_accented_and_non_latin_words_are_tokenized_whole():
    assert text.tokenize("Café, CORAÇÃO; ich fühle l'été") == ["café", "coração", "ich", "fühle", "l'été"]
    assert text.tokenize("cafe\u0301 ñandú 사랑해 2x_y") == ["café", "ñandú", "사랑해", "x", "y"]


def test_ascii_text_gives_exactly_the_tokens_of_the_former_ascii_pattern():
    former = re.compile(r"[a-z]+(?:'[a-z]+)*")
    rng = random.Random(0)
    alphabet = string.printable + "'" * 4
    texts = [LYRICS, "Don't STOP me-now!", "rock'n'roll 'tis o'clock '' a'b'c 4ever x_y"]
    texts += ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 60))) for _ in range(20000)]
    texts += ["".join(chr(rng.randrange(128)) for _ in range(rng.randint(0, 60))) for _ in range(5000)]
    for sample in texts:
        assert text.tokenize(sample) == former.findall(sample.lower()), sample


NON_ENGLISH = {
    "pt": "Meu coração não aguenta mais a saudade que eu sinto de você, amor da minha vida, volta para mim",
    "es": "Te quiero con todo mi corazón, la noche es larga y no puedo dormir sin ti, vuelve a mi lado",
    "de": "Ich fühle mich so allein in dieser kalten Nacht, du bist mein Herz und meine Seele",
    "fr": "Je t'aime mon amour, la nuit est longue et froide sans toi, reviens près de moi",
    "ko": "사랑해 너를 영원히",
}


@pytest.mark.parametrize("language", sorted(NON_ENGLISH))
def test_non_english_lyrics_warn_naming_the_clip(language):
    lyrics = NON_ENGLISH[language]
    with pytest.warns(text.TextWarning, match=r"clip c7: the lyrics look non-English \(0% of \d+ words"):
        assert text.check_clip_text("lyrics", lyrics, "c7") is lyrics
    with pytest.warns(text.TextWarning, match="clip c8: the comments look non-English"):
        text.check_clip_text("comments", [lyrics, lyrics], "c8")


def test_english_lyrics_short_texts_and_titles_do_not_warn():
    with warnings.catch_warnings():
        warnings.simplefilter("error", text.TextWarning)
        text.check_clip_text("lyrics", LYRICS, "c1")
        text.check_clip_text("lyrics", "Don't stop me now, I'm having such a good time", "c2")
        text.check_clip_text("lyrics", "Love me tender", "c3")        # short: not judged by share
        text.check_clip_text("context", NON_ENGLISH["pt"], "c4")     # titles/artists: not judged
        text.check_clip_text("lyrics", "", "c5")                      # empty: left to the front end


def test_lyrics_without_words_are_an_error_naming_the_clip():
    with pytest.raises(TextError, match="clip c9: the lyrics have no words"):
        text.check_clip_text("lyrics", "1 2 3 ... !!! ♪♪ 42", "c9")
    with pytest.raises(TextError, match="no words"):
        features.compute("mmer_analysis_lyrics_words", "1 2 3 ... !!!")
    table = pd.DataFrame({"track_id": ["c9", "ok"], "split": ["train", "train"], "lyrics": ["123 456 ♪", LYRICS]})
    with pytest.raises(features.FeatureError, match=r"failed on 1 clip\(s\): lyrics_words: clip c9: .*no words"):
        features.extract(table, "lyrics_words", cache=False, n_jobs=1, progress=False)


@needs_wordnet
def test_open_class_filter_keeps_content_words_only():
    kept = text.keep_open_class(text.tokenize(LYRICS))
    assert {"love", "baby", "night", "dark", "cold", "running", "rain"} <= set(kept)
    assert not {"i", "you", "and", "the", "we", "through"} & set(kept)


@needs_wordnet
def test_jeon2017_preset_truncates_to_400_words():
    words = features.compute("jeon2017_lyrics_words", "love song " * 300)
    assert words.shape == (400,) and set(words) == {"love", "song"}


@needs_wordnet
def test_non_english_lyrics_give_the_documented_empty_result():
    assert features.compute("jeon2017_lyrics_words", "사랑해 너를 영원히").shape == (0,)
    assert features.compute("jeon2017_lyrics_words", NON_ENGLISH["de"]).shape == (0,)
    with pytest.warns(text.TextWarning, match="clip k1"):  # ... and it is flagged, not silent
        text.check_clip_text("lyrics", "사랑해 너를 영원히", "k1")
    ids = Vocabulary.build([["love"]]).encode([], 5)
    np.testing.assert_array_equal(ids, [Vocabulary.PAD_ID] * 5)


@pytest.mark.parametrize("lyrics", ["", "   \n ", None, float("nan")])
def test_empty_lyrics_are_a_clear_error(lyrics):
    with pytest.raises(features.FeatureError, match="clip x has no lyrics"):
        features.compute("mmer_analysis_lyrics_words", {"track_id": "x", "lyrics": lyrics})
    with pytest.raises(TextError, match="lyrics is (empty|missing)"):
        features.compute("mmer_analysis_lyrics_words", lyrics)


def test_porter_stemming_preset():
    words = features.compute("mmer_analysis_lyrics_words", "Running dogs were happily crying")
    assert list(words) == ["run", "dog", "were", "happili", "cri"]


def test_vocabulary_build_encode_pad_truncate():
    vocab = Vocabulary.build([["b", "a", "b"], ["c", "b", "a"]], min_count=2)
    assert vocab.words == ["<pad>", "<unk>", "b", "a"]
    np.testing.assert_array_equal(vocab.encode(["a", "zzz"], 4), [3, 1, 0, 0])
    np.testing.assert_array_equal(vocab.encode(["a", "b", "a"], 2), [3, 2])
    assert vocab.encode_many([["a"], ["b"]], 3).shape == (2, 3)


def test_word2vec_is_deterministic_and_embeds_fixed_size_sequences():
    docs = [text.porter_stem(text.tokenize(LYRICS))] * 20 + [["sun", "shine", "happy", "day"]] * 20
    kv = word2vec.train_word2vec(docs, vector_size=16, epochs=3, seed=1)
    again = word2vec.train_word2vec(docs, vector_size=16, epochs=3, seed=1)
    np.testing.assert_array_equal(kv["love"], again["love"])
    sequence = word2vec.embed_sequence(["love", "unknownword"], kv, max_length=500)
    assert sequence.shape == (500, 16)
    assert np.any(sequence[0]) and not np.any(sequence[1:])
    vocab = Vocabulary.build(docs)
    matrix = word2vec.embedding_matrix(vocab, kv)
    assert matrix.shape == (len(vocab), 16) and not np.any(matrix[:2])
    np.testing.assert_array_equal(matrix[vocab.index["love"]], kv["love"])


def test_word2vec_refuses_empty_documents():
    with pytest.raises(ValueError, match="no words"):
        word2vec.train_word2vec([[], []])


@needs_wordnet
def test_synonym_replacement_changes_the_requested_fraction():
    from mer_lib.features.wordnet import replace_synonyms

    sentence = "the happy child sings a beautiful song in the bright morning light"
    out = replace_synonyms(sentence, fraction=0.2, seed=0)
    assert out != sentence and replace_synonyms(sentence, fraction=0.2, seed=0) == out
    assert out.startswith("the ") and " in the " in out  # function words are kept
    assert replace_synonyms(sentence, fraction=0.0) == sentence
    everything = replace_synonyms("happy child", fraction=1.0, seed=0).split()
    assert "happy" not in everything and "child" not in everything


@needs_wordnet
def test_lexnames_generated_from_the_debian_manual_page():
    if not wordnet_setup.LEXNAMES_MAN.is_file():
        pytest.skip("Debian's wordnet-base manual pages are not installed")
    lines = wordnet_setup.lexnames_from_man_page().splitlines()
    assert len(lines) == 45
    assert lines[0] == "00\tadj.all\t3" and lines[29] == "29\tverb.body\t2"


# --- BERT (the MiniLM model is loaded once for this module) ------------------------------------

@pytest.fixture(scope="module")
def encoder():
    from mer_lib.features import bert

    return bert.load_encoder()


def test_bert_token_features_shape(encoder):
    out = features.compute("zhao2022_bert_lyrics", LYRICS)
    assert out.shape == (128, 384) and out.dtype == np.float32
    assert np.any(out[0]) and not np.any(out[-1])  # rows past the text are zeros


def test_long_lyrics_average_their_128_token_segments(encoder):
    from mer_lib.features import bert

    tokenizer, _ = encoder
    long_text = " ".join(f"word{i % 50} love" for i in range(120))
    ids = tokenizer(long_text, add_special_tokens=False)["input_ids"]
    assert len(ids) > 126
    first = tokenizer.decode(ids[:126])
    rest = tokenizer.decode(ids[126:252])
    segments = bert.encode_texts([first, rest], segment_length=128)
    n_rest = len(tokenizer(rest, add_special_tokens=False)["input_ids"]) + 2
    expected = segments[0].copy()
    expected[:n_rest] = (segments[0][:n_rest] + segments[1][:n_rest]) / 2
    if len(ids) <= 252:
        np.testing.assert_allclose(bert.encode_texts([long_text])[0], expected, atol=2e-4)
    pooled = features.compute("zhao2022_bert_lyrics", long_text, pooling="mean")
    assert pooled.shape == (384,)


def test_bert_on_empty_and_non_english_text(encoder):
    with pytest.raises(TextError):
        features.compute("zhao2022_bert_lyrics", "  ")
    out = features.compute("zhao2022_bert_context", "사랑해 - 아티스트")
    assert out.shape == (128, 384) and np.isfinite(out).all()


def test_unknown_encoder_name_is_a_clear_error():
    from mer_lib.features import bert

    with pytest.raises(TextError, match="cannot load the text encoder"):
        bert.load_encoder("/nonexistent/encoder-folder")


@needs_wordnet
def test_english_content_words_without_function_words_do_not_warn():
    word_list = "love happy sunshine river dream smile beautiful garden morning light joy hope window"
    assert text.english_share(text.tokenize(word_list)) == 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("error", text.TextWarning)
        text.check_clip_text("lyrics", word_list, "s1")
