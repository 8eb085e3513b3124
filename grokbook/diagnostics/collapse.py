"""Softmax Collapse and naive loss minimisation: the diagnostics of Prieto et al. 2025.

Prieto, Barsbey, Mediano & Birdal 2025, "Grokking at the edge of numerical stability", arXiv 2501.04697.
Once a network fits its training set without weight decay, cross-entropy keeps falling by scaling the
logits up ("naive loss minimisation", NLM): the descent direction ``−∇L`` lines up with the weights. The
softmax of a sample whose top logit leads far enough then rounds to exactly one in floating point: its loss
and the gradient through its correct class are exactly zero (**Softmax Collapse**, SC), and learning on
that sample stops.

Which gradients vanish: only the correct class's ``∂ℓ/∂z_y = p_y − 1``; the wrong classes keep their
tiny ``p_k`` (see ``logit_gradient``). Every function here computes and never plots. Functions of logits
work on any tensor; ``collapse_metrics`` and ``nlm_metrics`` are trainer diagnostics (functions of a
``LogContext``, reading the outputs the trainer computed), bundled by ``collapse_diagnostics()``. The
precision limits live in ``grokbook.diagnostics.precision`` and the NLM measures in
``grokbook.diagnostics.nlm``; both are importable from here.
"""
from __future__ import annotations

from typing import Any, Callable

import torch

from grokbook.device import float_dtype
from grokbook.diagnostics.nlm import (logit_scaling, logit_scaling_between, logit_snapshot, nlm_alignment,
                                      nlm_metrics, update_alignment)
from grokbook.diagnostics.precision import (FLOAT_DTYPES, collapse_threshold, gradient_underflow_threshold,
                                            unit_roundoff)
from grokbook.losses import get_loss, stablemax_log_s

__all__ = ["FLOAT_DTYPES", "NORMALIZERS", "collapse_diagnostics", "collapse_fraction", "collapse_metrics",
           "collapse_threshold", "gradient_underflow_threshold", "is_collapsed", "logit_gradient",
           "logit_margin", "logit_scaling", "logit_scaling_between", "logit_snapshot", "nlm_alignment",
           "nlm_metrics", "settling_step", "softmax_denominator", "steps_to_collapse", "unit_roundoff",
           "update_alignment", "vanishing_gradients", "zero_loss_fraction"]

NORMALIZERS = ("softmax", "stablemax")  # the normalisations a `kind` argument names


LossLike = str | Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def _logits_2d(logits: torch.Tensor) -> torch.Tensor:
    if logits.dim() != 2 or logits.shape[-1] < 2:
        raise ValueError(f"logits must have shape (n_samples, n_classes ≥ 2), got {tuple(logits.shape)}")
    if not logits.is_floating_point():
        raise ValueError(f"logits must be a floating-point tensor, got {logits.dtype}")
    return logits


def _log_weights(z: torch.Tensor, kind: str) -> torch.Tensor:
    """``log φ(z)``: ``z`` for softmax (φ = exp), ``log s(z)`` for StableMax."""
    if kind == "softmax":
        return z
    if kind == "stablemax":
        return stablemax_log_s(z)
    raise ValueError(f"kind must be one of {list(NORMALIZERS)}, got {kind!r}")


def softmax_denominator(logits: torch.Tensor, dtype: str | torch.dtype | None = None,
                        kind: str = "softmax") -> torch.Tensor:
    """``S = Σ_k φ(z_k) / φ(z_top)`` per sample, computed in ``dtype`` (default: the logits' own).

    ``φ = exp`` for softmax, so ``S = Σ_k exp(z_k − max_j z_j)``; ``φ = s`` for StableMax
    (``kind="stablemax"``). The top class's probability is ``1/S``; ``S ≥ 1`` always and ``S == 1`` is
    collapse: that probability is exactly 1. Shape ``(n,)``.
    """
    z = _logits_2d(logits).to(float_dtype(dtype, logits.dtype))
    if kind == "stablemax":
        w = torch.where(z >= 0, z + 1, 1 / (1 - z.clamp(max=0)))
        return (w / w.amax(dim=-1, keepdim=True)).sum(dim=-1)
    _log_weights(z[:1], kind)  # checks kind
    return torch.exp(z - z.amax(dim=-1, keepdim=True)).sum(dim=-1)


def is_collapsed(logits: torch.Tensor, dtype: str | torch.dtype | None = None, kind: str = "softmax") -> torch.Tensor:
    """Boolean ``(n,)``: the sample's denominator ``S`` (see ``softmax_denominator``) equals exactly 1."""
    return softmax_denominator(logits, dtype, kind) == 1


