"""The pieces of one optimisation step that the trainer assembles: the stacked optimizer a config names,
its gradient filter, the per-step update record, and what happens when a member's loss diverges."""
from __future__ import annotations

import torch

from grokbook.accelerate import (SPECTRAL_OPTIMIZERS, GrokfastEMA, GrokfastMA, ParameterGroups, StackedSpectral,
                                 is_embedding)
from grokbook.history import History
from grokbook.optim import StackedOptimizer
from grokbook.training.config import TrainConfig
from grokbook.training.ensemble import _Ensemble

__all__ = ["DIVERGENCE_POLICIES", "Divergence", "DivergenceError", "UpdateRecorder", "build_grad_filter",
           "build_optimizer"]

DIVERGENCE_POLICIES = ("raise", "freeze")


class DivergenceError(FloatingPointError):
    """The loss became NaN or infinite: training stopped at the step named in the message."""


class UpdateRecorder:
    """Per step and member: the applied update's norm ``‖θ_{t+1} − θ_t‖`` and its radial cosine
    ``cos(θ_{t+1} − θ_t, θ_t)``, stored in ``history.per_step`` when the loop ends."""

    def __init__(self, steps: int, K: int, device: torch.device, dtype: torch.dtype) -> None:
        self.norms = torch.zeros((steps, K), device=device, dtype=dtype)
        self.cosines = torch.zeros_like(self.norms)

    def record(self, step: int, before: list[torch.Tensor], params: list[torch.Tensor]) -> None:
        with torch.no_grad():
            self.norms[step] = torch.sqrt(sum((p - b).flatten(1).square().sum(1) for p, b in zip(params, before)))
            radial = sum(((p - b) * b).flatten(1).sum(1) for p, b in zip(params, before))
            b_norm = torch.sqrt(sum(b.flatten(1).square().sum(1) for b in before))
            self.cosines[step] = radial / (self.norms[step] * b_norm).clamp_min(1e-300)

    def store(self, steps: int, histories: list[History]) -> None:
        norms, cosines = self.norms[:steps].cpu().numpy(), self.cosines[:steps].cpu().numpy()
        for k, history in enumerate(histories):
            history.per_step["update_norm"] = norms[:, k]
            history.per_step["update_cos"] = cosines[:, k]


def build_optimizer(e: _Ensemble):
    """The stacked optimizer the config names, with per-member learning rates and weight decays."""
    base, device, dtype = e.base, e.params[0].device, e.params[0].dtype

    def per_member(values: list[float]) -> torch.Tensor:
        return torch.tensor(values, device=device, dtype=dtype)

    lr = per_member([c.effective_lr for c in e.configs])
    weight_decay = per_member([c.weight_decay for c in e.configs])

    def adamw(params: list[torch.Tensor], kind: str = base.optimizer, rate: torch.Tensor = lr):
        return StackedOptimizer(params, kind=kind, betas=base.betas, eps=base.eps, momentum=base.momentum,
                                orthogonal=base.orthogonal, lr=rate, weight_decay=weight_decay)

    if base.optimizer not in SPECTRAL_OPTIMIZERS and base.embed_lr is not None:  # Adam-LR
        embedding = [i for i, (n, p) in enumerate(zip(e.names, e.params)) if is_embedding(n, tuple(p.shape[1:]))]
        if not embedding:
            raise ValueError(f"embed_lr is set but the model has no embedding parameters ({e.names})")
        rest = [i for i in range(len(e.params)) if i not in embedding]
        embed_lr = per_member([c.embed_lr for c in e.configs])
        return ParameterGroups([(embedding, adamw([e.params[i] for i in embedding], rate=embed_lr)),
                                (rest, adamw([e.params[i] for i in rest]))])
    if base.optimizer not in SPECTRAL_OPTIMIZERS:
        return adamw(e.params)
    adam_lr = per_member([c.adam_lr if c.adam_lr is not None else c.effective_lr for c in e.configs])
    fallback = (lambda params: adamw(params, "adamw", adam_lr)) if base.optimizer == "muon" else None
    return StackedSpectral(e.params, e.names, kind=base.optimizer, lr=lr, weight_decay=weight_decay,
                           fallback=fallback, momentum=base.muon_momentum)


def build_grad_filter(base: TrainConfig):
    if base.grad_filter == "ema":
        return GrokfastEMA(base.grad_filter_alpha, base.grad_filter_lambda)
    if base.grad_filter == "ma":
        return GrokfastMA(base.grad_filter_window, base.grad_filter_lambda)
    return None


class Divergence:
    """Watches each member's loss for NaN or ∞ and applies a policy when one diverges.

    ``"raise"`` (the default) stops the ensemble with a ``DivergenceError`` naming the step (and the
    member). ``"freeze"`` freezes a diverged member at the weights that gave the non-finite loss: it
    leaves the summed loss, its weights are restored after every step, its history ends at the last
    step logged before the divergence was found, and ``history.diverged_at`` records the step. The other
    members train on exactly as before (members share no parameters); when every member has
    diverged, it raises.
    """

    def __init__(self, policy: str, K: int, device: torch.device, advice: str) -> None:
        if policy not in DIVERGENCE_POLICIES:
            raise ValueError(f"on_divergence must be one of {list(DIVERGENCE_POLICIES)}, got {policy!r}")
        self.policy, self.K, self.advice = policy, K, advice
        self.alive = torch.ones(K, dtype=torch.bool, device=device)
        self.frozen: dict[int, list[torch.Tensor]] = {}
        self.at: dict[int, int] = {}

    @property
    def dead(self) -> set[int]:
        return set(self.frozen)

    def loss(self, member_loss: torch.Tensor, step: int, params: list[torch.Tensor]) -> torch.Tensor:
        """The loss to differentiate: the sum over the members still alive (one host sync per step)."""
        finite = torch.isfinite(member_loss)
        if bool((finite | ~self.alive).all()):
            return member_loss[self.alive].sum() if self.frozen else member_loss.sum()
        newly = (~finite & self.alive).nonzero().flatten().tolist()
        if self.policy == "raise" or len(newly) == int(self.alive.sum()):
            who = f" (member {newly[0]} of {self.K})" if self.K > 1 else ""
            hint = "; on_divergence='freeze' lets the other members train on" if self.K > 1 and \
                self.policy == "raise" else ""
            raise DivergenceError(f"the loss became {member_loss[newly[0]].item()} at step {step}{who}: "
                                  f"{self.advice}{hint}")
        for k in newly:
            self.frozen[k] = [p[k].detach().clone() for p in params]
            self.at[k] = step
        self.alive &= finite
        return member_loss[self.alive].sum()

    def mask(self, grads: tuple[torch.Tensor, ...]) -> tuple[torch.Tensor, ...]:
        """Zero the gradients of frozen members (a NaN there would otherwise reach their optimizer state)."""
        if not self.frozen:
            return grads
        return tuple(torch.where(self.alive.view((-1,) + (1,) * (g.dim() - 1)), g, torch.zeros_like(g))
                     for g in grads)

    def restore(self, params: list[torch.Tensor]) -> None:
        """Put frozen members back at their frozen weights (after the optimizer moved every member)."""
        with torch.no_grad():
            for k, saved in self.frozen.items():
                for p, value in zip(params, saved):
                    p[k] = value

    def store(self, histories: list[History]) -> None:
        for k, step in self.at.items():
            histories[k].diverged_at = step
