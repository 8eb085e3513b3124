"""The race's selection and summary against hand-counted answers."""
import numpy as np
import pytest

from grokbook.diagnostics.race import (RaceEntry, pick_best, race_entry, rank_correlation, seconds_per_step,
                                      speedup)
from grokbook.history import History, Run
from grokbook.training import TrainConfig


def run(lr, grok_at, steps=100):
    """A run logged at 0, 10, …, steps whose test accuracy jumps to 1 at ``grok_at`` (None: never)."""
    s = np.arange(0, steps + 1, 10)
    acc = np.where(s >= (grok_at if grok_at is not None else steps + 1), 1.0, 0.1)
    h = History({"step": s, "train_acc": np.ones_like(s, dtype=float), "test_acc": acc})
    return Run(TrainConfig(lr=lr, steps=steps), h, None, None)


def test_pick_best_counts_censored_runs_as_infinite_not_dropped():
    # lr 0.1: one fast seed and one censored (median ∞); lr 0.3: both at 60 → 0.3 wins.
    runs = [run(0.1, 10), run(0.1, None), run(0.3, 60), run(0.3, 60)]
    best, medians = pick_best(runs)
    assert best == 0.3 and medians == {0.1: np.inf, 0.3: 60.0}


def test_pick_best_breaks_ties_by_final_accuracy_then_order():
    assert pick_best([run(0.1, None), run(0.3, None)])[0] == 0.1
    assert pick_best([run(0.1, 50), run(0.3, 50)])[0] == 0.1
    with pytest.raises(ValueError, match="at least one run"):
        pick_best([])
    with pytest.raises(ValueError, match="no setting called"):
        pick_best([run(0.1, 10)], name="nonsense")


def test_race_entry_mean_sd_median_and_seconds():
    runs = [run(0.1, 20), run(0.1, 40), run(0.1, None)]
    e = race_entry("m", 0.1, runs, cpu_seconds=3.0)
    assert e.grokked == 2 and e.mean == 30 and e.sd == pytest.approx(np.std([20, 40], ddof=1))
    assert e.median == 40 and e.budget == 100
    assert e.seconds_per_step == pytest.approx(3.0 / (3 * 100))
    assert e.seconds == pytest.approx(40 * 0.01)
    assert e.steps_text() == "30 ± 14 (2/3)"
    never = race_entry("n", 0.1, [run(0.1, None)] * 3, 1.0)
    assert never.steps_text() == "> 100 (0/3)" and np.isinf(never.median)


def test_speedup_and_its_censored_cases():
    base = race_entry("a", 0.1, [run(0.1, 80)] * 3, 1.0)
    fast = race_entry("b", 0.1, [run(0.1, 20)] * 3, 2.0)
    never = race_entry("c", 0.1, [run(0.1, None)] * 3, 1.0)
    assert speedup(base, fast) == 4.0 and speedup(base, fast, in_seconds=True) == 2.0
    assert speedup(base, never) == 0.0 and np.isnan(speedup(never, never))


def test_seconds_per_step_rejects_bad_input():
    with pytest.raises(ValueError, match="runs of the timed"):
        seconds_per_step(1.0, [])
    with pytest.raises(ValueError, match="cpu_seconds"):
        seconds_per_step(-1.0, [run(0.1, 10)])
    cached = race_entry("x", 1, [run(1, 10)], 0.0)   # loaded from the run cache: cost unknown
    assert isinstance(cached, RaceEntry) and np.isnan(cached.seconds_per_step)


def test_plots_draw_censored_rows_and_spectra():
    import matplotlib
    matplotlib.use("Agg")
    from grokbook.plots.race import plot_race, plot_singular_values
    entries = [race_entry("a", 0.1, [run(0.1, 20), run(0.1, None)], 1.0),
               race_entry("b", 0.3, [run(0.3, None)] * 2, 1.0)]
    ax = plot_race(entries, title="t")
    assert [t.get_text() for t in ax.get_yticklabels()] == ["a (lr 0.1)", "b (lr 0.3)"]
    assert sum("never" in t.get_text() for t in ax.texts) == 2
    ax = plot_race(entries, labels=["first", "second"])
    assert [t.get_text() for t in ax.get_yticklabels()] == ["first", "second"]
    with pytest.raises(ValueError, match="labels"):
        plot_race(entries, labels=["only one"])
    h = History({"step": np.array([0, 1, 2]), "W": np.stack([np.diag([3.0, 2.0, 1.0])] * 3)})
    ax = plot_singular_values([h], "W", ["x"], k=3)
    np.testing.assert_allclose(ax.lines[0].get_ydata(), [3, 3, 3])
    with pytest.raises(ValueError, match="labels"):
        plot_singular_values([h], "W", [])


