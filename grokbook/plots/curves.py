"""Training curves on a log-step axis, with grokking's phases shaded."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from grokbook.history import GROK_THRESHOLD, MEMORIZE_THRESHOLD, History

PHASE_COLORS = {"memorization": "#f4cccc", "plateau": "#fff2cc", "circuit formation": "#d9ead3",
                "generalization": "#cfe2f3"}
TRAIN_COLOR, TEST_COLOR = "#1f77b4", "#d62728"


def phase_boundaries(history: History, rise: float = 0.1) -> dict[str, int | None]:
    """Accuracy-based boundaries of the four phases (seed three-research-issues; Nanda et al. 2023).

    ``t_mem``: train accuracy first ≥ 0.99; ``t_rise``: after ``t_mem``, test accuracy first exceeds
    ``chance + rise · (1 − chance)`` where chance is the test accuracy at step 0 (the plateau ends,
    circuit formation shows in the test set); ``t_grok``: test accuracy first ≥ 0.95. Memorization is
    ``[0, t_mem)``, plateau ``[t_mem, t_rise)``, circuit formation ``[t_rise, t_grok)``, generalization
    after ``t_grok``. A boundary never reached is None. Chapter 5 locates the same phases from the
    Fourier progress measures instead, which see circuit formation earlier than the test set does.
    """
    step, train_acc, test_acc = history["step"], history["train_acc"], history["test_acc"]
    first = lambda mask: int(step[np.argmax(mask)]) if mask.any() else None  # noqa: E731
    t_mem = first(train_acc >= MEMORIZE_THRESHOLD)
    t_grok = first(test_acc >= GROK_THRESHOLD)
    chance = float(test_acc[0])
    t_rise = None
    if t_mem is not None:
        t_rise = first((step >= t_mem) & (test_acc > chance + rise * (1 - chance)))
    return {"t_mem": t_mem, "t_rise": t_rise, "t_grok": t_grok}


def shade_phases(ax: Axes, history: History, label: bool = True) -> None:
    """Shade memorization / plateau / circuit formation / generalization behind a curve."""
    b = phase_boundaries(history)
    end = float(history["step"][-1])
    edges = [1.0, b["t_mem"], b["t_rise"], b["t_grok"], end]
    for name, lo, hi in zip(PHASE_COLORS, edges[:-1], edges[1:]):
        if lo is None:
            break
        hi = end if hi is None else hi
        if hi > lo:
            ax.axvspan(max(lo, 1.0), hi, color=PHASE_COLORS[name], alpha=0.6, lw=0, label=name if label else None)


def plot_curves(history: History, fig: Figure | None = None, title: str | None = None,
                phases: bool = True) -> Figure:
    """Accuracy (left) and loss (right) against optimisation step on a log axis, train and test,
    with the phases shaded and t_mem, t_grok marked."""
    fig = fig if fig is not None else plt.figure(figsize=(11, 3.6))
    fig.clear()
    ax_acc, ax_loss = fig.subplots(1, 2)
    mask = history["step"] >= 1
    step = history["step"][mask]
    if not mask.any():  # only step 0 so far (a live plot's first frame): nothing to put on a log axis
        return fig
    for ax, metric, ylabel in ((ax_acc, "acc", "accuracy"), (ax_loss, "loss", "loss")):
        if phases:
            shade_phases(ax, history, label=ax is ax_acc)
        ax.plot(step, history[f"train_{metric}"][mask], color=TRAIN_COLOR, label="train")
        ax.plot(step, history[f"test_{metric}"][mask], color=TEST_COLOR, label="test")
        ax.set_xscale("log")
        ax.set_xlabel("optimisation step")
        ax.set_ylabel(ylabel)
    ax_loss.set_yscale("log")
    b = phase_boundaries(history)
    for key, style in (("t_mem", ":"), ("t_grok", "--")):
        if b[key] is not None:
            ax_acc.axvline(b[key], color="k", ls=style, lw=1)
            ax_acc.annotate(f"{key} = {b[key]}", (b[key], 0.5), rotation=90, fontsize=8,
                            xytext=(3, 0), textcoords="offset points")
    ax_acc.set_ylim(-0.02, 1.02)
    ax_acc.legend(fontsize=8, loc="upper left")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_metric(histories: list[History], column: str, labels: list[str] | None = None, ax: Axes | None = None,
                ylabel: str | None = None, logy: bool = False) -> Axes:
    """One column of several histories against step (log axis): e.g. test accuracy with and without
    weight decay, or the weight norm."""
    ax = ax if ax is not None else plt.figure(figsize=(5.5, 3.6)).gca()
    for i, h in enumerate(histories):
        mask = h["step"] >= 1
        ax.plot(h["step"][mask], h[column][mask], label=labels[i] if labels else None)
    ax.set_xscale("log")
    if logy:
        ax.set_yscale("log")
    ax.set_xlabel("optimisation step")
    ax.set_ylabel(ylabel or column.replace("_", " "))
    if labels:
        ax.legend(fontsize=8)
    return ax
