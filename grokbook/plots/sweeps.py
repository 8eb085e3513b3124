"""Sweeps: a quantity over a grid of settings as a heatmap, or over one setting with error bars."""
from __future__ import annotations

from typing import Sequence

import matplotlib.pyplot as plt
import numpy as np
import seaborn as sns
from matplotlib.axes import Axes
from matplotlib.patches import Rectangle

__all__ = ["plot_errorbars", "plot_heatmap"]


def plot_heatmap(values: np.ndarray, row_values: Sequence, col_values: Sequence, *, row_label: str,
                 col_label: str, value_label: str, ax: Axes | None = None, fmt: str = ".2g",
                 cmap: str = "viridis", annot: bool = True, censored_label: str | None = None,
                 **kwargs) -> Axes:
    """``values[i, j]`` for setting ``row_values[i]`` × ``col_values[j]`` as a seaborn heatmap; NaN cells
    (e.g. "never grokked") are left blank, or, with ``censored_label`` (e.g. ``"> 3000"``), hatched and
    labelled as censored at the budget rather than missing."""
    ax = ax if ax is not None else plt.figure(figsize=(6, 4.5)).gca()
    sns.heatmap(np.asarray(values, dtype=float), ax=ax, annot=annot, fmt=fmt, cmap=cmap,
                xticklabels=[f"{v:g}" if isinstance(v, float) else v for v in col_values],
                yticklabels=[f"{v:g}" if isinstance(v, float) else v for v in row_values],
                cbar_kws={"label": value_label}, **kwargs)
    if censored_label is not None:
        for i, j in zip(*np.nonzero(~np.isfinite(np.asarray(values, dtype=float)))):
            ax.add_patch(Rectangle((j, i), 1, 1, fill=False, hatch="//", edgecolor="0.6", lw=0))
            ax.text(j + 0.5, i + 0.5, censored_label, ha="center", va="center", fontsize=8, color="0.25")
    ax.set_xlabel(col_label)
    ax.set_ylabel(row_label)
    ax.invert_yaxis()
    return ax


def plot_errorbars(x: Sequence[float], samples: np.ndarray, *, xlabel: str, ylabel: str, ax: Axes | None = None,
                   label: str | None = None, logy: bool = True) -> Axes:
    """Mean ± standard deviation over the last axis of ``samples`` (one row per ``x``; NaN entries, e.g.
    seeds that never grokked, are left out and counted in the annotation), with the samples as dots."""
    ax = ax if ax is not None else plt.figure(figsize=(5.5, 3.8)).gca()
    samples = np.asarray(samples, dtype=float)
    mean = np.array([np.nanmean(r) if np.isfinite(r).any() else np.nan for r in samples])
    std = np.array([np.nanstd(r) if np.isfinite(r).any() else np.nan for r in samples])
    ax.errorbar(x, mean, yerr=std, marker="o", capsize=3, label=label)
    for xi, row in zip(x, samples):
        ok = np.isfinite(row)
        ax.scatter(np.full(ok.sum(), xi), row[ok], s=10, color="gray", alpha=0.6, zorder=3)
        if (~ok).any():
            ax.annotate(f"{(~ok).sum()}/{len(row)} never", (xi, np.nanmax(samples) if np.isfinite(samples).any() else 1),
                        fontsize=7, ha="center", xytext=(0, 6), textcoords="offset points")
    if logy:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    return ax
