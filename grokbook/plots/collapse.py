"""Softmax Collapse figures: accuracy, collapse fraction and NLM alignment on one time axis; the logit
margin against the precision's collapse line. They draw finished histories and never train."""
from __future__ import annotations

from typing import Sequence

import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from matplotlib.figure import Figure

import numpy as np

from grokbook.diagnostics.collapse import collapse_threshold, logit_scaling
from grokbook.history import History

__all__ = ["DTYPE_COLORS", "plot_collapse", "plot_logit_scaling", "plot_margin"]

DTYPE_COLORS = {"float16": "#2ca02c", "float32": "#d62728", "float64": "#1f77b4"}


def _as_list(histories: History | Sequence[History], labels: Sequence[str] | None) -> tuple[list[History], list]:
    histories = [histories] if isinstance(histories, History) else list(histories)
    if labels is not None and len(labels) != len(histories):
        raise ValueError(f"labels must name each of the {len(histories)} histories, got {len(labels)} labels")
    return histories, list(labels) if labels is not None else [None] * len(histories)


_THIRD = {"weight_norm": ("‖θ‖₂ (log scale)", "weight norm")}


def plot_collapse(histories: History | Sequence[History], labels: Sequence[str] | None = None,
                  fig: Figure | None = None, title: str | None = None, layer: str = "readout",
                  vertical: bool = True, logx: bool = True, third: str | None = None) -> Figure:
    """Three panels sharing the step axis (log scale): accuracy (test solid, train dashed), collapse
    fraction (solid) with the share of zero losses (dotted), and the NLM alignment ``cos(−∇_W L, W)`` of
    ``layer`` (Prieto et al. 2025, arXiv 2501.04697), stacked (``vertical``) or side by side; ``logx``
    puts the steps on a log axis. ``third="weight_norm"`` (or any other column) replaces the alignment
    panel. Needs the columns of ``collapse_diagnostics()``."""
    histories, labels = _as_list(histories, labels)
    column3 = third if third is not None else f"nlm.{layer}"
    for h in histories:
        for column in ("collapse.fraction", column3):
            if column not in h:
                raise ValueError(f"history has no column {column!r}: train with diagnostics=collapse_diagnostics()")
    fig = fig if fig is not None else plt.figure(figsize=(7.5, 7.5) if vertical else (11, 3.6))
    fig.clear()
    ax_acc, ax_sc, ax_nlm = fig.subplots(3, 1, sharex=True) if vertical else fig.subplots(1, 3, sharex=True)
    for i, (h, label) in enumerate(zip(histories, labels)):
        color = f"C{i}"
        mask = h["step"] >= (1 if logx else 0)
        if not mask.any():  # a live plot's first frame: only step 0, nothing to put on a log axis
            continue
        step = h["step"][mask]
        ax_acc.plot(step, h["test_acc"][mask], color=color, label=label)
        ax_acc.plot(step, h["train_acc"][mask], color=color, ls="--", lw=1)
        ax_sc.plot(step, h["collapse.fraction"][mask], color=color, label=label)
        if "collapse.zero_loss" in h:
            ax_sc.plot(step, h["collapse.zero_loss"][mask], color=color, ls=":", lw=1)
        ax_nlm.plot(step, h[column3][mask], color=color, label=label)
    for ax, ylabel, panel in ((ax_acc, "accuracy (test —, train --)", "accuracy"),
                              (ax_sc, "share of training samples", "collapse (—), loss exactly 0 (··)"),
                              (ax_nlm, *(_THIRD.get(column3, (column3, column3)) if third is not None
                                         else (f"cos(−∇L, W) of {layer}", "NLM alignment")))):
        ax.set_xscale("log" if logx else "linear")
        if not vertical or ax is ax_nlm:
            ax.set_xlabel("optimisation step")
        ax.set_ylabel(ylabel, fontsize=9)
        ax.set_title(panel, fontsize=10)
    ax_acc.set_ylim(-0.02, 1.02)
    ax_sc.set_ylim(-0.02, 1.02)
    if third is None:
        ax_nlm.set_ylim(-1.02, 1.02)
        ax_nlm.axhline(0, color="grey", lw=0.5)
    elif third == "weight_norm":
        ax_nlm.set_yscale("log")
    if any(label is not None for label in labels):
        ax_acc.legend(fontsize=8, loc="center right")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_margin(histories: History | Sequence[History], labels: Sequence[str] | None = None,
                ax: Axes | None = None, dtypes: Sequence[str] = ("float32", "float64"), logx: bool = True) -> Axes:
    """Median logit margin ``m = −log Σ_{k≠top} exp(z_k − z_top)`` of the training samples against step,
    with a horizontal line at ``−ln u`` for each of ``dtypes``: above its line a sample collapses in that
    precision (up to the summation order). ``logx`` puts the steps on a log axis."""
    histories, labels = _as_list(histories, labels)
    ax = ax if ax is not None else plt.figure(figsize=(5.5, 3.6)).gca()
    for i, (h, label) in enumerate(zip(histories, labels)):
        if "collapse.margin" not in h:
            raise ValueError("history has no column 'collapse.margin': train with diagnostics=collapse_diagnostics()")
        mask = h["step"] >= (1 if logx else 0)
        ax.plot(h["step"][mask], h["collapse.margin"][mask], color=f"C{i}", label=label)
    for dtype in dtypes:
        level = collapse_threshold(dtype)
        ax.axhline(level, color=DTYPE_COLORS.get(dtype, "k"), ls="--", lw=1)
        ax.annotate(f"{dtype} collapses: −ln u = {level:.1f}", (0.02, level), xycoords=("axes fraction", "data"),
                    xytext=(0, 3), textcoords="offset points", fontsize=8, color=DTYPE_COLORS.get(dtype, "k"))
    ax.set_xscale("log" if logx else "linear")
    ax.set_xlabel("optimisation step")
    ax.set_ylabel("median logit margin m (nats)")
    if any(label is not None for label in labels):
        ax.legend(fontsize=8, loc="lower right")
    return ax


