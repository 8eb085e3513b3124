"""Power laws ``y = A · Π_i x_i^{b_i}`` fitted on logarithms, with bootstrap confidence intervals and
right-censored observations (runs that never grokked within the budget count as "longer than the budget",
not as missing).

Used for the norm-discrepancy exponents (norm against the number of training pairs N) and the timescale laws (t_grok − t_mem against weight decay λ, learning
rate η and init scale α; the ``1/(ηλ)`` law of the norm-decay argument, Liu, Michaud & Tegmark 2023,
arXiv 2210.01117).
"""
from __future__ import annotations

import numpy as np
from scipy import optimize, stats

__all__ = ["censored_times", "fit_exponents", "fit_power_law"]


def _tobit(design: np.ndarray, z: np.ndarray, censored: np.ndarray) -> np.ndarray:
    """Coefficients of ``z = design @ β + ε``, ε ~ N(0, σ²), where censored rows only say ``z ≥ z_i``
    (Tobin 1958's likelihood); ordinary least squares when nothing is censored."""
    beta, *_ = np.linalg.lstsq(design[~censored], z[~censored], rcond=None)
    if not censored.any():
        return beta
    resid = z[~censored] - design[~censored] @ beta
    start = np.append(beta, np.log(max(resid.std(), 1e-3)))

    def nll(params: np.ndarray) -> float:
        b, sigma = params[:-1], np.exp(params[-1])
        mu = design @ b
        seen = stats.norm.logpdf(z[~censored], mu[~censored], sigma).sum()
        cut = stats.norm.logsf(z[censored], mu[censored], sigma).sum()
        return -(seen + cut)

    return optimize.minimize(nll, start, method="Nelder-Mead",
                             options={"maxiter": 4000, "xatol": 1e-6, "fatol": 1e-9}).x[:-1]


def fit_exponents(x: np.ndarray, y: np.ndarray, *, censored: np.ndarray | None = None, n_boot: int = 200,
                  level: float = 0.9, seed: int = 0, strict: bool = True) -> dict:
    """Fit ``ln y = c + Σ_i b_i ln x_i`` and bootstrap the exponents ``b_i``.

    ``x``: ``(n,)`` or ``(n, k)`` positive regressors; ``y``: ``(n,)`` positive values; ``censored``: a
    boolean mask of rows whose ``y`` is only a lower bound (a run stopped at its budget before the event:
    pass the budget as its ``y``). Censored rows enter through the Tobit likelihood; dropping them would
    bias the exponents towards zero. The interval is the percentile bootstrap over rows (resampled with
    replacement, ``n_boot`` times) at ``level``.

    Returns ``{"exponents": (k,), "ci": (k, 2), "prefactor": A, "n": rows, "n_censored": …}``. With
    ``strict=False`` too few uncensored points give NaN exponents instead of an error (a smoke run).

    >>> x = np.array([1.0, 2, 4, 8, 16]); fit = fit_exponents(x, 3 * x ** -1.0, n_boot=20)
    >>> round(float(fit["exponents"][0]), 3), round(fit["prefactor"], 3)
    (-1.0, 3.0)
    """
    x = np.asarray(x, dtype=float)
    x = x[:, None] if x.ndim == 1 else x
    y = np.asarray(y, dtype=float).ravel()
    cens = np.zeros(len(y), bool) if censored is None else np.asarray(censored, dtype=bool).ravel()
    if x.ndim != 2 or len(x) != len(y) or len(cens) != len(y):
        raise ValueError(f"x ({x.shape}), y ({y.shape}) and censored ({cens.shape}) need one row per point")
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))) or np.any(x <= 0) or np.any(y <= 0):
        raise ValueError("x and y must be finite and > 0 (the law is fitted on logarithms); give a "
                         "censored run its budget as y")
    if not 0 < level < 1:
        raise ValueError(f"level must lie in (0, 1), got {level}")
    k = x.shape[1]
    if (~cens).sum() < k + 2 and not strict:
        return {"exponents": np.full(k, np.nan), "ci": np.full((k, 2), np.nan), "prefactor": float("nan"),
                "n": len(y), "n_censored": int(cens.sum())}
    if (~cens).sum() < k + 2:
        raise ValueError(f"need at least {k + 2} uncensored points to fit {k} exponent(s) and a scale, "
                         f"got {(~cens).sum()}")
    design = np.column_stack([np.ones(len(y)), np.log(x)])
    z = np.log(y)
    beta = _tobit(design, z, cens)
    rng = np.random.default_rng(seed)
    boots = []
    for _ in range(n_boot):
        rows = rng.integers(0, len(y), len(y))
        d = design[rows]
        if (~cens[rows]).sum() < k + 2 or np.linalg.matrix_rank(d[~cens[rows]]) < k + 1:
            continue  # a resample that cannot identify the law
        boots.append(_tobit(d, z[rows], cens[rows])[1:])
    tail = (1 - level) / 2
    ci = (np.quantile(np.array(boots), [tail, 1 - tail], axis=0).T if boots
          else np.full((k, 2), np.nan))
    return {"exponents": beta[1:], "ci": ci, "prefactor": float(np.exp(beta[0])), "n": len(y),
            "n_censored": int(cens.sum())}


def fit_power_law(x: np.ndarray, y: np.ndarray, **kwargs) -> dict:
    """One exponent: ``y = A x^b`` (see :func:`fit_exponents`); returns ``{"exponent", "ci", "prefactor",
    "n", "n_censored"}`` with scalar ``exponent`` and ``ci = (low, high)``.

    >>> fit = fit_power_law(np.array([1.0, 2, 4, 8]), np.array([1.0, 4, 16, 64]), n_boot=10)
    >>> round(fit["exponent"], 6)
    2.0
    """
    fit = fit_exponents(np.asarray(x, dtype=float).ravel(), y, **kwargs)
    return {"exponent": float(fit["exponents"][0]), "ci": tuple(float(c) for c in fit["ci"][0]),
            "prefactor": fit["prefactor"], "n": fit["n"], "n_censored": fit["n_censored"]}


def censored_times(start: np.ndarray, end: np.ndarray, budget: float) -> tuple[np.ndarray, np.ndarray]:
    """Durations ``end − start`` with the runs that never reached ``end`` (NaN) censored at the budget:
    their duration is the lower bound ``budget − start``. Returns ``(durations, censored)``; runs that
    never reached ``start`` either are censored at ``budget``.

    >>> censored_times(np.array([10.0, 20.0]), np.array([50.0, np.nan]), 100)
    (array([40., 80.]), array([False,  True]))
    """
    start, end = np.asarray(start, dtype=float), np.asarray(end, dtype=float)
    if start.shape != end.shape:
        raise ValueError(f"start and end must have one shape, got {start.shape} and {end.shape}")
    censored = ~np.isfinite(end)
    begun = np.where(np.isfinite(start), start, 0.0)
    return np.where(censored, budget - begun, end - begun), censored
