"""Figures of chapter 9: a test-free signal over training with grokking and firing marked, detectors'
operating curves and lead times, and the repulsion sign match against its random null."""
from __future__ import annotations

from typing import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes

from grokbook.history import Run

__all__ = ["GROUP_COLORS", "plot_detector_scores", "plot_sign_match", "plot_signal"]

GROUP_COLORS = ("#d62728", "#1f77b4", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b")


def plot_signal(groups: Mapping[str, Sequence[Run]], column: str, *, ax: Axes | None = None,
                fires: Mapping[str, Sequence[int | None]] | None = None, ylabel: str | None = None,
                log: bool = False) -> Axes:
    """``column`` over epochs for every run, one colour per group; a dotted line at each run's
    ``steps_to_grok`` and a cross where its detector fired (``fires``: per group, one step or None
    per run, as :func:`grokbook.diagnostics.detectors.score` returns)."""
    ax = ax if ax is not None else plt.figure(figsize=(6, 3.4)).gca()
    for color, (label, runs) in zip(GROUP_COLORS, groups.items()):
        for i, run in enumerate(runs):
            h = run.history
            steps, values = np.asarray(h["step"]), np.asarray(h[column], float)
            keep = np.isfinite(values)
            ax.plot(steps[keep], values[keep], color=color, lw=1, alpha=0.8, label=label if i == 0 else None)
            if run.steps_to_grok is not None:
                ax.axvline(run.steps_to_grok, color=color, ls=":", lw=0.8)
            fire = (fires or {}).get(label, [None] * len(runs))[i]
            if fire is not None:
                ax.plot([fire], [h.at(column, fire)], "x", color=color, ms=8, mew=2)
    if log:
        ax.set_yscale("log")
    ax.set_xlabel("epoch (full-batch step)")
    ax.set_ylabel(ylabel or column)
    ax.legend(fontsize=8)
    return ax


def plot_detector_scores(curves: Mapping[str, np.ndarray], leads: Mapping[str, np.ndarray],
                         axes: Sequence[Axes] | None = None) -> Sequence[Axes]:
    """Left: each detector's operating curve over its thresholds (false-alarm rate against hit rate,
    from :func:`grokbook.diagnostics.detectors.sweep`), the diagonal a coin. Right: the lead time
    ``t_grok − t_fire`` of each grokking run at the detector's stated threshold (none drawn where it
    did not fire; below 0: it fired after grokking)."""
    if axes is None:
        axes = plt.figure(figsize=(11, 3.8)).subplots(1, 2)
    ax_roc, ax_lead = axes
    ax_roc.plot([0, 1], [0, 1], color="gray", ls=":", lw=1)
    for color, (name, curve) in zip(GROUP_COLORS, curves.items()):
        jitter = 0.01 * (list(curves).index(name) - len(curves) / 2)
        ax_roc.plot(curve[:, 0] + jitter, curve[:, 1] + jitter, "o-", color=color, ms=4, label=name)
    ax_roc.set_xlim(-0.05, 1.05)
    ax_roc.set_ylim(-0.05, 1.05)
    ax_roc.set_xlabel("false-alarm rate (controls that fired)")
    ax_roc.set_ylabel("hit rate (grokking runs that fired)")
    ax_roc.set_title("operating curves over thresholds", fontsize=9)
    ax_roc.legend(fontsize=7)
    for i, (color, (name, lead)) in enumerate(zip(GROUP_COLORS, leads.items())):
        lead = np.asarray(lead, float)
        lead = lead[np.isfinite(lead)]
        ax_lead.plot(np.full(len(lead), i), lead, "o", color=color, alpha=0.7)
    ax_lead.axhline(0, color="k", lw=0.8)
    ax_lead.set_xticks(range(len(leads)), list(leads), rotation=20, fontsize=8)
    ax_lead.set_xlim(-0.5, len(leads) - 0.5)
    ax_lead.set_ylabel("lead time t_grok − t_fire (epochs)")
    ax_lead.set_title("lead at the stated threshold (above 0: a warning)", fontsize=9)
    return axes


def plot_sign_match(groups: Mapping[str, Sequence[Run]], column: str, null: float, *,
                    ax: Axes | None = None) -> Axes:
    """The sign match of Tian's repulsion matrix over epochs per run (logged ``column``), with the
    same statistic on random Gaussian features (``null``) as a horizontal line."""
    ax = plot_signal(groups, column, ax=ax, ylabel="sign match, top-200 pairs")
    ax.axhline(null, color="k", ls="--", lw=1, label="random features (null)")
    ax.set_ylim(min(ax.get_ylim()[0], null - 0.05), 1.02)
    ax.legend(fontsize=8)
    return ax
