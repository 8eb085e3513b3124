"""Steps to grok over a sweep, with the runs that never grokked shown as censored, not dropped."""
from __future__ import annotations

from typing import Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes

from grokbook.diagnostics.phases import censored_median

__all__ = ["plot_censored"]


def plot_censored(x: Sequence[float], samples: np.ndarray, budget: float, *, xlabel: str, ylabel: str,
                  label: str | None = None, ax: Axes | None = None, color: str | None = None) -> Axes:
    """One row of ``samples`` (runs, NaN = never within ``budget``) per ``x``: every run as a dot, the
    censored ones as open triangles at the budget line, and the censored median as a line (drawn
    only where more than half of the runs got there); ``k/n never`` is written above each censored row."""
    ax = ax if ax is not None else plt.figure(figsize=(5.5, 3.8)).gca()
    samples = np.asarray(samples, dtype=float)
    median = censored_median(samples)
    line = ax.plot(x, np.where(np.isfinite(median), median, np.nan), "o-", label=label, color=color)[0]
    for xi, row in zip(x, samples):
        done = np.isfinite(row)
        ax.scatter(np.full(done.sum(), xi), row[done], s=12, color=line.get_color(), alpha=0.5)
        if (~done).any():
            ax.scatter([xi], [budget], marker="^", facecolors="none", edgecolors=line.get_color())
            ax.annotate(f"{(~done).sum()}/{len(row)} never", (xi, budget), fontsize=7, ha="center",
                        xytext=(0, 6), textcoords="offset points", color=line.get_color())
    ax.axhline(budget, color="k", lw=0.8, ls=":")
    ax.set_yscale("log")
    if not np.isfinite(samples).any():  # every run censored: give the log axis a range
        ax.set_ylim(budget / 10, budget * 2)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    return ax
