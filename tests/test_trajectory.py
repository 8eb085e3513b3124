"""Tests for grokbook.diagnostics.trajectory: jump analysis of a parameter-space path."""
import numpy as np
import pytest

from grokbook import MLPConfig, ModularArithmetic, TrainConfig, train
from grokbook.history import History
from grokbook.diagnostics.trajectory import (DistanceFromMemorization, displacement_bound, escape_times, flat_parameters,
                                             jump_statistics, mean_between, relative_distance,
                                             largest_steps_share, share_curve, steps_to_cover, straightness)
from grokbook.escape import stable_noise


def test_equal_steps_share_linearly():
    curve = share_curve(np.full(50, 0.3))
    assert curve == pytest.approx(np.arange(1, 51) / 50)
    assert steps_to_cover(np.full(50, 0.3), 0.5) == 25


def test_one_planted_jump_dominates():
    steps = np.full(1000, 0.01)
    steps[417] = 90.0  # 90 of a path length of 99.99
    assert largest_steps_share(steps, 1) == pytest.approx(90 / 99.99)
    assert steps_to_cover(steps, 0.5) == 1
    assert displacement_bound(steps, 90.0, k=1) == pytest.approx(1.0)


def test_levy_flight_concentrates_more_than_gaussian_walk():
    rng = np.random.default_rng(0)
    gaussian = np.abs(rng.standard_normal(5000))
    levy = np.abs(stable_noise(0.8, 5000, rng))
    assert largest_steps_share(levy, 10) > 0.3 > 0.02 > largest_steps_share(gaussian, 10)


def test_displacement_bound_and_straightness():
    steps = np.array([1.0, 2.0, 3.0, 4.0])
    assert displacement_bound(steps, 5.0, k=2) == pytest.approx(7.0 / 5.0)
    assert straightness(steps, 5.0) == pytest.approx(0.5)


@pytest.mark.parametrize("call,match", [
    (lambda: share_curve(np.array([])), "step_sizes"),
    (lambda: share_curve(np.array([1.0, -1.0])), "step_sizes"),
    (lambda: share_curve(np.zeros(3)), "step_sizes"),
    (lambda: share_curve(np.ones((2, 2))), "step_sizes"),
    (lambda: largest_steps_share(np.ones(3), 4), "k"),
    (lambda: largest_steps_share(np.ones(3), 0), "k"),
    (lambda: steps_to_cover(np.ones(3), 1.5), "share"),
    (lambda: displacement_bound(np.ones(3), 0.0), "displacement"),
    (lambda: straightness(np.ones(3), -1.0), "displacement"),
    (lambda: DistanceFromMemorization(threshold=0.0), "threshold"),
])
def test_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_distance_from_memorization_is_nan_until_memorized_then_matches_the_weights():
    cfg = TrainConfig(task=ModularArithmetic(p=11, train_fraction=0.6), model=MLPConfig(width=64), steps=200,
                      lr=1e-2, weight_decay=0.0, device="cpu", log_grid="linear", log_points=21)
    snapshots = {}

    def snapshot(ctx):
        snapshots[ctx.step] = flat_parameters(ctx.model).clone()
        return 0.0

    run = train(cfg, diagnostics={"distance": DistanceFromMemorization(), "theta": snapshot}, progress=False)
    h = run.history
    t_mem = run.steps_to_memorize
    assert t_mem is not None and t_mem > 0
    before, after = h["step"] < t_mem, h["step"] >= t_mem
    assert np.all(np.isnan(h["distance"][before])) and h["distance"][h["step"] == t_mem][0] == 0.0
    last = int(h["step"][-1])
    expected = float((snapshots[last] - snapshots[t_mem]).double().norm())
    assert h["distance"][-1] == pytest.approx(expected, rel=1e-6)
    assert np.all(h["distance"][after][1:] > 0)


