"""Plots used across the notebooks. Every function takes ``ax=None`` and returns ``(fig, ax)``.

Statistical plots are drawn by seaborn from tidy data (one row per clip, epoch or seed):
scatters with a hue per quadrant, heat maps, bar charts with the spread over seeds. None
calls ``plt.show()``: notebooks display figures inline and :meth:`Run.save_figure` writes
them to the report.

Notebook: ``00_primer`` and every paper notebook.
"""

from __future__ import annotations

import librosa.display
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

QUADRANT_COLORS = {"Q1": "#e69f00", "Q2": "#d55e00", "Q3": "#0072b2", "Q4": "#009e73"}
QUADRANT_NAMES = {"Q1": "Q1 happy/excited", "Q2": "Q2 angry/tense",
                  "Q3": "Q3 sad/depressed", "Q4": "Q4 calm/relaxed"}


def _axes(ax, figsize=(5, 4)):
    if ax is None:
        fig, ax = plt.subplots(figsize=figsize)
    else:
        fig = ax.figure
    return fig, ax


def va_plane(valence, arousal, labels=None, ax=None, limits=(-1, 1), title="Valence–arousal plane",
             alpha: float = 0.6, s: float = 14):
    """Scatter clips on the valence–arousal plane with the quadrant lines.

    Args:
        valence: Valence per clip.
        arousal: Arousal per clip.
        labels: Optional class per clip (quadrant names get their standard colours).
        limits: Axis range; the quadrant lines are drawn at its midpoint.
    """
    fig, ax = _axes(ax, (5, 5))
    points = pd.DataFrame({"valence": np.asarray(valence, float), "arousal": np.asarray(arousal, float)})
    if labels is None:
        sns.scatterplot(points, x="valence", y="arousal", s=s, alpha=alpha, color="0.3", linewidth=0, ax=ax)
    else:
        points["label"] = [QUADRANT_NAMES.get(str(v), str(v)) for v in labels]
        order = sorted(points["label"].unique(), key=str)
        palette = {QUADRANT_NAMES.get(q, q): c for q, c in QUADRANT_COLORS.items()}
        sns.scatterplot(points, x="valence", y="arousal", hue="label", hue_order=order, s=s, alpha=alpha,
                        palette={k: palette.get(k) for k in order} if set(order) <= set(palette) else None,
                        linewidth=0, ax=ax)
        ax.legend(fontsize=7, loc="best", framealpha=0.8)
    mid = (limits[0] + limits[1]) / 2
    ax.axhline(mid, color="k", lw=0.8)
    ax.axvline(mid, color="k", lw=0.8)
    ax.set(xlim=limits, ylim=limits, xlabel="valence", ylabel="arousal", title=title, aspect="equal")
    return fig, ax


def pred_vs_obs(y_true, y_pred, ax=None, label="", title=None):
    """Predicted against observed values with the identity line."""
    fig, ax = _axes(ax, (4, 4))
    y_true, y_pred = np.asarray(y_true, float), np.asarray(y_pred, float)
    sns.scatterplot(x=y_true, y=y_pred, s=12, alpha=0.6, linewidth=0, ax=ax)
    low, high = float(min(y_true.min(), y_pred.min())), float(max(y_true.max(), y_pred.max()))
    ax.plot([low, high], [low, high], "k--", lw=0.8)
    ax.set(xlabel=f"observed {label}".strip(), ylabel=f"predicted {label}".strip(),
           title=title or f"{label} predicted vs observed".strip())
    return fig, ax


def confusion_matrix(cm, labels, ax=None, normalize: bool = True, title="Confusion matrix", cmap="Blues"):
    """Heat map of a confusion matrix (rows: true, columns: predicted).

    Args:
        cm: Square matrix of counts.
        labels: Class names in matrix order.
        normalize: Show row-normalised rates (counts are annotated either way).
    """
    fig, ax = _axes(ax, (4.2, 3.8))
    cm = np.asarray(cm, float)
    rates = cm / np.maximum(cm.sum(axis=1, keepdims=True), 1) if normalize else cm
    text = [[f"{rates[i, j]:.2f}\n({int(cm[i, j])})" if normalize else f"{int(cm[i, j])}"
             for j in range(cm.shape[1])] for i in range(cm.shape[0])]
    sns.heatmap(pd.DataFrame(rates, index=list(labels), columns=list(labels)), annot=np.array(text), fmt="",
                annot_kws={"fontsize": 7}, cmap=cmap, vmin=0, vmax=1 if normalize else None, square=True,
                cbar_kws={"fraction": 0.046}, ax=ax)
    ax.set(xlabel="predicted", ylabel="true", title=title)
    ax.tick_params(axis="y", labelrotation=0)
    return fig, ax