def test_a_cached_run_keeps_the_cost_recorded_when_it_was_trained():
    runs = [run(0.1, 20), run(0.1, 40)]
    for r in runs:
        r.history.cpu_seconds = 4.0  # as the trainer records it, and the cache keeps it
    assert seconds_per_step(0.0, runs) == pytest.approx(4.0 / (2 * 100))


def test_the_trainer_records_the_loops_cpu_time_and_the_cache_keeps_it(tmp_path, monkeypatch):
    from grokbook import MLPConfig, ModularArithmetic, train_ensemble
    from grokbook.training import cache
    monkeypatch.setenv(cache.ENV, str(tmp_path))
    cfgs = [TrainConfig(task=ModularArithmetic(p=7, train_fraction=0.5), model=MLPConfig(width=8),
                        steps=20, log_points=3, seed=s) for s in (0, 1)]
    trained = train_ensemble(cfgs, progress=False)
    loaded = train_ensemble(cfgs, progress=False)
    cost = trained[0].history.cpu_seconds
    assert cost > 0 and all(r.history.cpu_seconds == cost for r in trained + loaded)


def test_pick_best_over_two_settings_and_a_prior_cost():
    def both(lr, embed_lr, grok_at):
        r = run(lr, grok_at)
        return Run(TrainConfig(lr=lr, embed_lr=embed_lr, steps=100), r.history, None, None)
    runs = [both(0.1, 0.3, 50), both(0.1, 0.3, 50), both(0.1, 1.0, 20), both(0.1, 1.0, 30),
            both(0.3, 0.3, None), both(0.3, 0.3, 10)]
    best, medians = pick_best(runs, lambda c: (c.lr, c.embed_lr), prior_steps=7)
    assert best == (0.1, 1.0) and medians == {(0.1, 0.3): 57.0, (0.1, 1.0): 32.0, (0.3, 0.3): np.inf}


def test_a_prior_cost_is_counted_in_steps_budget_and_seconds():
    # 2 weak steps ahead of every run, 0.5 s of weak training per member; target: 3 s for 3 × 100 steps.
    e = race_entry("t", 0.1, [run(0.1, 20), run(0.1, 40), run(0.1, None)], 3.0,
                   prior_steps=2, prior_seconds=0.5)
    np.testing.assert_array_equal(e.steps, [22, 42, np.nan])
    assert e.budget == 102 and e.median == 42 and e.steps_text() == "32 ± 14 (2/3)"
    assert e.seconds == pytest.approx(40 * 0.01 + 0.5)
    base = race_entry("a", 0.1, [run(0.1, 40)] * 3, 3.0)   # sooner in steps, later in seconds
    assert speedup(base, e) == pytest.approx(40 / 42) and speedup(base, e, True) == pytest.approx(0.4 / 0.9)
    with pytest.raises(ValueError, match="prior"):
        race_entry("t", 0.1, [run(0.1, 20)], 1.0, prior_steps=-1)


def test_rank_correlation_is_spearman_with_censored_ties():
    from scipy.stats import spearmanr
    def entries(medians):
        return {m: race_entry(m, 0.1, [run(0.1, v)] * 3, 1.0) for m, v in medians.items()}
    a = entries({"p": 10, "q": 20, "r": 30, "s": None, "t": None})
    b = entries({"p": 30, "q": 10, "r": 20, "s": 40, "t": None})
    expected = spearmanr([10, 20, 30, np.inf, np.inf], [30, 10, 20, 40, np.inf]).statistic
    assert rank_correlation(a, b) == pytest.approx(expected)
    assert rank_correlation(a, a) == pytest.approx(1.0)
    reverse = entries({"p": 40, "q": 30, "r": 20, "s": 10})
    assert rank_correlation(entries({"p": 10, "q": 20, "r": 30, "s": 40}), reverse) == pytest.approx(-1.0)
    assert np.isnan(rank_correlation(entries({"p": None, "q": None}), a))
    with pytest.raises(ValueError, match="≥ 2 methods"):
        rank_correlation(a, {"p": a["p"]})
