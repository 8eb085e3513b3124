"""Escape from a potential well under Gaussian and under α-stable (Lévy-flight) noise.

The toy behind chapter 7: a particle in a 1-D double well, pushed by noise, leaves the left well. With
Gaussian noise the mean exit time grows *exponentially with the barrier height* (Kramers 1940); with
symmetric α-stable noise it grows as a *power of the well's width* and hardly depends on the barrier
(Imkeller & Pavlyukevich 2006, arXiv math/0409246). The seed levy-escape-hypothesis carries this
contrast over to grokking.

Units: ``dX = −U′(X) dt + σ dW`` (Gaussian) or ``dX = −U′(X) dt + ε dL^α`` (Lévy), where ``L^α`` is the
standard symmetric α-stable Lévy process, ``E exp(i u L^α_t) = exp(−t |u|^α)``.
"""
from __future__ import annotations

import math
from typing import Sequence

import numpy as np
from tqdm.auto import tqdm

__all__ = ["NOISES", "check_alpha", "coefficient_of_variation", "compare_scaling_laws", "double_well",
           "double_well_force", "exit_time_sweep", "gaussian_exit_time", "group_cvs", "kramers_time",
           "levy_constant", "levy_exit_time", "mean_exit_time", "pool_groups", "sgd_escape_exponents", "simulate_exit_times",
           "simulate_paths", "simulate_toy", "stable_noise"]

NOISES = ("gaussian", "levy")


def check_alpha(alpha: float, name: str = "alpha") -> float:
    """Return ``alpha`` as a float if it lies in (0, 2] (the stability index), else raise ``ValueError``."""
    if not (isinstance(alpha, (int, float, np.floating)) and 0 < alpha <= 2):
        raise ValueError(f"{name} (the stability index) must lie in (0, 2], got {alpha!r}")
    return float(alpha)


def _check_positive(**values: float) -> None:
    for name, value in values.items():
        if not value > 0:
            raise ValueError(f"{name} must be > 0, got {value!r}")


# ---------------------------------------------------------------------------------------------- potential
def double_well(x: np.ndarray, height: float = 1.0, width: float = 1.0) -> np.ndarray:
    """``U(x) = h ((x/w)² − 1)²``: minima at ``x = ±w`` with ``U = 0``, barrier ``U(0) = h`` between.

    ``height`` (h) and ``width`` (w) are set independently: ``U″(±w) = 8h/w²``, ``U″(0) = −4h/w²``.

    >>> float(double_well(0.0, height=2.0)), float(double_well(1.5, width=1.5))
    (2.0, 0.0)
    """
    _check_positive(height=height, width=width)
    return height * ((np.asarray(x) / width) ** 2 - 1.0) ** 2


def double_well_force(x: np.ndarray, height: float = 1.0, width: float = 1.0) -> np.ndarray:
    """``−U′(x) = −(4h/w²) · x · ((x/w)² − 1)``, the drift of the escape SDE."""
    _check_positive(height=height, width=width)
    x = np.asarray(x)
    return -4.0 * height / width**2 * x * ((x / width) ** 2 - 1.0)


