"""The one-layer transformer of Nanda, Chan, Lieberum, Smith & Steinhardt 2023 (arXiv 2301.05217)."""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from grokbook.models.init import normal_fan_in

__all__ = ["Transformer", "TransformerConfig"]


@dataclass(frozen=True, kw_only=True)
class TransformerConfig:
    """One attention layer and one ReLU MLP, no LayerNorm; Nanda et al. use d_model 128, 4 heads, d_mlp 512."""

    d_model: int = 128
    n_heads: int = 4
    d_mlp: int = 512
    init_scale: float = 1.0

    def __post_init__(self) -> None:
        for name in ("d_model", "n_heads", "d_mlp"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be a positive integer, got {getattr(self, name)}")
        if self.d_model % self.n_heads:
            raise ValueError(f"d_model={self.d_model} must be divisible by n_heads={self.n_heads}")
        if not self.init_scale > 0:
            raise ValueError(f"init_scale (α) must be > 0, got {self.init_scale}")


class Transformer(nn.Module):
    """Residual stream ``x = W_E[t] + W_pos``; ``x += Attn(x)``; ``x += W_out·ReLU(W_in·x + b_in) + b_out``;
    ``logits = W_U · x`` at the last position.

    Only the last position's logits are read (the answer follows ``=``). With one layer they depend on the
    other positions only through attention's keys and values, so the query, the MLP and the unembedding
    are evaluated at the last position alone: the same function as the full model, at a third of the cost.

    Named activations (``cache={}``): ``embedding`` (residual stream before attention, all positions),
    ``attention`` (the last query's pattern, ``(n, heads, seq)``), ``attention_out``, ``mlp_pre``,
    ``hidden`` (MLP neurons after ReLU, ``(n, d_mlp)``), ``residual`` (final, last position), ``logits``.
    """

    def __init__(self, config: TransformerConfig, *, input_shape: tuple[int, ...], n_tokens: int, n_outputs: int,
                 generator: torch.Generator | None = None) -> None:
        super().__init__()
        if n_tokens <= 0:
            raise ValueError("the transformer reads tokens; this task has real-valued inputs")
        g = generator if generator is not None else torch.Generator().manual_seed(0)
        d, h, s = config.d_model, config.n_heads, config.init_scale
        dh, seq = d // h, input_shape[0]
        self.config = config
        self.W_E = nn.Parameter(s * normal_fan_in((n_tokens, d), d, g))
        self.W_pos = nn.Parameter(s * normal_fan_in((seq, d), d, g))
        self.W_Q = nn.Parameter(s * normal_fan_in((h, d, dh), d, g))
        self.W_K = nn.Parameter(s * normal_fan_in((h, d, dh), d, g))
        self.W_V = nn.Parameter(s * normal_fan_in((h, d, dh), d, g))
        self.W_O = nn.Parameter(s * normal_fan_in((h, dh, d), d, g))
        self.W_in = nn.Parameter(s * normal_fan_in((d, config.d_mlp), d, g))
        self.b_in = nn.Parameter(torch.zeros(config.d_mlp))
        self.W_out = nn.Parameter(s * normal_fan_in((config.d_mlp, d), d, g))
        self.b_out = nn.Parameter(torch.zeros(d))
        self.W_U = nn.Parameter(s * normal_fan_in((d, n_outputs), d, g))

    def embeddings(self) -> torch.Tensor:
        """Token embeddings ``W_E`` as ``(1, n_tokens, d_model)``."""
        return self.W_E[None]

    def forward(self, x: torch.Tensor, cache: dict | None = None) -> torch.Tensor:
        # Heads are folded into one (d, heads·d_head) matrix so that every product is one large GEMM; the
        # per-head dot products over the short context are elementwise. (Batched einsums over n·heads
        # tiny matrices cost ~10× more on a CPU for the same function.)
        h, d, dh = self.W_Q.shape
        resid = self.W_E[x] + self.W_pos                                      # (n, seq, d)
        last = resid[:, -1]                                                   # (n, d)
        q = (last @ _fold(self.W_Q)).unflatten(-1, (h, dh))                   # (n, h, dh)
        k = (resid @ _fold(self.W_K)).unflatten(-1, (h, dh))                  # (n, seq, h, dh)
        v = (resid @ _fold(self.W_V)).unflatten(-1, (h, dh))
        scores = (q.unsqueeze(1) * k).sum(-1) / math.sqrt(dh)                 # (n, seq, h)
        pattern = scores.softmax(dim=1)
        attn_out = (pattern.unsqueeze(-1) * v).sum(1).flatten(1) @ self.W_O.reshape(h * dh, d)
        mid = last + attn_out
        pre = mid @ self.W_in + self.b_in
        neurons = torch.relu(pre)
        final = mid + neurons @ self.W_out + self.b_out
        logits = final @ self.W_U
        if cache is not None:
            cache.update(embedding=resid, attention=pattern.transpose(1, 2), attention_out=attn_out,
                         mlp_pre=pre, hidden=neurons, residual=final, logits=logits)
        return logits


def _fold(weight: torch.Tensor) -> torch.Tensor:
    """``(heads, d, d_head)`` → ``(d, heads·d_head)``, head-major columns."""
    return weight.permute(1, 0, 2).reshape(weight.shape[1], -1)
