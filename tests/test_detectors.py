"""Detector rules on planted histories whose firing steps are known, and the scoring of hits, false
alarms and lead times."""
import numpy as np
import pytest

from grokbook.diagnostics.detectors import Rule, score, sweep
from grokbook.history import History, Run


def history(values, grok_at=None, memorize_at=5, column="signal"):
    steps = np.arange(len(values))
    train = (steps >= memorize_at).astype(float)
    test = np.zeros(len(values)) if grok_at is None else (steps >= grok_at).astype(float)
    return History({"step": steps, "train_acc": train, "test_acc": test, column: np.asarray(values, float)})


def run(h):
    return Run(None, h, None, None)


def test_each_rule_fires_at_its_planted_step():
    t = np.arange(40.0)
    ramp = np.where(t < 20, 1.0, np.exp(0.3 * (t - 20)))            # ln v grows 0.3 per step after 20
    assert 20 <= Rule("signal", "slope", 0.2, window=4).fire(history(ramp)) <= 23
    assert Rule("signal", "rise", 0.5).fire(history(np.where(t < 30, 2.0, 3.0))) == 30
    assert Rule("signal", "fall", 0.5).fire(history(10.0 - 0.2 * t)) == 28  # < 4.5 = half of v(5) = 9
    peak = np.where(t < 25, t, 50.0 - t)                               # peaks at 25, turns down
    assert Rule("signal", "turn", 0.1).fire(history(peak)) == 28
    assert Rule("signal", "rise", 5.0).fire(history(np.ones(40))) is None


def test_a_rule_waits_for_memorization_and_ignores_missing_values():
    v = np.where(np.arange(30) < 3, 10.0, 1.0)     # a big early drop, before memorization at step 5
    assert Rule("signal", "fall", 0.5).fire(history(v)) is None
    assert Rule("signal", "fall", 0.5).fire(history(v, memorize_at=99)) is None
    gaps = np.array([1.0, np.nan] * 15)
    gaps[20] = 5.0
    assert Rule("signal", "rise", 1.0).fire(history(gaps)) == 20


def test_score_counts_hits_false_alarms_and_leads():
    t = np.arange(60.0)
    fires_at_30 = np.where(t < 30, 0.0, 1.0)
    runs = [run(history(fires_at_30, grok_at=40)), run(history(fires_at_30, grok_at=25)),
            run(history(np.zeros(60), grok_at=50)), run(history(fires_at_30)), run(history(np.zeros(60)))]
    s = score(runs, Rule("signal", "rise", 0.5))
    assert (s["hits"], s["n_grokked"], s["false_alarms"], s["n_controls"]) == (2, 3, 1, 2)
    assert s["hit_rate"] == pytest.approx(2 / 3) and s["false_alarm_rate"] == pytest.approx(0.5)
    np.testing.assert_array_equal(s["leads"], [10.0, -5.0, np.nan])
    assert s["lead"] == pytest.approx(2.5)
    curve = sweep(runs, Rule("signal", "rise", 0.5), [0.5, 2.0])
    np.testing.assert_allclose(curve, [[0.5, 2 / 3], [0.0, 0.0]])


@pytest.mark.parametrize("call, match", [
    (lambda: Rule("x", "jump", 1.0), "kind must be one of"),
    (lambda: Rule("x", "slope", 1.0, window=1), "window ≥ 2"),
    (lambda: Rule("x", "fall", 1.5), "fraction in"),
    (lambda: score([], Rule("x", "rise", 1.0)), "at least one run"),
])
def test_bad_inputs_say_what_is_wrong(call, match):
    with pytest.raises(ValueError, match=match):
        call()