def collapse_fraction(logits: torch.Tensor, dtype: str | torch.dtype | None = None, kind: str = "softmax") -> float:
    """Share of samples in Softmax Collapse: ``mean_i [Σ_k exp(z_ik − max_j z_ij) == 1]`` in ``dtype``.

    The measure of Prieto et al. 2025 (arXiv 2501.04697). ``logits``: ``(n, C)``. With
    ``kind="stablemax"`` the same test for StableMax's normalisation ``Σ_k s(z_k) / s(z_top)``.

    >>> collapse_fraction(torch.tensor([[30.0, 0.0, 0.0], [1.0, 0.0, 0.0]]))
    0.5
    """
    return float(is_collapsed(logits, dtype, kind).double().mean())


def zero_loss_fraction(logits: torch.Tensor, targets: torch.Tensor, loss: LossLike = "cross_entropy",
                       dtype: str | torch.dtype | None = None) -> float:
    """Share of samples whose loss is exactly 0 in ``dtype``: ``mean_i [ℓ(z_i, y_i) == 0]``.

    For softmax cross-entropy ``ℓ = log S − (z_y − z_max)``: a correctly classified sample in collapse
    has ``ℓ = 0`` exactly and sends no gradient through its correct class (Prieto et al. 2025).
    ``loss``: a name known to ``grokbook.losses.get_loss`` or a per-sample loss function.
    """
    fn = get_loss(loss) if isinstance(loss, str) else loss
    z = _logits_2d(logits).to(float_dtype(dtype, logits.dtype))
    if targets.shape[:1] != z.shape[:1]:
        raise ValueError(f"targets must hold one entry per sample ({z.shape[0]}), got shape {tuple(targets.shape)}")
    with torch.no_grad():
        return float((fn(z, targets) == 0).double().mean())


def logit_margin(logits: torch.Tensor, kind: str = "softmax") -> torch.Tensor:
    """``m = −log Σ_{k ≠ top} φ(z_k) / φ(z_top)`` per sample, computed in float64; shape ``(n,)``.

    One number that says how close a sample is to collapse in any precision: ``S = 1 + e^{−m}``, so the
    sample collapses in a dtype with unit roundoff ``u`` once ``m ≥ −ln u`` (16.6 in float32, 36.7 in
    float64; up to the summation order). For softmax (φ = exp) with ``C − 1`` tied others,
    ``m = Δ − ln(C − 1)``; for StableMax (φ = s) ``m`` grows only like ``2 ln Δ``.
    """
    log_w = _log_weights(_logits_2d(logits).detach().double(), kind)
    top = log_w.argmax(dim=-1, keepdim=True)
    others = log_w.scatter(-1, top, float("-inf"))
    return -(torch.logsumexp(others - log_w.gather(-1, top), dim=-1))


def logit_gradient(logits: torch.Tensor, targets: torch.Tensor, loss: LossLike = "cross_entropy",
                   dtype: str | torch.dtype | None = None) -> torch.Tensor:
    """``∂ℓ_i/∂z_ik`` for every sample and class, by autograd in ``dtype``; shape ``(n, C)``.

    For softmax cross-entropy the row is ``softmax(z_i) − onehot(y_i)``: the correct class gets
    ``p_y − 1`` and every other class ``p_k = e^{z_k − z_max} / S``. In collapse ``S`` rounds to 1, so
    ``p_y − 1`` is exactly 0, but ``p_k`` is not: it is tiny and exact until ``e^{z_k − z_max}``
    underflows (a lead of ≈ 104 in float32). A collapsed sample still pushes its wrong logits down.

    >>> g = logit_gradient(torch.tensor([[30.0, 0.0, 0.0]]), torch.tensor([0]))
    >>> g[0, 0].item(), g[0, 1].item() > 0
    (0.0, True)
    """
    fn = get_loss(loss) if isinstance(loss, str) else loss
    z = _logits_2d(logits).detach().to(float_dtype(dtype, logits.dtype)).requires_grad_(True)
    if targets.shape[:1] != z.shape[:1]:
        raise ValueError(f"targets must hold one entry per sample ({z.shape[0]}), got shape {tuple(targets.shape)}")
    with torch.enable_grad():
        (grad,) = torch.autograd.grad(fn(z, targets).sum(), z)
    return grad


def vanishing_gradients(logits: torch.Tensor, targets: torch.Tensor, loss: LossLike = "cross_entropy",
                        dtype: str | torch.dtype | None = None) -> dict[str, float]:
    """Which logit gradients are exactly 0 (see ``logit_gradient``): ``correct``, the share of samples
    whose correct-class gradient ``∂ℓ/∂z_y`` is exactly 0, and ``all``, the share whose whole gradient
    row is exactly 0 (the sample sends nothing back at all).

    >>> vanishing_gradients(torch.tensor([[30.0, 0.0, 0.0], [1.0, 0.0, 0.0]]), torch.tensor([0, 0]))
    {'correct': 0.5, 'all': 0.0}
    """
    grad = logit_gradient(logits, targets, loss, dtype)
    zero = grad == 0
    return {"correct": float(zero.gather(-1, targets[:, None].long()).double().mean()),
            "all": float(zero.all(dim=-1).double().mean())}


