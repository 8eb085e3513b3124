import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.collections import PathCollection  # noqa: E402

from grokbook.diagnostics.topology import betti_curve  # noqa: E402
from grokbook.history import History  # noqa: E402
from grokbook.plots.manifold import (plot_betti_curves, plot_calibration, plot_dimension_panel,  # noqa: E402
                                     plot_loop_ratios, plot_over_training, plot_persistence_diagram,
                                     plot_plane)


def _history(t_grok_index):
    steps = np.array([0, 1, 2, 4, 8, 16, 32])
    test = np.where(np.arange(len(steps)) >= t_grok_index, 1.0, 0.0)
    return History({"step": steps, "train_acc": np.ones(len(steps)), "test_acc": test,
                    "train_loss": np.ones(len(steps)), "test_loss": np.ones(len(steps)),
                    "id": 10.0 + np.arange(len(steps))})


def teardown_function():
    plt.close("all")


def test_over_training_marks_each_runs_t_grok_at_its_value():
    ax = plot_over_training([_history(3), _history(5)], "id", labels=["a", "b"], ylabel="dimension")
    dots = [line for line in ax.lines if line.get_marker() == "o"]
    assert [tuple(d.get_xydata()[0]) for d in dots] == [(4.0, 13.0), (16.0, 15.0)]
    assert ax.get_xlabel() == "optimisation step" and ax.get_ylabel() == "dimension"
    assert ax.get_xscale() == "log"


def test_calibration_draws_identity_curve_and_band():
    ax = plot_calibration([2, 10, 50], [2.0, 9.0, 30.0], 1000, observed=[20.0, 25.0])
    identity, curve = ax.lines[:2]
    assert np.allclose(identity.get_ydata(), [2, 10, 50]) and np.allclose(curve.get_ydata(), [2, 9, 30])
    assert len(ax.patches) == 1  # the band of observed readings
    assert "N = 1000" in ax.get_title() and ax.get_ylabel().startswith("TwoNN")
    with pytest.raises(ValueError, match="equal length"):
        plot_calibration([2, 10], [2.0], 1000)


def test_loop_ratios_bars_and_colours():
    ax = plot_loop_ratios([0.8, 2.5], ["blob", "ring"], margin=1.5, title="t")
    heights = [p.get_height() for p in ax.patches]
    assert heights == pytest.approx([0.8, 2.5])
    assert ax.patches[0].get_facecolor() != ax.patches[1].get_facecolor()
    assert [t.get_text() for t in ax.get_xticklabels()] == ["blob", "ring"]
    with pytest.raises(ValueError, match="equal length"):
        plot_loop_ratios([1.0], ["a", "b"], margin=1.5)


def test_persistence_diagram_plots_every_bar():
    dgm = np.array([[0, np.inf, 0], [0, 0.5, 0], [0.2, 0.9, 1]])
    ax = plot_persistence_diagram(dgm, min_persistence=0.1, title="d")
    scatters = [c for c in ax.collections if isinstance(c, PathCollection)]
    assert [len(c.get_offsets()) for c in scatters] == [2, 1]  # H0 bars, H1 bars
    assert ax.get_xlabel().startswith("birth") and ax.get_ylabel().startswith("death")


def test_betti_curves_follow_betti_curve():
    dgm = np.array([[0, np.inf, 0], [0, 0.5, 0], [0.2, 0.9, 1]])
    ax = plot_betti_curves(dgm, n_points=50)
    for k, line in enumerate(ax.lines):
        assert np.array_equal(line.get_ydata(), betti_curve(dgm, k, line.get_xdata()))


def test_plane_colours_points_by_token():
    t = np.linspace(0, 2 * np.pi, 12, endpoint=False)
    ax = plot_plane(np.c_[np.cos(t), np.sin(t)], title="ring")
    assert np.array_equal(ax.collections[0].get_array(), np.arange(12))


def test_dimension_panel_has_accuracy_and_dimension():
    fig = plt.figure()
    plot_dimension_panel(_history(3), fig)
    acc, dim = fig.axes
    assert acc.get_ylabel() == "accuracy" and len(acc.lines) == 2
    assert dim.get_ylabel() == "TwoNN intrinsic dimension" and len(dim.lines) == 1