def test_distance_from_memorization_keeps_one_anchor_per_member_and_restarts_at_step_zero():
    from grokbook import train_ensemble, vary
    from grokbook.diagnostics.trajectory import distance_from_memorization
    assert DistanceFromMemorization is distance_from_memorization  # the old name is the same factory
    cfg = TrainConfig(task=ModularArithmetic(p=11, train_fraction=0.6), model=MLPConfig(width=64), steps=120,
                      lr=1e-2, weight_decay=0.0, device="cpu", log_grid="linear", log_points=13)
    shared = distance_from_memorization()
    pair = train_ensemble([vary(cfg, seed=0), vary(cfg, seed=1)], diagnostics={"d": shared}, progress=False)
    again = train(vary(cfg, seed=1), diagnostics={"d": shared}, progress=False)  # reused: member 0 restarts
    alone = [train(vary(cfg, seed=s), diagnostics={"d": distance_from_memorization()}, progress=False)
             for s in (0, 1)]
    for run, ref in [(pair[0], alone[0]), (pair[1], alone[1]), (again, alone[1])]:
        np.testing.assert_allclose(run.history["d"], ref.history["d"], rtol=1e-5, atol=1e-6)
    assert np.isfinite(alone[1].history["d"][-1])


def _history(steps, train_acc, test_acc, **columns):
    return History({"step": np.asarray(steps), "train_acc": np.asarray(train_acc, float),
                    "test_acc": np.asarray(test_acc, float), **{k: np.asarray(v, float) for k, v in columns.items()}})


def test_escape_times_interpolates_the_three_boundaries():
    h = _history([0, 100, 200, 300, 400], [0.0, 0.5, 1.0, 1.0, 1.0], [0.0, 0.0, 0.0, 0.5, 1.0])
    t = escape_times(h)
    assert t["t_mem"] == pytest.approx(100 + 100 * 0.49 / 0.5)
    assert t["t_rise"] == pytest.approx(220.0) and t["t_grok"] == pytest.approx(390.0)
    assert t["dwell"] == pytest.approx(t["t_rise"] - t["t_mem"])
    assert t["plateau"] == pytest.approx(t["t_grok"] - t["t_mem"])
    never = escape_times(_history([0, 10], [0.0, 1.0], [0.0, 0.05]))
    assert np.isnan(never["t_rise"]) and np.isnan(never["dwell"]) and np.isnan(never["t_grok"])
    with pytest.raises(ValueError, match="rise_level"):
        escape_times(h, rise_level=0.99)


def test_relative_distance_and_mean_between():
    h = _history([0, 10, 20], [1.0] * 3, [0.0] * 3, weight_norm=[4.0, 5.0, 6.0], distance=[0.0, 1.0, 2.0],
                 alpha=[1.5, np.nan, 1.9])
    assert relative_distance(h, 0, 20) == pytest.approx(0.5)
    assert np.isnan(relative_distance(h, np.nan, 20))
    assert mean_between(h, "alpha", 0, 20) == pytest.approx(1.7)
    assert np.isnan(mean_between(h, "alpha", 5, 15)) and np.isnan(mean_between(h, "alpha", np.nan, 5))
    with pytest.raises(ValueError, match="distance"):
        relative_distance(_history([0], [1.0], [0.0], weight_norm=[1.0]), 0, 0)


def test_jump_statistics_sees_a_planted_jump_and_not_a_drift():
    steps = np.arange(0, 101, 10)
    h = _history(steps, [1.0] * 11, [0.0] * 11, distance=steps * 0.0 + 50.0)
    h.per_step["update_norm"] = np.full(100, 0.1)
    drift = jump_statistics(h, 0, 100)
    assert drift["max_over_mean"] == pytest.approx(1.0) and drift["half_path_fraction"] == pytest.approx(0.5)
    assert drift["bound_k"] == pytest.approx(10 * 0.1 / 50.0)
    h.per_step["update_norm"][40] = 45.0
    jump = jump_statistics(h, 0, 100)
    assert jump["bound_k"] > 0.9 and jump["half_path_fraction"] == pytest.approx(0.01)
    assert all(np.isnan(v) for v in jump_statistics(h, np.nan, 100).values())
