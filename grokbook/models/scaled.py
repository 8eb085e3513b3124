"""The output-scaled model of lazy training: ``f(x) = α (f_θ(x) − f_θ₀(x))``."""
from __future__ import annotations

import torch
from torch import nn

__all__ = ["CenteredScaled"]


class CenteredScaled(nn.Module):
    """``f(x) = α (f_θ(x) − f_θ₀(x))``: zero at initialisation, lazy for large α (Chizat, Oyallon & Bach
    2019, arXiv 1812.07956; Kumar et al. 2024, arXiv 2310.06110). Only θ is a parameter; θ₀ is kept
    frozen in :attr:`initial`.

    Trained with learning rate ``lr / α²`` (``TrainConfig.effective_lr``), the function moves at a speed
    independent of α while θ moves ∝ 1/α. Decoupled weight decay acts on θ with that same effective
    learning rate, so with ``output_scale`` set its per-step shrink factor ``1 − (lr/α²)·λ`` is α² times
    weaker than the same ``weight_decay`` without output scaling.
    """

    def __init__(self, model: nn.Module, initial: nn.Module, alpha: float) -> None:
        super().__init__()
        self.model, self.alpha = model, alpha
        self._initial = [initial.requires_grad_(False)]  # a list hides θ₀ from .parameters()

    @property
    def initial(self) -> nn.Module:
        """The frozen model at θ₀ (its outputs are subtracted)."""
        return self._initial[0]

    def forward(self, x: torch.Tensor, cache: dict | None = None) -> torch.Tensor:
        with torch.no_grad():
            reference = self.initial(x)
        return self.alpha * (self.model(x, cache=cache) - reference)

    def embeddings(self) -> torch.Tensor:
        return self.model.embeddings()
