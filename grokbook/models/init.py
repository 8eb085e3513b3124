"""Weight initialisation with an explicit random generator, so a seed alone fixes a model."""
from __future__ import annotations

import math

import torch

__all__ = ["normal_fan_in", "standard_normal", "uniform_fan_in"]


def uniform_fan_in(shape: tuple[int, ...], fan_in: int, generator: torch.Generator) -> torch.Tensor:
    """U(−1/√fan_in, 1/√fan_in): PyTorch's default for ``nn.Linear`` weights and biases."""
    bound = 1.0 / math.sqrt(fan_in)
    return (torch.rand(shape, generator=generator) * 2 - 1) * bound


def standard_normal(shape: tuple[int, ...], generator: torch.Generator) -> torch.Tensor:
    """N(0, 1) entries: the weights of a parameterization that puts its scale in the forward pass
    (Gromov 2023, arXiv 2301.02679, multiplies by 1/√fan_in and 1/N there instead)."""
    return torch.randn(shape, generator=generator)


def normal_fan_in(shape: tuple[int, ...], fan_in: int, generator: torch.Generator) -> torch.Tensor:
    """N(0, 1/fan_in), the scale Nanda et al. 2023 use for every transformer weight."""
    return torch.randn(shape, generator=generator) / math.sqrt(fan_in)
