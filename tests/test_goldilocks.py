import matplotlib

matplotlib.use("Agg")
import numpy as np  # noqa: E402

from grokbook.history import History, Run  # noqa: E402
from grokbook.plots.goldilocks import norm_table, plot_concentration  # noqa: E402
from grokbook.plots.sweeps import plot_heatmap  # noqa: E402


def _run(test_acc):
    h = History({"step": np.array([0, 10, 100]), "train_acc": np.array([0.0, 1.0, 1.0]),
                 "test_acc": np.array(test_acc), "weight_norm": np.array([50.0, 20.0, 18.0])})
    return Run(None, h, None, None)


def test_norm_table_prints_every_milestone_and_censors_runs_that_never_grok():
    table = norm_table([_run([0.0, 0.1, 0.97]), _run([0.0, 0.1, 0.2])], ["grokked", "never"])
    rows = table.splitlines()
    assert rows[0].startswith("| run | t_mem | t_grok") and len(rows) == 4
    assert rows[2] == "| grokked | 10 | 100 | 50.0 | 20.0 | 18.0 | 18.0 |"
    assert rows[3] == "| never | 10 | > 100 | 50.0 | 20.0 | — | 18.0 |"


def test_plot_concentration_one_column_per_group_and_the_null_line():
    ax = plot_concentration({"a": [0.3, 0.32], "b": [0.9]}, null=0.27)
    assert [t.get_text() for t in ax.get_xticklabels()] == ["a", "b"]
    assert "concentration" in ax.get_ylabel() and ax.get_lines()[0].get_ydata()[0] == 0.27


def test_heatmap_marks_censored_cells():
    values = np.array([[1.0, np.nan], [np.nan, 4.0]])
    ax = plot_heatmap(values, [1.0, 8.0], [0.3, 1.0], row_label="α", col_label="λ", value_label="t",
                      censored_label="> 3000")
    assert sum(t.get_text() == "> 3000" for t in ax.texts) == 2
    plain = plot_heatmap(values, [1.0, 8.0], [0.3, 1.0], row_label="α", col_label="λ", value_label="t")
    assert not any(t.get_text() == "> 3000" for t in plain.texts)


def test_timing_check_plots_only_the_cells_with_both_times():
    from grokbook.plots.goldilocks import plot_timing_check

    ax = plot_timing_check(np.array([[100.0, 0.0], [np.nan, 50.0]]), np.array([[800.0, 300.0], [20.0, np.nan]]))
    points = ax.get_lines()[0]
    assert list(points.get_xdata()) == [100.0] and list(points.get_ydata()) == [800.0]
    assert "1 cells; 3 left out" in ax.get_title() and "steps" in ax.get_xlabel()
