"""The rank-bottleneck sweep of chapter 6: steps to grok and final accuracies against the bottleneck's
rank, one dot per seed at each rank's tuned learning rate. It draws finished runs and never trains."""
from __future__ import annotations

from typing import Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes

from grokbook.plots.curves import TEST_COLOR, TRAIN_COLOR


def plot_rank_sweep(ranks: Sequence[int], t_grok: Sequence[Sequence[float]], budget: int,
                    train_acc: Sequence[Sequence[float]], test_acc: Sequence[Sequence[float]], *,
                    axes: Sequence[Axes] | None = None, labels: Sequence[str] | None = None) -> list[Axes]:
    """Left: steps to grok per seed against rank (log–log); a run that never grokked is an open triangle
    at ``budget``. Right: final train and test accuracy per seed. ``labels`` name the x ticks (the
    no-bottleneck network, say)."""
    if not len(ranks) == len(t_grok) == len(train_acc) == len(test_acc):
        raise ValueError("ranks, t_grok, train_acc and test_acc must have one entry per rank, got lengths "
                         f"{len(ranks)}, {len(t_grok)}, {len(train_acc)}, {len(test_acc)}")
    if axes is None:
        axes = plt.subplots(1, 2, figsize=(11, 3.6))[1]
    ax_t, ax_a = axes
    x = np.asarray(ranks, dtype=float)
    for xi, times, tr, te in zip(x, t_grok, train_acc, test_acc):
        times = np.asarray(times, dtype=float)
        done = times <= budget
        ax_t.plot([xi] * done.sum(), times[done], "o", color=TEST_COLOR, ms=5)
        ax_t.plot([xi] * (~done).sum(), [budget] * (~done).sum(), "^", mfc="none", color="k", ms=6)
        ax_a.plot([xi] * len(tr), tr, "s", color=TRAIN_COLOR, ms=5, alpha=0.7)
        ax_a.plot([xi] * len(te), te, "o", color=TEST_COLOR, ms=5, alpha=0.7)
    ax_t.plot([], [], "o", color=TEST_COLOR, label="steps to grok")
    ax_t.plot([], [], "^", mfc="none", color="k", label=f"not grokked by step {budget}")
    ax_a.plot([], [], "s", color=TRAIN_COLOR, label="train")
    ax_a.plot([], [], "o", color=TEST_COLOR, label="test")
    ax_t.set(yscale="log", ylabel="steps to grok (test acc. ≥ 95%)")
    ax_a.set(ylabel="final accuracy", ylim=(-0.03, 1.03))
    for ax in (ax_t, ax_a):
        ax.set_xscale("log", base=2)
        ax.set_xticks(x, labels if labels is not None else [str(r) for r in ranks])
        ax.set_xlabel("rank of the bottleneck")
        ax.legend(fontsize=7)
    return [ax_t, ax_a]


__all__ = ["plot_rank_sweep"]
