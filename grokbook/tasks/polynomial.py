"""Kumar et al.'s polynomial regression: a quadratic single-index target on Gaussian inputs.

Kumar, Bordelon, Gershman & Pehlevan 2024, "Grokking as the transition from lazy to rich training
dynamics", arXiv 2310.06110, §2: inputs ``x ~ N(0, I_D / D)``, a teacher ``β ~ N(0, I_D)`` and the
target ``y = (β·x)² / 2`` (so ``β·x ~ N(0, ‖β‖²/D) ≈ N(0, 1)``). The paper uses ``D = 100``, ``P = 550``
training points and 1000 test points; CPU-sized defaults keep ``P / D = 5.5``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from grokbook.tasks.base import Dataset

__all__ = ["PolynomialRegression"]


@dataclass(frozen=True, kw_only=True)
class PolynomialRegression:
    """``n_train`` and ``n_test`` Gaussian inputs ``x ~ N(0, I_dim / dim)`` labelled ``y = (β·x)² / 2``.

    The teacher ``β ~ N(0, I_dim)`` is drawn from ``teacher_seed`` (fixed, so every split shares one
    target); the inputs from the ``seed`` passed to ``build``. Targets are real, shape ``(n,)``: train
    with ``loss="mse"``; accuracy is NaN, report the test loss. A kernel that sees only linear functions
    of ``x`` cannot fit ``y`` at all: its centred part is orthogonal to every linear function under
    the Gaussian, which is what makes the task hard for a lazy network whose tangent kernel is nearly
    linear (Kumar et al. 2024).

    >>> data = PolynomialRegression(dim=10, n_train=55, n_test=100).build(seed=0)
    >>> tuple(data.x_train.shape), tuple(data.y_test.shape), data.kind
    ((55, 10), (100,), 'regression')
    """

    dim: int = 20
    n_train: int = 110
    n_test: int = 500
    teacher_seed: int = 0

    def __post_init__(self) -> None:
        for name in ("dim", "n_train", "n_test"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")

    def teacher(self) -> torch.Tensor:
        """The direction ``β ~ N(0, I_dim)``, shape ``(dim,)``."""
        return torch.randn(self.dim, generator=torch.Generator().manual_seed(self.teacher_seed))

    def target(self, x: torch.Tensor) -> torch.Tensor:
        """``y = (β·x)² / 2`` for inputs of shape ``(n, dim)``."""
        if x.dim() != 2 or x.shape[1] != self.dim:
            raise ValueError(f"x must have shape (n, dim={self.dim}), got {tuple(x.shape)}")
        return (x @ self.teacher().to(x.dtype)).square() / 2

    def build(self, seed: int = 0) -> Dataset:
        """Draw the train and test inputs with ``seed`` (disjoint draws) and label them."""
        generator = torch.Generator().manual_seed(seed)
        x = torch.randn(self.n_train + self.n_test, self.dim, generator=generator) / math.sqrt(self.dim)
        y = self.target(x)
        n = self.n_train
        return Dataset(x[:n], y[:n], x[n:], y[n:], n_outputs=1, inputs="dense", n_tokens=0, kind="regression")
