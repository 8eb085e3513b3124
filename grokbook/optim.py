"""Optimizers over stacked parameters (one leading axis per ensemble member), and ⊥Grad.

The trainer keeps every parameter as a tensor ``(K, …)`` holding K independent models; learning rate
and weight decay may differ between members. The updates are those of ``torch.optim.AdamW``, ``Adam``
and ``SGD``, member by member (the tests check this against torch).
"""
from __future__ import annotations

import torch

__all__ = ["OPTIMIZERS", "orthogonal_component", "OrthogonalGrad", "StackedOptimizer"]

OPTIMIZERS = ("adamw", "adam", "sgd")


def orthogonal_component(weight: torch.Tensor, grad: torch.Tensor, dims: tuple[int, ...] | None = None) -> torch.Tensor:
    """⊥Grad: the gradient with its component along the weights removed, rescaled to the gradient's norm.

    ``g⊥ = g − (⟨w, g⟩ / ⟨w, w⟩) w``, then ``g⊥ · ‖g‖ / ‖g⊥‖`` (Prieto et al. 2025, arXiv 2501.04697,
    §5). Inner products run over ``dims`` (all by default; the trainer passes the non-member axes).
    """
    dims = tuple(range(weight.dim())) if dims is None else dims
    ww = (weight * weight).sum(dim=dims, keepdim=True)
    wg = (weight * grad).sum(dim=dims, keepdim=True)
    projected = grad - torch.where(ww > 0, wg / ww.clamp_min(torch.finfo(ww.dtype).tiny), 0.0) * weight
    g_norm = grad.square().sum(dim=dims, keepdim=True).sqrt()
    p_norm = projected.square().sum(dim=dims, keepdim=True).sqrt()
    return torch.where(p_norm > 0, projected * (g_norm / p_norm.clamp_min(torch.finfo(ww.dtype).tiny)), projected)


class OrthogonalGrad:
    """Turn any torch optimizer into its ⊥ version: gradients are replaced by ``orthogonal_component``
    (per parameter tensor) just before the wrapped optimizer's ``step``.

    >>> w = torch.nn.Parameter(torch.ones(3))
    >>> opt = OrthogonalGrad(torch.optim.SGD([w], lr=0.1))
    """

    def __init__(self, optimizer: torch.optim.Optimizer) -> None:
        self.optimizer = optimizer

    @property
    def param_groups(self) -> list[dict]:
        return self.optimizer.param_groups

    @property
    def state(self) -> dict:
        return self.optimizer.state

    def zero_grad(self, set_to_none: bool = True) -> None:
        self.optimizer.zero_grad(set_to_none=set_to_none)

    @torch.no_grad()
    def step(self, closure=None):
        for group in self.optimizer.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    p.grad.copy_(orthogonal_component(p, p.grad))
        return self.optimizer.step(closure)

    def state_dict(self) -> dict:
        return self.optimizer.state_dict()

    def load_state_dict(self, state: dict) -> None:
        self.optimizer.load_state_dict(state)


class StackedOptimizer:
    """AdamW, Adam or SGD applied to ``(K, …)`` parameters with per-member ``lr`` and ``weight_decay``.

    AdamW (Loshchilov & Hutter 2019, arXiv 1711.05101): ``w ← w(1 − ηλ)``, then the Adam step
    ``w ← w − η m̂ / (√v̂ + ε)``. Adam and SGD add ``λw`` to the gradient (L2) as torch does.
    ``orthogonal=True`` applies ⊥Grad to every member's every tensor first.
    """

    def __init__(self, params: list[torch.Tensor], *, kind: str, lr: torch.Tensor, weight_decay: torch.Tensor,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8, momentum: float = 0.0,
                 orthogonal: bool = False) -> None:
        if kind not in OPTIMIZERS:
            raise ValueError(f"optimizer must be one of {list(OPTIMIZERS)}, got {kind!r}")
        self.params, self.kind, self.betas, self.eps = params, kind, betas, eps
        self.momentum, self.orthogonal = momentum, orthogonal
        self.lr, self.weight_decay = lr, weight_decay
        self.step_count = 0
        self.exp_avg = [torch.zeros_like(p) for p in params] if kind != "sgd" or momentum else None
        self.exp_avg_sq = [torch.zeros_like(p) for p in params] if kind != "sgd" else None

    def _per_member(self, values: torch.Tensor, p: torch.Tensor) -> torch.Tensor:
        return values.view((-1,) + (1,) * (p.dim() - 1))

    @torch.no_grad()
    def step(self, grads: list[torch.Tensor]) -> None:
        self.step_count += 1
        t = self.step_count
        beta1, beta2 = self.betas
        for i, (p, g) in enumerate(zip(self.params, grads)):
            if self.orthogonal:
                g = orthogonal_component(p, g, dims=tuple(range(1, p.dim())))
            lr = self._per_member(self.lr, p)
            wd = self._per_member(self.weight_decay, p)
            if self.kind == "adamw":
                p.mul_(1 - lr * wd)
            else:
                g = g + wd * p
            if self.kind == "sgd":
                if self.momentum:
                    buf = self.exp_avg[i]
                    buf.mul_(self.momentum).add_(g) if t > 1 else buf.copy_(g)
                    g = buf
                p.sub_(lr * g)
                continue
            m, v = self.exp_avg[i], self.exp_avg_sq[i]
            m.lerp_(g, 1 - beta1)
            v.mul_(beta2).addcmul_(g, g, value=1 - beta2)
            denom = (v.sqrt() / (1 - beta2**t) ** 0.5).add_(self.eps)
            p.sub_((lr / (1 - beta1**t)) * m / denom)