def collapse_metrics() -> Callable[[Any], dict[str, float]]:
    """A trainer diagnostic on the training set, in the precision the loss is computed in (the run's
    ``loss_dtype``, else its ``dtype``): ``fraction`` (collapse fraction), ``zero_loss`` (share of
    per-sample losses exactly 0, with the run's loss), ``margin`` (the median ``logit_margin``) and
    ``grad_correct``, ``grad_all`` (the shares of ``vanishing_gradients``). Collapse and margin use
    StableMax's normalisation when the run's loss is ``"stablemax"``, softmax's otherwise. Reads the
    training outputs the trainer computed for this log (``ctx.outputs("train")``); runs no forward pass."""
    return _collapse_metrics


def _collapse_metrics(ctx: Any) -> dict[str, float]:
    kind = "stablemax" if getattr(ctx.config, "loss", None) == "stablemax" else "softmax"
    dtype = getattr(ctx.config, "loss_dtype", None)
    z = ctx.outputs("train").detach()
    vanishing = vanishing_gradients(z, ctx.data.y_train, ctx.loss_fn)
    return {"fraction": collapse_fraction(z, dtype, kind=kind),
            "zero_loss": zero_loss_fraction(z, ctx.data.y_train, ctx.loss_fn),
            "margin": float(logit_margin(z, kind).median()),
            "grad_correct": vanishing["correct"], "grad_all": vanishing["all"]}


def steps_to_collapse(history: Any, threshold: float = 0.5, hold: int = 0) -> int | None:
    """The first logged step ``t`` from which the collapse fraction stays ≥ ``threshold`` at every
    logged step in ``[t, t + hold]``, or None if there is none.

    ``hold=0`` is the first crossing; a positive ``hold`` asks for *persistent* collapse, so that a
    transient spike that falls back (a "slingshot") does not count, and a ``t`` whose window runs past
    the last logged step does not either. A tiny ``threshold`` (e.g. ``1e-9``) gives the step of the
    first collapsed sample. Needs the ``collapse.fraction`` column.

    >>> from grokbook.history import History
    >>> import numpy as np
    >>> h = History({"step": np.arange(5) * 10, "collapse.fraction": np.array([0, .6, .2, .7, .8])})
    >>> steps_to_collapse(h), steps_to_collapse(h, hold=10)
    (10, 30)
    """
    if not 0 < threshold <= 1:
        raise ValueError(f"threshold must lie in (0, 1], got {threshold}")
    if hold < 0:
        raise ValueError(f"hold must be ≥ 0 steps, got {hold}")
    if "collapse.fraction" not in history:
        raise ValueError("history has no column 'collapse.fraction': train with diagnostics=collapse_diagnostics()")
    steps, above = history["step"], history["collapse.fraction"] >= threshold
    for i in above.nonzero()[0]:
        t = steps[i]
        if t + hold > steps[-1]:
            return None
        if above[(steps >= t) & (steps <= t + hold)].all():
            return int(t)
    return None


def settling_step(history: Any, column: str = "test_acc", tol: float = 0.02) -> int:
    """The first logged step after which ``column`` never again differs from its final value by more
    than ``tol``: where a curve stalls (or settles). 0 if it never moved that far.

    >>> from grokbook.history import History
    >>> import numpy as np
    >>> settling_step(History({"step": np.arange(5) * 10, "test_acc": np.array([.1, .5, 0, .01, 0])}))
    20
    """
    if tol < 0:
        raise ValueError(f"tol must be ≥ 0, got {tol}")
    values, steps = history[column], history["step"]
    moving = (abs(values - values[-1]) > tol).nonzero()[0]
    return int(steps[moving[-1] + 1]) if len(moving) else 0


def collapse_diagnostics(alignment: bool = True, logits: int = 0) -> dict[str, Callable[[Any], Any]]:
    """The diagnostics to pass to ``train``: columns ``collapse.fraction``, ``collapse.zero_loss``,
    ``collapse.margin``, ``collapse.grad_correct``, ``collapse.grad_all``; with ``alignment``,
    ``nlm.<parameter>`` and ``nlm.all``; with ``logits=n > 0``, ``logits`` (``logit_snapshot(n)``).

    >>> sorted(collapse_diagnostics(logits=64))
    ['collapse', 'logits', 'nlm']
    """
    out: dict[str, Callable[[Any], Any]] = {"collapse": collapse_metrics()}
    if alignment:
        out["nlm"] = nlm_metrics()
    if logits:
        out["logits"] = logit_snapshot(logits)
    return out