def training_curves(history, ax=None, keys=None, title="Training curves", ylabel: str = "",
                    distinct_styles: bool = False):
    """Per-epoch curves from a history dict ``{"train_loss": [...], "val_loss": [...], ...}``.

    Args:
        ylabel: Label of the y axis (what the curves measure).
        distinct_styles: Give every curve its own line style and marker as well as its colour
            (readable in grey print and for colour-blind readers).
    """
    fig, ax = _axes(ax, (5, 3.5))
    curves = pd.DataFrame([{"epoch": epoch, "curve": key, "value": value}
                           for key in keys or list(history)
                           for epoch, value in enumerate(history[key], 1)])
    drawn = len(ax.lines)  # curves already on ``ax`` (one call per seed) keep their colours
    palette = sns.color_palette(n_colors=drawn + curves["curve"].nunique())[drawn:]
    styles = {"style": "curve", "markers": True, "dashes": True} if distinct_styles else {"marker": "."}
    sns.lineplot(curves, x="epoch", y="value", hue="curve", palette=palette, ax=ax, **styles)
    ax.set(xlabel="epoch", ylabel=ylabel, title=title)
    ax.legend(fontsize=8)
    return fig, ax


def feature_map(matrix, ax=None, sr: int = 22050, hop_length: int = 512, y_axis=None,
                title="", colorbar: bool = True):
    """Display a time–frequency representation (mel, chroma, MFCC) with librosa.

    Args:
        matrix: ``(bins, frames)`` array.
        y_axis: librosa axis type: ``"mel"``, ``"chroma"``, ``None`` for coefficients.
    """
    fig, ax = _axes(ax, (6, 2.6))
    image = librosa.display.specshow(matrix, sr=sr, hop_length=hop_length, x_axis="time",
                                     y_axis=y_axis, ax=ax, cmap="magma")
    ax.set(title=title)
    if colorbar:
        fig.colorbar(image, ax=ax, fraction=0.03)
    return fig, ax


def piano_roll(midi, ax=None, fs: int = 50, pitch_range=(21, 109), title="Piano roll"):
    """Piano roll of a ``pretty_midi.PrettyMIDI`` (velocity as colour)."""
    fig, ax = _axes(ax, (6, 2.6))
    roll = midi.get_piano_roll(fs=fs)[pitch_range[0]:pitch_range[1]]
    ax.imshow(roll, aspect="auto", origin="lower", cmap="gray_r", interpolation="nearest",
              extent=(0, roll.shape[1] / fs, pitch_range[0], pitch_range[1]))
    ax.set(xlabel="time (s)", ylabel="MIDI pitch", title=title)
    return fig, ax


def circumplex(words: dict[str, float], ax=None, radius: float = 0.8,
               title="Russell's circumplex of affect"):
    """Emotion words placed at their angle (degrees) on the valence–arousal circle."""
    fig, ax = _axes(ax, (5, 5))
    theta = np.linspace(0, 2 * np.pi, 200)
    ax.plot(radius * np.cos(theta), radius * np.sin(theta), color="0.7", lw=0.8)
    for q, (x, y) in {"Q1": (0.5, 0.5), "Q2": (-0.5, 0.5), "Q3": (-0.5, -0.5), "Q4": (0.5, -0.5)}.items():
        ax.text(x, y, QUADRANT_NAMES[q], ha="center", va="center", fontsize=8,
                color=QUADRANT_COLORS[q], alpha=0.8)
    for word, angle in words.items():
        x, y = radius * np.cos(np.radians(angle)), radius * np.sin(np.radians(angle))
        ax.plot(x, y, "o", color="0.2", ms=3)
        ax.text(1.08 * x, 1.08 * y, word, fontsize=7, ha="left" if x >= 0 else "right", va="center")
    ax.axhline(0, color="k", lw=0.8)
    ax.axvline(0, color="k", lw=0.8)
    ax.set(xlim=(-1.25, 1.25), ylim=(-1.1, 1.1), xlabel="valence", ylabel="arousal",
           title=title, aspect="equal")
    return fig, ax


