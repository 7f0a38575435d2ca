"""The "Analysis of multimodal MER" project's findings, and its social-tag dataset analysed.

* The report gives its results only as figures, so what can be compared is each **qualitative
  finding**: :data:`CLAIMS` states them with the number that tests each on our scores
  (:func:`evaluate_claims`); :func:`paper_results` writes them for ``Run.write_results`` (on
  the paper's own data only); :func:`claim_verdicts` and :func:`dataset_verdict` mark each
  for the notebook's verdict table (:mod:`mer_lib.verdicts`).
* Its dataset: :func:`quadrant_statistics` (Q2 is scarce, :data:`PAPER_DATASET`).
* Its conclusion doubts the social-tag annotations: :func:`tag_counts`, :func:`tag_summary`,
  :func:`calmness_subsets` and :func:`subset_spread` show where the tags put the songs;
  :func:`tag_regression` / :func:`tag_regressions` measure how much of valence/arousal the
  emotion-tag counts alone decide; :func:`tag_statistics` gathers the numbers for the report.

Reference: "Analysis of multimodal Music Emotion Recognition" (project report), sections
"Results", "Comparative Analysis" and "Conclusion and Perspectives".
Notebook: ``05_mmer_analysis_unimodal_fusion``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.linear_model import LinearRegression

from mer_lib import metrics, verdicts
from mer_lib.data.social_tags import EMOTION_TAGS

# --- the social-tag dataset ---------------------------------------------------------------------

def tag_counts(table: pd.DataFrame, tags: Sequence[str] | None = None) -> pd.DataFrame:
    """Songs × emotion tags: how many listeners' tags name each emotion (0 when none)."""
    if "emotion_tags" not in table.columns:
        raise ValueError("tag_counts needs an 'emotion_tags' column ({tag: count} per song)")
    tags = EMOTION_TAGS if tags is None else tags
    return pd.DataFrame([{t: d.get(t, 0) for t in tags} for d in table["emotion_tags"]], index=table.index)


def tag_regression(table: pd.DataFrame, kind: str = "share", train: str = "train",
                   test: str = "test") -> dict[str, float]:
    """How much of V/A a linear regression from the emotion-tag counts alone explains.

    Fitted (ordinary least squares) on the ``train`` split, scored on ``test`` (R²).

    Args:
        table: A social-tag table (``emotion_tags``, ``valence``, ``arousal``, ``split``).
        kind: ``"share"`` (each tag's share of the song's tag counts), ``"count"`` (raw
            counts) or ``"presence"`` (0/1).
    """
    counts = tag_counts(table).to_numpy(float)
    if kind == "share":
        x = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
    elif kind == "count":
        x = counts
    elif kind == "presence":
        x = (counts > 0).astype(float)
    else:
        raise ValueError(f"kind must be 'share', 'count' or 'presence', got {kind!r}")
    fit_rows, test_rows = (table["split"] == train).to_numpy(), (table["split"] == test).to_numpy()
    out = {}
    for name in ("valence", "arousal"):
        y = table[name].to_numpy(float)
        model = LinearRegression().fit(x[fit_rows], y[fit_rows])
        out[f"r2_{name}"] = metrics.r2(y[test_rows], model.predict(x[test_rows]))
    return out


#: Regression features of :func:`tag_regressions`, in table order.
TAG_FEATURES = ("share", "count", "presence")
#: The report's calmness figures: songs whose tags include these emotions.
CALMNESS_SUBSETS = {"calmness": ("calmness",), "calmness & sadness": ("calmness", "sadness"),
                    "calmness & happiness": ("calmness", "happiness")}


def tag_regressions(table: pd.DataFrame) -> pd.DataFrame:
    """:func:`tag_regression` for every kind of :data:`TAG_FEATURES`: one line per kind
    (index ``tag features``), the columns ``r2_valence`` and ``r2_arousal``."""
    regression = pd.DataFrame({kind: tag_regression(table, kind) for kind in TAG_FEATURES}).T
    regression.index.name = "tag features"
    return regression


def tag_summary(counts: pd.DataFrame) -> pd.DataFrame:
    """Per emotion tag (most frequent first): songs carrying it, their share, the summed counts."""
    present = counts > 0
    return pd.DataFrame({"songs": present.sum(), "share of songs": present.mean(),
                         "tag count (sum)": counts.sum()}).sort_values("songs", ascending=False)


