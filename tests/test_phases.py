import numpy as np
import pytest

from grokbook import MLPConfig, ModularArithmetic, TrainConfig, grid, train_ensemble
from grokbook.diagnostics.phases import (PHASES, PhaseRule, classify_phase, curve_phases, goldilocks_shell,
                                         learning_times, phase_boundaries,
                                         phase_grid)
from grokbook.training import History


def _history(t_train, t_test, steps=3000):
    """Accuracies that jump from chance to 1 at the given steps (None: never)."""
    step = np.arange(0, steps + 1, 10)
    train = np.where(step >= (t_train if t_train is not None else np.inf), 1.0, 0.1)
    test = np.where(step >= (t_test if t_test is not None else np.inf), 1.0, 0.1)
    return History(columns={"step": step, "train_acc": train, "test_acc": test})


@pytest.mark.parametrize("t_train, t_test, phase", [
    (100, 200, "comprehension"),
    (100, 1100, "comprehension"),   # delay exactly max_delay
    (100, 1110, "grokking"),
    (100, None, "memorization"),
    (None, None, "confusion"),
    (None, 500, "confusion"),       # the training set never learned: not a learning phase
    (300, 50, "comprehension"),     # test before train counts as no delay
])
def test_classify_phase_planted_times(t_train, t_test, phase):
    h = _history(t_train, t_test)
    assert classify_phase(h, PhaseRule(max_delay=1000)) == phase


def test_learning_times_use_thresholds():
    step = np.array([0, 10, 20, 30])
    h = History(columns={"step": step, "train_acc": np.array([0.1, 0.85, 0.95, 1.0]),
                         "test_acc": np.array([0.1, 0.2, 0.89, 0.91])})
    assert learning_times(h) == (20, 30)
    assert learning_times(h, PhaseRule(train_threshold=0.8, test_threshold=0.2)) == (10, 10)


def test_phase_grid_is_row_major():
    hs = [_history(10, 20), _history(10, 2000), _history(10, None), _history(None, None)]
    codes = phase_grid(hs, (2, 2))
    assert [[PHASES[c] for c in row] for row in codes] == [["comprehension", "grokking"],
                                                           ["memorization", "confusion"]]
    with pytest.raises(ValueError, match="shape"):
        phase_grid(hs, (3, 2))


def test_goldilocks_shell():
    assert goldilocks_shell([1, 2, 4, 8, 16], [0.1, 0.95, 1.0, 0.97, 0.2], threshold=0.95) == (2.0, 8.0)
    assert goldilocks_shell([1, 2], [0.1, 0.2]) is None
    with pytest.raises(ValueError, match="radii"):
        goldilocks_shell([0, 1], [1, 1])
    with pytest.raises(ValueError, match="equal length"):
        goldilocks_shell([1, 2], [1.0])
    with pytest.raises(ValueError, match="threshold"):
        goldilocks_shell([1, 2], [1, 1], threshold=1.5)


@pytest.mark.parametrize("kwargs, match", [
    (dict(train_threshold=0.0), "train_threshold"),
    (dict(test_threshold=1.2), "test_threshold"),
    (dict(max_delay=-1), "max_delay"),
])
def test_bad_rule_raises(kwargs, match):
    with pytest.raises(ValueError, match=match):
        PhaseRule(**kwargs)


@pytest.mark.parametrize("radius", [0.0, -2.0])
def test_fixed_norm_radius_must_be_positive(radius):
    with pytest.raises(ValueError, match=r"fixed_norm.*> 0"):
        TrainConfig(fixed_norm=radius)


@pytest.mark.parametrize("alpha", [0.0, -1.0])
def test_init_scale_must_be_positive(alpha):
    with pytest.raises(ValueError, match=r"init_scale.*> 0"):
        MLPConfig(init_scale=alpha)


def test_norm_held_and_shell_generalizes_while_large_norm_memorizes():
    # Omnigrok's LU mechanism in miniature: same model and data, only the held norm differs.
    base = TrainConfig(task=ModularArithmetic(p=23, train_fraction=0.5),
                       model=MLPConfig(width=64, activation="quadratic", bias=False), loss="mse", lr=1e-2,
                       weight_decay=0.0, steps=800, device="cpu", log_points=20, fixed_norm=1.0)
    runs = train_ensemble(grid(base, fixed_norm=[12.0, 50.0]), progress=False)
    for run in runs:
        norms = run.history["weight_norm"][1:]
        assert np.allclose(norms, run.config.fixed_norm, rtol=1e-5)
    rule = PhaseRule(max_delay=400)
    assert classify_phase(runs[0].history, rule) == "comprehension"
    assert classify_phase(runs[1].history, rule) == "memorization"


def test_goldilocks_plots_draw():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from grokbook.plots.goldilocks import plot_lu, plot_norm_trace, plot_phase_diagram

    hs = [_history(10, 20), _history(10, 2000), _history(10, None), _history(None, None)]
    for h in hs:
        h.columns["weight_norm"] = np.linspace(50, 10, len(h.columns["step"]))
    fig = plot_lu([1, 2, 4], [0.1, 0.01, 0.001], [0.1, 0.01, 1.0], test_acc=[0.1, 1.0, 0.0], shell=(2, 2))
    assert len(fig.axes) == 2
    fig = plot_norm_trace(hs[:2], ["a", "b"], shell=(10, 20))
    assert len(fig.axes[1].lines) >= 2
    ax = plot_phase_diagram(phase_grid(hs, (2, 2)), [0.1, 1.0], [1e-3, 1e-2], row_label="wd", col_label="lr")
    assert [t.get_text() for t in ax.texts] == ["comp", "grok", "memo", "conf"]
    plt.close("all")


