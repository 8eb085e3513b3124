"""The landscape figures draw what they are given: labelled axes, one line per fit or tilt."""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from grokbook.plots import landscape as lp


def test_plot_norm_scaling_draws_fits_and_references():
    n = np.array([10.0, 20, 40])
    fit = {"exponent": 0.5, "ci": (0.4, 0.6), "prefactor": 1.0}
    ax = lp.plot_norm_scaling({"a": n}, {"a": n**0.5}, {"a": fit}, flat={"ref": 3.0})
    assert ax.get_xlabel() == "training pairs N" and ax.get_xscale() == "log"
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert any("N^0.50" in t for t in labels) and any(t.startswith("ref") for t in labels)
    plt.close("all")


def test_plot_path_energy_one_curve_per_tilt_relative_to_the_start():
    s = np.linspace(0, 1, 5)
    ax = lp.plot_path_energy(s, {0.0: s + 1, 0.1: 2 * s + 3})
    curves = [line for line in ax.get_lines() if len(line.get_xdata()) == 5]
    assert len(curves) == 2 and all(line.get_ydata()[0] == 0 for line in curves)
    plt.close("all")


def test_plot_time_law_marks_censored_runs_and_skips_a_nan_fit():
    x, t = np.array([1.0, 2, 4, 8]), np.array([80.0, 40, 20, 10])
    cens = np.array([True, False, False, False])
    nan_fit = {"exponent": float("nan"), "ci": (np.nan, np.nan), "prefactor": np.nan}
    ax = lp.plot_time_law(x, t, cens, nan_fit, xlabel="λ")
    assert ax.get_xlabel() == "λ" and len(ax.get_lines()) == 0
    fit = {"exponent": -1.0, "ci": (-1.1, -0.9), "prefactor": 80.0}
    ax = lp.plot_time_law(x, t, cens, fit, xlabel="λ")
    assert len(ax.get_lines()) == 2          # the fit and the reference slope
    plt.close("all")


def test_plot_branches_draws_one_mean_line_per_branch_and_the_window():
    lams = np.array([0.0, 0.1, 0.4, 1.6])
    ax = lp.plot_branches(lams, {"memorizer": np.array([[0, 0, 0, 1.0], [0, 0, 0.5, 1]]),
                                 "generalizer": np.ones((2, 4))}, ylabel="test accuracy",
                          window=(0.0, 0.4))
    means = [line.get_ydata() for line in ax.get_lines()]
    assert len(means) == 2 and np.allclose(means[0], [0, 0, 0.25, 1])
    assert ax.get_xscale() == "symlog" and ax.get_ylabel() == "test accuracy"
    assert any(t.get_text() == "branches disagree" for t in ax.get_legend().get_texts())
    plt.close("all")


def test_plot_profiles_one_line_per_profile_on_a_log_axis():
    s = np.linspace(0, 1, 4)
    ax = lp.plot_profiles({"straight": (s, 1 + s), "trained": (s, 2 - s)}, xlabel="s",
                          ylabel="loss", log_y=True)
    assert [line.get_label() for line in ax.get_lines()] == ["straight", "trained"]
    assert ax.get_yscale() == "log" and ax.get_xlabel() == "s"
    plt.close("all")