def calmness_subsets(counts: pd.DataFrame) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Boolean song masks of :data:`CALMNESS_SUBSETS`: the songs whose tags include the
    subset's emotions, and (``"only ..."``) those whose tags are exactly these emotions."""
    present = counts > 0
    subsets = {name: np.logical_and.reduce([present[tag].to_numpy() for tag in tags])
               for name, tags in CALMNESS_SUBSETS.items()}
    only = {f"only {name}": (present.sum(axis=1) == len(CALMNESS_SUBSETS[name])).to_numpy() & mask
            for name, mask in subsets.items()}
    return subsets, only


def subset_spread(table: pd.DataFrame, masks: Mapping[str, np.ndarray]) -> pd.DataFrame:
    """Per song subset: its size, its share of the songs, and the mean and std of its V/A."""
    return pd.DataFrame([{"songs": name, "count": int(mask.sum()), "share": float(mask.mean()),
                          "valence mean": table["valence"][mask].mean(), "valence std": table["valence"][mask].std(),
                          "arousal mean": table["arousal"][mask].mean(), "arousal std": table["arousal"][mask].std()}
                         for name, mask in masks.items()]).set_index("songs")


def tag_statistics(table: pd.DataFrame, counts: pd.DataFrame, regression: pd.DataFrame) -> dict[str, float]:
    """The annotation numbers of the report's ``dataset`` line: the share of songs tagged
    calmness, distinct V/A points, tags per song, and every :func:`tag_regressions` R²
    (``tag_r2_<kind>_<dimension>``)."""
    present = counts > 0
    distinct = len(table[["valence", "arousal"]].round(6).drop_duplicates())
    return {"share_with_calmness": float(present["calmness"].to_numpy().mean()), "distinct_va_points": distinct,
            "tags_per_song": float(present.sum(axis=1).mean()),
            **{f"tag_r2_{kind}_{d}": float(regression.loc[kind, f"r2_{d}"])
               for kind in regression.index for d in ("valence", "arousal")}}


def quadrant_statistics(table: pd.DataFrame, quadrant_counts: pd.DataFrame) -> dict[str, float]:
    """The dataset's size, each quadrant's share of all songs, and whether Q2 is the smallest
    quadrant (:data:`PAPER_DATASET`).

    Args:
        table: The dataset's table (one row per song).
        quadrant_counts: Its split × quadrant counts with an ``all`` line.
    """
    shares = quadrant_counts.div(quadrant_counts.sum(axis=1), axis=0)
    return {"n_songs": len(table),
            **{f"share_{q.lower()}": float(shares.loc["all", q]) for q in metrics.QUADRANTS},
            "q2_smallest_quadrant": float(quadrant_counts.loc["all"].idxmin() == "Q2")}


# --- the paper's findings -----------------------------------------------------------------------

@dataclass(frozen=True)
class Claim:
    """A qualitative finding of the paper and the number that tests it.

    Attributes:
        key: lower_snake name.
        paper: What the paper says (its numbers exist only as figures).
        measure: How we measure it; the claim holds when ``value`` has the stated sign.
        rows: Result rows it needs.
        value: ``value(scores)`` with ``scores[row][metric]``.
        holds: ``holds(value)``.
    """

    key: str
    paper: str
    measure: str
    rows: tuple[str, ...]
    value: Callable[[Mapping[str, Mapping[str, float]]], float]
    holds: Callable[[float], bool]


def _gap(s, row):
    return s[row]["r2_arousal"] - s[row]["r2_valence"]


def _fusions(s):
    return [r for r in ("audio_lyrics", "audio_comments") if r in s]


