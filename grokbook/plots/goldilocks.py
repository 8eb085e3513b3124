"""Chapter 2's figures: the LU curves, the weight norm falling into the Goldilocks shell, the phase diagram
and the representation indices over training (Liu et al. 2022, arXiv 2205.10343; Liu, Michaud & Tegmark
2023, arXiv 2210.01117)."""
from __future__ import annotations

from typing import Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from grokbook.diagnostics.norms import norm_milestones
from grokbook.diagnostics.phases import PHASES
from grokbook.plots.steps import TEST_COLOR, TRAIN_COLOR, positive_steps, step_axis
from grokbook.plots.sweeps import plot_heatmap
from grokbook.history import GROK_THRESHOLD, History

__all__ = ["PHASE_PALETTE", "SHELL_COLOR", "norm_table", "plot_concentration", "plot_lu", "plot_norm_trace",
           "plot_phase_diagram", "plot_representation", "plot_timing_check"]

PHASE_PALETTE = {"comprehension": "#4daf4a", "grokking": "#377eb8", "memorization": "#ff7f00",
                 "confusion": "#999999"}
SHELL_COLOR = "#ffe9a8"


def _shade_shell(ax: Axes, shell: tuple[float, float] | None, vertical: bool) -> None:
    if shell is None:
        return
    span = ax.axvspan if vertical else ax.axhspan
    span(shell[0], shell[1], color=SHELL_COLOR, alpha=0.8, lw=0, zorder=0, label="Goldilocks shell")


