"""Starting a run from given weights instead of its random initialisation: continuing a trained run
under other settings (hysteresis, annealing), or transplanting part of one model into another
(GrokTransfer's embedding)."""
from __future__ import annotations

import hashlib
from typing import Mapping, Sequence

import torch
from torch import nn

from grokbook.history import Run
from grokbook.models import CenteredScaled

__all__ = ["Start", "apply_start", "start_digest", "trained_state"]

Start = Mapping[str, torch.Tensor]


def trained_state(run: Run) -> dict[str, torch.Tensor]:
    """The trained parameters of ``run`` by name (CPU copies), the form ``train(start=…)`` takes.

    For an output-scaled run these are θ (the trained model's parameters), not the function's scale.

    >>> import torch
    >>> from grokbook import ModularArithmetic, MLPConfig, TrainConfig, train
    >>> run = train(TrainConfig(task=ModularArithmetic(p=5), model=MLPConfig(width=4), steps=2,
    ...             device="cpu"), progress=False)
    >>> sorted(trained_state(run)) == sorted(n for n, _ in run.model.named_parameters())
    True
    """
    module = run.model.model if isinstance(run.model, CenteredScaled) else run.model
    return {name: p.detach().cpu().clone() for name, p in module.named_parameters()}


def apply_start(modules: Sequence[nn.Module], start: Sequence[Start | None]) -> None:
    """Overwrite member k's freshly initialised parameters with ``start[k]`` (names it omits keep
    their initialisation). Raises ``ValueError``, before any training, on a wrong member count, an
    unknown parameter name or a shape that differs from the model's."""
    if len(start) != len(modules):
        raise ValueError(f"start has {len(start)} entries but the ensemble has {len(modules)} members: "
                         "give one mapping (or None) per member")
    for k, (module, state) in enumerate(zip(modules, start)):
        if state is None:
            continue
        params = dict(module.named_parameters())
        unknown = sorted(set(state) - set(params))
        if unknown:
            raise ValueError(f"start[{k}] names parameters the model does not have: {unknown}; "
                             f"it has {sorted(params)}")
        for name, value in state.items():
            if tuple(value.shape) != tuple(params[name].shape):
                raise ValueError(f"start[{k}][{name!r}] has shape {tuple(value.shape)}, the model's "
                                 f"{name!r} has shape {tuple(params[name].shape)}")
            with torch.no_grad():
                params[name].copy_(value.to(params[name].device, params[name].dtype))


def start_digest(start: Sequence[Start | None] | None) -> str:
    """A content hash of the start weights, so that the run cache never confuses two starts."""
    if start is None:
        return ""
    digest = hashlib.sha256()
    for state in start:
        for name in sorted(state or {}):
            value = state[name].detach()
            digest.update(name.encode())
            digest.update(str(value.dtype).encode())
            digest.update(repr(tuple(value.shape)).encode())
            digest.update(value.cpu().double().contiguous().numpy().tobytes())
        digest.update(b"|")
    return digest.hexdigest()[:24]