def label_counts(values, ax=None, top: int | None = None, title="Label distribution", horizontal=False):
    """Bar chart of how often each label occurs (quadrants, clusters, tags)."""
    fig, ax = _axes(ax, (5, 3))
    counts = pd.Series(list(values)).value_counts()
    counts = counts.head(top) if top else counts.sort_index()
    frame = pd.DataFrame({"label": [str(k) for k in counts.index], "clips": counts.to_numpy()})
    palette = {k: QUADRANT_COLORS.get(k, "0.4") for k in frame["label"]}
    axes = {"y": "label", "x": "clips"} if horizontal else {"x": "label", "y": "clips"}
    sns.barplot(frame, **axes, hue="label", palette=palette, legend=False, ax=ax)
    if horizontal:
        ax.set(xlabel="clips", ylabel="", title=title)
    else:
        ax.set(xlabel="", ylabel="clips", title=title)
        ax.tick_params(axis="x", labelrotation=45 if len(counts) > 6 else 0)
    return fig, ax


def feature_matrix(matrix, ax=None, title="", xlabel="frame", ylabel="bin", cmap="magma"):
    """Any ``(bins, frames)`` input representation as an image, in frame/bin units.

    Unlike :func:`feature_map` it needs no sample rate or hop, so inputs of different papers
    (different rates, hops, excerpts) can be shown side by side at their true sizes.
    """
    fig, ax = _axes(ax, (6, 2.6))
    matrix = np.asarray(matrix, float)
    ax.imshow(matrix, aspect="auto", origin="lower", cmap=cmap, interpolation="nearest")
    ax.set(title=title, xlabel=xlabel, ylabel=ylabel)
    return fig, ax


def score_bars(scores: pd.DataFrame, metric: str, by: str = "row", hue: str | None = None, paper=None,
               ax=None, title="", chance: float | None = None):
    """Mean of ``metric`` per ``by`` group over seeds, with the std as error bars (seaborn).

    Args:
        scores: Tidy scores, one line per (row, seed) (and ``hue`` group).
        metric: The column to plot.
        by: Groups on the x axis, in first-seen order.
        hue: Optional second grouping (e.g. test vs validation, or a dataset).
        paper: Optional ``{group: the paper's value}``, drawn as black ticks.
        chance: Optional chance level, drawn as a dotted line.
    """
    fig, ax = _axes(ax, (7, 3.4))
    order = list(dict.fromkeys(scores[by]))
    sns.barplot(scores, x=by, y=metric, hue=hue, order=order, errorbar="sd", capsize=0.15, ax=ax)
    if paper:
        known = [(i, paper[g]) for i, g in enumerate(order) if g in paper and paper[g] == paper[g]]
        if known:
            ax.scatter(*zip(*known), color="black", marker="_", s=300, zorder=3, label="paper")
            ax.legend(fontsize=7, loc="upper left")
    if chance is not None:
        ax.axhline(chance, color="grey", linestyle=":", linewidth=1)
    ax.set(xlabel="", ylabel=metric, title=title)
    ax.tick_params(axis="x", labelrotation=20)
    return fig, ax


def critical_difference(mean_ranks: pd.Series, cd: float, ax=None, title: str = ""):
    """A critical-difference diagram: each row at its mean rank over tasks (1 = best, left), the
    critical difference as a bar, and a thick line joining each group of rows whose ranks lie
    within it of the group's best (not told apart).

    Args:
        mean_ranks: Mean rank per row (:func:`mer_lib.experiments.benchmark.critical_difference`).
        cd: The critical difference, in ranks.
    """
    fig, ax = _axes(ax, (7, 0.8 + 0.28 * len(mean_ranks)))
    ranks = mean_ranks.sort_values()
    y = np.arange(len(ranks))[::-1]
    ax.scatter(ranks.to_numpy(), y, color="black", s=12, zorder=3)
    for yi, (name, rank) in zip(y, ranks.items()):
        ax.annotate(f"{name} ({rank:.1f})", (rank, yi), xytext=(6, 0), textcoords="offset points", va="center", fontsize=7)
    shown = set()
    for start, rank in enumerate(ranks.to_numpy()):
        end = int(np.searchsorted(ranks.to_numpy(), rank + cd, side="right")) - 1
        if end > start and (start, end) not in shown and not any(s <= start and end <= e for s, e in shown):
            shown.add((start, end))
            ax.plot([rank - 0.05, ranks.iloc[end] + 0.05], [y[start] + 0.35] * 2, color="tab:red", linewidth=3, alpha=0.6)
    ax.plot([1, 1 + cd], [len(ranks) + 0.2] * 2, color="tab:blue", linewidth=2)
    ax.annotate(f"CD = {cd:.2f}", (1 + cd / 2, len(ranks) + 0.2), xytext=(0, 4), textcoords="offset points",
                ha="center", fontsize=7, color="tab:blue")
    ax.set(xlabel="mean rank over tasks (1 = best)", yticks=[], title=title, xlim=(0.5, max(len(ranks), 1 + cd) + 2.5),
           ylim=(-1, len(ranks) + 1))
    return fig, ax