_POSITIVE, _NEGATIVE, _BELOW_ONE = (lambda v: v > 0), (lambda v: v < 0), (lambda v: v < 1)
CLAIMS = (
    Claim("audio_arousal_over_valence", "audio: a much stronger relation with arousal than with valence (R²)",
          "R²(A) − R²(V), audio > 0", ("audio",), lambda s: _gap(s, "audio"), _POSITIVE),
    Claim("lyrics_valence_over_arousal", "lyrics: greater influence on valence than on arousal",
          "R²(V) − R²(A), lyrics > 0", ("lyrics",), lambda s: -_gap(s, "lyrics"), _POSITIVE),
    Claim("comments_valence_over_arousal", "comments: greater influence on valence than on arousal",
          "R²(V) − R²(A), comments > 0", ("comments",), lambda s: -_gap(s, "comments"), _POSITIVE),
    Claim("comments_over_lyrics_valence", "comments relate more strongly to valence than lyrics",
          "R²(V) comments − lyrics > 0", ("lyrics", "comments"),
          lambda s: s["comments"]["r2_valence"] - s["lyrics"]["r2_valence"], _POSITIVE),
    Claim("comments_lower_errors", "the comments model makes smaller errors in both dimensions",
          "max over V, A of MAE(comments) − MAE(lyrics) < 0", ("lyrics", "comments"),
          lambda s: max(s["comments"][f"mae_{d}"] - s["lyrics"][f"mae_{d}"] for d in ("valence", "arousal")),
          _NEGATIVE),
    Claim("fusion_arousal_over_valence", "both fusions: arousal predicted more accurately than valence",
          "min over fusions of R²(A) − R²(V) > 0", ("audio_lyrics", "audio_comments"),
          lambda s: min(_gap(s, r) for r in _fusions(s)), _POSITIVE),
    Claim("fusion_narrows_gap", "adding text narrows the V–A gap of the audio model's R²",
          "max over fusions of gap(fusion) − gap(audio) < 0, gap = R²(A) − R²(V)",
          ("audio", "audio_lyrics", "audio_comments"),
          lambda s: max(_gap(s, r) - _gap(s, "audio") for r in _fusions(s)), _NEGATIVE),
    Claim("fusion_slightly_lower_errors", "the fusions improve the audio model's errors (only slightly)",
          "max over fusions and V, A of MAE(fusion) − MAE(audio) < 0", ("audio", "audio_lyrics", "audio_comments"),
          lambda s: max(s[r][f"mae_{d}"] - s["audio"][f"mae_{d}"] for r in _fusions(s) for d in ("valence", "arousal")),
          _NEGATIVE),
    Claim("audio_comments_over_audio_lyrics", "slight improvements in the audio-comments fusion",
          "mean R² audio_comments − audio_lyrics > 0", ("audio_lyrics", "audio_comments"),
          lambda s: s["audio_comments"]["r2_mean"] - s["audio_lyrics"]["r2_mean"], _POSITIVE),
    Claim("ranges_narrower", "predicted values cover a narrower range than the observed ones",
          "largest range ratio (predicted / observed) over models and V, A < 1", ("audio",),
          lambda s: max(v[f"range_ratio_{d}"] for v in s.values() for d in ("valence", "arousal")), _BELOW_ONE),
    Claim("audio_balanced_quadrants", "audio: more balanced quadrant accuracy than the text models",
          "std of per-quadrant accuracy: audio − min(lyrics, comments) < 0", ("audio", "lyrics", "comments"),
          lambda s: s["audio"]["quadrant_acc_std"] - min(s["lyrics"]["quadrant_acc_std"],
                                                         s["comments"]["quadrant_acc_std"]), _NEGATIVE),
    Claim("fusion_high_arousal_quadrants", "fusions: higher accuracy in Q1, Q2 (high arousal) than in Q3, Q4",
          "min over fusions of mean acc(Q1, Q2) − mean acc(Q3, Q4) > 0", ("audio_lyrics", "audio_comments"),
          lambda s: min((s[r]["acc_q1"] + s[r]["acc_q2"] - s[r]["acc_q3"] - s[r]["acc_q4"]) / 2 for r in _fusions(s)),
          _POSITIVE),
)


#: The paper's dataset facts: its size (the text's only number besides the 3000 per quadrant
#: of the balancing, a choice rather than a result) and "the second quadrant is considerably
#: underrepresented" (1: Q2 is the smallest quadrant).
PAPER_DATASET = {"n_songs": 9972, "q2_smallest_quadrant": 1}


def paper_results(dataset: bool = False) -> dict[str, float]:
    """For ``Run.write_results``: every claim as ``claims.<key>: 1.0`` (the paper finds it;
    ours is the share of seeds where it holds) and, with ``dataset``, ``dataset.<stat>``."""
    out = {f"claims.{c.key}": 1.0 for c in CLAIMS}
    if dataset:
        out.update({f"dataset.{k}": float(v) for k, v in PAPER_DATASET.items()})
    return out


