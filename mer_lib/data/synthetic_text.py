"""Words for the synthetic corpus: lyrics, titles, artists, listener comments, mood tags.

Lyrics take their affective words from the VADER lexicon (Hutto & Gilbert, 2014), a
human-rated valence lexicon shipped with the ``vaderSentiment`` package: 7,500 English
words rated from −4 to +4 by ten raters each. Only clean, agreed-upon words are used
(|mean| ≥ 1.5, rater std ≤ 1.0, letters only, a profanity/violence blocklist removed).

Notebook: ``00_primer`` (datasheet section).
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

import numpy as np
import vaderSentiment

from mer_lib.metrics import quadrant

#: Substrings that exclude a lexicon word (profanity, violence): the corpus is for teaching.
BLOCKLIST = (
    "ass", "fuck", "shit", "whore", "slut", "bitch", "damn", "dick", "cock", "cunt", "piss",
    "bastard", "fag", "nigg", "rape", "molest", "porn", "sex", "kill", "murder", "suicid",
    "terror", "assassin", "dumb", "retard", "nazi", "gay", "jew", "drug", "crap", "hell",
    "douche", "racis", "lol", "rotg", "rofl", "lmao", "cancer", "abduct", "enslave", "molest",
)

#: Neutral filler words (none is in the VADER lexicon; checked by a test).
NEUTRAL_WORDS = tuple("""
the a and to of in on at with from into over under through about you i we they it my your our
is are was were be been will would could should can do did have has had go went come came walk
run turn look see hear know think say tell take give make hold keep leave find call wait stay
road river city street window door night morning evening summer winter rain sky sea light shadow
train station room house garden letter radio phone car bridge mountain ocean field wall corner
time day year hour minute moment song voice word name story page line sound river stone glass
paper coffee table chair floor ceiling dream clock mirror north south east west left right here
there again still just only every always never back down up out away around along across
""".split())

TITLE_NOUNS = ("Night", "River", "Road", "City", "Window", "Summer", "Winter", "Rain", "Sky",
               "Sea", "Light", "Train", "Station", "Garden", "Letter", "Radio", "Bridge",
               "Mountain", "Ocean", "Street", "Morning", "Stone", "Mirror", "Clock", "Room")
FIRST_NAMES = ("Ada", "Ben", "Cleo", "Dario", "Elif", "Finn", "Greta", "Hugo", "Ines", "Jonas",
               "Kira", "Leo", "Maya", "Nils", "Olga", "Pavel", "Quinn", "Rosa", "Sami", "Tara")
LAST_NAMES = ("Alder", "Brook", "Castell", "Dunmore", "Ellery", "Fairbanks", "Grove", "Hollis",
              "Ivers", "Jarrow", "Kestrel", "Lark", "Morrow", "Novak", "Orme", "Pryce")

#: Mood tags with their angle on Russell's (1980) circumplex, in degrees (0° = pleasant,
#: 90° = aroused); approximate positions of the adjectives in that circumplex.
MOOD_TAGS = {
    "happy": 10, "joyful": 20, "uplifting": 30, "energetic": 50, "excited": 60,
    "powerful": 80, "tense": 95, "angry": 105, "aggressive": 115, "anxious": 130,
    "dark": 160, "melancholic": 195, "sad": 210, "depressed": 225, "dreamy": 270,
    "soft": 290, "calm": 310, "relaxing": 320, "peaceful": 335, "romantic": 350,
}

#: Explicit emotion words listeners use, per quadrant (comments are explicit about emotion).
COMMENT_EMOTIONS = {
    "Q1": ("happy", "joyful", "excited", "euphoric", "pumped", "cheerful"),
    "Q2": ("angry", "furious", "tense", "anxious", "aggressive", "restless"),
    "Q3": ("sad", "heartbroken", "melancholic", "lonely", "gloomy", "down"),
    "Q4": ("calm", "relaxed", "peaceful", "chill", "serene", "sleepy"),
}
COMMENT_TEMPLATES = (
    "this song makes me feel so {w}",
    "{w} vibes all the way",
    "always feel {w} when this comes on",
    "the most {w} track on the album",
    "listening to this when i feel {w}",
)
NEUTRAL_COMMENTS = (
    "who else found this through a playlist",
    "the bridge near the end is something else",
    "first time hearing this artist",
    "the production on this is clean",
    "saw them live last year",
)


@functools.lru_cache(maxsize=1)
def affective_lexicon() -> dict[str, float]:
    """Clean VADER words → mean valence rating (−4 … +4)."""
    path = Path(vaderSentiment.__file__).with_name("vader_lexicon.txt")
    words = {}
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        parts = line.split("\t")
        if len(parts) < 3:
            continue
        word, mean, std = parts[0], float(parts[1]), float(parts[2])
        if (re.fullmatch(r"[a-z]{4,10}", word) and abs(mean) >= 1.5 and std <= 1.0
                and not any(b in word for b in BLOCKLIST)):
            words[word] = mean
    return words


def _pools() -> dict[str, np.ndarray]:
    lex = affective_lexicon()
    return {
        "pos_mild": np.array(sorted(w for w, s in lex.items() if 1.5 <= s < 2.5)),
        "pos_strong": np.array(sorted(w for w, s in lex.items() if s >= 2.5)),
        "neg_mild": np.array(sorted(w for w, s in lex.items() if -2.5 < s <= -1.5)),
        "neg_strong": np.array(sorted(w for w, s in lex.items() if s <= -2.5)),
    }


def affective_word(valence: float, arousal: float, rng: np.random.Generator) -> str:
    """One lexicon word: its sign follows valence, its intensity (weakly) arousal."""
    pools = _pools()
    sign = "pos" if rng.random() < 1 / (1 + np.exp(-3.0 * valence)) else "neg"
    strength = "strong" if rng.random() < 0.35 + 0.25 * arousal else "mild"
    return str(rng.choice(pools[f"{sign}_{strength}"]))


def lyrics(valence: float, arousal: float, rng: np.random.Generator,
           n_words: int, affect_rate: float = 0.3) -> str:
    """Lyrics of ``n_words`` words in lines of 5–9, with a chorus line sung twice.

    A word is affective with probability ``affect_rate`` (else neutral filler).
    """
    def line(k):
        return " ".join(
            affective_word(valence, arousal, rng) if rng.random() < affect_rate
            else str(rng.choice(NEUTRAL_WORDS)) for _ in range(k)
        )

    chorus = line(int(rng.integers(5, 10)))
    lines, count = [], 0
    while count < n_words:
        k = min(int(rng.integers(5, 10)), n_words - count)
        text = chorus if (len(lines) % 4 == 3 and len(chorus.split()) <= n_words - count) else line(k)
        lines.append(text)
        count += len(text.split())
    return "\n".join(lines)


def title(valence: float, arousal: float, rng: np.random.Generator) -> str:
    """A two- or three-word title; half the time it carries an affective word."""
    noun = str(rng.choice(TITLE_NOUNS))
    if rng.random() < 0.5:
        return f"{affective_word(valence, arousal, rng).capitalize()} {noun}"
    return f"{noun} of the {rng.choice(TITLE_NOUNS)}" if rng.random() < 0.5 else f"The {noun}"


def artist_names(n: int, rng: np.random.Generator) -> list[str]:
    """``n`` distinct artist names."""
    pairs = [(f, l) for f in FIRST_NAMES for l in LAST_NAMES]
    order = rng.permutation(len(pairs))[:n]
    return [f"{pairs[i][0]} {pairs[i][1]}" for i in order]


def comments(valence: float, arousal: float, rng: np.random.Generator,
             perception_noise: float = 0.3) -> list[str]:
    """Two to four listener comments; each listener perceives V/A with their own noise."""
    out = []
    for _ in range(int(rng.integers(2, 5))):
        if rng.random() < 0.25:
            out.append(str(rng.choice(NEUTRAL_COMMENTS)))
            continue
        q = str(quadrant(valence + rng.normal(0, perception_noise),
                         arousal + rng.normal(0, perception_noise)))
        out.append(str(rng.choice(COMMENT_TEMPLATES)).format(w=rng.choice(COMMENT_EMOTIONS[q])))
    return out


def mood_tags(valence: float, arousal: float, rng: np.random.Generator,
              width: float = 0.35) -> list[str]:
    """Tags drawn from their distance to (v, a); the nearest tag is always present."""
    point = np.array([valence, arousal])
    chosen, distances = [], {}
    for tag, angle in MOOD_TAGS.items():
        anchor = 0.7 * np.array([np.cos(np.radians(angle)), np.sin(np.radians(angle))])
        d = float(np.linalg.norm(point - anchor))
        distances[tag] = d
        if rng.random() < 0.9 * np.exp(-d ** 2 / (2 * width ** 2)):
            chosen.append(tag)
    nearest = min(distances, key=distances.get)
    if nearest not in chosen:
        chosen.append(nearest)
    return sorted(chosen, key=list(MOOD_TAGS).index)
