"""Naive loss minimisation (NLM): how far training only scales the weights and the logits up.

Prieto, Barsbey, Mediano & Birdal 2025 (arXiv 2501.04697): once a network fits its training set without
weight decay, cross-entropy keeps falling by scaling the logits, and the descent direction ``−∇L`` lines
up with the weights. Measured here as the cosine of ``−∇L`` with the weights (``nlm_alignment``), the
radial share of the logits' change between logged steps (``logit_scaling``) and of the applied update
(``update_alignment``). Every function computes and never plots.
"""
from __future__ import annotations

import math
from typing import Any, Callable

import torch
from torch import nn

from grokbook.losses import get_loss

LossLike = str | Callable[[torch.Tensor, torch.Tensor], torch.Tensor]

__all__ = ["logit_scaling", "logit_scaling_between", "logit_snapshot", "nlm_alignment", "nlm_metrics",
           "update_alignment"]


def nlm_alignment(model: nn.Module, x: torch.Tensor, y: torch.Tensor, loss: LossLike = "cross_entropy") -> dict[str, float]:
    """Cosine between the descent direction and the weights, per parameter tensor: ``cos(−∇_W L, W)``.

    ``L`` is the mean per-sample ``loss`` over ``(x, y)``. For a network without biases and with ReLU, the
    logits are homogeneous in each layer's weights, so moving ``W`` along ``W`` only scales the logits:
    a cosine near 1 means training does little but naive loss minimisation (Prieto et al. 2025, arXiv
    2501.04697, where the output layer reaches ≈ 0.9). Keys: parameter names, plus ``"all"`` for
    all parameters as one vector. A zero gradient (e.g. every sample collapsed) gives 0.
    """
    fn = get_loss(loss) if isinstance(loss, str) else loss
    named = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    if not named:
        raise ValueError("model has no trainable parameters to measure the NLM alignment on")
    with torch.enable_grad():
        value = fn(model(x), y).mean()
        grads = torch.autograd.grad(value, [p for _, p in named], allow_unused=True)
    out, dot_all, gg_all, ww_all = {}, 0.0, 0.0, 0.0
    for (name, p), g in zip(named, grads):
        w = p.detach().double().flatten()
        g = torch.zeros_like(w) if g is None else -g.detach().double().flatten()
        dot, gg, ww = float(w @ g), float(g @ g), float(w @ w)
        out[name] = dot / math.sqrt(gg * ww) if gg > 0 and ww > 0 else 0.0
        dot_all, gg_all, ww_all = dot_all + dot, gg_all + gg, ww_all + ww
    out["all"] = dot_all / math.sqrt(gg_all * ww_all) if gg_all > 0 and ww_all > 0 else 0.0
    return out


def nlm_metrics() -> Callable[[Any], dict[str, float]]:
    """A trainer diagnostic: ``nlm_alignment`` of every parameter tensor on the full training set."""
    return _nlm_metrics


def _nlm_metrics(ctx: Any) -> dict[str, float]:
    return nlm_alignment(ctx.model, ctx.data.x_train, ctx.data.y_train, ctx.loss_fn)


def logit_snapshot(n_samples: int = 128) -> Callable[[Any], Any]:
    """A trainer diagnostic that stores the logits of the first ``n_samples`` training samples,
    flattened (float64, shape ``(n_samples · C,)``), so that ``logit_scaling`` can compare them
    between logged steps."""
    if not isinstance(n_samples, int) or n_samples < 1:
        raise ValueError(f"n_samples must be a positive integer, got {n_samples!r}")

    def logits(ctx: Any) -> Any:
        return ctx.outputs("train")[:n_samples].detach().double().flatten().cpu().numpy().copy()
    return logits


def logit_scaling(before: Any, after: Any) -> dict[str, float]:
    """How the logit vector ``z`` (all samples and classes, flattened) moved from ``before`` to ``after``.

    ``cos = cos(z_a, z_b)`` (1: same direction), ``growth = ‖z_b‖ / ‖z_a‖`` and
    ``radial = cos(z_b − z_a, z_a)``, the share of the change that points along ``z_a``. Naive loss
    minimisation (Prieto et al. 2025, arXiv 2501.04697) scales the logits: ``cos → 1``,
    ``radial → 1``, ``growth > 1``. A network that still reorganises its function has ``cos < 1``.

    >>> logit_scaling([1.0, 2.0], [3.0, 6.0])
    {'cos': 1.0, 'growth': 3.0, 'radial': 1.0}
    """
    a = torch.as_tensor(before, dtype=torch.float64).flatten()
    b = torch.as_tensor(after, dtype=torch.float64).flatten()
    if a.shape != b.shape:
        raise ValueError(f"the two logit vectors must have the same shape, got {tuple(a.shape)} and {tuple(b.shape)}")
    na, nb, d = a.norm(), b.norm(), b - a
    if na == 0:
        raise ValueError("the earlier logit vector is zero: its direction is undefined")
    cos = float(a @ b / (na * nb)) if nb > 0 else 0.0
    radial = float(d @ a / (d.norm() * na)) if d.norm() > 0 else 0.0
    return {"cos": round(cos, 12), "growth": float(nb / na), "radial": round(radial, 12)}


def logit_scaling_between(history: Any, start: float | None, stop: float | None,
                          column: str = "logits") -> dict[str, float]:
    """``logit_scaling`` between the logged steps nearest ``start`` and ``stop`` (None: the last)."""
    if column not in history:
        raise ValueError(f"history has no column {column!r}: train with diagnostics={{{column!r}: logit_snapshot()}}")
    return logit_scaling(history.at(column, start), history.at(column, stop))


def update_alignment(history: Any, start: int = 0, stop: int | None = None) -> dict[str, float]:
    """The applied update's radial share and the norm growth over steps ``start ≤ t < stop``.

    ``cos``: the median over steps of ``cos(θ_{t+1} − θ_t, θ_t)`` (the trainer's
    ``per_step["update_cos"]``, recorded with ``record_update_norm=True``): 0 for a step orthogonal to
    the weights, 1 for pure scaling, < 0 when the step shrinks them (weight decay). ``growth``:
    ``‖θ_stop‖ / ‖θ_start‖`` from the logged ``weight_norm`` (nearest logged steps).
    """
    if "update_cos" not in history.per_step:
        raise ValueError("history has no per-step 'update_cos': train with record_update_norm=True")
    cos = history.per_step["update_cos"]
    stop = len(cos) if stop is None else stop
    if not 0 <= start < stop <= len(cos):
        raise ValueError(f"need 0 ≤ start < stop ≤ {len(cos)} steps, got start={start}, stop={stop}")
    window = torch.as_tensor(cos[start:stop], dtype=torch.float64)
    return {"cos": float(window.median()),
            "growth": float(history.at("weight_norm", stop) / history.at("weight_norm", start))}
