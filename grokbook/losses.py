"""Per-sample losses: softmax cross-entropy, StableMax cross-entropy, mean squared error (on one-hot or
zero-mean one-hot targets).

Each takes outputs of shape ``(n, C)`` and targets (class ids ``(n,)`` or real values) and returns the
loss of every sample, shape ``(n,)``; the trainer averages them.
"""
from __future__ import annotations

from typing import Callable

import torch
import torch.nn.functional as F

__all__ = ["LOSSES", "accuracy", "cross_entropy", "get_loss", "mean_squared_error",
           "stablemax_cross_entropy", "stablemax_log_s"]


def cross_entropy(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """``ℓ = −log softmax(z)_y = logsumexp(z) − z_y``."""
    return F.cross_entropy(logits, targets, reduction="none")


def stablemax_log_s(logits: torch.Tensor) -> torch.Tensor:
    """``log s(x)`` with ``s(x) = x + 1`` for ``x ≥ 0`` and ``1 / (1 − x)`` for ``x < 0``.

    s grows linearly instead of exponentially, so no logit can push one probability to exactly 1 in
    floating point (Prieto, Barsbey, Mediano & Birdal 2025, "Grokking at the edge of numerical
    stability", arXiv 2501.04697, eq. 7).
    """
    return torch.where(logits >= 0, torch.log1p(logits.clamp(min=0)), -torch.log1p((-logits).clamp(min=0)))


def stablemax_cross_entropy(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """``ℓ = −log( s(z_y) / Σ_j s(z_j) ) = log Σ_j s(z_j) / s(z_y)`` with StableMax's ``s`` (Prieto et al. 2025).

    The ratios are formed before the sum, so the loss rounds to 0 only when ``Σ_{j≠y} s(z_j)/s(z_y)``
    falls below the unit roundoff, as ``−log p_y`` does; ``logsumexp(log s) − log s(z_y)`` would round
    at the scale of ``log s(z_y)`` instead and report a zero loss (collapse) many times too early.
    """
    log_s = stablemax_log_s(logits)
    return torch.logsumexp(log_s - log_s.gather(-1, targets[..., None]), dim=-1)


def mean_squared_error(outputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """``ℓ = (1/C) Σ_c (f_c − t_c)²``; class ids become one-hot targets ``t`` (Gromov 2023; Omnigrok)."""
    if not targets.is_floating_point():
        targets = F.one_hot(targets, outputs.shape[-1]).to(outputs.dtype)
    elif targets.dim() < outputs.dim():
        targets = targets[..., None]
    return (outputs - targets).square().mean(dim=-1)


def centered_mean_squared_error(outputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """``ℓ = (1/C) Σ_c (f_c − ỹ_c)²`` on zero-mean one-hot targets ``ỹ = e_y − 1/C`` (Tian 2025,
    "Provable scaling laws of feature emergence from learning dynamics of grokking", arXiv 2509.21519):
    the constant part of the target is removed, so a network without bias starts at the right mean.
    ``targets`` are class ids."""
    if targets.is_floating_point():
        raise ValueError("centered MSE takes class ids (integer targets), got real-valued targets")
    C = outputs.shape[-1]
    centered = F.one_hot(targets, C).to(outputs.dtype) - 1.0 / C
    return (outputs - centered).square().mean(dim=-1)


LOSSES: dict[str, Callable[[torch.Tensor, torch.Tensor], torch.Tensor]] = {
    "cross_entropy": cross_entropy,
    "stablemax": stablemax_cross_entropy,
    "mse": mean_squared_error,
    "mse_centered": centered_mean_squared_error,
}


def get_loss(name: str) -> Callable[[torch.Tensor, torch.Tensor], torch.Tensor]:
    """The per-sample loss called ``name``; a ``ValueError`` lists the known names."""
    if name not in LOSSES:
        raise ValueError(f"loss must be one of {list(LOSSES)}, got {name!r}")
    return LOSSES[name]


def accuracy(outputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Per-sample correctness (1.0 or 0.0) of the arg-max class; NaN for real-valued targets."""
    if targets.is_floating_point():
        return torch.full(targets.shape[:1], float("nan"), dtype=outputs.dtype, device=outputs.device)
    return (outputs.argmax(dim=-1) == targets).to(outputs.dtype)
