"""Figures for the modular-addition circuit (Nanda et al. 2023, arXiv 2301.05217): Fourier norms, progress
measures with the phases they locate, embedding circles per key frequency, tuned neurons, attention."""
from __future__ import annotations

from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from grokbook.diagnostics.fourier import (check_frequency, key_frequencies, n_frequencies, neuron_clusters,
                                         neuron_table, project_onto_frequency)
from grokbook.history import History
from grokbook.plots.steps import TEST_COLOR, TRAIN_COLOR, shade_spans

__all__ = ["circuit_panel_result", "circuit_panel_state", "CIRCUIT_PHASE_COLORS", "plot_circuit_panel", "plot_fourier_norms", "plot_frequency_circle", "plot_frequency_panel", "plot_neuron_frequencies",
           "plot_pair_function", "plot_progress_measures", "shade_circuit_phases"]

CIRCUIT_PHASE_COLORS = {"memorization": "#f4cccc", "circuit formation": "#d9ead3", "cleanup": "#cfe2f3"}
PHASE_COLORS = CIRCUIT_PHASE_COLORS  # the old name, the same dict
KEY_COLOR, OTHER_COLOR = "#d62728", "#9e9e9e"


def plot_fourier_norms(norms: torch.Tensor | np.ndarray, keys: list[int], ax: Axes | None = None,
                       title: str = "embedding Fourier norms") -> Axes:
    """Bar chart of a norm per frequency ``k = 1 … (p−1)/2``, key frequencies in red."""
    ax = ax if ax is not None else plt.figure(figsize=(6, 3.2)).gca()
    norms = np.asarray(norms, dtype=float)
    k = np.arange(1, len(norms) + 1)
    ax.bar(k, norms, color=[KEY_COLOR if f in keys else OTHER_COLOR for f in k])
    for f in keys:
        ax.annotate(str(f), (f, norms[f - 1]), ha="center", va="bottom", fontsize=8, color=KEY_COLOR)
    ax.set_xlabel("frequency k (w_k = 2πk/p)")
    ax.set_ylabel("Fourier norm ‖E_k‖")
    ax.set_title(title)
    return ax


def shade_circuit_phases(ax: Axes, phases: dict[str, int | None], end: float, label: bool = True) -> None:
    """Shade memorization / circuit formation / cleanup from ``locate_phases``'s boundaries."""
    edges = [0.0, phases.get("t_circuit"), phases.get("t_formed"), phases.get("t_clean")]
    spans = []
    for i, name in enumerate(CIRCUIT_PHASE_COLORS):
        if edges[i] is None:
            break
        spans.append((name, edges[i], end if edges[i + 1] is None else edges[i + 1]))
    shade_spans(ax, spans, CIRCUIT_PHASE_COLORS, label=label, alpha=0.7)


