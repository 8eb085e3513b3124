"""Figures of chapter 6 (manifold discovery): quantities over training, the TwoNN calibration curve, loop
tests against their null, persistence diagrams, Betti curves, point clouds in a frequency plane. They draw
finished results and never train."""
from __future__ import annotations

from typing import Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from grokbook.diagnostics.topology import betti_curve
from grokbook.plots.steps import TEST_COLOR, TRAIN_COLOR, positive_steps, plot_metric, step_axis
from grokbook.history import History

BETTI_COLORS = {0: "#1f77b4", 1: "#d62728"}


# One metric-over-steps plot: chapter 6's name for grokbook.plots.steps.plot_metric (the same function).
plot_over_training = plot_metric


def plot_calibration(dims: Sequence[int], readings: Sequence[float], n_points: int, *, ax: Axes | None = None,
                     observed: Sequence[float] | None = None) -> Axes:
    """TwoNN's reading on Gaussian clouds of known dimension against that dimension (the calibration curve at
    ``n_points``), the identity line, and the range of ``observed`` readings as a shaded band."""
    ax = ax if ax is not None else plt.figure(figsize=(4.5, 3.6)).gca()
    dims, readings = np.asarray(dims, dtype=float), np.asarray(readings, dtype=float)
    if dims.shape != readings.shape or dims.ndim != 1:
        raise ValueError(f"dims and readings must be 1-D and of equal length, got {dims.shape} and {readings.shape}")
    ax.plot(dims, dims, color="k", ls=":", lw=1, label="reading = true dimension")
    ax.plot(dims, readings, "o-", color=TEST_COLOR, label=f"Gaussian clouds, N = {n_points}")
    if observed is not None and len(observed):
        ax.axhspan(float(np.min(observed)), float(np.max(observed)), color=TRAIN_COLOR, alpha=0.25,
                   label="hidden layer, over training")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("true dimension of the cloud")
    ax.set_ylabel("TwoNN reading (dimension)")
    ax.set_title(f"TwoNN saturates: calibration at N = {n_points}", fontsize=9)
    ax.legend(fontsize=7)
    return ax


def plot_loop_ratios(ratios: Sequence[float], labels: Sequence[str], *, margin: float, ax: Axes | None = None,
                     title: str | None = None) -> Axes:
    """The longest loop of each cloud divided by the longest loop of its null clouds (bars), with the
    ``margin`` a loop must beat (``significant_loops``): bars above the dashed line are loops."""
    ax = ax if ax is not None else plt.figure(figsize=(6, 3.4)).gca()
    ratios = np.asarray(ratios, dtype=float)
    if len(ratios) != len(labels):
        raise ValueError(f"ratios and labels must have equal length, got {len(ratios)} and {len(labels)}")
    colors = [BETTI_COLORS[1] if r > margin else "0.6" for r in ratios]
    ax.bar(np.arange(len(ratios)), ratios, color=colors)
    ax.axhline(margin, color="k", ls="--", lw=1, label=f"a loop: > {margin:g} × the null's longest")
    ax.set_xticks(np.arange(len(ratios)), labels, rotation=60, ha="right", fontsize=7)
    ax.set_ylabel("longest H₁ bar / null's longest")
    ax.legend(fontsize=7)
    if title:
        ax.set_title(title, fontsize=9)
    return ax


