import matplotlib

matplotlib.use("Agg")
import numpy as np  # noqa: E402

from grokbook.plots import phase_boundaries, plot_curves, plot_errorbars, plot_heatmap  # noqa: E402
from grokbook.training import History  # noqa: E402

STEPS = np.array([0, 1, 10, 100, 200, 400, 1000])
HISTORY = History(columns={
    "step": STEPS, "train_acc": np.array([0.01, 0.2, 1.0, 1.0, 1.0, 1.0, 1.0]),
    "test_acc": np.array([0.01, 0.0, 0.0, 0.02, 0.3, 0.97, 1.0]),
    "train_loss": np.linspace(5, 0.01, 7), "test_loss": np.linspace(5, 0.1, 7)})


def test_phase_boundaries_from_accuracies():
    assert phase_boundaries(HISTORY) == {"t_mem": 10, "t_rise": 200, "t_grok": 400}


def test_plot_curves_labels_axes_and_marks_phases():
    fig = plot_curves(HISTORY)
    acc, loss = fig.axes
    assert acc.get_xlabel() == "optimisation step" and acc.get_ylabel() == "accuracy"
    assert acc.get_xscale() == "log" and loss.get_yscale() == "log"
    labels = acc.get_legend_handles_labels()[1]
    assert {"fit", "plateau", "test rise", "generalized", "train", "test"} <= set(labels)


def test_heatmap_and_errorbars_draw():
    ax = plot_heatmap(np.array([[1.0, np.nan], [3.0, 4.0]]), [0.1, 1.0], [0.3, 0.5], row_label="weight decay",
                      col_label="train fraction", value_label="steps to grok")
    assert ax.get_xlabel() == "train fraction"
    ax = plot_errorbars([0.3, 0.5], np.array([[100.0, 120.0], [np.nan, 50.0]]), xlabel="f", ylabel="t")
    assert any("never" in t.get_text() for t in ax.texts)


def test_plot_censored_marks_never_grokked_runs_at_the_budget():
    from grokbook.plots import plot_censored
    samples = np.array([[100.0, 120.0, 140.0], [300.0, np.nan, np.nan]])
    ax = plot_censored([0.5, 0.3], samples, 600, xlabel="training fraction", ylabel="steps to grok")
    assert ax.get_xlabel() == "training fraction" and ax.get_yscale() == "log"
    assert [t.get_text() for t in ax.texts] == ["2/3 never"]
    median = ax.lines[0].get_ydata()
    assert median[0] == 120.0 and np.isnan(median[1])  # censored median: not drawn, not averaged
