"""Models: plain ``nn.Module``s whose intermediate activations can be asked for by name."""
from __future__ import annotations

import torch
from torch import nn

from grokbook.models.mlp import ACTIVATIONS, MLP, MLPConfig
from grokbook.models.scaled import CenteredScaled
from grokbook.models.transformer import Transformer, TransformerConfig
from grokbook.tasks import Dataset

ModelConfig = MLPConfig | TransformerConfig


def build_model(config: ModelConfig, data: Dataset, seed: int = 0) -> nn.Module:
    """Instantiate the model that ``config`` describes for ``data``'s inputs and outputs, seeded."""
    generator = torch.Generator().manual_seed(seed)
    kwargs = dict(input_shape=data.input_shape, n_tokens=data.n_tokens, n_outputs=data.n_outputs,
                  generator=generator)
    if isinstance(config, MLPConfig):
        return MLP(config, **kwargs)
    if isinstance(config, TransformerConfig):
        return Transformer(config, **kwargs)
    raise ValueError(f"model must be an MLPConfig or a TransformerConfig, got {type(config).__name__}")


def activations(model: nn.Module, x: torch.Tensor) -> dict[str, torch.Tensor]:
    """Run ``model`` on ``x`` without gradients and return its named activations."""
    cache: dict[str, torch.Tensor] = {}
    with torch.no_grad():
        model(x, cache=cache)
    return cache


__all__ = ["ACTIVATIONS", "CenteredScaled", "MLP", "MLPConfig", "ModelConfig", "Transformer", "TransformerConfig",
           "activations", "build_model"]
