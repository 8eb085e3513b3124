"""Tests for grokbook.escape: the double well, the α-stable sampler, the exit-time simulator and laws."""
import math

import numpy as np
import pytest
from scipy import stats

from grokbook.escape import (coefficient_of_variation, compare_scaling_laws, double_well, double_well_force,
                             exit_time_sweep, gaussian_exit_time, group_cvs, kramers_time, levy_constant,
                             levy_exit_time, mean_exit_time, pool_groups, sgd_escape_exponents, simulate_exit_times,
                             simulate_paths, simulate_toy, stable_noise)


@pytest.mark.parametrize("height,width", [(1.0, 1.0), (2.5, 0.5), (0.3, 2.0)])
def test_double_well_has_minima_at_plus_minus_width_and_barrier_height(height, width):
    assert double_well(np.array([-width, width]), height, width) == pytest.approx([0.0, 0.0])
    assert double_well(0.0, height, width) == pytest.approx(height)
    x = np.linspace(-1.8 * width, 1.8 * width, 1001)
    assert abs(x[np.argmin(double_well(x, height, width))]) == pytest.approx(width, abs=4 * width / 1000)


def test_force_is_minus_the_gradient():
    x, h = np.linspace(-2, 2, 41), 1e-6
    numeric = -(double_well(x + h, 1.7, 0.8) - double_well(x - h, 1.7, 0.8)) / (2 * h)
    assert double_well_force(x, 1.7, 0.8) == pytest.approx(numeric, rel=1e-5, abs=1e-6)


def test_stable_noise_special_cases_gaussian_and_cauchy():
    rng = np.random.default_rng(0)
    assert np.var(stable_noise(2.0, 200_000, rng)) == pytest.approx(2.0, rel=0.02)  # α = 2 is N(0, 2)
    assert stats.kstest(stable_noise(1.0, 20_000, rng), stats.cauchy.cdf).pvalue > 1e-3


def test_stable_noise_matches_scipy_levy_stable():
    x = stable_noise(1.5, 3000, np.random.default_rng(1))
    assert stats.kstest(x, stats.levy_stable(1.5, 0.0).cdf).pvalue > 1e-3


@pytest.mark.parametrize("alpha", [1.2, 1.7])
def test_tail_matches_levy_constant(alpha):
    # P(X > x) ≈ c_α x^{−α} / α far in the tail.
    x = stable_noise(alpha, 400_000, np.random.default_rng(2))
    threshold = 30.0
    predicted = levy_constant(alpha) * threshold ** (-alpha) / alpha
    assert np.mean(x > threshold) == pytest.approx(predicted, rel=0.15)


def test_levy_constant_cauchy():
    assert levy_constant(1.0) == pytest.approx(1 / math.pi)


def test_mean_exit_time_handles_censoring():
    rng = np.random.default_rng(3)
    times = rng.exponential(10.0, 20_000)
    times[times > 15.0] = np.inf  # a simulation that stopped at T = 15
    mean, se = mean_exit_time(times)
    assert mean == pytest.approx(10.0, rel=0.04)
    assert se == pytest.approx(mean / math.sqrt(np.isfinite(times).sum()))


def test_kramers_is_the_large_barrier_limit_of_the_exact_time():
    ratios = [kramers_time(h, 1.0, 1.0) / gaussian_exit_time(h, 1.0, 1.0) for h in (1.0, 3.0, 8.0)]
    assert ratios[0] < ratios[1] < ratios[2] < 1.0
    assert ratios[2] == pytest.approx(1.0, abs=0.03)


def test_gaussian_simulation_matches_exact_exit_time():
    times = simulate_exit_times("gaussian", height=1.0, width=1.0, scale=1.0, n_particles=1500,
                                max_time=25.0, seed=4)
    assert mean_exit_time(times)[0] == pytest.approx(gaussian_exit_time(1.0, 1.0, 1.0), rel=0.07)


def test_levy_simulation_matches_imkeller_pavlyukevich_law():
    times = simulate_exit_times("levy", height=2.0, width=1.0, scale=0.2, alpha=1.5,
                                n_particles=1000, max_time=150.0, seed=5)
    predicted = levy_exit_time(1.5, 0.2, math.inf, 1.0)
    assert mean_exit_time(times)[0] == pytest.approx(predicted, rel=0.2)


