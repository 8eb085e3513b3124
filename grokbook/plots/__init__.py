"""Plots: they draw finished histories and never train."""
from grokbook.plots.censored import plot_censored
from grokbook.plots.curves import phase_boundaries, plot_curves, plot_metric, shade_phases
from grokbook.plots.sweeps import plot_errorbars, plot_heatmap
from grokbook.plots.tasks import plot_table

__all__ = ["phase_boundaries", "plot_censored", "plot_curves", "plot_errorbars", "plot_heatmap", "plot_metric", "plot_table", "shade_phases"]
