"""Oracle tests for the power-law fits: known exponents, noise, and censoring that a naive fit gets wrong."""
import numpy as np
import pytest

from grokbook.diagnostics.scaling import fit_exponents, fit_power_law


def test_exact_power_law_is_recovered():
    x = np.geomspace(1, 100, 8)
    fit = fit_power_law(x, 5 * x**-1.5, n_boot=50)
    assert fit["exponent"] == pytest.approx(-1.5, abs=1e-9) and fit["prefactor"] == pytest.approx(5)
    assert fit["ci"][0] == pytest.approx(-1.5, abs=1e-6) and fit["ci"][1] == pytest.approx(-1.5, abs=1e-6)


def test_two_exponents_with_noise_and_the_intervals_coverage():
    rng = np.random.default_rng(1)
    lam, eta = np.meshgrid(np.geomspace(0.1, 1, 4), np.geomspace(1e-3, 1e-2, 4))
    x = np.column_stack([np.repeat(lam.ravel(), 3), np.repeat(eta.ravel(), 3)])
    covered = []
    for trial in range(40):
        y = 2.0 / (x[:, 0] * x[:, 1]) * np.exp(rng.normal(0, 0.1, len(x)))
        fit = fit_exponents(x, y, n_boot=100, level=0.9, seed=trial)
        assert np.allclose(fit["exponents"], [-1, -1], atol=0.1)
        assert all(hi - lo < 0.3 for lo, hi in fit["ci"])
        covered += [lo <= -1 <= hi for lo, hi in fit["ci"]]
    assert 0.75 <= np.mean(covered) <= 1.0          # a 90% interval covers the truth ≈ 90% of the time


def test_censored_points_are_counted_not_dropped():
    rng = np.random.default_rng(2)
    x = np.repeat(np.geomspace(1, 10, 6), 4)
    y = 100 * x**-1.0 * np.exp(rng.normal(0, 0.2, len(x)))
    cap = 40.0                                  # a budget: the slow (small-x) runs never finish
    cens = y >= cap
    assert cens.sum() >= 4
    observed = np.minimum(y, cap)
    tobit = fit_power_law(x, observed, censored=cens, n_boot=100)
    dropped = fit_power_law(x[~cens], y[~cens], n_boot=10)
    assert tobit["n_censored"] == cens.sum()
    assert abs(tobit["exponent"] + 1) < abs(dropped["exponent"] + 1)   # dropping biases towards 0
    assert abs(tobit["exponent"] + 1) < 0.15


def test_bad_inputs_are_refused():
    with pytest.raises(ValueError, match="> 0"):
        fit_power_law(np.array([1.0, 2, 3, 4]), np.array([1.0, -2, 3, 4]))
    with pytest.raises(ValueError, match="one row per point"):
        fit_power_law(np.array([1.0, 2, 3]), np.array([1.0, 2]))
    with pytest.raises(ValueError, match="uncensored points"):
        fit_power_law(np.array([1.0, 2, 3]), np.array([1.0, 2, 3]), censored=[True, True, False])
    lenient = fit_power_law(np.array([1.0, 2, 3]), np.array([1.0, 2, 3]), censored=[True, True, False],
                            strict=False)
    assert np.isnan(lenient["exponent"]) and lenient["n_censored"] == 2
    with pytest.raises(ValueError, match="level"):
        fit_power_law(np.array([1.0, 2, 3, 4]), np.array([1.0, 2, 3, 4]), level=1.5)


def test_censored_times_count_unfinished_runs_at_the_budget():
    from grokbook.diagnostics.scaling import censored_times
    t, c = censored_times(np.array([10.0, np.nan, 5.0]), np.array([30.0, np.nan, np.nan]), 100)
    assert t.tolist() == [20.0, 100.0, 95.0] and c.tolist() == [False, True, True]
    with pytest.raises(ValueError, match="one shape"):
        censored_times(np.array([1.0]), np.array([1.0, 2.0]), 10)