def _curve(train, test, step=(0, 10, 100, 200, 400, 800)):
    """Accuracies logged at ``step``; the last value is held to the final step."""
    train, test = list(train) + [train[-1]], list(test) + [test[-1]]
    return History(columns={"step": np.array(step), "train_acc": np.array(train, dtype=float),
                            "test_acc": np.array(test, dtype=float)})


@pytest.mark.parametrize("train, test, bounds, names", [
    # memorize at 10, leave chance at 200, generalize at 400: all four phases
    ([0.01, 1.0, 1.0, 1.0, 1.0], [0.01, 0.0, 0.02, 0.3, 0.97], (10, 200, 400),
     ["fit", "plateau", "test rise", "generalized"]),
    # never leaves chance: fit, then a plateau to the end
    ([0.01, 1.0, 1.0, 1.0, 1.0], [0.01, 0.0, 0.02, 0.05, 0.05], (10, None, None), ["fit", "plateau"]),
    # never fits: one phase
    ([0.01, 0.5, 0.6, 0.7, 0.8], [0.01, 0.3, 0.5, 0.7, 0.96], (None, None, 400), ["fit"]),
    # test leads train (comprehension): no plateau, no rise
    ([0.01, 0.5, 1.0, 1.0, 1.0], [0.01, 0.96, 0.99, 1.0, 1.0], (100, 100, 10), ["fit", "generalized"]),
])
def test_phase_boundaries_and_curve_phases_on_planted_curves(train, test, bounds, names):
    h = _curve(train, test)
    b = phase_boundaries(h)
    assert (b["t_mem"], b["t_rise"], b["t_grok"]) == bounds
    phases = curve_phases(h)
    assert [name for name, _, _ in phases] == names
    assert phases[0][1] == 0 and phases[-1][2] == 800
    assert all(stop == nxt for (_, _, stop), (_, nxt, _) in zip(phases, phases[1:]))


def test_rise_level_is_measured_from_chance():
    # chance 0.5: a 10% rise needs test accuracy above 0.55, so 0.54 does not end the plateau
    h = _curve([0.5, 1.0, 1.0, 1.0, 1.0], [0.5, 0.5, 0.54, 0.56, 0.6])
    assert phase_boundaries(h)["t_rise"] == 200
    assert phase_boundaries(h, chance=0.0, rise=0.5)["t_rise"] == 100  # level 0.5: 0.54 passes
    assert phase_boundaries(h, rise=0.2)["t_rise"] is None
    with pytest.raises(ValueError, match="rise must lie in"):
        phase_boundaries(h, rise=1.0)


def test_censored_median_counts_runs_that_never_grokked():
    from grokbook.diagnostics.phases import censored_median
    t = np.array([[100.0, 300.0, 200.0], [100.0, np.nan, 400.0], [np.nan, np.nan, 50.0]])
    # survivors-only averaging would give 200, 250 and 50: the censored median does not
    assert censored_median(t).tolist() == [200.0, 400.0, np.inf]
    assert censored_median(t, axis=0).tolist() == [100.0, np.inf, 200.0]
    with pytest.raises(ValueError, match="step counts"):
        censored_median(np.array([-1.0, 2.0]))
    with pytest.raises(ValueError, match="at least one"):
        censored_median(np.array([]))


def test_smallest_fraction_reads_the_data_threshold():
    from grokbook.diagnostics.phases import smallest_fraction
    assert smallest_fraction([0.3, 0.4, 0.5], [0.0, 1 / 3, 1.0], at_least=2 / 3) == 0.5
    assert smallest_fraction([0.3, 0.4], [0.0, 1 / 3], at_least=2 / 3) is None
    assert smallest_fraction([0.5, 0.3], [1.0, 1.0], at_least=1.0) == 0.3
    with pytest.raises(ValueError, match="equal length"):
        smallest_fraction([0.3, 0.4], [1.0], at_least=0.5)


def test_fixed_norm_sweep_makes_an_l_and_a_u():
    # Omnigrok's LU curves from held-norm runs (Liu, Michaud & Tegmark 2023, arXiv 2210.01117): the
    # training set is fit only above a radius (the L, read as train accuracy), the test set only in a
    # shell in between (the U of the test loss, read as test accuracy).
    base = TrainConfig(task=ModularArithmetic(p=23, train_fraction=0.5),
                       model=MLPConfig(width=64, activation="quadratic", bias=False), loss="mse", lr=1e-2,
                       weight_decay=0.0, steps=800, device="cpu", log_points=20, fixed_norm=1.0)
    small, mid, large = train_ensemble(grid(base, fixed_norm=[2.0, 12.0, 50.0]), progress=False)
    train = [r.history.at("train_acc", None) for r in (small, mid, large)]
    test = [r.history.at("test_acc", None) for r in (small, mid, large)]
    assert train[0] < 0.5 and min(train[1:]) > 0.9            # the L
    assert test[1] > 0.9 and max(test[0], test[2]) < 0.5      # the U