def paper_claims() -> pd.DataFrame:
    """The paper's qualitative findings: ``key`` → ``paper`` (its statement) and ``measure``."""
    return pd.DataFrame([{"key": c.key, "paper": c.paper, "measure": c.measure} for c in CLAIMS]).set_index("key")


def evaluate_claims(scores: Mapping[str, Mapping[str, float]]) -> pd.DataFrame:
    """Test every claim whose rows were measured.

    Args:
        scores: ``{row: {metric: value}}`` (e.g. means over seeds, or one seed's scores).

    Returns:
        One line per claim: ``paper``, ``measure``, ``ours`` (the number; NaN when a needed
        row is missing) and ``holds`` (True/False, or None when not measured).
    """
    rows = []
    for claim in CLAIMS:
        if all(r in scores for r in claim.rows):
            value = float(claim.value(scores))
            holds = None if np.isnan(value) else bool(claim.holds(value))
        else:
            value, holds = float("nan"), None
        rows.append({"key": claim.key, "paper": claim.paper, "measure": claim.measure, "ours": value,
                     "holds": holds})
    return pd.DataFrame(rows).set_index("key")


def claim_margins(scores: pd.DataFrame, claim: Claim) -> pd.Series:
    """Per seed, how far ``claim`` is on its holding side: ``value`` for "> 0", ``−value`` for
    "< 0", ``1 − value`` for "< 1" (positive: it holds in that seed).

    Args:
        scores: One line per (row, seed): columns ``row``, ``seed`` and the metrics.
        claim: One of :data:`CLAIMS`; all its rows must be in ``scores``.
    """
    sign = {_POSITIVE: lambda v: v, _NEGATIVE: lambda v: -v, _BELOW_ONE: lambda v: 1 - v}[claim.holds]
    metric_columns = [c for c in scores.columns if c not in ("row", "seed")]
    return pd.Series({int(seed): sign(float(claim.value(part.set_index("row")[metric_columns].to_dict("index"))))
                      for seed, part in scores.groupby("seed")}, dtype=float)


def claim_verdicts(scores: pd.DataFrame, skipped: Mapping[str, str] | None = None) -> list[verdicts.Verdict]:
    """Every claim of :data:`CLAIMS` marked from the per-seed scores (:func:`mer_lib.verdicts.compare`).

    A claim holds when its per-seed margin (:func:`claim_margins`) is above zero by more than
    its seed-to-seed noise (one-sided 95 % lower bound); a claim whose rows did not all run is
    not testable, with the reason.

    Args:
        scores: One line per (row, seed): columns ``row``, ``seed`` and the metrics (may be empty).
        skipped: ``{row: why it did not run}`` (the notebook's ``availability["why not"]``).
    """
    ran = set(scores["row"]) if len(scores) else set()
    out = []
    for claim in CLAIMS:
        missing = [r for r in claim.rows if r not in ran]
        if missing:
            why = "; ".join(f"{r}: {(skipped or {}).get(r) or 'not selected (MODELS)'}" for r in missing)
            out.append(verdicts.untestable(claim.paper, f"needs rows that did not run ({why})"))
            continue
        margin = claim_margins(scores, claim)
        out.append(verdicts.compare(claim.paper, margin, pd.Series(0.0, index=margin.index),
                                    f"margin of '{claim.measure}'"))
    return out


def dataset_verdict(stats: Mapping[str, float], paper_data: bool, dataset: str = "the dataset") -> verdicts.Verdict:
    """The paper's dataset finding, "the second quadrant is considerably under-represented":
    testable on the paper's own data only (``paper_data``), where it holds when Q2 is the
    smallest quadrant (:func:`quadrant_statistics`); the evidence gives each quadrant's share."""
    claim = "the dataset's second quadrant (Q2) is considerably under-represented"
    shares = ", ".join(f"{q} {stats[f'share_{q.lower()}']:.1%}" for q in metrics.QUADRANTS)
    if not paper_data:
        return verdicts.untestable(claim, f"{dataset} is not the paper's dataset (quadrant shares: {shares})")
    smallest_other = min(stats[f"share_{q.lower()}"] for q in metrics.QUADRANTS if q != "Q2")
    mark = verdicts.HOLDS if stats["q2_smallest_quadrant"] == 1 else verdicts.FAILS
    return verdicts.Verdict(claim, mark, f"quadrant shares {shares}: Q2 {stats['share_q2']:.1%} vs the smallest "
                                         f"other {smallest_other:.1%}")
