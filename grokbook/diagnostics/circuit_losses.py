"""The modular-addition circuit read off the logits: the full logit table of ``a + b mod p``, its
key-frequency component, the restricted and excluded losses, the fit to ``Σ_k α_k cos(w_k(a+b−c))``
and the loss after ablating every non-key frequency of the embedding.

Nanda, Chan, Lieberum, Smith & Steinhardt 2023 (arXiv 2301.05217, §5.1) compute the restricted and excluded
losses on the MLP's output projected through ``W_out·W_U``; here they are computed on the **logits**
themselves (the same 2-D DFT over ``(a, b)``, applied one step later, after the skip connections), which
keeps the diagnostic independent of the architecture. Tables stay on the model's device in float64 (the
CPU for MPS).
"""
from __future__ import annotations

import copy
import math
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from grokbook.diagnostics.spectrum import DTYPE, analysis_tensor, check_keys, check_p, keep_frequencies
from grokbook.tasks.modular import ModularArithmetic

__all__ = ["ablated_loss", "check_task", "excluded_loss", "key_component", "logit_table", "restricted_loss",
           "table_loss", "train_mask", "trig_fit"]


def check_task(task: Any) -> ModularArithmetic:
    """The task, or a ``ValueError`` unless it is ``ModularArithmetic`` with ``operation='+'``."""
    if not isinstance(task, ModularArithmetic):
        raise ValueError(f"task must be ModularArithmetic (the Fourier diagnostics read a + b mod p), "
                         f"got {type(task).__name__}")
    if task.operation != "+":
        raise ValueError(f"task.operation must be '+' for the Fourier circuit diagnostics, "
                         f"got {task.operation!r}")
    return task


def logit_table(model: nn.Module, task: ModularArithmetic, batch: int = 4096) -> torch.Tensor:
    """The model's logits on every pair, shape ``(p, p, p)`` indexed ``[a, b, c]``, float64 on the
    model's device."""
    task = check_task(task)
    x, _ = task.table()                                                   # a-major: row a·p + b
    device = next(model.parameters()).device
    x = x.to(device)
    with torch.no_grad():
        out = torch.cat([model(x[i: i + batch]) for i in range(0, len(x), batch)])
    return analysis_tensor(out).view(task.p, task.p, task.p)


def train_mask(data: Any, p: int, device: torch.device | str | None = None) -> torch.Tensor:
    """Boolean ``(p, p)`` mask of the pairs ``(a, b)`` in ``data``'s training split (on ``device``,
    default that of the data)."""
    p = check_p(p)
    x = data.x_train
    device = x.device if device is None else device
    mask = torch.zeros(p, p, dtype=torch.bool, device=device)
    x = x.to(device)
    mask[x[:, 0], x[:, 1]] = True
    return mask


def _sum_directions(p: int, keys: list[int], device: torch.device) -> torch.Tensor:
    """Orthonormal functions of (a, b): ``cos(w_k(a+b))``, ``sin(w_k(a+b))`` per key, ``(2K, p, p)``."""
    r = torch.arange(p, dtype=DTYPE, device=device)
    ab = r[:, None] + r[None, :]
    k = torch.tensor(keys, dtype=DTYPE, device=device).view(-1, 1, 1)
    angle = 2 * math.pi * k * ab / p
    dirs = torch.stack([torch.cos(angle), torch.sin(angle)], 1).flatten(0, 1)
    return dirs * math.sqrt(2.0) / p                                      # unit norm over the p² pairs


def _check_logits(logits: torch.Tensor) -> torch.Tensor:
    logits = analysis_tensor(logits)
    if logits.dim() != 3 or not logits.shape[0] == logits.shape[1] == logits.shape[2]:
        raise ValueError(f"logits must be a (p, p, p) table indexed [a, b, c], "
                         f"got shape {tuple(logits.shape)}")
    return logits


def key_component(logits: torch.Tensor, keys: list[int]) -> torch.Tensor:
    """The part of the logits along ``cos(w_k(a+b))`` and ``sin(w_k(a+b))`` for the key frequencies.

    These are the terms of the 2-D DFT over ``(a, b)`` that a modular-addition circuit uses:
    ``cos(w(a+b)) = cos(wa)cos(wb) − sin(wa)sin(wb)``, ``sin(w(a+b)) = sin(wa)cos(wb) + cos(wa)sin(wb)``.
    Shape ``(p, p, p)`` like ``logits``; each output class ``c`` is projected separately.
    """
    logits = _check_logits(logits)
    p = logits.shape[0]
    keys = check_keys(keys, p)
    if not keys:
        return torch.zeros_like(logits)
    dirs = _sum_directions(p, keys, logits.device)
    coeffs = torch.einsum("kab,abc->kc", dirs, logits)
    return torch.einsum("kab,kc->abc", dirs, coeffs)


