"""Floating-point limits of the softmax: when ``1 + x`` rounds to 1 and when ``e^{−Δ}`` rounds to 0.

The precision side of Softmax Collapse (Prieto, Barsbey, Mediano & Birdal 2025, "Grokking at the edge of
numerical stability", arXiv 2501.04697): the unit roundoff ``u`` of a dtype, the logit lead at which a
softmax denominator rounds to exactly 1, and the lead at which the wrong classes' gradients underflow.
"""
from __future__ import annotations

import math

import torch

from grokbook.device import FLOAT_DTYPES, float_dtype

__all__ = ["FLOAT_DTYPES", "collapse_threshold", "gradient_underflow_threshold", "unit_roundoff"]


def unit_roundoff(dtype: str | torch.dtype) -> float:
    """``u = ε / 2``, half the gap between 1 and the next number: ``1 + x`` rounds to 1 when ``x ≤ u``.

    >>> unit_roundoff("float32") == 2.0 ** -24
    True
    """
    return torch.finfo(float_dtype(dtype)).eps / 2


def collapse_threshold(dtype: str | torch.dtype, n_classes: int = 2) -> float:
    """The lead ``Δ`` of the top logit over ``n_classes − 1`` tied others at which softmax collapses.

    ``Σ_k exp(z_k − z_max) = 1 + (C − 1) e^{−Δ}`` rounds to 1 once ``(C − 1) e^{−Δ} ≤ u``, that is
    ``Δ ≥ ln((C − 1) / u)``: ≈ 12.3 in float16, 21.4 in float32 and 41.5 in float64 for C = 113 (Prieto et al. 2025,
    arXiv 2501.04697). If the small terms are added to 1 one by one, each vanishes already at
    ``e^{−Δ} ≤ u``, so collapse can come up to ``ln(C − 1)`` earlier; the summation order decides.

    >>> round(collapse_threshold("float32", 113), 1), round(collapse_threshold("float64", 113), 1)
    (21.4, 41.5)
    """
    if not isinstance(n_classes, int) or n_classes < 2:
        raise ValueError(f"n_classes must be an integer ≥ 2, got {n_classes!r}")
    return math.log(n_classes - 1) - math.log(unit_roundoff(dtype))


def gradient_underflow_threshold(dtype: str | torch.dtype) -> float:
    """The lead ``Δ`` beyond which ``e^{−Δ}`` rounds to 0 in ``dtype`` (below half the smallest
    subnormal number): from there on even the wrong classes' gradients ``p_k`` of a collapsed sample
    are exactly 0. ≈ 17.3 in float16, 104.0 in float32, 745.1 in float64.

    >>> [round(gradient_underflow_threshold(d), 1) for d in ("float16", "float32", "float64")]
    [17.3, 104.0, 745.1]
    """
    info = torch.finfo(float_dtype(dtype))
    return math.log(2) - math.log(info.smallest_normal) - math.log(info.eps)  # −ln(tiny·ε/2)
