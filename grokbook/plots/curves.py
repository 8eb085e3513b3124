"""Training curves: accuracy and loss of one run on a log-step axis, grokking's phases shaded."""
from __future__ import annotations

import matplotlib.pyplot as plt
from matplotlib.figure import Figure

from grokbook.diagnostics.phases import phase_boundaries
from grokbook.history import History
from grokbook.plots.steps import (CURVE_PHASE_COLORS, TEST_COLOR, TRAIN_COLOR, positive_steps, plot_metric,
                                  shade_phases, step_axis)

__all__ = ["CURVE_PHASE_COLORS", "phase_boundaries", "plot_curves", "plot_metric", "shade_phases"]

# Re-exported for the imports that name this module: the same objects as in grokbook.plots.steps.
PHASE_COLORS = CURVE_PHASE_COLORS


def plot_curves(history: History, fig: Figure | None = None, title: str | None = None,
                phases: bool = True) -> Figure:
    """Accuracy (left) and loss (right) against optimisation step on a log axis, train and test,
    with the phases shaded and t_mem, t_grok marked."""
    fig = fig if fig is not None else plt.figure(figsize=(11, 3.6))
    fig.clear()
    ax_acc, ax_loss = fig.subplots(1, 2)
    mask, step = positive_steps(history)
    if not mask.any():  # only step 0 so far (a live plot's first frame): nothing to put on a log axis
        return fig
    for ax, metric, ylabel in ((ax_acc, "acc", "accuracy"), (ax_loss, "loss", "loss")):
        if phases:
            shade_phases(ax, history, label=ax is ax_acc)
        ax.plot(step, history[f"train_{metric}"][mask], color=TRAIN_COLOR, label="train")
        ax.plot(step, history[f"test_{metric}"][mask], color=TEST_COLOR, label="test")
        step_axis(ax, ylabel)
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
