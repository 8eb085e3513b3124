"""The race between methods (steps to grok per seed, censored runs shown at the budget) and the
singular values of a weight matrix over training."""
from __future__ import annotations

from typing import Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes

from grokbook.diagnostics.race import RaceEntry
from grokbook.diagnostics.updates import singular_values
from grokbook.history import History

__all__ = ["plot_race", "plot_singular_values"]


def plot_race(entries: Sequence[RaceEntry], *, labels: Sequence[str] | None = None, ax: Axes | None = None,
              title: str | None = None) -> Axes:
    """One row per method: every seed's steps to grok as a dot, the censored median as a bar, a seed
    that never grokked as an open triangle at the budget with ``k/n never`` beside it. ``labels`` name
    the rows (default: the method and its value)."""
    if labels is not None and len(labels) != len(entries):
        raise ValueError(f"got {len(entries)} entries but {len(labels)} labels")
    ax = ax if ax is not None else plt.figure(figsize=(6.5, 0.6 + 0.55 * len(entries))).gca()
    budget = max(e.budget for e in entries)
    for i, e in enumerate(entries):
        done = np.isfinite(e.steps)
        ax.scatter(e.steps[done], np.full(done.sum(), i), s=22, color=f"C{i}", zorder=3)
        if np.isfinite(e.median):
            ax.plot([e.median] * 2, [i - 0.3, i + 0.3], color=f"C{i}", lw=2.5)
        if (~done).any():
            ax.scatter([budget], [i], marker=">", facecolors="none", edgecolors=f"C{i}", s=40)
            ax.annotate(f"{(~done).sum()}/{len(e.steps)} never", (budget, i), fontsize=7,
                        xytext=(6, -3), textcoords="offset points", color=f"C{i}")
    ax.axvline(budget, color="k", lw=0.8, ls=":")
    if labels is None:
        labels = [f"{e.method} (lr {e.value:g})" if isinstance(e.value, (int, float)) else f"{e.method} ({e.value})"
                  for e in entries]
    ax.set_yticks(range(len(entries)), labels)
    ax.set_xscale("log")
    ax.set_xlabel("optimisation steps to 95% test accuracy (bar: censored median)")
    ax.set_ylim(-0.6, len(entries) - 0.4)
    if title:
        ax.set_title(title)
    return ax


def plot_singular_values(histories: Sequence[History], column: str, labels: Sequence[str], *,
                         k: int = 8, ax: Axes | None = None) -> Axes:
    """The top ``k`` singular values of the matrix logged in ``column`` over the logged steps, one colour
    per history (the largest solid, the others thinner)."""
    if len(histories) != len(labels):
        raise ValueError(f"got {len(histories)} histories but {len(labels)} labels")
    ax = ax if ax is not None else plt.figure(figsize=(5.5, 3.6)).gca()
    for i, (h, label) in enumerate(zip(histories, labels)):
        s = singular_values(np.asarray(h[column]))[:, :k]
        steps = np.maximum(h["step"], 1)
        ax.plot(steps, s[:, 0], color=f"C{i}", lw=1.8, label=label)
        ax.plot(steps, s[:, 1:], color=f"C{i}", lw=0.6, alpha=0.6)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("optimisation step")
    ax.set_ylabel(f"top {k} singular values of {column}")
    ax.legend(fontsize=8)
    return ax