# ---------------------------------------------------------------------------------------------- noise
def stable_noise(alpha: float, size: int | tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
    """Standard symmetric α-stable samples, ``E exp(iuX) = exp(−|u|^α)``, by Chambers–Mallows–Stuck.

    With ``V ~ U(−π/2, π/2)`` and ``W ~ Exp(1)`` independent,
    ``X = sin(αV) / cos(V)^{1/α} · (cos((1−α)V) / W)^{(1−α)/α}``
    (Chambers, Mallows & Stuck 1976, JASA 71:340; symmetric case, β = 0). α = 2 gives N(0, 2), α = 1 the
    standard Cauchy law; for α < 2 the tails fall as ``P(|X| > x) ≈ (2 c_α / α) x^{−α}`` (see
    ``levy_constant``).

    >>> x = stable_noise(1.5, 1000, np.random.default_rng(0)); x.shape
    (1000,)
    """
    alpha = check_alpha(alpha)
    v = rng.uniform(-math.pi / 2, math.pi / 2, size)
    w = rng.exponential(1.0, size)
    if alpha == 1.0:
        return np.tan(v)
    return (np.sin(alpha * v) / np.cos(v) ** (1.0 / alpha)
            * (np.cos((1.0 - alpha) * v) / w) ** ((1.0 - alpha) / alpha))


def levy_constant(alpha: float) -> float:
    """``c_α = Γ(1+α) sin(πα/2) / π``: the Lévy measure of the standard symmetric α-stable law is
    ``ν(dy) = c_α |y|^{−1−α} dy`` (α < 2). α = 1: ``1/π`` (Cauchy)."""
    alpha = check_alpha(alpha)
    if alpha == 2.0:
        raise ValueError("alpha = 2 is Gaussian noise: it has no jumps and no Lévy constant; use alpha < 2")
    return math.gamma(1.0 + alpha) * math.sin(math.pi * alpha / 2.0) / math.pi


# ---------------------------------------------------------------------------------------------- simulation
def simulate_exit_times(noise: str, *, height: float = 1.0, width: float = 1.0, scale: float = 0.5,
                        alpha: float = 1.5, dt: float | None = None, n_particles: int = 2000, max_time: float = 500.0,
                        seed: int = 0, progress: bool = False) -> np.ndarray:
    """First times at which particles started in the left minimum ``x = −w`` of ``double_well`` cross
    the barrier top ``x = 0``; ``inf`` for particles still inside at ``max_time`` (censored).

    ``dt=None`` takes ``dt = 0.02 / U″(−w) = w² / (400 h)`` for Gaussian noise: the Euler scheme widens
    the distribution in the well by a factor ``≈ 1 + U″dt/2``, which shortens Gaussian exit times by
    ``≈ (2h/σ²)·U″dt/2`` (1% per unit of ``2h/σ²`` here). Lévy exits happen by single jumps longer than
    ``w``, insensitive to that width, so ``dt = 0.1 / U″(−w)`` there.

    Gaussian: ``X ← X + dt·b(X) + σ √dt ξ`` (Euler–Maruyama, ``σ = scale``); Lévy: ``X ← X + dt·b(X)
    + ε dt^{1/α} S_α`` (Euler with exact stable increments, ``ε = scale``). The drift is *tamed*,
    ``b = −U′ / (1 + dt |U′|)`` (Hutzenthaler, Jentzen & Kloeden 2012, arXiv 1010.3756), so a long jump
    into the steep quartic wall cannot make the explicit scheme blow up. For Gaussian noise a crossing
    between grid points is detected with the Brownian-bridge probability (so the Euler scheme does not
    overestimate exit times by ``O(√dt)``). All particles move at once
    (a numpy vector); the loop stops as soon as every particle has left.
    """
    if noise not in NOISES:
        raise ValueError(f"noise must be one of {list(NOISES)}, got {noise!r}")
    _check_positive(height=height, width=width, scale=scale, max_time=max_time)
    if dt is None:
        dt = (0.02 if noise == "gaussian" else 0.1) * width**2 / (8 * height)
    _check_positive(dt=dt)
    if noise == "levy":
        alpha = check_alpha(alpha)
    if not (isinstance(n_particles, (int, np.integer)) and n_particles >= 1):
        raise ValueError(f"n_particles must be an integer ≥ 1, got {n_particles!r}")
    rng = np.random.default_rng(seed)
    n_steps = int(math.ceil(max_time / dt))
    x = np.full(n_particles, -float(width))
    times = np.full(n_particles, np.inf)
    alive = np.arange(n_particles)
    for step in tqdm(range(1, n_steps + 1), disable=not progress, desc=f"{noise} escape", leave=False):
        xs = x[alive]
        new = _euler_step(xs, noise, height, width, scale, alpha, dt, rng)
        left = new > 0.0
        if noise == "gaussian":
            # The path may cross 0 and come back between two steps: it did with the Brownian-bridge
            # probability exp(−2 x_n x_{n+1} / (σ² dt)), which removes the O(√dt) bias of checking
            # only at the grid points.
            crossed = np.exp(-2.0 * np.clip(xs * new, 0.0, None) / (scale**2 * dt))
            left |= rng.random(len(xs)) < crossed
        times[alive[left]] = step * dt
        x[alive] = new
        alive = alive[~left]
        if len(alive) == 0:
            break
    return times


def simulate_paths(noise: str, *, height: float = 1.0, width: float = 1.0, scale: float = 0.5, alpha: float = 1.5,
                   dt: float = 1e-2, n_steps: int = 2000, n_particles: int = 1, seed: int = 0) -> np.ndarray:
    """Whole paths ``X_0 = −w, X_dt, …`` of the escape SDE (same scheme as ``simulate_exit_times``, no
    absorption: particles keep hopping between the wells), shape ``(n_steps + 1, n_particles)``."""
    if noise not in NOISES:
        raise ValueError(f"noise must be one of {list(NOISES)}, got {noise!r}")
    _check_positive(height=height, width=width, scale=scale, dt=dt, n_steps=n_steps, n_particles=n_particles)
    if noise == "levy":
        alpha = check_alpha(alpha)
    rng = np.random.default_rng(seed)
    out = np.empty((n_steps + 1, n_particles))
    out[0] = -float(width)
    for t in range(n_steps):
        out[t + 1] = _euler_step(out[t], noise, height, width, scale, alpha, dt, rng)
    return out


def _euler_step(x: np.ndarray, noise: str, height: float, width: float, scale: float, alpha: float, dt: float,
                rng: np.random.Generator) -> np.ndarray:
    force = double_well_force(x, height, width)
    if noise == "gaussian":
        kick = scale * math.sqrt(dt) * rng.standard_normal(len(x))
    else:
        kick = scale * dt ** (1.0 / alpha) * stable_noise(alpha, len(x), rng)
    return x + dt * force / (1.0 + dt * np.abs(force)) + kick


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


# ---------------------------------------------------------------------------------------------- theory
def kramers_time(height: float, width: float, sigma: float) -> float:
    """Mean time to reach the barrier top under Gaussian noise (Kramers 1940; Hänggi, Talkner &
    Borkovec 1990, Rev. Mod. Phys. 62:251), for ``dX = −U′dt + σ dW``:

    ``E τ ≈ π / √(U″(x_min) |U″(x_top)|) · exp(2ΔU / σ²)`` — half the Kramers transition time
    ``2π/√(…) · exp(2ΔU/σ²)``, because a particle at the top falls back with probability ½. For
    ``double_well``: ``ΔU = h``, ``U″(−w) = 8h/w²``, ``U″(0) = −4h/w²``, so
    ``E τ ≈ π w² / (4√2 h) · exp(2h/σ²)``. Asymptotic for ``h ≫ σ²/2``.
    """
    _check_positive(height=height, width=width, sigma=sigma)
    curvature = math.sqrt((8 * height / width**2) * (4 * height / width**2))
    return math.pi / curvature * math.exp(2 * height / sigma**2)


def gaussian_exit_time(height: float, width: float, sigma: float, n_grid: int = 4001) -> float:
    """Exact mean first-passage time from ``−w`` to the barrier top ``0`` under Gaussian noise, for any
    barrier (no asymptotics): with ``D = σ²/2``,

    ``E τ = (1/D) ∫_{−w}^{0} e^{U(y)/D} ∫_{−∞}^{y} e^{−U(z)/D} dz dy``

    (the backward equation ``D T″ − U′ T′ = −1``; Gardiner, *Handbook of Stochastic Methods*, §5.2.7),
    by the trapezoid rule on ``n_grid`` points; the inner integral starts at ``−4w``, where the
    quartic wall makes the integrand negligible. ``kramers_time`` is its large-barrier limit.
    """
    _check_positive(height=height, width=width, sigma=sigma)
    if n_grid < 101:
        raise ValueError(f"n_grid must be ≥ 101, got {n_grid}")
    d = sigma**2 / 2
    z = np.linspace(-4 * width, 0.0, n_grid)
    u = double_well(z, height, width)
    inner = np.concatenate([[0.0], np.cumsum((np.exp(-u[1:] / d) + np.exp(-u[:-1] / d)) / 2 * np.diff(z))])
    keep = z >= -width
    outer, y = np.exp(u[keep] / d) * inner[keep], z[keep]
    return float(((outer[1:] + outer[:-1]) / 2 * np.diff(y)).sum() / d)


def levy_exit_time(alpha: float, scale: float, distance_left: float, distance_right: float,
                   constant: float | None = None) -> float:
    """Mean exit time under small α-stable noise (Imkeller & Pavlyukevich 2006, arXiv math/0409246):

    ``E τ ≈ α ε^{−α} / (c (|b₋|^{−α} + b₊^{−α}))`` for ``dX = −U′dt + ε dL^α`` with a well at 0 and
    basin ``(b₋, b₊)``, when ``L^α`` has Lévy measure ``ν(dy) = c |y|^{−1−α} dy``. The particle sits at
    the bottom and leaves by one jump longer than the distance to an edge; jumps longer than ``r`` to
    the right come at rate ``ε^α c r^{−α} / α``. The form without ``c`` quoted in BRIEF is the paper's
    normalisation ``c = 1``; ``constant=None`` uses ``c = c_α`` of ``stable_noise`` (``levy_constant``).
    Only distances enter, never the barrier height. ``distance_left=inf`` for a one-sided basin.
    """
    alpha = check_alpha(alpha)
    if alpha == 2.0:
        raise ValueError("alpha = 2 is Gaussian noise: use kramers_time")
    _check_positive(scale=scale, distance_left=distance_left, distance_right=distance_right)
    c = levy_constant(alpha) if constant is None else constant
    _check_positive(constant=c)
    rate = distance_left ** (-alpha) + distance_right ** (-alpha)
    return alpha * scale ** (-alpha) / (c * rate)


def compare_scaling_laws(x: np.ndarray, y: np.ndarray, *, strict: bool = True) -> dict[str, dict[str, float]]:
    """Fit ``y = A e^{b x}`` (Kramers-like: exponential) and ``y = A x^b`` (Lévy-like: power law) by
    least squares on ``ln y``; return per law ``{"b", "A", "r2", "rmse"}`` (R² and RMS residual of
    ``ln y``), the test the seed proposes for steps-to-grok against batch size. Both laws have two
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


# ---------------------------------------------------------------------------------------------- sweeps
def exit_time_sweep(noise: str, settings: Sequence[dict], *, alpha: float = 1.5, n_particles: int = 300,
                    horizon: float = 2.5, seed: int = 0) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
    """Mean exit time ± standard error for each well in ``settings`` (dicts of ``height``, ``width``,
    ``scale``), each simulated for ``horizon`` × the law's prediction (``gaussian_exit_time`` or the
    one-sided ``levy_exit_time``), so the censored mean of ``mean_exit_time`` stays accurate.

    Returns ``(means, standard_errors, times)``, ``times`` one array of exit times per setting.
    """
    if noise not in NOISES:
        raise ValueError(f"noise must be one of {list(NOISES)}, got {noise!r}")
    _check_positive(horizon=horizon)
    means, errors, samples = [], [], []
    for s in settings:
        h, w, scale = s["height"], s["width"], s["scale"]
        law = (gaussian_exit_time(h, w, scale) if noise == "gaussian"
               else levy_exit_time(alpha, scale, math.inf, w))
        times = simulate_exit_times(noise, height=h, width=w, scale=scale, alpha=alpha,
                                    n_particles=n_particles, max_time=horizon * law, seed=seed)
        mean, se = mean_exit_time(times)
        means.append(mean), errors.append(se), samples.append(times)
    return np.array(means), np.array(errors), samples


def simulate_toy(alpha: float, noise_scale: float, height: float = 1.0, width: float = 1.0, *,
                 sigma: float = 1.0, n_particles: int = 200, max_time: float = 200.0, seed: int = 0) -> dict:
    """One look at the double well for the chapter's panel: a path and ``n_particles`` exit times.

    ``alpha = 2`` means Gaussian noise of strength ``sigma``; ``alpha < 2`` α-stable noise of scale
    ``noise_scale``. Returns ``{"noise", "path", "times", "dt", "height", "width"}``.
    """
    noise = "gaussian" if check_alpha(alpha) == 2.0 else "levy"
    scale = sigma if noise == "gaussian" else noise_scale
    kwargs = {"height": height, "width": width, "scale": scale, "alpha": alpha, "seed": seed}
    path = simulate_paths(noise, dt=0.01, n_steps=3000, **kwargs)[:, 0]
    times = simulate_exit_times(noise, n_particles=n_particles, max_time=max_time, **kwargs)
    return {"noise": noise, "path": path, "times": times, "dt": 0.01, "height": height, "width": width}


# ---------------------------------------------------------------------------------------------- dwell times
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


# ---------------------------------------------------------------------------------------------- SGD laws
def sgd_escape_exponents(alpha: float) -> dict[str, float]:
    """Exponents of the Lévy prediction for the escape time of SGD, in steps: ``t ∝ B^{α−1} η^{−α}``.

    Şimşekli, Sagun & Gürbüzbalaban 2019 (arXiv 1901.06053) write SGD with step η and batch B as the
    Euler scheme of ``dθ = −∇L dt + ε dL^α`` with ``ε = (η/B)^{(α−1)/α}`` (a batch mean of B α-stable
    terms is ``B^{1/α−1}`` times one). The mean exit time in continuous time is ``∝ ε^{−α}``
    (Imkeller & Pavlyukevich 2006, arXiv math/0409246), i.e. ``(B/η)^{α−1}``; a time t takes ``t/η``
    steps, so ``steps ∝ B^{α−1} η^{−α}``. (Kramers with temperature ``∝ η/B`` instead gives
    ``steps ∝ η^{−1} exp(cB/η)``: exponential in B.)

    ``alpha`` NaN (a tail index that could not be measured, e.g. a run cut short) gives NaN exponents.

    >>> sgd_escape_exponents(1.5)
    {'batch': 0.5, 'lr': -1.5}
    """
    if isinstance(alpha, (float, np.floating)) and math.isnan(alpha):
        return {"batch": float("nan"), "lr": float("nan")}
    alpha = check_alpha(alpha)
    return {"batch": alpha - 1.0, "lr": -alpha}


def pool_groups(groups: dict) -> tuple[np.ndarray, np.ndarray]:
    """``{x: [y₁, y₂, …]}`` (e.g. batch size → dwell time of each seed) as two flat arrays ``(x, y)``
    with one entry per run, the input ``compare_scaling_laws`` fits.

    >>> pool_groups({32: [1.0, 2.0], 64: [3.0]})
    (array([32., 32., 64.]), array([1., 2., 3.]))
    """
    x = [float(key) for key, values in groups.items() for _ in values]
    y = [float(v) for values in groups.values() for v in values]
    return np.array(x), np.array(y)
