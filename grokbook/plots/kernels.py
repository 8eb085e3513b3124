"""Lazy → rich figures: losses against the kernel baseline, kernel movement and alignment, timescales."""
from __future__ import annotations

from typing import Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from grokbook.history import History
from grokbook.plots.steps import positive_steps

__all__ = ["plot_kernel_panel", "plot_lazy_rich", "plot_timescales"]


def plot_lazy_rich(histories: Sequence[History], labels: Sequence[str], *, lazy: dict | None = None,
                   kernel_loss: float | None = None, loss: str = "loss", fig: Figure | None = None,
                   title: str | None = None) -> Figure:
    """Three panels against optimisation step (log axis), one colour per history:
    train (dashed) and test (solid) loss, with the linearised network's curves (``lazy``: a dict with
    ``step``, ``train_loss``, ``test_loss``, drawn in black) and the test loss of kernel regression
    with K₀ (``kernel_loss``, a red line); relative kernel change ‖K_t − K₀‖_F/‖K₀‖_F; centred
    kernel–target alignment. The last two need the ``ntk`` diagnostic columns."""
    fig = fig if fig is not None else plt.figure(figsize=(13, 3.8))
    fig.clear()
    ax_loss, ax_change, ax_align = fig.subplots(1, 3)
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for i, (h, label) in enumerate(zip(histories, labels)):
        (mask, step), color = positive_steps(h), colors[i % len(colors)]
        if not mask.any():
            continue
        ax_loss.plot(step, h["train_loss"][mask], ls="--", color=color, lw=1.2)
        ax_loss.plot(step, h["test_loss"][mask], color=color, lw=1.8, label=label)
        if "ntk.kernel_change" in h:
            ax_change.plot(step, h["ntk.kernel_change"][mask], color=color, label=label)
            ax_align.plot(step, h["ntk.alignment"][mask], color=color, label=label)
    if lazy is not None:
        mask, lazy_step = positive_steps(lazy)
        ax_loss.plot(lazy_step, lazy["train_loss"][mask], color="k", ls="--", lw=1)
        ax_loss.plot(lazy_step, lazy["test_loss"][mask], color="k", lw=1,
                     label="linearised net (K₀)")
    if kernel_loss is not None:
        ax_loss.axhline(kernel_loss, color="#d62728", lw=1, ls=":", label="K₀ regression, test")
    ax_loss.set_yscale("log")
    ax_loss.set_ylabel(f"{loss} (dashed: train, solid: test)")
    ax_change.set_yscale("log")
    ax_change.set_ylabel("kernel change ‖K_t − K₀‖ / ‖K₀‖")
    ax_align.set_ylabel("centred kernel–target alignment")
    for ax in (ax_loss, ax_change, ax_align):
        ax.set_xscale("log")
        ax.set_xlabel("optimisation step")
    for ax in (ax_loss, ax_align):
        if ax.get_legend_handles_labels()[1]:  # a live plot's first frame has nothing to label yet
            ax.legend(fontsize=7)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_timescales(alphas: Sequence[float], tau_readout: Sequence[float], tau_features: Sequence[float], *,
                    ax: Axes | None = None, labels: tuple[str, str] = ("τ_readout", "τ_features"),
                    extra: dict[str, Sequence[float]] | None = None) -> Axes:
    """τ_readout and τ_features (optimisation steps; named by ``labels``) and any ``extra`` series (name →
    values) against the output scale α on log–log axes, each with its fitted power law ``τ ∝ α^s`` in
    the legend (points that never crossed, NaN or inf, are left out)."""
    ax = ax if ax is not None else plt.figure(figsize=(5.5, 3.8)).gca()
    alphas = np.asarray(alphas, float)
    series = [(tau_readout, labels[0], "o"), (tau_features, labels[1], "s")]
    series += [(values, name, "^") for name, values in (extra or {}).items()]
    for values, name, marker in series:
        values = np.asarray(values, float)
        ok = np.isfinite(values)
        label = name
        if ok.sum() >= 2:
            slope = np.polyfit(np.log(alphas[ok]), np.log(values[ok]), 1)[0]
            label = f"{name} ∝ α^{round(slope, 2) + 0.0:.2f}"  # + 0.0 turns −0.00 into 0.00
        ax.plot(alphas[ok], values[ok], marker=marker, label=label)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("output scale α")
    ax.set_ylabel("timescale (optimisation steps)")
    ax.legend(fontsize=8)
    return ax


def plot_kernel_panel(history: History, fig: Figure) -> Figure:
    """The widget's live figure: train/test loss, kernel change and alignment of one run."""
    return plot_lazy_rich([history], ["this run"], fig=fig)
