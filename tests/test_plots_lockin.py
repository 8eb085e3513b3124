"""The chapter 9 figures draw labelled axes and mark what they are given, computing nothing."""
import matplotlib

matplotlib.use("Agg")
import numpy as np  # noqa: E402

from grokbook.history import History, Run  # noqa: E402
from grokbook.plots.lockin import plot_detector_scores, plot_sign_match, plot_signal  # noqa: E402


def fake_run(grok=True):
    steps = np.arange(0, 100, 2)
    test = (steps >= 60).astype(float) if grok else np.zeros(len(steps))
    return Run(None, History({"step": steps, "train_acc": np.ones(len(steps)), "test_acc": test,
                              "gap": 1.0 + steps / 10.0, "sign": np.full(len(steps), 0.99)}), None, None)


def test_plot_signal_marks_grokking_and_firing():
    ax = plot_signal({"grok": [fake_run()], "control": [fake_run(False)]}, "gap",
                     fires={"grok": [40], "control": [None]}, log=True)
    assert ax.get_xlabel() == "epoch (full-batch step)" and ax.get_yscale() == "log"
    assert any(list(line.get_xdata()) == [60, 60] for line in ax.get_lines())   # t_grok
    crosses = [line for line in ax.get_lines() if line.get_marker() == "x"]
    assert len(crosses) == 1 and crosses[0].get_xdata()[0] == 40


def test_plot_detector_scores_and_sign_match_draw():
    curve = np.array([[0.5, 1.0], [0.0, 0.5]])
    roc, lead = plot_detector_scores({"a": curve}, {"a": np.array([10.0, np.nan])})
    assert "false-alarm" in roc.get_xlabel() and "lead" in lead.get_ylabel()
    ax = plot_sign_match({"grok": [fake_run()]}, "sign", null=0.97)
    assert any(list(line.get_ydata()) == [0.97, 0.97] for line in ax.get_lines())
