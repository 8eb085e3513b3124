"""The record every task produces: train and test tensors plus what a model needs to know about them."""
from __future__ import annotations

from dataclasses import dataclass

import torch

__all__ = ["check_fraction", "Dataset", "split_indices"]


@dataclass(frozen=True)
class Dataset:
    """A train/test split, already on its device.

    ``x_*`` are token ids of shape ``(n, seq_len)`` (``inputs == "tokens"``) or real features of shape
    ``(n, input_dim)`` (``inputs == "dense"``). ``y_*`` are class ids of shape ``(n,)`` for
    classification, or real targets of shape ``(n,)`` / ``(n, n_outputs)`` for regression.
    """

    x_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor
    n_outputs: int
    inputs: str = "tokens"
    n_tokens: int = 0
    kind: str = "classification"

    @property
    def input_shape(self) -> tuple[int, ...]:
        return tuple(self.x_train.shape[1:])

    @property
    def n_train(self) -> int:
        return len(self.y_train)

    def to(self, device: torch.device | str, dtype: torch.dtype | None = None) -> "Dataset":
        """Move to ``device``; real-valued tensors are also cast to ``dtype``."""

        def move(t: torch.Tensor) -> torch.Tensor:
            if dtype is not None and t.is_floating_point():
                return t.to(device=device, dtype=dtype)
            return t.to(device)

        return Dataset(move(self.x_train), move(self.y_train), move(self.x_test), move(self.y_test),
                       self.n_outputs, self.inputs, self.n_tokens, self.kind)


def split_indices(n: int, train_fraction: float, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Shuffle ``range(n)`` with ``seed`` and cut it: the first ``round(train_fraction * n)`` train."""
    check_fraction(train_fraction)
    generator = torch.Generator().manual_seed(seed)
    order = torch.randperm(n, generator=generator)
    n_train = max(1, min(n - 1, round(train_fraction * n)))
    return order[:n_train], order[n_train:]


def check_fraction(train_fraction: float) -> None:
    if not 0.0 < train_fraction < 1.0:
        raise ValueError(f"train_fraction must lie in the open interval (0, 1), got {train_fraction}")