def _labels(p: int, device: torch.device) -> torch.Tensor:
    r = torch.arange(p, device=device)
    return (r[:, None] + r[None, :]) % p


def table_loss(logits: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
    """Mean cross-entropy of a ``(p, p, p)`` logit table against ``(a + b) mod p`` over all pairs, or
    over the pairs of a boolean ``(p, p)`` ``mask``; a 0-dim tensor on the table's device."""
    logits = _check_logits(logits)
    p = logits.shape[0]
    labels = _labels(p, logits.device)
    per_pair = F.cross_entropy(logits.reshape(-1, p), labels.reshape(-1), reduction="none").view(p, p)
    if mask is None:
        return per_pair.mean()
    weight = mask.to(logits.device, DTYPE)   # a weighted mean, not per_pair[mask]: no data-dependent shape
    return (per_pair * weight).sum() / weight.sum()


def restricted_loss(logits: torch.Tensor, keys: list[int]) -> float:
    """Cross-entropy on all p² pairs of the logits with everything but the key frequencies removed.

    ``L_restricted = CE(mean_ab(logits) + Σ_{k∈keys} P_k logits)`` where ``P_k`` projects onto
    ``cos(w_k(a+b)), sin(w_k(a+b))`` (Nanda et al. 2023, arXiv 2301.05217, §5.1: "restricted loss",
    there on the MLP output; here on the logits). Low when the key-frequency circuit alone solves the task.
    """
    logits = _check_logits(logits)
    kept = logits.mean(dim=(0, 1), keepdim=True) + key_component(logits, keys)
    return float(table_loss(kept))


def excluded_loss(logits: torch.Tensor, keys: list[int], mask: torch.Tensor) -> float:
    """Cross-entropy on the training pairs (``mask``) after removing the key-frequency terms.

    ``L_excluded = CE_train(logits − Σ_{k∈keys} P_k logits)`` (Nanda et al. 2023, arXiv 2301.05217,
    §5.1, there on the MLP output; here on the logits). It rises during circuit formation: the training
    set is then fitted by the generalising circuit, not by memorisation, so taking the circuit out hurts.
    """
    logits = _check_logits(logits)
    mask = torch.as_tensor(mask, dtype=torch.bool)
    if mask.shape != logits.shape[:2] or not mask.any():
        raise ValueError(f"mask must be a non-empty boolean (p, p) = {tuple(logits.shape[:2])} mask "
                         f"of pairs")
    return float(table_loss(logits - key_component(logits, keys), mask))


def trig_fit(logits: torch.Tensor, keys: list[int]) -> dict[str, Any]:
    """Least-squares fit ``logits[a, b, c] ≈ μ_c + Σ_k α_k cos(w_k(a + b − c))``.

    The functions ``cos(w_k(a+b−c))`` are orthogonal over the p³ triples, so ``α_k`` is a projection.
    Returns ``{"alpha": {k: α_k}, "r2": share of the variance of the logits (around each class's mean)
    explained, "fitted": the (p, p, p) fit}`` (Nanda et al. 2023, arXiv 2301.05217, §4.1).
    """
    logits = _check_logits(logits)
    p = logits.shape[0]
    keys = check_keys(keys, p)
    centred = logits - logits.mean(dim=(0, 1), keepdim=True)
    r = torch.arange(p, dtype=DTYPE, device=logits.device)
    diff = r[:, None, None] + r[None, :, None] - r[None, None, :]
    fit = torch.zeros_like(centred)
    alpha = {}
    for k in keys:
        f = torch.cos(2 * math.pi * k * diff / p)
        alpha[k] = float((f * centred).sum() / f.square().sum())
        fit += alpha[k] * f
    total = float(centred.square().sum())
    r2 = 1.0 - float((centred - fit).square().sum()) / total if total > 0 else 0.0
    return {"alpha": alpha, "r2": r2, "fitted": fit}


def ablated_loss(model: nn.Module, task: ModularArithmetic, keys: list[int]) -> float:
    """Loss on all p² pairs after replacing the token embedding by its projection onto ``keys``.

    ``W_E[:p] ← Bₛᵀ Bₛ W_E[:p]`` (``keep_frequencies``: the constant and the cos/sin of ``keys`` survive,
    every other frequency is zeroed), on a copy of the model. A causal test of the circuit: if the network
    computes with the key frequencies only, this loss equals the model's own (Nanda et al. 2023, arXiv
    2301.05217, §5 ablate frequencies in the same spirit). Needs a model whose embedding is ``W_E``.
    """
    task = check_task(task)
    if not isinstance(getattr(model, "W_E", None), torch.Tensor):
        raise ValueError(f"model: {type(model).__name__} has no token embedding W_E (use the transformer)")
    ablated = copy.deepcopy(model)
    with torch.no_grad():
        table = ablated.W_E[: task.p]
        table.copy_(keep_frequencies(table, keys).to(table.dtype))
    return float(table_loss(logit_table(ablated, task)))