def test_levy_exit_depends_on_width_not_height_gaussian_on_height():
    def mean(noise, h, w, scale):
        t = simulate_exit_times(noise, height=h, width=w, scale=scale, alpha=1.5, n_particles=600,
                                max_time=200.0, seed=6)
        return mean_exit_time(t)[0]

    assert mean("gaussian", 2.0, 1.0, 1.0) / mean("gaussian", 0.5, 1.0, 1.0) > 4.0
    assert mean("levy", 2.0, 1.0, 0.3) / mean("levy", 0.5, 1.0, 0.3) < 1.6
    assert mean("levy", 1.0, 2.0, 0.3) / mean("levy", 1.0, 1.0, 0.3) == pytest.approx(2**1.5, rel=0.3)


def test_levy_exit_time_formula():
    # α ε^{−α} / (c (|b₋|^{−α} + b₊^{−α})) with c = 1: the normalisation quoted in BRIEF.
    assert levy_exit_time(1.5, 0.5, 2.0, 1.0, constant=1.0) == pytest.approx(1.5 * 0.5**-1.5 / (2**-1.5 + 1))
    assert levy_exit_time(1.0, 1.0, math.inf, 1.0) == pytest.approx(math.pi)


def test_compare_scaling_laws_picks_the_planted_law():
    x = np.array([8.0, 16, 32, 64, 128, 256])
    noise = np.exp(np.random.default_rng(7).normal(0, 0.03, len(x)))
    power = compare_scaling_laws(x, 50 * x**0.7 * noise)
    assert power["power"]["b"] == pytest.approx(0.7, abs=0.05) and power["power"]["r2"] > 0.99
    assert power["power"]["r2"] > power["exponential"]["r2"]
    expo = compare_scaling_laws(x, 5 * np.exp(0.02 * x) * noise)
    assert expo["exponential"]["b"] == pytest.approx(0.02, abs=0.003)
    assert expo["exponential"]["r2"] > expo["power"]["r2"]


def test_compare_scaling_laws_drops_never_and_rejects_too_few_points():
    fits = compare_scaling_laws([1.0, 2, 4, 8], [3.0, 6, np.nan, 24])
    assert fits["power"]["b"] == pytest.approx(1.0)
    with pytest.raises(ValueError, match="distinct"):
        compare_scaling_laws([1.0, 2, 4], [1.0, np.nan, 3.0])
    with pytest.raises(ValueError, match="> 0"):
        compare_scaling_laws([1.0, 2, 4], [1.0, -2.0, 3.0])


def test_paths_start_in_the_left_well_and_levy_paths_jump():
    g = simulate_paths("gaussian", scale=0.3, n_steps=500, n_particles=3)
    levy = simulate_paths("levy", scale=0.3, alpha=1.2, n_steps=500, n_particles=3)
    assert g.shape == levy.shape == (501, 3) and np.all(g[0] == -1.0)
    assert np.abs(np.diff(levy, axis=0)).max() > 5 * np.abs(np.diff(g, axis=0)).max()


def test_plots_draw(tmp_path):
    import matplotlib
    matplotlib.use("Agg")
    from grokbook.plots.escape import (plot_exit_sweep, plot_potential_and_paths, plot_scaling_fits,
                                       plot_share_curves)

    plot_potential_and_paths(1.0, 1.0, {"gaussian": np.zeros(10), "levy": np.ones(10)}, dt=0.01)
    ax = plot_exit_sweep([1, 2], {"gaussian": (np.array([1.0, 2.0]), np.array([0.1, 0.2]))},
                         {"gaussian": np.array([1.0, 2.1])}, xlabel="barrier height h")
    assert ax.get_yscale() == "log"
    plot_share_curves({"run": np.array([1.0, 2.0, 3.0])})
    x = np.array([1.0, 2, 4])
    plot_scaling_fits(x, np.array([[1.0, 1.1], [2.0, np.nan], [4.0, 4.2]]),
                      compare_scaling_laws(np.repeat(x, 2), [1.0, 1.1, 2.0, np.nan, 4.0, 4.2]),
                      xlabel="batch size B", ylabel="steps to grok")