def plot_persistence_diagram(diagram: np.ndarray, *, ax: Axes | None = None, min_persistence: float | None = None,
                             title: str | None = None) -> Axes:
    """Birth against death of every bar (H₀ blue, H₁ red). Bars that never die sit on the dashed top line;
    with ``min_persistence`` the band of short-lived bars (noise) is shaded above the diagonal."""
    ax = ax if ax is not None else plt.figure(figsize=(3.6, 3.6)).gca()
    diagram = np.asarray(diagram, dtype=float)
    finite = diagram[np.isfinite(diagram[:, 1])]
    top = 1.05 * (finite[:, 1].max() if len(finite) else 1.0)
    ax.plot([0, top], [0, top], color="k", lw=0.8)
    if min_persistence is not None:
        ax.fill_between([0, top], [0, top], [min_persistence, top + min_persistence], color="0.85",
                        label=f"lifetime < {min_persistence:.3g}")
    for k, color in BETTI_COLORS.items():
        bars = diagram[diagram[:, 2] == k]
        deaths = np.where(np.isfinite(bars[:, 1]), bars[:, 1], top)
        ax.scatter(bars[:, 0], deaths, s=12, color=color, label=f"H{k} ({len(bars)} bars)", zorder=3)
    ax.axhline(top, color="k", ls="--", lw=0.8)
    ax.set_xlim(-0.02 * top, top)
    ax.set_ylim(-0.02 * top, top * 1.04)
    ax.set_xlabel("birth scale ε (distance)")
    ax.set_ylabel("death scale ε (distance)")
    ax.legend(fontsize=7, loc="lower right")
    if title:
        ax.set_title(title, fontsize=9)
    return ax


def plot_betti_curves(diagram: np.ndarray, *, ax: Axes | None = None, n_points: int = 200,
                      title: str | None = None) -> Axes:
    """β₀(ε) and β₁(ε): the number of components and loops of the Rips complex at each scale ε."""
    ax = ax if ax is not None else plt.figure(figsize=(4.5, 3.4)).gca()
    diagram = np.asarray(diagram, dtype=float)
    finite = diagram[np.isfinite(diagram[:, 1]), 1]
    eps = np.linspace(0, 1.05 * (finite.max() if len(finite) else 1.0), n_points)
    for k, color in BETTI_COLORS.items():
        ax.plot(eps, betti_curve(diagram, k, eps), color=color, label=f"β{k}(ε)")
    ax.set_yscale("symlog", linthresh=1)
    ax.set_xlabel("scale ε (distance)")
    ax.set_ylabel("Betti number")
    ax.legend(fontsize=7)
    if title:
        ax.set_title(title, fontsize=9)
    return ax


def plot_plane(points: np.ndarray, *, ax: Axes | None = None, title: str | None = None) -> Axes:
    """Points in a plane (e.g. the tokens projected onto one frequency's plane), coloured by their index
    (the token a) on a cyclic colour map, so a circle traversed in order shows as a colour wheel."""
    ax = ax if ax is not None else plt.figure(figsize=(3.2, 3.2)).gca()
    points = np.asarray(points, dtype=float)
    sc = ax.scatter(points[:, 0], points[:, 1], c=np.arange(len(points)), cmap="hsv", s=12)
    ax.set_aspect("equal", adjustable="datalim")
    ax.set_xlabel("cos direction")
    ax.set_ylabel("sin direction")
    if title:
        ax.set_title(title, fontsize=9)
    return sc.axes


def plot_dimension_panel(history: History, fig: Figure) -> Figure:
    """Accuracy (left) and the logged TwoNN dimensions (right, every column starting with ``id``) against
    step: the figure of chapter 6's control panel."""
    fig.clear()
    ax_acc, ax_id = fig.subplots(1, 2)
    mask, steps = positive_steps(history)
    if not mask.any():
        return fig
    for column, color, label in (("train_acc", TRAIN_COLOR, "train"), ("test_acc", TEST_COLOR, "test")):
        ax_acc.plot(steps, history[column][mask], color=color, label=label)
    step_axis(ax_acc, "accuracy")
    ax_acc.legend(fontsize=8)
    for column in [c for c in history.keys() if c.startswith("id")]:
        ax_id.plot(steps, history[column][mask], label=column)
    step_axis(ax_id, "TwoNN intrinsic dimension")
    ax_id.legend(fontsize=8)
    fig.tight_layout()
    return fig


__all__ = ["plot_betti_curves", "plot_calibration", "plot_dimension_panel", "plot_loop_ratios",
           "plot_over_training", "plot_persistence_diagram", "plot_plane"]
