"""Training curves on a log-step axis, with grokking's phases shaded."""
from __future__ import annotations

import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from grokbook.diagnostics.phases import CURVE_PHASES, curve_phases, phase_boundaries
from grokbook.history import History

__all__ = ["PHASE_COLORS", "phase_boundaries", "plot_curves", "plot_metric", "shade_phases"]

# phase_boundaries is computed in grokbook.diagnostics.phases and re-exported here for old imports
PHASE_COLORS = dict(zip(CURVE_PHASES, ("#f4cccc", "#fff2cc", "#d9ead3", "#cfe2f3")))
TRAIN_COLOR, TEST_COLOR = "#1f77b4", "#d62728"


def shade_phases(ax: Axes, history: History, label: bool = True) -> None:
    """Shade the curve's phases (fit / plateau / test rise / generalized, see
    :func:`grokbook.diagnostics.phases.curve_phases`) behind a curve on a log-step axis."""
    for name, lo, hi in curve_phases(history):
        if hi > max(lo, 1.0):
            ax.axvspan(max(lo, 1.0), hi, color=PHASE_COLORS[name], alpha=0.6, lw=0,
                       label=name if label else None)


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