@pytest.mark.parametrize("alpha", [0.0, -1.0, 2.5, float("nan")])
def test_alpha_outside_zero_two_is_rejected(alpha):
    with pytest.raises(ValueError, match="alpha"):
        stable_noise(alpha, 10, np.random.default_rng(0))
    with pytest.raises(ValueError, match="alpha"):
        levy_exit_time(alpha, 0.5, 1.0, 1.0)
    with pytest.raises(ValueError, match="alpha"):
        simulate_exit_times("levy", alpha=alpha, n_particles=2, max_time=0.1)


@pytest.mark.parametrize("call,match", [
    (lambda: simulate_exit_times("cauchy", n_particles=2), "noise"),
    (lambda: simulate_exit_times("gaussian", height=0.0), "height"),
    (lambda: simulate_exit_times("gaussian", width=-1.0), "width"),
    (lambda: simulate_exit_times("gaussian", scale=0.0), "scale"),
    (lambda: simulate_exit_times("gaussian", dt=0.0), "dt"),
    (lambda: simulate_exit_times("gaussian", n_particles=0), "n_particles"),
    (lambda: mean_exit_time(np.array([np.inf, np.inf])), "times"),
    (lambda: mean_exit_time(np.array([])), "times"),
    (lambda: kramers_time(1.0, 1.0, 0.0), "sigma"),
    (lambda: gaussian_exit_time(1.0, 1.0, 1.0, n_grid=10), "n_grid"),
    (lambda: levy_exit_time(2.0, 0.5, 1.0, 1.0), "alpha"),
    (lambda: levy_exit_time(1.5, 0.5, 0.0, 1.0), "distance_left"),
    (lambda: levy_constant(2.0), "alpha"),
    (lambda: simulate_paths("uniform"), "noise"),
    (lambda: simulate_paths("levy", alpha=3.0), "alpha"),
    (lambda: simulate_paths("gaussian", n_steps=0), "n_steps"),
    (lambda: compare_scaling_laws([1.0, 2.0], [1.0]), "same number"),
])
def test_bad_input_raises(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_coefficient_of_variation_of_exponential_and_constant_times():
    rng = np.random.default_rng(8)
    assert coefficient_of_variation(rng.exponential(5.0, 50_000)) == pytest.approx(1.0, abs=0.02)
    assert coefficient_of_variation(np.full(10, 3.0)) == 0.0
    assert coefficient_of_variation(np.array([1.0, 3.0, np.nan, np.inf])) == pytest.approx(math.sqrt(2) / 2)
    assert math.isnan(coefficient_of_variation(np.array([1.0, np.nan])))
    with pytest.raises(ValueError, match="> 0"):
        coefficient_of_variation(np.array([1.0, -1.0]))


def test_group_cvs_of_exponential_times_scatter_around_one():
    cvs = group_cvs(np.random.default_rng(9).exponential(1.0, 10_000), 10)
    assert cvs.shape == (1000,)
    assert np.median(cvs) == pytest.approx(0.92, abs=0.06)  # small-sample CV is biased low
    assert np.quantile(cvs, 0.05) > 0.45
    assert group_cvs(np.array([1.0, 1.0, 2.0, 2.0, np.inf]), 2).tolist() == [0.0, 0.0]
    with pytest.raises(ValueError, match="size"):
        group_cvs(np.ones(5), 6)


def test_simulated_escapes_are_memoryless():
    for noise, scale in (("gaussian", 0.8), ("levy", 0.2)):
        times = simulate_exit_times(noise, scale=scale, alpha=1.5, n_particles=600, max_time=2000.0, seed=10)
        assert np.isfinite(times).all()
        assert coefficient_of_variation(times) == pytest.approx(1.0, abs=0.15)


def test_compare_scaling_laws_picks_the_right_law_on_simulated_exit_times():
    inverse_variance = np.array([1.0, 1.5, 2.0, 2.5])
    well = {"height": 1.0, "width": 1.0}
    gauss = exit_time_sweep("gaussian", [{**well, "scale": v ** -0.5} for v in inverse_variance],
                            n_particles=200, seed=11)[0]
    fits = compare_scaling_laws(inverse_variance, gauss)
    assert fits["exponential"]["r2"] > fits["power"]["r2"]
    assert fits["exponential"]["b"] == pytest.approx(2.0, rel=0.15)  # Kramers: slope 2h
    scales = np.array([0.1, 0.15, 0.2, 0.3])
    levy = exit_time_sweep("levy", [{**well, "scale": e} for e in scales], alpha=1.5, n_particles=300,
                           seed=12)[0]
    fits = compare_scaling_laws(1 / scales, levy)
    assert fits["power"]["r2"] > fits["exponential"]["r2"]
    # Imkeller–Pavlyukevich: E τ ∝ ε^(−α). The law is a small-noise limit; at ε = 0.3 moderate jumps
    # already shorten the exit (simulation ≈ 0.76 × law, ≈ 0.88 × at ε = 0.1), which steepens the
    # measured exponent by ≈ 0.13; the standard error of the slope is ≈ 0.1 at 300 particles.
    assert fits["power"]["b"] == pytest.approx(1.5 + 0.13, abs=0.3)


def test_exit_time_sweep_matches_the_laws_and_returns_the_times():
    means, errors, times = exit_time_sweep("levy", [{"height": 1.0, "width": 1.0, "scale": 0.2}],
                                           alpha=1.5, n_particles=400, seed=13)
    assert means[0] == pytest.approx(levy_exit_time(1.5, 0.2, math.inf, 1.0), rel=0.2)
    assert errors[0] == pytest.approx(means[0] / math.sqrt(np.isfinite(times[0]).sum()))
    assert len(times) == 1 and times[0].shape == (400,)
    with pytest.raises(ValueError, match="noise"):
        exit_time_sweep("brownian", [])


def test_compare_scaling_laws_not_strict_gives_nan_fits():
    fits = compare_scaling_laws([1.0, 2.0, 4.0], [1.0, np.nan, np.nan], strict=False)
    assert all(math.isnan(v) for law in fits.values() for v in law.values())


def test_sgd_escape_exponents_and_pool_groups():
    assert sgd_escape_exponents(2.0) == {"batch": 1.0, "lr": -2.0}
    assert sgd_escape_exponents(1.2) == pytest.approx({"batch": 0.2, "lr": -1.2})
    with pytest.raises(ValueError, match="alpha"):
        sgd_escape_exponents(2.5)
    assert all(math.isnan(v) for v in sgd_escape_exponents(float("nan")).values())
    x, y = pool_groups({1: [2.0, 3.0], 4: [5.0]})
    assert x.tolist() == [1.0, 1.0, 4.0] and y.tolist() == [2.0, 3.0, 5.0]


def test_simulate_toy_switches_noise_at_alpha_two():
    gaussian = simulate_toy(2.0, 0.3, n_particles=20, max_time=5.0)
    levy = simulate_toy(1.5, 0.3, n_particles=20, max_time=5.0)
    assert gaussian["noise"] == "gaussian" and levy["noise"] == "levy"
    assert gaussian["path"].shape == (3001,) and gaussian["times"].shape == (20,)


def test_new_plots_draw():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from grokbook.plots.escape import plot_dwell_cdfs, plot_noise_sweeps, plot_row_tail_indices, plot_toy

    ax = plot_dwell_cdfs({"runs": np.array([1.0, 2.0, np.inf]), "toy": np.array([0.5, 3.0])})
    assert ax.get_xlabel() and len(ax.get_lines()) == 3  # two samples and the memoryless reference
    assert len(plot_dwell_cdfs({"never": np.array([np.nan, np.nan])}).get_lines()) == 1
    sweep = (np.array([1.0, 2.0]), np.array([0.1, 0.2]))
    axes = plot_noise_sweeps([1.0, 2.0], sweep, [0.1, 0.2], sweep, 1.5)
    assert axes[1].get_xscale() == "log"
    plot_row_tail_indices({32: (np.array([1.2, 1.4, np.nan]), np.array([1.8, 1.9]))})
    plot_toy(simulate_toy(1.5, 0.3, n_particles=10, max_time=5.0), plt.figure())
    from grokbook.plots.escape import plot_scaling_fits
    empty = plot_scaling_fits([1.0, 2.0, 4.0], [[np.nan], [np.nan, np.nan], [np.nan]],  # ragged, no data
                              compare_scaling_laws([1.0, 2, 4], [np.nan] * 3, strict=False), xlabel="B",
                              ylabel="steps")
    assert empty.get_yscale() == "linear"
    empty.figure.canvas.draw()
    plt.close("all")
