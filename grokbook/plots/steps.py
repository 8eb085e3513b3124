"""The chart type "a quantity over optimisation steps": the log-step axis, phase shading and one metric plot.

Every figure that draws a logged column against the step uses these: ``positive_steps`` (the logged steps a
log axis can show, step ≥ 1, and the mask that selects them), ``step_axis`` (log x axis and its label),
``shade_spans`` (coloured bands behind the curves, the one shading primitive; grokking's curve phases
of Power et al. 2022, arXiv 2201.02177, and the circuit phases of Nanda et al. 2023, arXiv 2301.05217,
are both drawn with it) and ``plot_metric`` (one column of one or several runs). They draw and never
compute: the phases come from ``grokbook.diagnostics.phases``.
"""
from __future__ import annotations

from typing import Iterable, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes

from grokbook.diagnostics.phases import CURVE_PHASES, curve_phases
from grokbook.history import GROK_THRESHOLD, History

__all__ = ["CURVE_PHASE_COLORS", "TEST_COLOR", "TRAIN_COLOR", "positive_steps", "plot_metric", "shade_phases",
           "shade_spans", "step_axis"]

CURVE_PHASE_COLORS = dict(zip(CURVE_PHASES, ("#f4cccc", "#fff2cc", "#d9ead3", "#cfe2f3")))
TRAIN_COLOR, TEST_COLOR = "#1f77b4", "#d62728"


def positive_steps(history: History) -> tuple[np.ndarray, np.ndarray]:
    """``(mask, steps)``: the logged steps ≥ 1, the ones a log-step axis can show (step 0 cannot).

    >>> mask, steps = positive_steps(History({"step": np.array([0, 1, 10])}))
    >>> mask.tolist(), steps.tolist()
    ([False, True, True], [1, 10])
    """
    mask = np.asarray(history["step"]) >= 1
    return mask, np.asarray(history["step"])[mask]


def step_axis(ax: Axes, ylabel: str | None = None, *, log: bool = True, logy: bool = False) -> Axes:
    """Label ``ax`` as an axis over optimisation steps (log scale unless ``log=False``)."""
    if log:
        ax.set_xscale("log")
    if logy:
        ax.set_yscale("log")
    ax.set_xlabel("optimisation step")
    if ylabel is not None:
        ax.set_ylabel(ylabel)
    return ax


def shade_spans(ax: Axes, spans: Iterable[tuple[str, float, float]], colors: dict[str, str], *,
                label: bool = True, alpha: float = 0.6, floor: float | None = None) -> None:
    """Shade each ``(name, lo, hi)`` span of the x axis in ``colors[name]`` (labelled for the legend
    when ``label``); ``floor`` clips the spans from below (1 on a log axis, where 0 cannot be shown)."""
    for name, lo, hi in spans:
        lo = lo if floor is None else max(lo, floor)
        if hi > lo:
            ax.axvspan(lo, hi, color=colors[name], alpha=alpha, lw=0, label=name if label else None)


def shade_phases(ax: Axes, history: History, label: bool = True) -> None:
    """Shade the curve's phases (fit / plateau / test rise / generalized, see
    :func:`grokbook.diagnostics.phases.curve_phases`) behind a curve on a log-step axis."""
    shade_spans(ax, curve_phases(history), CURVE_PHASE_COLORS, label=label, floor=1.0)


def plot_metric(histories: History | Sequence[History], column: str, labels: Sequence[str] | None = None,
                ax: Axes | None = None, ylabel: str | None = None, logy: bool = False, *,
                phases: bool = True, color: str | None = None) -> Axes:
    """One column of one or several histories against optimisation step (log axis): e.g. test accuracy
    with and without weight decay, or the weight norm.

    A single ``History`` (not in a list) gets its phases shaded behind it (``phases``); with several,
    each curve's t_grok (test accuracy first ≥ 0.95) is marked by a dot on it.
    """
    ax = ax if ax is not None else plt.figure(figsize=(5.5, 3.6)).gca()
    single = isinstance(histories, History)
    histories = [histories] if single else list(histories)
    shaded = phases and single
    if shaded:
        shade_phases(ax, histories[0])
    for i, h in enumerate(histories):
        mask, steps = positive_steps(h)
        line, = ax.plot(steps, h[column][mask], color=color, label=labels[i] if labels else None)
        t_grok = h.first_step("test_acc", GROK_THRESHOLD) if "test_acc" in h else None
        if t_grok is not None and len(histories) > 1:
            ax.plot([t_grok], [h.at(column, t_grok)], "o", color=line.get_color(), ms=5)
    step_axis(ax, ylabel or column.replace("_", " "), logy=logy)
    if labels or shaded:
        ax.legend(fontsize=8)
    return ax
