"""Test-free early warnings from the weights alone: the singular spectrum of the weight updates, the
eigengap slope detector of spectral lock-in, and the sign rule of Tian's feature-repulsion matrix.

Xu (2026, arXiv 2605.08119), on Tian's (2025, arXiv 2509.21519) two-layer modular-addition network,
reports that the rolling eigengap σ₂/σ₃ of the update ΔW climbs steeply shortly before grokking with a
quadratic activation (a rank-2 update spectrum) and never with ReLU (rank-1), and that the off-diagonal
entries of ``B = (F̃ᵀF̃ + ηI)⁻¹`` are negative for the most similar feature pairs (Tian's Theorem 6).
These functions are pure: they take logged weights or features and return numbers.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

__all__ = ["eigengap", "lockin_diagnostic", "random_sign_match", "repulsion_matrix", "sign_match",
           "slope_detector", "trajectory_spectrum", "update_spectrum", "update_spectrum_diagnostic"]


def update_spectrum(weights: Sequence[np.ndarray] | np.ndarray, lag: int = 1, k: int = 3) -> np.ndarray:
    """The top ``k`` singular values of each update ``ΔW_t = W_t − W_{t−lag}``, shape ``(T − lag, k)``.

    ``weights`` is a sequence of T matrices of one shape (e.g. a history column of logged weights).

    >>> W = [np.zeros((4, 3)), np.diag([3.0, 2.0, 1.0, 0.0])[:, :3]]
    >>> update_spectrum(W).round(6).tolist()
    [[3.0, 2.0, 1.0]]
    """
    stack = np.asarray(weights, dtype=float)
    if stack.ndim != 3:
        raise ValueError(f"weights must be a sequence of matrices, got an array of shape {stack.shape}")
    if not 1 <= lag < len(stack):
        raise ValueError(f"lag must lie in 1…{len(stack) - 1} for {len(stack)} snapshots, got {lag}")
    if not 1 <= k <= min(stack.shape[1:]):
        raise ValueError(f"k must lie in 1…{min(stack.shape[1:])}, got {k}")
    return np.linalg.svd(stack[lag:] - stack[:-lag], compute_uv=False)[:, :k]


def eigengap(spectra: np.ndarray, i: int = 2, j: int = 3, floor: float = 1e-12) -> np.ndarray:
    """``σ_i / σ_j`` (1-based, so the default is Xu's σ₂/σ₃) for each row of ``spectra``; a ``σ_j`` below
    ``floor`` counts as ``floor`` (an exactly rank-2 update has an infinite gap, reported as large)."""
    spectra = np.asarray(spectra, dtype=float)
    if not 1 <= i < j <= spectra.shape[-1]:
        raise ValueError(f"need 1 ≤ i < j ≤ {spectra.shape[-1]}, got i={i}, j={j}")
    return spectra[..., i - 1] / np.maximum(spectra[..., j - 1], floor)


def slope_detector(steps: np.ndarray, values: np.ndarray, *, window: int, threshold: float,
                   level: float | None = None) -> int | None:
    """The first step at which the least-squares slope of ``ln(values)`` over the trailing ``window``
    points exceeds ``threshold`` (per unit of step) — and, if given, ``values`` exceeds ``level`` there.
    None if it never fires. A detector that sees only the weights: it uses no test data.

    >>> t = np.arange(100); v = np.where(t < 60, 1.0, np.exp(0.2 * (t - 60)))
    >>> slope_detector(t, v, window=5, threshold=0.1)
    63
    """
    steps, values = np.asarray(steps, dtype=float), np.asarray(values, dtype=float)
    if steps.shape != values.shape or steps.ndim != 1:
        raise ValueError(f"steps and values must be 1-D of one length, got {steps.shape} and {values.shape}")
    if window < 2:
        raise ValueError(f"window must be ≥ 2 points, got {window}")
    logs = np.log(np.maximum(values, np.finfo(float).tiny))
    for end in range(window, len(steps) + 1):
        x, y = steps[end - window:end], logs[end - window:end]
        slope = np.polyfit(x, y, 1)[0]
        if slope > threshold and (level is None or values[end - 1] > level):
            return int(steps[end - 1])
    return None


def repulsion_matrix(features: np.ndarray, eta: float) -> np.ndarray:
    """Tian's ``B = (F̃ᵀF̃ + ηI)⁻¹`` for features ``F̃`` of shape ``(n_samples, K)`` (one column per
    hidden unit): negative ``B_jl`` acts as a repulsion between features j and l."""
    F = np.asarray(features, dtype=float)
    if F.ndim != 2:
        raise ValueError(f"features must be a matrix (n_samples, K), got shape {F.shape}")
    if not eta > 0:
        raise ValueError(f"eta must be > 0, got {eta}")
    return np.linalg.inv(F.T @ F + eta * np.eye(F.shape[1]))


def sign_match(features: np.ndarray, eta: float, top: int = 200) -> float:
    """Share of the ``top`` most similar feature pairs (highest cosine between columns) whose
    repulsion entry ``B_jl`` is negative, as Tian's Theorem 6 predicts (Xu 2026 reports 0.865 → 0.985
    for σ = x² and 1.000 for ReLU, top 200 pairs of K = 2048).

    Caution, the null: to first order in the off-diagonal Gram entries ``G_jl = f_j·f_l``,
    ``B_jl ≈ −G_jl / ((G_jj + η)(G_ll + η))``, so the most similar pairs of *any* feature matrix (random
    Gaussian columns included) tend to match the rule. A claim built on this statistic must beat the same
    statistic on random or initial features.
    """
    F = np.asarray(features, dtype=float)
    B = repulsion_matrix(F, eta)
    norms = np.linalg.norm(F, axis=0)
    cos = (F.T @ F) / np.maximum(np.outer(norms, norms), np.finfo(float).tiny)
    j, l = np.triu_indices(F.shape[1], k=1)
    if not 1 <= top <= len(j):
        raise ValueError(f"top must lie in 1…{len(j)} pairs, got {top}")
    order = np.argsort(-cos[j, l], kind="stable")[:top]
    return float(np.mean(B[j[order], l[order]] < 0))


def update_spectrum_diagnostic(parameter: str = "first", k: int = 3):
    """A diagnostic for ``train(..., diagnostics={"update": update_spectrum_diagnostic()})``: at every
    logged step, the top ``k`` singular values of ``ΔW = W_t − W_{t'}`` since the previous logged step
    (columns ``update.s1`` … ``update.s<k>``; NaN at the first log). ``parameter`` names the weight,
    read as a matrix with its last axis as columns (a one-hot MLP's ``first`` table (2, p, N) reads as the
    (2p, N) matrix ``W`` of ``σ(XW)``). State is kept per ensemble member, so it works in ensembles.
    """
    previous: dict[int, np.ndarray] = {}

    def diagnostic(context) -> dict[str, float]:
        model = getattr(context.model, "model", context.model)  # output scaling wraps the network
        weight = dict(model.named_parameters())[parameter].detach().cpu().double().numpy()
        W = weight.reshape(-1, weight.shape[-1])
        last, previous[context.member] = previous.get(context.member), W.copy()
        if last is None or context.step == 0:
            return {f"s{i + 1}": float("nan") for i in range(k)}
        values = np.linalg.svd(W - last, compute_uv=False)[:k]
        return {f"s{i + 1}": float(v) for i, v in enumerate(values)}

    return diagnostic


def trajectory_spectrum(updates: Sequence[np.ndarray] | np.ndarray, k: int = 4) -> np.ndarray:
    """The top ``k`` singular values of the rolling window of updates: the ``w`` updates
    ``ΔW_{t−w+1} … ΔW_t``, each flattened to a row, form the matrix ``U`` (w × P), and its singular
    values are the square roots of the eigenvalues of the window's Gram matrix ``U Uᵀ`` (Xu 2026,
    arXiv 2605.08119). ``σ₂/σ₃ ≫ 1`` says the window's updates lie in a plane: two directions carry
    the motion. Missing values (fewer than ``k`` updates) are NaN.

    >>> u = [np.array([1.0, 0, 0]), np.array([0, 2.0, 0])]
    >>> trajectory_spectrum(u, k=3).round(6).tolist()
    [2.0, 1.0, nan]
    """
    U = np.asarray([np.ravel(u) for u in updates], dtype=float)
    if U.ndim != 2 or len(U) == 0:
        raise ValueError(f"updates must be a non-empty sequence of arrays, got shape {U.shape}")
    if k < 1:
        raise ValueError(f"k must be ≥ 1, got {k}")
    eig = np.linalg.eigvalsh(U @ U.T)[::-1]
    values = np.sqrt(np.clip(eig, 0.0, None))
    out = np.full(k, np.nan)
    out[:min(k, len(values))] = values[:k]
    return out


def lockin_diagnostic(parameter: str = "first", window: int = 10, k: int = 4):
    """A diagnostic for ``train(..., diagnostics={"lockin": lockin_diagnostic()})``: at every logged
    step, :func:`trajectory_spectrum` of the last ``window`` updates of ``parameter`` between logged
    steps (columns ``lockin.s1`` … ``lockin.s<k>`` and ``lockin.gap`` = σ₂/σ₃; NaN until the window
    is full). Log every epoch (``log_grid="linear"``, ``log_points=steps + 1``) for Xu's per-epoch
    window. One ring buffer per ensemble member; no test data is read.
    """
    if window < 3 or k < 3:
        raise ValueError(f"need window ≥ 3 and k ≥ 3 for σ₂/σ₃, got window={window}, k={k}")
    last: dict[int, np.ndarray] = {}
    buffers: dict[int, list[np.ndarray]] = {}

    def diagnostic(context) -> dict[str, float]:
        model = getattr(context.model, "model", context.model)
        W = dict(model.named_parameters())[parameter].detach().cpu().double().numpy().ravel()
        if context.step == 0:
            last.pop(context.member, None)
            buffers[context.member] = []
        buffer = buffers.setdefault(context.member, [])
        previous, last[context.member] = last.get(context.member), W.copy()
        if previous is not None:
            buffer.append(W - previous)
            del buffer[:-window]
        if len(buffer) < window:
            values = np.full(k, np.nan)
        else:
            values = trajectory_spectrum(buffer, k)
        out = {f"s{i + 1}": float(v) for i, v in enumerate(values)}
        out["gap"] = float(eigengap(values[None])[0]) if len(buffer) >= window else float("nan")
        return out

    return diagnostic


def random_sign_match(shape: tuple[int, int], eta: float, top: int = 200, seed: int = 0) -> float:
    """The null of :func:`sign_match`: the same statistic on Gaussian features of ``shape``
    (n_samples, K) drawn with ``seed``. A trained network's sign match means something only above it."""
    rng = np.random.default_rng(seed)
    return sign_match(rng.standard_normal(shape), eta, top)
