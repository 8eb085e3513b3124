"""The singular values of weight matrices and of the updates an optimizer applies to them.

Muon (Jordan et al. 2024; on grokking Tveit et al. 2025, arXiv 2504.16041) and Egalitarian GD (Pasand et
al. 2025, arXiv 2510.04930) replace a matrix's update ``G = USVᵀ`` by (approximately) ``UVᵀ``: every
singular direction moves at the same speed. :func:`singular_spread` measures how far a matrix is from
that, ``σ₁ / σ_q`` (1 for an orthogonal update); :func:`matrix_snapshot` logs a parameter at every logged
step so the updates ``W_{t+1} − W_t`` can be read back from a history logged at every step.
"""
from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

__all__ = ["matrix_snapshot", "singular_spread", "singular_values", "update_spreads"]


def matrix_snapshot(name: str) -> Callable:
    """A diagnostic that logs parameter ``name`` of the model (e.g. ``"hidden_weights.0"``) as an array.

    >>> from grokbook import MLPConfig, ModularArithmetic, TrainConfig, train
    >>> cfg = TrainConfig(task=ModularArithmetic(p=5, train_fraction=0.5), steps=2, device="cpu",
    ...                   model=MLPConfig(width=4, depth=2))
    >>> train(cfg, diagnostics={"W": matrix_snapshot("hidden_weights.0")}, progress=False
    ...       ).history["W"].shape
    (3, 4, 4)
    """
    def snapshot(ctx) -> np.ndarray:
        try:
            weight = ctx.model.get_parameter(name)
        except AttributeError:
            raise ValueError(f"the model has no parameter {name!r}") from None
        return weight.detach().double().cpu().numpy().copy()
    return snapshot


def singular_values(matrix: np.ndarray) -> np.ndarray:
    """The singular values of a matrix (or of each matrix in a stack), largest first."""
    m = np.asarray(matrix, dtype=float)
    if m.ndim < 2:
        raise ValueError(f"singular_values needs a matrix, got an array of shape {m.shape}")
    return np.linalg.svd(m, compute_uv=False)


def singular_spread(matrix: np.ndarray, q: float = 0.5) -> float | np.ndarray:
    """``σ₁ / σ_⌈q·r⌉`` of a matrix (r = min(rows, cols)): 1 when every singular value is equal (an
    orthogonal update ``UVᵀ``), large when a few directions dominate. Stacks give one value per matrix.

    >>> float(singular_spread(np.diag([4.0, 2.0, 1.0, 1.0])))
    2.0
    >>> float(singular_spread(np.eye(3)))
    1.0
    """
    if not 0 < q <= 1:
        raise ValueError(f"q must lie in (0, 1], got {q}")
    s = singular_values(matrix)
    k = max(int(np.ceil(q * s.shape[-1])), 1) - 1
    return s[..., 0] / np.maximum(s[..., k], 1e-300)


def update_spreads(snapshots: Sequence[np.ndarray], q: float = 0.5, shrink: float = 1.0) -> np.ndarray:
    """:func:`singular_spread` of every step's update ``W_{t+1} − s·W_t`` between consecutive snapshots
    (log every step to read single optimizer steps), shape ``(T − 1,)``.

    With decoupled weight decay ``W ← (1 − ηλ)W − ηU``, ``shrink = s = 1 − ηλ`` removes the decay and
    leaves the optimizer's own direction ``−ηU`` (Muon: ≈ an orthogonal matrix; EGD: exactly ``UVᵀ``);
    ``s = 1`` reads the whole change ``ΔW``."""
    stack = np.asarray(snapshots, dtype=float)
    if stack.ndim != 3 or len(stack) < 2:
        raise ValueError(f"snapshots must be ≥ 2 matrices of one shape, got an array of shape {stack.shape}")
    if not 0 < shrink <= 1:
        raise ValueError(f"shrink (1 − lr·weight_decay) must lie in (0, 1], got {shrink}")
    return singular_spread(stack[1:] - shrink * stack[:-1], q)
