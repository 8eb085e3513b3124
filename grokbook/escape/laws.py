"""The double well and the laws of escape from it: Kramers' exponential and the Lévy power law.

``U(x) = h ((x/w)² − 1)²`` and its drift; the mean exit times Kramers 1940 (Hänggi, Talkner & Borkovec
1990, Rev. Mod. Phys. 62:251) predicts for Gaussian noise, exactly and asymptotically, and Imkeller &
Pavlyukevich 2006 (arXiv math/0409246) for α-stable noise; the step exponents that the Lévy picture of
SGD (Şimşekli, Sagun & Gürbüzbalaban 2019, arXiv 1901.06053) gives for batch size and learning rate.
"""
from __future__ import annotations

import math

import numpy as np

__all__ = ["check_alpha", "double_well", "double_well_force", "gaussian_exit_time", "kramers_time",
           "levy_constant", "levy_exit_time", "sgd_escape_exponents"]


def check_alpha(alpha: float, name: str = "alpha") -> float:
    """Return ``alpha`` as a float if it lies in (0, 2] (the stability index), else raise ``ValueError``."""
    if not (isinstance(alpha, (int, float, np.floating)) and 0 < alpha <= 2):
        raise ValueError(f"{name} (the stability index) must lie in (0, 2], got {alpha!r}")
    return float(alpha)


def _check_positive(**values: float) -> None:
    for name, value in values.items():
        if not value > 0:
            raise ValueError(f"{name} must be > 0, got {value!r}")


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


def levy_constant(alpha: float) -> float:
    """``c_α = Γ(1+α) sin(πα/2) / π``: the Lévy measure of the standard symmetric α-stable law is
    ``ν(dy) = c_α |y|^{−1−α} dy`` (α < 2). α = 1: ``1/π`` (Cauchy)."""
    alpha = check_alpha(alpha)
    if alpha == 2.0:
        raise ValueError("alpha = 2 is Gaussian noise: it has no jumps and no Lévy constant; use alpha < 2")
    return math.gamma(1.0 + alpha) * math.sin(math.pi * alpha / 2.0) / math.pi


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
    the right come at rate ``ε^α c r^{−α} / α``. The form without ``c`` is the paper's normalisation
    ``c = 1``; ``constant=None`` uses ``c = c_α`` of ``stable_noise`` (``levy_constant``).
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
