"""Statistics of waiting times: censored means, coefficients of variation, scaling-law fits.

A noise-activated escape is memoryless (its waiting time ≈ exponential, CV 1; Kramers 1940, Imkeller &
Pavlyukevich 2006, arXiv math/0409246); ``compare_scaling_laws`` tells Kramers' exponential law from a
Lévy power law in a waiting time's dependence on a control such as the batch size (Şimşekli, Sagun &
Gürbüzbalaban 2019, arXiv 1901.06053).
"""
from __future__ import annotations

import math

import numpy as np

__all__ = ["coefficient_of_variation", "compare_scaling_laws", "group_cvs", "mean_exit_time", "pool_groups"]


def mean_exit_time(times: np.ndarray) -> tuple[float, float]:
    """Mean exit time and its standard error from exit times with censoring (``inf`` = not yet left).

    Escape from a deep well is memoryless, so times are ≈ exponential; the maximum-likelihood mean with
    right-censoring at ``T`` is ``(Σ_exited τ_i + n_censored · T) / n_exited`` with standard error
    ``mean / √n_exited``. ``T`` is taken as the largest finite time (the simulation's end when some
    particles stayed). Raises ``ValueError`` when no particle left.
    """
    times = np.asarray(times, dtype=float)
    exited = np.isfinite(times)
    if times.ndim != 1 or len(times) == 0:
        raise ValueError(f"times must be a non-empty 1-D array, got shape {times.shape}")
    if not exited.any():
        raise ValueError("times: no particle left the well (all inf); raise max_time or the noise scale")
    horizon = times[exited].max()
    mean = (times[exited].sum() + (~exited).sum() * horizon) / exited.sum()
    return float(mean), float(mean / math.sqrt(exited.sum()))


def coefficient_of_variation(times: np.ndarray) -> float:
    """``CV = s / m`` (sample standard deviation with ``ddof = 1`` over the mean) of waiting times.

    The test that separates an escape from a drift: a noise-activated exit over a barrier (Kramers or
    Lévy) is memoryless, its waiting time ≈ exponential, whose CV is 1; a deterministic drift
    reaches the edge at nearly the same time in every run, CV ≪ 1. Non-finite times (NaN: the run
    never left; ``inf``: censored) are dropped, and NaN is returned when fewer than 2 remain.

    >>> round(coefficient_of_variation(np.array([1.0, 2.0, 3.0])), 3)
    0.5
    """
    t = np.asarray(times, dtype=float).ravel()
    t = t[np.isfinite(t)]
    if np.any(t <= 0):
        raise ValueError(f"times must be waiting times > 0, got {t[t <= 0].tolist()[:10]}")
    return float(t.std(ddof=1) / t.mean()) if len(t) >= 2 else float("nan")


def group_cvs(times: np.ndarray, size: int) -> np.ndarray:
    """CVs of consecutive disjoint groups of ``size`` finite exit times (``inf`` = censored, dropped):
    the spread a memoryless escape shows at the sample size of a seed ensemble of ``size`` runs."""
    t = np.asarray(times, dtype=float).ravel()
    t = t[np.isfinite(t)]
    if not (isinstance(size, (int, np.integer)) and size >= 2 and len(t) >= size):
        raise ValueError(f"size must be an integer in 2…{len(t)} (the finite times), got {size!r}")
    groups = t[: len(t) // size * size].reshape(-1, size)
    return groups.std(axis=1, ddof=1) / groups.mean(axis=1)


def pool_groups(groups: dict) -> tuple[np.ndarray, np.ndarray]:
    """``{x: [y₁, y₂, …]}`` (e.g. batch size → dwell time of each seed) as two flat arrays ``(x, y)``
    with one entry per run, the input ``compare_scaling_laws`` fits.

    >>> pool_groups({32: [1.0, 2.0], 64: [3.0]})
    (array([32., 32., 64.]), array([1., 2., 3.]))
    """
    x = [float(key) for key, values in groups.items() for _ in values]
    y = [float(v) for values in groups.values() for v in values]
    return np.array(x), np.array(y)


def compare_scaling_laws(x: np.ndarray, y: np.ndarray, *, strict: bool = True) -> dict[str, dict[str, float]]:
    """Fit ``y = A e^{b x}`` (Kramers-like: exponential) and ``y = A x^b`` (Lévy-like: power law) by
    least squares on ``ln y``; return per law ``{"b", "A", "r2", "rmse"}`` (R² and RMS residual of
    ``ln y``), the test of a Lévy picture of SGD (Şimşekli et al. 2019, arXiv 1901.06053) on steps-to-grok
    against batch size. Both laws have two
    parameters, so their R² compare directly. Non-finite ``y`` (never grokked) are dropped; with
    ``strict=False`` too few points give NaN fits instead of an error (a budget-cut smoke run).

    >>> fits = compare_scaling_laws(np.array([1.0, 2, 4, 8]), np.array([3.0, 6, 12, 24]))
    >>> round(fits["power"]["b"], 3), round(fits["power"]["r2"], 3)
    (1.0, 1.0)
    """
    x, y = np.asarray(x, dtype=float).ravel(), np.asarray(y, dtype=float).ravel()
    if x.shape != y.shape:
        raise ValueError(f"x and y must have the same number of values, got {x.shape} and {y.shape}")
    keep = np.isfinite(y) & np.isfinite(x)
    x, y = x[keep], y[keep]
    if np.any(y <= 0) or np.any(x <= 0):
        raise ValueError("x and y must be > 0 (both laws are fitted on logarithms)")
    if len(np.unique(x)) < 3 and not strict:
        return {law: dict.fromkeys(("b", "A", "r2", "rmse"), float("nan")) for law in ("exponential", "power")}
    if len(np.unique(x)) < 3:
        raise ValueError("x: need at least 3 distinct values with finite y to compare two-parameter laws, "
                         f"got {len(np.unique(x))}")
    out = {}
    for law, feature in (("exponential", x), ("power", np.log(x))):
        b, a = np.polyfit(feature, np.log(y), 1)
        residual = np.log(y) - (a + b * feature)
        total = np.sum((np.log(y) - np.log(y).mean()) ** 2)
        r2 = float(1 - residual @ residual / total) if total > 0 else 1.0
        out[law] = {"b": float(b), "A": float(np.exp(a)), "r2": r2, "rmse": float(np.sqrt(np.mean(residual**2)))}
    return out
