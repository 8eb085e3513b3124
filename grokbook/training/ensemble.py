"""An ensemble of K models stepped as one: which members may share a step, their data stacked and padded,
the stacked forward pass, and per-member minibatches."""
from __future__ import annotations

import dataclasses
from typing import Any, Callable, Sequence

import numpy as np
import torch
from torch import nn
from torch.func import functional_call, vmap

from grokbook.device import DTYPES, LOSS_DTYPES, resolve_dtype
from grokbook.losses import get_loss
from grokbook.tasks import Dataset
from grokbook.training.config import TrainConfig

__all__ = ["VARYING", "check_ensemble"]

VARYING = ("seed", "data_seed", "train_fraction", "lr", "weight_decay", "init_scale", "fixed_norm",
           "output_scale", "embed_lr")


def _differences(a: Any, b: Any, prefix: str = "") -> list[str]:
    if type(a) is not type(b):
        return [prefix.rstrip(".") or type(a).__name__]
    if not dataclasses.is_dataclass(a):
        return [] if a == b else [prefix.rstrip(".")]
    out = []
    for f in dataclasses.fields(a):
        x, y = getattr(a, f.name), getattr(b, f.name)
        out += _differences(x, y, f.name + ".") if dataclasses.is_dataclass(x) else ([] if x == y else [f.name])
    return out


def check_ensemble(configs: Sequence[TrainConfig]) -> None:
    """Raise ``ValueError`` unless the configs can share one vectorised step (see ``VARYING``)."""
    if not configs:
        raise ValueError("configs must hold at least one TrainConfig")
    for i, c in enumerate(configs[1:], start=1):
        for name in _differences(configs[0], c):
            if name.split(".")[-1] not in VARYING:
                raise ValueError(f"ensemble members may differ only in {list(VARYING)}; member {i} differs "
                                 f"from member 0 in {name!r}: train it separately")
    for name in ("fixed_norm", "output_scale", "embed_lr"):
        if len({getattr(c, name) is None for c in configs}) > 1:
            raise ValueError(f"{name} must be set for every ensemble member or for none")


def _pad(tensors: list[torch.Tensor]) -> torch.Tensor:
    n_max = max(len(t) for t in tensors)
    out = tensors[0].new_zeros((len(tensors), n_max) + tuple(tensors[0].shape[1:]))
    for k, t in enumerate(tensors):
        out[k, : len(t)] = t
    return out


def _weights(lengths: list[int], like: torch.Tensor) -> torch.Tensor:
    w = like.new_zeros((len(lengths), max(lengths)))
    for k, n in enumerate(lengths):
        w[k, :n] = 1.0 / n
    return w


def _loss_in(fn: Callable, dtype: torch.dtype) -> Callable:
    """``fn`` evaluated on the logits cast to ``dtype`` (``TrainConfig.loss_dtype``)."""
    def loss(outputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        return fn(outputs.to(dtype), targets)
    return loss


class _Ensemble:
    """K members stepped together: their data stacked and padded, their stacked parameters, and the
    forward pass of the trained function (output scaling included) over all members at once."""

    def __init__(self, configs: list[TrainConfig], datas: list[Dataset], module: nn.Module, names: list[str],
                 params: list[torch.Tensor], device: torch.device, dtype: torch.dtype) -> None:
        self.configs, self.base, self.K = configs, configs[0], len(configs)
        self.datas, self.names, self.params = datas, names, params
        self.loss_fn = get_loss(self.base.loss)
        if self.base.loss_dtype is not None:  # the loss in another precision than the model (Prieto et al.)
            self.loss_fn = _loss_in(self.loss_fn, LOSS_DTYPES[self.base.loss_dtype]
                                    if self.base.loss_dtype not in DTYPES else resolve_dtype(self.base.loss_dtype, device))
        self.lengths = {"train": [d.n_train for d in datas], "test": [len(d.y_test) for d in datas]}
        self.x = {"train": _pad([d.x_train for d in datas]), "test": _pad([d.x_test for d in datas])}
        self.y = {"train": _pad([d.y_train for d in datas]), "test": _pad([d.y_test for d in datas])}
        # Per-sample weights 1/n (0 on padding rows) normalise every loss, trained and logged alike.
        self.w = {split: _weights(n, params[0]) for split, n in self.lengths.items()}
        # Accuracies are summed as exact 0/1 counts and divided by n in float64, which keeps 100% at 1.0.
        self.masks = {split: (w > 0).to(dtype) for split, w in self.w.items()}
        self.counts = {split: np.asarray(n, dtype=float) for split, n in self.lengths.items()}
        if hasattr(module, "forward_stacked"):  # the model batches members itself (bmm): no vmap overhead
            self._forward = lambda member_params, x: module.forward_stacked(dict(zip(names, member_params)), x)
        else:
            self._forward = vmap(lambda member_params, x: functional_call(module, dict(zip(names, member_params)),
                                                                          (x,)))
        self.scale, self.reference = None, {"train": None, "test": None}
        if self.base.output_scale is not None:  # f_θ₀ on each split, computed once from the same θ₀
            self.scale = torch.tensor([c.output_scale for c in configs], device=device, dtype=dtype).view(-1, 1, 1)
            with torch.no_grad():
                self.reference = {split: self._forward(params, x) for split, x in self.x.items()}

    def outputs(self, x: torch.Tensor, reference: torch.Tensor | None) -> torch.Tensor:
        out = self._forward(self.params, x)
        return out if self.scale is None else self.scale * (out - reference)

    def per_sample(self, out: torch.Tensor, y: torch.Tensor, fn: Callable) -> torch.Tensor:
        return fn(out.flatten(0, 1), y.flatten(0, 1)).view(self.K, -1)

    def weight_norm(self) -> torch.Tensor:
        return torch.sqrt(sum(p.detach().flatten(1).square().sum(1) for p in self.params))

    def member_outputs(self, out: torch.Tensor, split: str, k: int) -> torch.Tensor:
        return out[k, : self.lengths[split][k]]


class _Batches:
    """Per-member minibatches: each member shuffles its own training set with its own generator and
    walks through it in batches of ``batch_size`` (a new permutation once fewer remain)."""

    def __init__(self, configs: list[TrainConfig], lengths: list[int], device: torch.device,
                 dtype: torch.dtype) -> None:
        self.size, self.lengths, self.device, self.dtype = configs[0].batch_size, lengths, device, dtype
        self.generators = [torch.Generator().manual_seed(c.seed) for c in configs]
        self.orders = [torch.randperm(n, generator=g) for n, g in zip(lengths, self.generators)]
        self.positions = [0] * len(lengths)
        self.members = torch.arange(len(lengths), device=device)[:, None]

    def next(self, x, y, reference):
        rows = []
        for k, n in enumerate(self.lengths):
            if self.positions[k] + self.size > n:
                self.orders[k] = torch.randperm(n, generator=self.generators[k])
                self.positions[k] = 0
            rows.append(self.orders[k][self.positions[k]: self.positions[k] + self.size])
            self.positions[k] += self.size
        index = torch.stack(rows).to(self.device)
        w = torch.full(index.shape, 1.0 / self.size, device=self.device, dtype=self.dtype)
        ref = reference[self.members, index] if reference is not None else None
        return x[self.members, index], y[self.members, index], w, ref
