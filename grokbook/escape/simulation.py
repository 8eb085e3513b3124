"""Simulated escape from the double well: α-stable noise, Euler paths and first-passage times.

``dX = −U′(X) dt + σ dW`` (Gaussian) or ``dX = −U′(X) dt + ε dL^α`` (Lévy), ``L^α`` the standard
symmetric α-stable Lévy process, ``E exp(i u L^α_t) = exp(−t |u|^α)``, sampled by Chambers, Mallows &
Stuck 1976 (JASA 71:340); the tamed Euler scheme of Hutzenthaler, Jentzen & Kloeden 2012 (arXiv
1010.3756); the laws it is compared with are in ``grokbook.escape.laws``.
"""
from __future__ import annotations

import math
from typing import Sequence

import numpy as np
from tqdm.auto import tqdm

from grokbook.escape.laws import _check_positive, check_alpha, double_well_force, gaussian_exit_time, levy_exit_time
from grokbook.escape.waiting import mean_exit_time

__all__ = ["NOISES", "exit_time_sweep", "simulate_exit_times", "simulate_paths", "simulate_toy", "stable_noise"]

NOISES = ("gaussian", "levy")


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