def plot_progress_measures(history: Any, measures: dict[str, np.ndarray], phases: dict[str, int | None],
                           fig: Figure | None = None, title: str | None = None) -> Figure:
    """Three panels against optimisation step (linear axis, as Nanda et al. plot them), phases shaded:
    losses (train, test, restricted, excluded; log scale); the Fourier measures (Gini of the embedding's
    Fourier norms, key-frequency share of its norm, R² of ``Σ_k α_k cos(w_k(a+b−c))``) with test accuracy;
    the total squared weight ``‖θ‖₂²``."""
    fig = fig if fig is not None else plt.figure(figsize=(13, 3.8))
    fig.clear()
    ax_loss, ax_fourier, ax_norm = fig.subplots(1, 3)
    step = np.asarray(history["step"])
    end = float(step[-1])
    for ax in (ax_loss, ax_fourier, ax_norm):
        shade_circuit_phases(ax, phases, end, label=ax is ax_loss)
        ax.set_xlabel("optimisation step")
        ax.set_xlim(0, end)
    ax_loss.plot(step, history["train_loss"], color=TRAIN_COLOR, label="train loss")
    ax_loss.plot(step, history["test_loss"], color=TEST_COLOR, label="test loss")
    ax_loss.plot(step, measures["restricted_loss"], color="k", ls="--", label="restricted loss")
    ax_loss.plot(step, measures["excluded_loss"], color="#9467bd", ls=":", lw=2, label="excluded loss")
    ax_loss.set_yscale("log")
    ax_loss.set_ylabel("cross-entropy loss (nats)")
    ax_loss.legend(fontsize=7, loc="lower left")
    ax_fourier.plot(step, measures["gini"], label="Gini of Fourier norms")
    ax_fourier.plot(step, measures["key_norm_share"], label="key share of ‖E‖²")
    ax_fourier.plot(step, measures["trig_r2"], label="R² of Σ cos(w_k(a+b−c))")
    ax_fourier.plot(step, history["test_acc"], color=TEST_COLOR, ls="--", label="test accuracy")
    ax_fourier.set_ylim(-0.02, 1.02)
    ax_fourier.set_ylabel("share / coefficient (0…1)")
    ax_fourier.legend(fontsize=7, loc="upper left")
    ax_norm.plot(step, np.asarray(history["weight_norm"]) ** 2, color="k")
    ax_norm.set_ylabel("sum of squared weights ‖θ‖₂²")
    for name, value in phases.items():
        if value is not None:
            ax_loss.axvline(value, color="k", lw=0.8)
            ax_loss.annotate(f"{name} = {value}", (value, 0.5), xycoords=("data", "axes fraction"), rotation=90,
                             fontsize=7, xytext=(2, 0), textcoords="offset points")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_frequency_circle(embedding: torch.Tensor, k: int, p: int, ax: Axes | None = None,
                          label_every: int = 1) -> Axes:
    """The tokens' embeddings projected onto the cos/sin plane of frequency ``k``, coloured by token ``a``
    and joined in the order a, a + k⁻¹, … so that a circle reads as a circle: along it, token a sits at
    angle ≈ w_k·a (mod 2π)."""
    ax = ax if ax is not None else plt.figure(figsize=(3.6, 3.6)).gca()
    xy = project_onto_frequency(embedding, k, p).cpu().numpy()
    order = np.argsort(np.mod(np.arange(p) * k, p))  # tokens sorted by their angle w_k·a
    ax.plot(*xy[np.r_[order, order[:1]]].T, color="#cccccc", lw=0.8, zorder=1)
    points = ax.scatter(xy[:, 0], xy[:, 1], c=np.arange(p), cmap="twilight", s=18, zorder=2)
    for a in range(0, p, label_every):
        ax.annotate(str(a), xy[a], fontsize=6, xytext=(2, 2), textcoords="offset points")
    ax.set_aspect("equal", adjustable="datalim")
    ax.set_xlabel(f"cos direction of k={k}")
    ax.set_ylabel(f"sin direction of k={k}")
    ax.set_title(f"embedding in the plane of k = {k}")
    ax.figure.colorbar(points, ax=ax, label="token a", fraction=0.046)
    return ax


def plot_neuron_frequencies(clusters: dict[str, Any], p: int, ax: Axes | None = None) -> Axes:
    """Histogram of tuned neurons (share > threshold) per frequency, with the tuned fraction in the title."""
    ax = ax if ax is not None else plt.figure(figsize=(6, 3.2)).gca()
    counts = np.zeros(n_frequencies(p))
    for k, n in clusters["counts"].items():
        counts[k - 1] = n
    ax.bar(np.arange(1, len(counts) + 1), counts, color=KEY_COLOR)
    ax.set_xlabel("frequency k that explains the neuron")
    ax.set_ylabel("number of tuned neurons")
    ax.set_title(f"{100 * clusters['tuned_fraction']:.1f}% of {len(clusters['share'])} neurons tuned to one frequency")
    return ax


