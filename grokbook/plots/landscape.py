"""Figures of the landscape chapter: norms against the number of training pairs, the free energy along a
path for several tilts λ, the two branches of a hysteresis ladder, and times against a swept setting with the fitted power law. They draw, never
compute: the numbers come from ``grokbook.diagnostics.landscape`` and ``grokbook.diagnostics.scaling``."""
from __future__ import annotations

from typing import Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes

__all__ = ["plot_branches", "plot_norm_scaling", "plot_path_energy", "plot_profiles", "plot_time_law"]


def plot_norm_scaling(n_train: dict[str, np.ndarray], norms: dict[str, np.ndarray],
                      fits: dict[str, dict] | None = None, *, flat: dict[str, float] | None = None,
                      ax: Axes | None = None, ylabel: str = "norm") -> Axes:
    """Log–log norm against N, one series per key (dots), its fitted power law (line, exponent and CI in
    the legend), and N-independent references in ``flat`` (dashed horizontal lines)."""
    ax = ax if ax is not None else plt.figure(figsize=(5.5, 3.8)).gca()
    fits = fits or {}
    for name, n in n_train.items():
        n, v = np.asarray(n, float), np.asarray(norms[name], float)
        dots = ax.scatter(n, v, s=14, alpha=0.7)
        fit = fits.get(name)
        label = name
        if fit is not None and np.isfinite(fit["exponent"]):
            grid = np.geomspace(n.min(), n.max(), 50)
            lo, hi = fit["ci"]
            label = f"{name}: N^{fit['exponent']:.2f} [{lo:.2f}, {hi:.2f}]"
            ax.plot(grid, fit["prefactor"] * grid ** fit["exponent"], color=dots.get_facecolor()[0])
        dots.set_label(label)
    for (name, value), style in zip((flat or {}).items(), ("--", ":", "-.", (0, (1, 3)))):
        ax.axhline(value, ls=style, lw=1.2, color="k", alpha=0.7, label=f"{name}: {value:.1f}")
    ax.set_xscale("log"); ax.set_yscale("log")
    ax.set_xlabel("training pairs N"); ax.set_ylabel(ylabel)
    ax.legend(fontsize=8)
    return ax


def plot_path_energy(s: np.ndarray, energies: dict[float, np.ndarray], *, ax: Axes | None = None,
                     start: str = "memorizer", end: str = "generalizer") -> Axes:
    """``F_λ(s) − F_λ(0)`` along a path ``s ∈ [0, 1]``, one curve per tilt λ (the key)."""
    ax = ax if ax is not None else plt.figure(figsize=(5.5, 3.8)).gca()
    for lam, e in energies.items():
        e = np.asarray(e, float)
        ax.plot(s, e - e[0], label=f"λ = {lam:.2g}")
    ax.axhline(0, color="k", lw=0.6)
    ax.set_xticks([0, 0.5, 1], [f"0\n{start}", "0.5", f"1\n{end}"])
    ax.set_xlabel("position on the straight path s"); ax.set_ylabel("F_λ(s) − F_λ(0)  (loss units)")
    ax.legend(fontsize=8)
    return ax


def plot_time_law(x: Sequence[float], times: np.ndarray, censored: np.ndarray, fit: dict, *,
                  xlabel: str, ylabel: str = "t_grok − t_mem (steps)", reference: float | None = -1.0,
                  ax: Axes | None = None, label: str | None = None) -> Axes:
    """Times against a swept setting on log–log axes: finished runs as dots, censored runs as open
    triangles at their lower bound, the fitted power law, and a reference slope through the fit's centre."""
    ax = ax if ax is not None else plt.figure(figsize=(5.5, 3.8)).gca()
    x, t, c = np.asarray(x, float), np.asarray(times, float), np.asarray(censored, bool)
    dots = ax.scatter(x[~c], t[~c], s=14, alpha=0.7, label=label)
    color = dots.get_facecolor()[0]
    ax.scatter(x[c], t[c], marker="^", facecolors="none", edgecolors=color, label="censored (lower bound)")
    if np.isfinite(fit["exponent"]):
        grid = np.geomspace(x.min(), x.max(), 50)
        lo, hi = fit["ci"]
        ax.plot(grid, fit["prefactor"] * grid ** fit["exponent"], color=color,
                label=f"fit: exponent {fit['exponent']:.2f} [{lo:.2f}, {hi:.2f}]")
        if reference is not None:
            mid = np.sqrt(x.min() * x.max())
            centre = fit["prefactor"] * mid ** fit["exponent"]
            ax.plot(grid, centre * (grid / mid) ** reference, "k:", label=f"slope {reference:g}")
    ax.set_xscale("log"); ax.set_yscale("log")
    ax.set_xlabel(xlabel); ax.set_ylabel(ylabel)
    ax.legend(fontsize=7)
    return ax


def plot_branches(ladder: Sequence[float], branches: dict[str, np.ndarray], *, ylabel: str,
                  ax: Axes | None = None, xlabel: str = "weight decay λ of the continuation",
                  window: tuple[float, float] | None = None) -> Axes:
    """A hysteresis ladder: for each branch (key: its start), the end value at every rung, one dot per
    seed (rows of ``(n_seeds, n_rungs)``) and the mean as a line; ``window`` shades ``[low, high]``.
    The λ axis is linear below 0.1 and logarithmic above it, so that λ = 0 can be drawn."""
    ax = ax if ax is not None else plt.figure(figsize=(5.5, 3.8)).gca()
    lams = np.asarray(ladder, float)
    for (name, values), marker in zip(branches.items(), ("o", "s", "^", "D")):
        v = np.atleast_2d(np.asarray(values, float))
        line, = ax.plot(lams, v.mean(0), marker=marker, label=f"from the {name}")
        for row in v:
            ax.scatter(lams, row, s=10, alpha=0.5, color=line.get_color())
    if window is not None and np.all(np.isfinite(window)):
        ax.axvspan(*window, color="0.85", zorder=0, label="branches disagree")
    ax.set_xscale("symlog", linthresh=0.1)
    ax.set_xlabel(xlabel); ax.set_ylabel(ylabel)
    ax.legend(fontsize=8)
    return ax


def plot_profiles(profiles: dict[str, tuple[np.ndarray, np.ndarray]], *, xlabel: str, ylabel: str,
                  ax: Axes | None = None, log_y: bool = False) -> Axes:
    """Several profiles on one axis, each ``name: (x, y)`` (e.g. the loss along the straight path and
    along the trained path, both over their own progress ``s ∈ [0, 1]``)."""
    ax = ax if ax is not None else plt.figure(figsize=(5.5, 3.8)).gca()
    for name, (x, y) in profiles.items():
        ax.plot(np.asarray(x, float), np.asarray(y, float), label=name)
    if log_y:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel); ax.set_ylabel(ylabel)
    ax.legend(fontsize=8)
    return ax
