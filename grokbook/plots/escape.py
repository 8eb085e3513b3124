"""Figures of chapter 7: escape times against the Kramers and Lévy laws, paths, jump shares, scaling fits."""
from __future__ import annotations

from typing import Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes

from grokbook.escape import double_well, gaussian_exit_time, levy_exit_time, mean_exit_time

__all__ = ["NOISE_COLORS", "plot_dwell_cdfs", "plot_exit_sweep", "plot_noise_sweeps", "plot_potential_and_paths", "plot_row_tail_indices",
           "plot_scaling_fits", "plot_share_curves", "plot_toy"]

NOISE_COLORS = {"gaussian": "#1f77b4", "levy": "#d62728"}


def plot_potential_and_paths(height: float, width: float, paths: dict[str, np.ndarray], dt: float,
                             axes: Sequence[Axes] | None = None) -> Sequence[Axes]:
    """Left: the double well ``U(x)``; right: one path per noise type (position against time)."""
    if axes is None:
        axes = plt.figure(figsize=(11, 3.4)).subplots(1, 2, gridspec_kw={"width_ratios": [1, 2.2]})
    ax_u, ax_x = axes
    x = np.linspace(-1.8 * width, 1.8 * width, 400)
    ax_u.plot(x, double_well(x, height, width), color="k")
    ax_u.annotate("", xy=(0, height), xytext=(0, 0), arrowprops={"arrowstyle": "<->", "color": "gray"})
    ax_u.text(0.05 * width, height / 2, f"barrier h = {height:g}", fontsize=8)
    ax_u.annotate("", xy=(0, -0.12 * height), xytext=(-width, -0.12 * height),
                  arrowprops={"arrowstyle": "<->", "color": "gray"})
    ax_u.text(-width, -0.3 * height, f"width w = {width:g}", fontsize=8)
    ax_u.set_ylim(-0.4 * height, 2.2 * height)
    ax_u.set_xlabel("position x")
    ax_u.set_ylabel("potential U(x)")
    ax_u.set_title("double well  U = h((x/w)² − 1)²", fontsize=9)
    for name, path in paths.items():
        t = np.arange(len(path)) * dt
        ax_x.plot(t, path, lw=0.7, color=NOISE_COLORS.get(name), label=name)
    ax_x.axhline(0, color="gray", ls=":", lw=1)
    ax_x.set_xlabel("time t")
    ax_x.set_ylabel("position x")
    ax_x.legend(fontsize=8, loc="upper left")
    ax_x.set_title("one path per noise: Gaussian climbs, Lévy jumps", fontsize=9)
    return axes


def plot_exit_sweep(x: Sequence[float], measured: dict[str, tuple[np.ndarray, np.ndarray]],
                    theory: dict[str, np.ndarray], *, xlabel: str, ax: Axes | None = None,
                    title: str | None = None) -> Axes:
    """Mean exit time (dots, ± standard error) against a well parameter, one series per noise, with
    each noise's law (``theory``, same keys) as a line; log y axis."""
    ax = ax if ax is not None else plt.figure(figsize=(5.5, 3.8)).gca()
    for name, (mean, se) in measured.items():
        color = NOISE_COLORS.get(name)
        ax.errorbar(x, mean, yerr=se, fmt="o", color=color, capsize=3, label=f"{name}: simulated")
        if name in theory:
            ax.plot(x, theory[name], "-", color=color, alpha=0.7, label=f"{name}: law")
    ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("mean exit time E τ (time units)")
    ax.legend(fontsize=7)
    if title:
        ax.set_title(title, fontsize=9)
    return ax


def plot_share_curves(step_sizes: dict[str, np.ndarray], ax: Axes | None = None) -> Axes:
    """Share of the path length covered by the largest steps against the fraction ``k/n`` of steps
    counted (largest first, log x), one curve per trajectory. Equal steps give the diagonal; a path
    made by a few long jumps rises to near 1 at the far left."""
    from grokbook.diagnostics.trajectory import share_curve

    ax = ax if ax is not None else plt.figure(figsize=(5.5, 3.8)).gca()
    smallest = 1.0
    for label, s in step_sizes.items():
        curve = share_curve(s)
        fraction = np.arange(1, len(curve) + 1) / len(curve)
        ax.plot(fraction, curve, label=f"{label} (n = {len(curve)})")
        smallest = min(smallest, fraction[0])
    grid = np.geomspace(smallest, 1.0, 100)
    ax.plot(grid, grid, "k:", lw=1, label="equal steps")
    ax.set_xscale("log")
    ax.set_xlabel("fraction k/n of the steps (largest first)")
    ax.set_ylabel("share of path length")
    ax.set_ylim(0, 1.02)
    ax.legend(fontsize=7)
    return ax


