"""Plots: they draw finished histories and never train.

Organised by chart type: ``steps`` (a quantity over optimisation steps: the log-step axis, phase
shading, ``plot_metric``), ``curves`` (one run's accuracy and loss), ``sweeps`` (heatmaps and error bars
over settings), ``censored`` (times with a budget), ``tasks`` (the operation table); the chapter modules
(``goldilocks``, ``collapse``, ``kernels``, ``circuits``, ``manifold``, ``escape``) compose them.
"""
from grokbook.plots.censored import plot_censored
from grokbook.plots.curves import phase_boundaries, plot_curves
from grokbook.plots.steps import positive_steps, plot_metric, shade_phases, shade_spans, step_axis
from grokbook.plots.sweeps import plot_errorbars, plot_heatmap
from grokbook.plots.tasks import plot_table, plot_task_table

__all__ = ["positive_steps", "phase_boundaries", "plot_censored", "plot_curves", "plot_errorbars", "plot_heatmap",
           "plot_metric", "plot_table", "plot_task_table", "shade_phases", "shade_spans", "step_axis"]