def plot_pair_function(values: torch.Tensor | np.ndarray, ax: Axes | None = None, title: str = "",
                       label: str = "value", k: int | None = None) -> Axes:
    """A ``(p, p)`` function of the pair ``(a, b)`` as a heatmap (a neuron, an attention weight, a logit).

    With ``k``, rows and columns are sorted by ``k·a mod p`` (the token's angle ``w_k a`` on the circle of
    frequency ``k``): a function of ``cos(w_k(a+b))`` then shows smooth diagonal stripes instead of a
    high-frequency checkerboard."""
    ax = ax if ax is not None else plt.figure(figsize=(3.8, 3.4)).gca()
    values = np.asarray(values, dtype=float)
    p = values.shape[0]
    if k is not None:
        order = np.argsort(np.mod(np.arange(p) * k, p))
        values = values[np.ix_(order, order)]
    image = ax.imshow(values, origin="lower", cmap="RdBu_r", aspect="equal")
    ax.set_xlabel("token b" if k is None else f"token b, sorted by {k}·b mod p")
    ax.set_ylabel("token a" if k is None else f"token a, sorted by {k}·a mod p")
    ax.set_title(title, fontsize=9)
    ax.figure.colorbar(image, ax=ax, label=label, fraction=0.046)
    return ax


# Chapter 5's name (``circuits.plot_table``), the same function; grokbook.plots.plot_table is the task's table.
plot_table = plot_pair_function


def plot_frequency_panel(embedding: torch.Tensor, neurons: torch.Tensor, clusters: dict[str, Any], k: int, p: int,
                         fig: Figure | None = None, title: str | None = None) -> Figure:
    """The widget's view of one frequency: the embedding's circle in the plane of ``k`` (left) and the
    activation over ``(a, b)`` of the neuron most tuned to ``k`` (right), with how many neurons are."""
    fig = fig if fig is not None else plt.figure(figsize=(9, 3.8))
    fig.clear()
    ax_circle, ax_neuron = fig.subplots(1, 2)
    plot_frequency_circle(embedding, k, p, ax=ax_circle, label_every=max(1, p // 12))
    share = np.asarray(clusters["share"])
    mine = np.nonzero(np.asarray(clusters["frequency"]) == k)[0]
    n_tuned = int(np.sum(np.asarray(clusters["tuned"])[mine])) if len(mine) else 0
    if len(mine):
        best = mine[np.argmax(share[mine])]
        plot_pair_function(neurons[:, :, best], ax=ax_neuron, label="activation", k=k,
                   title=f"neuron {best}: {100 * share[best]:.0f}% explained by k={k}\n"
                         f"({n_tuned} neurons tuned to k={k})")
    else:
        ax_neuron.text(0.5, 0.5, f"no neuron is best explained by k={k}", ha="center", va="center")
        ax_neuron.set_axis_off()
    if title:
        fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    return fig


def circuit_panel_state(run: Any) -> dict[str, Any]:
    """What the chapter-5 panel draws for a trained run: the token embedding, the neuron table, its
    clusters, the key frequencies (possibly none) and a title saying whether the run grokked."""
    task = run.config.task
    keys = key_frequencies(run.model, task.p)
    neurons = neuron_table(run.model, task).cpu()
    return {"embedding": run.model.embeddings()[0, :task.p].detach().cpu(), "neurons": neurons,
            "clusters": neuron_clusters(neurons), "keys": keys, "p": task.p,
            "title": f"p = {task.p}, seed {run.config.seed}: {run.summary()}; key frequencies "
                     f"{keys if keys else 'none found'}"}


def circuit_panel_result(state: dict[str, Any], frequency: int) -> dict[str, Any]:
    """The state with the frequency to show: ``frequency``, or the lowest key frequency when it is 0
    (None when the run has none). A frequency outside ``1 … (p−1)/2`` raises ``ValueError``."""
    k = frequency or (state["keys"][0] if state["keys"] else None)
    if k is not None:
        k = check_frequency(k, state["p"], name="frequency")
    return {**state, "k": k}


def plot_circuit_panel(result: Any, fig: Figure) -> Figure:
    """The panel's figure: the training curves while training streams (a ``History``), then the
    frequency panel of ``circuit_panel_result``, or a note when the run has no key frequency."""
    if isinstance(result, History):
        from grokbook.plots.curves import plot_curves

        return plot_curves(result, fig=fig, title="training… (curves update as it runs)")
    if result["k"] is None:
        fig.clear()
        fig.text(0.5, 0.5, "no key frequency found: the run has no circle to show (train longer)",
                 ha="center", va="center")
        fig.suptitle(result["title"], fontsize=9)
        return fig
    return plot_frequency_panel(result["embedding"], result["neurons"], result["clusters"], result["k"],
                                result["p"], fig=fig, title=result["title"])