def plot_scaling_fits(x: np.ndarray, samples: np.ndarray, fits: dict[str, dict[str, float]], *, xlabel: str,
                      ylabel: str, ax: Axes | None = None) -> Axes:
    """Samples (one row per ``x``, rows may differ in length; NaN = never) with their mean, and the
    exponential and power-law fits of ``compare_scaling_laws`` with their R²; log-log axes."""
    ax = ax if ax is not None else plt.figure(figsize=(5.5, 3.8)).gca()
    x, samples = np.asarray(x, dtype=float), [np.asarray(row, dtype=float) for row in samples]
    for xi, row in zip(x, samples):
        ok = np.isfinite(row)
        ax.scatter(np.full(ok.sum(), xi), row[ok], s=14, color="gray", alpha=0.7, zorder=3)
    ax.plot(x, [np.nanmean(r) if np.isfinite(r).any() else np.nan for r in samples], "ko", label="seed mean")
    grid = np.geomspace(x.min(), x.max(), 100)
    law = {"exponential": lambda f: f["A"] * np.exp(f["b"] * grid), "power": lambda f: f["A"] * grid ** f["b"]}
    for name, style in (("exponential", "--"), ("power", "-")):
        ax.plot(grid, law[name](fits[name]), style, label=f"{name} fit (R² = {fits[name]['r2']:.2f})")
    if any(np.isfinite(row).any() for row in samples):  # log axes need data (not so in a cut run)
        ax.set_xscale("log")
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.legend(fontsize=7)
    return ax


def plot_dwell_cdfs(samples: dict[str, np.ndarray], ax: Axes | None = None) -> Axes:
    """Empirical distribution of waiting times in units of their mean, ``P(τ/⟨τ⟩ ≤ x)``, one curve per
    sample (``inf``/NaN = censored or never, dropped; an empty sample draws nothing), against the memoryless law ``1 − e^{−x}`` (dotted). A
    noise-activated escape follows the dotted curve; a deterministic drift is a step at x = 1."""
    ax = ax if ax is not None else plt.figure(figsize=(5.5, 3.8)).gca()
    top = 1.0
    for label, t in samples.items():
        t = np.sort(np.asarray(t, dtype=float)[np.isfinite(t)])
        if len(t) == 0:  # nothing reached the boundary (e.g. a budget-cut run): no curve
            continue
        x = t / t.mean()
        ax.step(x, np.arange(1, len(x) + 1) / len(x), where="post", label=f"{label} (n = {len(x)})")
        top = max(top, float(x.max()))
    grid = np.linspace(0, top, 200)
    ax.plot(grid, 1 - np.exp(-grid), "k:", lw=1, label="memoryless: 1 − e^(−x)")
    ax.set_xlabel("waiting time / its mean")
    ax.set_ylabel("cumulative share of runs")
    ax.legend(fontsize=7)
    return ax


def plot_toy(result: dict, fig) -> None:
    """The chapter's panel: the well, one path, and the histogram of exit times of ``simulate_toy``."""
    axes = fig.subplots(1, 3, gridspec_kw={"width_ratios": [1, 2, 1.3]})
    plot_potential_and_paths(result["height"], result["width"], {result["noise"]: result["path"]},
                             dt=result["dt"], axes=axes[:2])
    times = result["times"]
    axes[2].hist(times[np.isfinite(times)], bins=30, color="gray")
    axes[2].set_xlabel("exit time τ (time units)")
    axes[2].set_ylabel("particles")
    axes[2].set_title(f"mean exit time {mean_exit_time(times)[0]:.1f}", fontsize=9)
    fig.tight_layout()


def plot_noise_sweeps(inverse_variances: np.ndarray, gaussian: tuple, scales: np.ndarray, levy: tuple,
                      alpha: float, *, height: float = 1.0, width: float = 1.0,
                      axes: Sequence[Axes] | None = None) -> Sequence[Axes]:
    """The toy's noise-strength sweeps with their laws: Gaussian mean exit time against ``1/σ²`` (log y:
    Kramers is a straight line) and Lévy against ε (log-log: Imkeller–Pavlyukevich is a line of slope
    −α). ``gaussian`` and ``levy`` are ``exit_time_sweep`` results (means, standard errors, …)."""
    if axes is None:
        axes = plt.figure(figsize=(11, 3.8)).subplots(1, 2)
    ax_g, ax_l = axes
    inverse_variances, scales = np.asarray(inverse_variances, float), np.asarray(scales, float)
    plot_exit_sweep(inverse_variances, {"gaussian": gaussian[:2]},
                    {"gaussian": [gaussian_exit_time(height, width, v ** -0.5) for v in inverse_variances]},
                    xlabel=f"1/σ² (h = {height:g})", ax=ax_g, title="Gaussian: exponential in 1/σ²")
    plot_exit_sweep(scales, {"levy": levy[:2]},
                    {"levy": [levy_exit_time(alpha, e, np.inf, width) for e in scales]},
                    xlabel=f"noise scale ε (h = {height:g})", ax=ax_l, title=f"Lévy: ∝ ε^(−α), α = {alpha:g}")
    ax_l.set_xscale("log")
    return axes


def plot_row_tail_indices(rows: dict, ax: Axes | None = None) -> Axes:
    """Histograms of per-row tail indices, one per label: ``rows[label] = (α̂ per row, α̂ per row of
    the Gaussian surrogate)``; the surrogate's median as a dashed line of the same colour."""
    ax = ax if ax is not None else plt.figure(figsize=(6.5, 3.8)).gca()
    for label, (real, fake) in rows.items():
        real = np.asarray(real, float)
        patches = ax.hist(real[np.isfinite(real)], bins=20, alpha=0.6, label=f"embedding rows, B = {label}")[2]
        ax.axvline(np.nanmedian(fake), ls="--", lw=1, color=patches[0].get_facecolor()[:3])
    ax.set_xlabel("tail index α̂ of one row's gradient noise")
    ax.set_ylabel("rows")
    ax.set_title("α̂ per embedding row (dashed: Gaussian surrogate's median)", fontsize=9)
    ax.legend(fontsize=7)
    return ax
