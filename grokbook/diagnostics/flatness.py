"""Flatness of the training loss: the top eigenvalue of its Hessian (the sharpness), by power
iteration on Hessian-vector products, read from the training set alone.

A flat minimum is a proposed mark of a generalizing solution (Keskar et al. 2017, arXiv 1609.04836;
Petzka et al. 2021, arXiv 2001.00939); logged during training it is one more test-free candidate
early warning of grokking, scored by ``grokbook.diagnostics.detectors``.
"""
from __future__ import annotations

from typing import Callable

import numpy as np
import torch
from torch import nn
from torch.func import functional_call

__all__ = ["sharpness_diagnostic", "top_hessian_eigenvalue"]


def top_hessian_eigenvalue(model: nn.Module, loss_fn: Callable, x: torch.Tensor, y: torch.Tensor,
                           iters: int = 20, tol: float = 1e-3, start: torch.Tensor | None = None,
                           seed: int = 0) -> tuple[float, torch.Tensor]:
    """The eigenvalue of largest magnitude of ``H = ∇²_θ L(θ)``, ``L = (1/n) Σᵢ loss_fn(f_θ(xᵢ), yᵢ)``
    over all parameters of ``model``, by power iteration (von Mises) on Hessian-vector products
    ``Hv = ∇_θ(∇_θ L · v)`` (Pearlmutter 1994, double backward):

        v ← Hv / ‖Hv‖,   λ = vᵀ H v,

    stopped after ``iters`` products or when λ changes by less than ``tol``·|λ|. At a minimum
    ``H ⪰ 0`` and λ is the sharpness λ_max (Keskar et al. 2017, "On large-batch training for deep
    learning: generalization gap and sharp minima", arXiv 1609.04836); away from one a negative
    eigenvalue can dominate and λ is negative. ``loss_fn`` is per-sample (shape ``(n,)``);
    ``start`` (a flat vector of the parameters' size, e.g. the previous call's vector) warm-starts
    the iteration, otherwise a Gaussian vector drawn with ``seed``. Returns ``(λ, v)``.

    >>> lin = nn.Linear(2, 1, bias=False)
    >>> x = torch.tensor([[2.0, 0.0], [0.0, 1.0]]); y = torch.zeros(2, 1)
    >>> lam, _ = top_hessian_eigenvalue(lin, lambda f, t: (f - t).square().sum(-1), x, y)
    >>> round(lam, 3)                                  # H = 2 XᵀX / n = diag(4, 1)
    4.0
    """
    if iters < 1 or tol < 0:
        raise ValueError(f"need iters ≥ 1 and tol ≥ 0, got iters={iters}, tol={tol}")
    params = {n: p.detach().clone().requires_grad_(True) for n, p in model.named_parameters()}
    if not params:
        raise ValueError("the model has no parameters")
    with torch.enable_grad():  # the trainer may log under no_grad
        loss = loss_fn(functional_call(model, params, (x,)), y).mean()
        grads = torch.autograd.grad(loss, list(params.values()), create_graph=True)
    flat_grad = torch.cat([g.reshape(-1) for g in grads])
    if start is not None and start.shape != flat_grad.shape:
        raise ValueError(f"start must have {flat_grad.numel()} entries, got {tuple(start.shape)}")
    if start is None:
        generator = torch.Generator().manual_seed(seed)
        start = torch.randn(flat_grad.numel(), generator=generator, dtype=torch.float64)
    v = start.to(flat_grad.device, flat_grad.dtype)
    v = v / v.norm().clamp_min(torch.finfo(v.dtype).tiny)
    lam = float("nan")
    for _ in range(iters):
        with torch.enable_grad():
            hv = torch.cat([h.reshape(-1) for h in torch.autograd.grad(
                flat_grad, list(params.values()), grad_outputs=v, retain_graph=True)])
        new = float(v @ hv)
        norm = hv.norm()
        if not torch.isfinite(norm) or norm == 0:
            return new, v.detach()
        v = hv / norm
        done = np.isfinite(lam) and abs(new - lam) <= tol * abs(new)
        lam = new
        if done:
            break
    return lam, v.detach()


def sharpness_diagnostic(every: int = 1, iters: int = 20, tol: float = 1e-3):
    """A diagnostic logging ``sharpness``, the training loss's top Hessian eigenvalue
    (:func:`top_hessian_eigenvalue`, Keskar et al. 2017, arXiv 1609.04836) every ``every`` logged
    steps (NaN in between), from the training set only. Each ensemble member warm-starts from its
    previous eigenvector (reset at step 0, so a few products per log suffice)."""
    if every < 1:
        raise ValueError(f"every must be ≥ 1 step, got {every}")
    vectors: dict[int, torch.Tensor] = {}

    def diagnostic(context) -> float:
        if context.step == 0:
            vectors.pop(context.member, None)
        if context.step % every:
            return float("nan")
        data = context.data
        lam, vectors[context.member] = top_hessian_eigenvalue(
            context.model, context.loss_fn, data.x_train, data.y_train, iters=iters, tol=tol,
            start=vectors.get(context.member), seed=context.member)
        return lam

    return diagnostic