def plot_logit_scaling(histories: History | Sequence[History], labels: Sequence[str] | None = None,
                       fig: Figure | None = None, column: str = "logits", window: int = 25) -> Figure:
    """How the logits move between successive logged steps (``logit_scaling``): left, the radial share
    ``cos(z_{t+1} − z_t, z_t)`` (1: pure scaling, naive loss minimisation; Prieto et al. 2025, arXiv
    2501.04697); middle, the growth ``‖z_{t+1}‖ / ‖z_t‖`` on a log axis; right, when the trainer recorded it
    (``record_update_norm=True``), the applied update's ``cos(Δθ, θ)`` per step, a running mean over
    ``window`` steps. Needs the ``logits`` column of ``collapse_diagnostics(logits=n)``."""
    histories, labels = _as_list(histories, labels)
    for h in histories:
        if column not in h:
            raise ValueError(f"history has no column {column!r}: train with collapse_diagnostics(logits=n)")
    fig = fig if fig is not None else plt.figure(figsize=(11, 3.4))
    fig.clear()
    ax_r, ax_g, ax_u = fig.subplots(1, 3)
    for i, (h, label) in enumerate(zip(histories, labels)):
        z, step = h[column], h["step"]
        pairs = [logit_scaling(a, b) for a, b in zip(z[:-1], z[1:])]
        ax_r.plot(step[1:], [p["radial"] for p in pairs], color=f"C{i}", label=label)
        ax_g.plot(step[1:], [p["growth"] for p in pairs], color=f"C{i}", label=label)
        if "update_cos" in h.per_step:
            cos = h.per_step["update_cos"]
            w = max(1, min(window, len(cos)))
            smooth = np.convolve(cos, np.ones(w) / w, mode="valid")
            ax_u.plot(np.arange(len(smooth)) + w, smooth, color=f"C{i}", label=label)
    for ax, ylabel, title in ((ax_r, "cos(Δz, z)", "radial share of the logit change"),
                              (ax_g, "‖z(t+1)‖ / ‖z(t)‖ (log scale)", "logit norm growth per logged interval"),
                              (ax_u, f"cos(Δθ, θ), mean of {window} steps", "applied update vs weights")):
        ax.set_xlabel("optimisation step")
        ax.set_ylabel(ylabel, fontsize=9)
        ax.set_title(title, fontsize=10)
        ax.axhline(1 if ax is ax_g else 0, color="grey", lw=0.5)
    ax_r.set_ylim(-1.02, 1.02)
    ax_g.set_yscale("log")  # the first interval grows the logits by orders of magnitude
    if any(label is not None for label in labels):
        ax_g.legend(fontsize=8)
    fig.tight_layout()
    return fig
