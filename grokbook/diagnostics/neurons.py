"""The MLP neurons and the attention of the modular-addition transformer in the Fourier basis: neuron
tables over the (a, b) grid, the share of each neuron explained by one frequency, the neuron-to-logit
map ``W_L`` and the attention pattern from ``=`` (Nanda, Chan, Lieberum, Smith & Steinhardt 2023,
arXiv 2301.05217, §4).
"""
from __future__ import annotations

from typing import Any

import torch
from torch import nn

from grokbook.diagnostics.circuit_losses import check_task
from grokbook.diagnostics.spectrum import (analysis_tensor, check_p, fourier_basis, frequency_rows,
                                           n_frequencies)
from grokbook.models import activations
from grokbook.tasks.modular import ModularArithmetic

__all__ = ["TUNED_SHARE", "attention_table", "neuron_clusters", "neuron_frequency_shares",
           "neuron_logit_map", "neuron_table"]

TUNED_SHARE = 0.85  # Nanda et al. 2023: a neuron is "tuned" when one frequency explains > 85% of it


def neuron_table(model: nn.Module, task: ModularArithmetic, name: str = "hidden") -> torch.Tensor:
    """The activation ``name`` (default the MLP neurons) on every pair, ``(p, p, N)`` indexed
    ``[a, b, n]``, float64 on the model's device."""
    task = check_task(task)
    x, _ = task.table()
    acts = activations(model, x.to(next(model.parameters()).device))
    if name not in acts:
        raise ValueError(f"model: {type(model).__name__} records no {name!r} activation; "
                         f"it has {sorted(acts)}")
    return analysis_tensor(acts[name]).reshape(task.p, task.p, -1)


def neuron_frequency_shares(neurons: torch.Tensor) -> torch.Tensor:
    """Share of each neuron's variance over the (a, b) table explained by each frequency,
    ``(N, ⌊(p−1)/2⌋)``.

    ``neurons`` is ``(p, p, N)``. After the 2-D Fourier transform ``B A Bᵀ``, frequency ``k`` explains
    the terms whose a- and b-frequencies are each 0 or ``k`` (not both 0): ``cos/sin(w_k a)``,
    ``cos/sin(w_k b)`` and their products (Nanda et al. 2023, arXiv 2301.05217, §4.2). A constant
    neuron gets zeros.
    """
    neurons = analysis_tensor(neurons)
    if neurons.dim() != 3 or neurons.shape[0] != neurons.shape[1]:
        raise ValueError(f"neurons must have shape (p, p, N), got {tuple(neurons.shape)}")
    p = check_p(neurons.shape[0])
    B = fourier_basis(p, neurons.device)
    energy = torch.einsum("ia,abn,jb->ijn", B, neurons, B).square()
    total = energy.sum((0, 1)) - energy[0, 0]
    shares = []
    for k in range(1, n_frequencies(p) + 1):
        rows = frequency_rows(p, [0, k], neurons.device)
        shares.append(energy[rows][:, rows].sum((0, 1)) - energy[0, 0])
    shares = torch.stack(shares, 1)
    return torch.where(total[:, None] > 0, shares / total.clamp_min(1e-300)[:, None],
                       torch.zeros_like(shares))


def neuron_clusters(neurons: torch.Tensor, threshold: float = TUNED_SHARE) -> dict[str, Any]:
    """Each neuron's best frequency and share; which neurons are tuned (share > ``threshold``).

    Returns ``{"frequency": (N,) best k, "share": (N,) its share, "tuned": (N,) bool,
    "tuned_fraction": float, "counts": {k: number of tuned neurons}}`` (tensors on the CPU). Nanda et
    al. 2023 (arXiv 2301.05217) report 84.6% of neurons tuned (> 85%) for p = 113.
    """
    if not 0 < threshold < 1:
        raise ValueError(f"threshold must lie in (0, 1), got {threshold}")
    share, best = neuron_frequency_shares(neurons).cpu().max(1)
    tuned = share > threshold
    freq = best + 1
    counts = {int(k): int(n) for k, n in zip(*torch.unique(freq[tuned], return_counts=True))}
    return {"frequency": freq, "share": share, "tuned": tuned,
            "tuned_fraction": float(tuned.double().mean()), "counts": counts}


def neuron_logit_map(model: nn.Module, p: int) -> torch.Tensor:
    """``W_L = (W_out W_U)ᵀ`` restricted to the p answers: the direct map from MLP neurons to logits,
    ``(p, d_mlp)`` with one row per answer ``c``. Nanda et al. 2023 (arXiv 2301.05217, §4.1) find it
    sparse in the Fourier basis over ``c``: ``embedding_fourier_norms(W_L)`` concentrates on the key
    frequencies."""
    p = check_p(p)
    for name in ("W_out", "W_U"):
        if not isinstance(getattr(model, name, None), torch.Tensor):
            raise ValueError(f"model: {type(model).__name__} has no {name} (use the transformer)")
    if model.W_U.shape[1] < p:
        raise ValueError(f"the model has {model.W_U.shape[1]} outputs, fewer than p={p}")
    return analysis_tensor(model.W_out @ model.W_U)[:, :p].T


def attention_table(model: nn.Module, task: ModularArithmetic) -> torch.Tensor:
    """Attention from the ``=`` position to token ``a`` (position 0) for every pair, ``(heads, p, p)``
    indexed ``[h, a, b]``; needs the transformer and ``equals_token=True``. Nanda et al. 2023 find these
    patterns periodic in the key frequencies."""
    task = check_task(task)
    if not task.equals_token:
        raise ValueError("task.equals_token must be True: attention is read from the '=' position")
    x, _ = task.table()
    pattern = activations(model, x.to(next(model.parameters()).device)).get("attention")
    if pattern is None:
        raise ValueError(f"model: {type(model).__name__} records no 'attention' activation "
                         f"(use the transformer)")
    return analysis_tensor(pattern[:, :, 0].T).reshape(-1, task.p, task.p)