def _radius_ticks(ax: Axes, radii: Sequence[float]) -> None:
    ax.set_xscale("log")
    ax.minorticks_off()
    ax.set_xticks(list(radii)[:: max(1, len(radii) // 9)])
    ax.set_xticklabels([f"{r:g}" for r in list(radii)[:: max(1, len(radii) // 9)]])


def plot_lu(radii: Sequence[float], train_loss: Sequence[float], test_loss: Sequence[float], *,
            test_acc: Sequence[float] | None = None, train_acc: Sequence[float] | None = None,
            shell: tuple[float, float] | None = None, fig: Figure | None = None) -> Figure:
    """Final train and test loss of fixed-norm runs against their radius ``w`` (log-log): the L and the U.
    With ``test_acc`` (and ``train_acc``) a second panel shows final accuracy against ``w``; ``shell`` is
    shaded on both."""
    fig = fig if fig is not None else plt.figure(figsize=(11, 3.8) if test_acc is not None else (5.5, 3.8))
    fig.clear()
    axes = fig.subplots(1, 2 if test_acc is not None else 1, squeeze=False)[0]
    ax = axes[0]
    _shade_shell(ax, shell, vertical=True)
    ax.plot(radii, train_loss, "o-", color=TRAIN_COLOR, label="train loss (the L)")
    ax.plot(radii, test_loss, "s-", color=TEST_COLOR, label="test loss (the U)")
    _radius_ticks(ax, radii)
    ax.set_yscale("log")
    ax.set_xlabel("weight norm w = ‖θ‖₂ (held fixed)")
    ax.set_ylabel("loss at the end of training")
    ax.legend(fontsize=8)
    if test_acc is not None:
        ax = axes[1]
        _shade_shell(ax, shell, vertical=True)
        if train_acc is not None:
            ax.plot(radii, train_acc, "o-", color=TRAIN_COLOR, label="train accuracy")
        ax.plot(radii, test_acc, "s-", color=TEST_COLOR, label="test accuracy")
        _radius_ticks(ax, radii)
        ax.set_ylim(-0.02, 1.02)
        ax.set_xlabel("weight norm w = ‖θ‖₂ (held fixed)")
        ax.set_ylabel("accuracy at the end of training")
        ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def plot_norm_trace(histories: Sequence[History], labels: Sequence[str], *, shell: tuple[float, float] | None = None,
                    fig: Figure | None = None, title: str | None = None) -> Figure:
    """Left: train (dashed) and test (solid) accuracy against step; right: the weight norm ‖θ‖₂ against
    step with the Goldilocks ``shell`` shaded and a dot where each run's test accuracy first reaches 95%."""
    fig = fig if fig is not None else plt.figure(figsize=(11, 3.8))
    fig.clear()
    ax_acc, ax_norm = fig.subplots(1, 2)
    _shade_shell(ax_norm, shell, vertical=False)
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for k, (h, label) in enumerate(zip(histories, labels)):
        c = colors[k % len(colors)]
        mask, step = positive_steps(h)
        if not mask.any():
            continue
        ax_acc.plot(step, h["train_acc"][mask], ls="--", color=c, lw=1)
        ax_acc.plot(step, h["test_acc"][mask], color=c, label=label)
        ax_norm.plot(step, h["weight_norm"][mask], color=c, label=label)
        t_grok = h.first_step("test_acc", GROK_THRESHOLD, after=1)
        if t_grok is not None:
            ax_norm.plot(t_grok, h.at("weight_norm", t_grok), "o", color=c, ms=7, mec="k")
    step_axis(ax_acc, "accuracy (dashed: train, solid: test)")
    step_axis(ax_norm)
    ax_acc.set_ylim(-0.02, 1.02)
    ax_norm.set_ylabel("weight norm ‖θ‖₂")
    ax_norm.set_title("dot: test accuracy first ≥ 95%", fontsize=9)
    ax_acc.legend(fontsize=8)
    ax_norm.legend(fontsize=8)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_phase_diagram(codes: np.ndarray, row_values: Sequence, col_values: Sequence, *, row_label: str,
                       col_label: str, ax: Axes | None = None) -> Axes:
    """A seaborn heatmap of phase codes (indices into ``PHASES``), one colour per phase, each cell labelled."""
    ax = ax if ax is not None else plt.figure(figsize=(6, 4.5)).gca()
    codes = np.asarray(codes)
    cmap = ListedColormap([PHASE_PALETTE[p] for p in PHASES])
    labels = np.vectorize(lambda c: PHASES[c][:4])(codes)
    plot_heatmap(codes, [float(v) for v in row_values], [float(v) for v in col_values], row_label=row_label,
                 col_label=col_label, value_label="phase", ax=ax, fmt="", cmap=cmap, annot=labels,
                 vmin=-0.5, vmax=len(PHASES) - 0.5, cbar=False, linewidths=0.5, linecolor="white")
    ax.legend(handles=[Patch(color=PHASE_PALETTE[p], label=p) for p in PHASES], fontsize=8,
              loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return ax


def plot_representation(history: History, columns: dict[str, str], ax: Axes | None = None) -> Axes:
    """Test and train accuracy and representation indices (``columns`` maps a history column to its label)
    against step, all on one [0, 1] axis."""
    ax = ax if ax is not None else plt.figure(figsize=(6, 3.8)).gca()
    mask, step = positive_steps(history)
    ax.plot(step, history["train_acc"][mask], color=TRAIN_COLOR, ls="--", label="train accuracy")
    ax.plot(step, history["test_acc"][mask], color=TEST_COLOR, label="test accuracy")
    for column, label in columns.items():
        ax.plot(step, history[column][mask], lw=2, label=label)
    step_axis(ax, "accuracy / index")
    ax.set_ylim(-0.02, 1.02)
    ax.legend(fontsize=8)
    return ax


def norm_table(runs: Sequence, labels: Sequence[str]) -> str:
    """A Markdown table of each run's t_mem, t_grok and ``‖θ‖₂`` at its start, t_mem, t_grok and end
    (``norm_milestones``), so that every norm the prose discusses is printed next to its run."""
    def cell(v):
        return "—" if v is None else f"{v:.1f}"

    rows = ["| run | t_mem | t_grok | ‖θ‖₂ start | at t_mem | at t_grok | end |", "|---|---|---|---|---|---|---|"]
    for run, label in zip(runs, labels):
        n = norm_milestones(run)
        t_mem, t_grok = run.steps_to_memorize, run.steps_to_grok
        rows.append(f"| {label} | {t_mem if t_mem is not None else '—'} | "
                    f"{t_grok if t_grok is not None else f'> {run.budget}'} | {cell(n['start'])} | "
                    f"{cell(n['mem'])} | {cell(n['grok'])} | {cell(n['end'])} |")
    return "\n".join(rows)


def plot_concentration(groups: dict[str, Sequence[float]], *, null: float | None = None,
                       ax: Axes | None = None) -> Axes:
    """One column of dots per group of runs (their ``frequency_concentration``), with the null level of
    Gaussian tables as a dashed line."""
    ax = ax if ax is not None else plt.figure(figsize=(6, 3.5)).gca()
    for k, (label, values) in enumerate(groups.items()):
        ax.scatter(np.full(len(values), k), values, s=40, zorder=3)
    if null is not None:
        ax.axhline(null, ls="--", color="0.4", label="Gaussian tables (null)")
        ax.legend(fontsize=8)
    ax.set_xticks(range(len(groups)))
    ax.set_xticklabels(list(groups), fontsize=8)
    ax.set_ylim(0, 1.02)
    ax.set_ylabel("Fourier concentration C of the token tables")
    return ax


def plot_timing_check(predicted: np.ndarray, measured: np.ndarray, *, ax: Axes | None = None) -> Axes:
    """Measured t_grok against the LU prediction t_LU (``decay_time``), log-log, with the line of
    agreement and a band of a factor 2 around it. Cells where either is missing, zero or censored
    (NaN) are left out and counted in the title."""
    ax = ax if ax is not None else plt.figure(figsize=(5.5, 4)).gca()
    predicted, measured = np.ravel(predicted).astype(float), np.ravel(measured).astype(float)
    ok = np.isfinite(predicted) & np.isfinite(measured) & (predicted > 0) & (measured > 0)
    ax.loglog(predicted[ok], measured[ok], "o", ms=7, label="one α × λ cell")
    lo = min(np.min(predicted[ok], initial=10.0), np.min(measured[ok], initial=10.0)) / 2
    hi = max(np.max(predicted[ok], initial=100.0), np.max(measured[ok], initial=100.0)) * 2
    line = np.array([lo, hi])
    ax.plot(line, line, "k--", lw=1, label="t_grok = t_LU")
    ax.fill_between(line, line / 2, line * 2, color="0.9", zorder=0, label="within a factor 2")
    ax.set_xlabel("t_LU = ln(α w₀ / w_hi) / −ln(1 − ηλ)  (steps)")
    ax.set_ylabel("measured t_grok (steps)")
    ax.set_title(f"LU timing check ({int(ok.sum())} cells; {int((~ok).sum())} left out)", fontsize=10)
    ax.legend(fontsize=8)
    return ax
