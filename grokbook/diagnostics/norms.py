"""Norms of a model's parameters, and the weight-norm quantities of Omnigrok's LU mechanism.

Liu, Michaud & Tegmark 2023 ("Omnigrok", arXiv 2210.01117): generalization lives in a shell of weight
norm ``w = ‖θ‖₂``; a network started far outside it (every weight × α) memorizes, and weight decay then
brings the norm to the shell. These functions read a run's norm at the moments that matter and give
the time that plain decay needs to make the trip.
"""
from __future__ import annotations

import math
from typing import Any

import torch
from torch import nn

from grokbook.history import Run
from grokbook.models import build_model

__all__ = ["decay_time", "initial_norm", "layer_norms", "norm_milestones", "weight_norm"]


def weight_norm(model: nn.Module) -> float:
    """Total L2 norm of all trainable parameters, ``‖θ‖₂ = (Σ_i θ_i²)^½`` (the quantity of the
    Goldilocks shell, Liu, Michaud & Tegmark 2023, arXiv 2210.01117)."""
    return float(torch.sqrt(sum(p.detach().double().square().sum() for p in model.parameters() if p.requires_grad)))


def layer_norms(model: nn.Module) -> dict[str, float]:
    """L2 norm of each named parameter tensor."""
    return {name: float(p.detach().double().norm()) for name, p in model.named_parameters() if p.requires_grad}


def initial_norm(config: Any) -> float:
    """``‖θ₀‖₂`` of the model that ``config`` (a ``TrainConfig``) starts from: its task split, model and
    seed, ``init_scale`` included. ``vary(cfg, fixed_norm=initial_norm(cfg))`` holds a run at its start."""
    data = config.task.build(seed=config.split_seed)
    return weight_norm(build_model(config.model, data, seed=config.seed))


def decay_time(start: float, target: float, lr: float, weight_decay: float) -> float:
    """Steps that AdamW's decoupled decay alone needs to shrink the norm from ``start`` to ``target``.

    Each step multiplies θ by ``1 − ηλ`` (Loshchilov & Hutter 2019, arXiv 1711.05101), so
    ``t = ln(start / target) / (−ln(1 − ηλ)) ≈ ln(start / target) / (ηλ)``: Omnigrok's estimate of the
    grokking time for a run started at ``α·w₀`` above a shell whose upper edge is ``w* = target``
    (Liu, Michaud & Tegmark 2023, arXiv 2210.01117). 0 when the run starts inside (``start ≤ target``);
    ``inf`` without decay.

    >>> round(decay_time(8.0, 1.0, lr=1e-2, weight_decay=1.0), 1)   # ln 8 / −ln 0.99
    206.9
    """
    if not (start > 0 and target > 0):
        raise ValueError(f"start and target norms must be > 0, got {start} and {target}")
    if not lr > 0 or weight_decay < 0 or lr * weight_decay >= 1:
        raise ValueError(f"need lr > 0 and 0 ≤ lr·weight_decay < 1, got lr={lr}, weight_decay={weight_decay}")
    if start <= target:
        return 0.0
    if weight_decay == 0:
        return math.inf
    return math.log(start / target) / -math.log1p(-lr * weight_decay)


def norm_milestones(run: Run) -> dict[str, float | None]:
    """``‖θ‖₂`` of a run at its start, at t_mem, at t_grok (None when it never got there) and at the end.

    >>> import numpy as np; from grokbook.history import History
    >>> h = History({"step": np.array([0, 10, 20]), "train_acc": np.array([0.1, 1.0, 1.0]),
    ...              "test_acc": np.array([0.0, 0.1, 0.1]), "weight_norm": np.array([9.0, 5.0, 4.0])})
    >>> norm_milestones(Run(None, h, None, None))
    {'start': 9.0, 'mem': 5.0, 'grok': None, 'end': 4.0}
    """
    h = run.history
    at = {"mem": run.steps_to_memorize, "grok": run.steps_to_grok}
    out = {"start": float(h.at("weight_norm", 0))}
    out.update({k: None if t is None else float(h.at("weight_norm", t)) for k, t in at.items()})
    out["end"] = float(h["weight_norm"][-1])
    return out
