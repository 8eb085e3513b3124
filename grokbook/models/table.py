"""The first layer of a one-hot MLP as table look-ups, with a hand-written backward pass.

A linear layer on concatenated one-hot vectors, ``h = W [e_{x_1}; …; e_{x_s}] + b``, is a sum of table
rows, ``h = Σ_pos T_pos[x_pos] + b``. Computed as look-ups it costs no matrix product, and its gradient
is a scatter-add of ``∂h`` into the rows that were read. The activation is fused for ReLU and the square
(the two the book trains most), so that one pass over the ``(n, width)`` hidden layer serves both.
"""
from __future__ import annotations

import torch

__all__ = ["FUSED", "table_layer", "TableLayer"]

FUSED = ("relu", "quadratic")


class TableLayer(torch.autograd.Function):
    """``z = φ(Σ_pos T[k, pos, x[k, n, pos]] + b[k])`` for K stacked models; φ is ReLU, the square or
    (``activation=None``) the identity. Shapes: ``tables (K, seq, V, w)``, ``bias (K, w)`` or None,
    ``tokens (K, n, seq)``; returns ``(K, n, w)``."""

    generate_vmap_rule = True  # torch.func (vmap, jacrev) works through the layer: the NTK diagnostics need it

    @staticmethod
    def forward(tables, bias, tokens, activation):
        K, seq, V, w = tables.shape
        n = tokens.shape[1]
        rows = (tokens + torch.arange(K * seq, device=tokens.device).view(K, 1, seq) * V).reshape(K * n, seq)
        flat = tables.reshape(K * seq * V, w)
        h = flat.index_select(0, rows[:, 0])
        for pos in range(1, seq):
            h.add_(flat.index_select(0, rows[:, pos]))
        h = h.view(K, n, w)
        if bias is not None:
            h.add_(bias[:, None])
        if activation == "relu":
            return torch.relu_(h), rows, h.new_empty(0)
        if activation == "quadratic":
            return h.square(), rows, h
        return h, rows, h.new_empty(0)

    @staticmethod
    def setup_context(ctx, inputs, output):
        tables, bias, _, activation = inputs
        out, rows, h = output
        # ReLU's backward needs its output, the square its input
        ctx.save_for_backward(rows, h if activation == "quadratic" else out)
        ctx.mark_non_differentiable(rows)
        ctx.activation, ctx.shape, ctx.has_bias = activation, tables.shape, bias is not None

    @staticmethod
    def backward(ctx, grad_out, _grad_rows, _grad_h):
        activation = ctx.activation
        rows, saved = ctx.saved_tensors
        if activation == "relu":
            grad_h = torch.ops.aten.threshold_backward(grad_out, saved, 0)  # ReLU's own vectorised kernel
        elif activation == "quadratic":
            grad_h = 2 * saved * grad_out
        else:
            grad_h = grad_out
        K, seq, V, w = ctx.shape
        flat_grad = grad_h.reshape(-1, w)
        grad_tables = flat_grad.new_zeros((K * seq * V, w))
        for pos in range(seq):
            grad_tables.index_add_(0, rows[:, pos], flat_grad)
        grad_bias = grad_h.sum(dim=1) if ctx.has_bias else None
        return grad_tables.view(K, seq, V, w), grad_bias, None, None


def table_layer(tables: torch.Tensor, bias: torch.Tensor | None, tokens: torch.Tensor,
                activation: str | None) -> torch.Tensor:
    """``φ(Σ_pos T_pos[x_pos] + b)`` for stacked models; ``activation`` in ``FUSED`` or None."""
    return TableLayer.apply(tables, bias, tokens, activation)[0]
