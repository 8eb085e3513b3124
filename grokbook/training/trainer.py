"""The trainer: K ≥ 1 models stepped together, each exactly as if trained alone.

``train(config)`` trains one model; ``train_ensemble(configs)`` trains K of them in one vectorised step
(``torch.func.vmap`` over stacked parameters), for seed averages, sweeps and phase diagrams. Members
may differ in seed, data split, training fraction, learning rate, weight decay, init scale, fixed norm
and output scale; everything else must agree.
"""
from __future__ import annotations

import copy
import time
from dataclasses import dataclass
from typing import Any, Callable, Sequence

import numpy as np
import torch
from torch import nn
from tqdm.auto import tqdm

from grokbook.device import pick_device, resolve_dtype
from grokbook.htmlbook import in_html_book
from grokbook.losses import accuracy
from grokbook.models import CenteredScaled, build_model
from grokbook.tasks import Dataset
from grokbook.training import cache as run_cache
from grokbook.training.config import TrainConfig
from grokbook.training.ensemble import _Batches, _Ensemble, check_ensemble
from grokbook.training.stepping import (DIVERGENCE_POLICIES, Divergence, DivergenceError, UpdateRecorder,
                                       build_grad_filter, build_optimizer)
from grokbook.training.start import Start, apply_start, start_digest
from grokbook.history import GROK_THRESHOLD, History, Run

__all__ = ["DivergenceError", "LogContext", "check_ensemble", "log_steps", "train", "train_ensemble"]



@dataclass
class LogContext:
    """What a diagnostic sees at a logged step: one model (``model`` computes the trained function,
    output scaling included), its data, its config, the per-sample loss and the step.

    ``member`` is the model's index in its ensemble (key per-member state on it, never on ``id(model)``);
    ``train_outputs`` / ``test_outputs`` are the outputs the trainer has just computed for this log on
    ``data.x_train`` / ``data.x_test`` (no gradient), so a diagnostic need not run the forward pass again.
    """

    step: int
    model: nn.Module
    data: Dataset
    config: TrainConfig
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
    member: int = 0
    train_outputs: torch.Tensor | None = None
    test_outputs: torch.Tensor | None = None

    def outputs(self, split: str = "train") -> torch.Tensor:
        """The model's outputs on the ``split`` set: the trainer's, or computed now if it has none."""
        if split not in ("train", "test"):
            raise ValueError(f"split must be 'train' or 'test', got {split!r}")
        cached = self.train_outputs if split == "train" else self.test_outputs
        if cached is not None:
            return cached
        with torch.no_grad():
            return self.model(self.data.x_train if split == "train" else self.data.x_test)


Diagnostic = Callable[[LogContext], Any]


def log_steps(steps: int, points: int, grid: str = "log") -> np.ndarray:
    """The steps at which metrics are logged: 0, then ``points − 1`` steps up to ``steps``, rounded and
    de-duplicated, spaced evenly (``linear``) or geometrically (``log``)."""
    if grid == "linear":
        raw = np.linspace(0, steps, points)
    else:
        raw = np.concatenate([[0.0], np.geomspace(1, steps, points - 1)])
    return np.unique(np.round(raw).astype(int))


def train(config: TrainConfig, *, diagnostics: dict[str, Diagnostic] | None = None, progress: bool = True,
          callback: Callable[[int, list[History]], None] | None = None,
          should_stop: Callable[[], bool] | None = None, record_update_norm: bool = False,
          start: Start | None = None, on_divergence: str = "raise") -> Run:
    """Train one model as ``config`` says and return its ``Run`` (config, history, model, data).

    ``diagnostics`` maps a column name to a function of a ``LogContext`` returning a number, a dict of
    numbers (one column each, ``name.key``) or an array; it is evaluated at every logged step.
    ``callback(step, histories)`` is called after every log (live plots); ``should_stop()`` is polled
    there too. ``record_update_norm`` stores ``‖θ_{t+1} − θ_t‖`` for every step in
    ``history.per_step["update_norm"]``, and the radial share of that applied update,
    ``cos(θ_{t+1} − θ_t, θ_t)``, in ``history.per_step["update_cos"]``. ``start`` maps parameter names
    to weights that replace the random initialisation (``trained_state(run)`` continues a run; a partial
    mapping transplants part of one); with ``output_scale`` set they become θ₀. ``on_divergence``: what a
    NaN or infinite loss does, ``"raise"`` (a ``DivergenceError``) or, in an ensemble, ``"freeze"`` that
    member and train the others on (its ``history.diverged_at`` says when).

    >>> from grokbook import ModularArithmetic, MLPConfig
    >>> run = train(TrainConfig(task=ModularArithmetic(p=7, train_fraction=0.5),
    ...             model=MLPConfig(width=8), steps=5, device="cpu"), progress=False)
    >>> run.history["step"][-1]
    5
    """
    return train_ensemble([config], diagnostics=diagnostics, progress=progress, callback=callback,
                          should_stop=should_stop, record_update_norm=record_update_norm,
                          start=None if start is None else [start], on_divergence=on_divergence)[0]


def train_ensemble(configs: Sequence[TrainConfig], *, diagnostics: dict[str, Diagnostic] | None = None,
                   progress: bool = True, callback: Callable[[int, list[History]], None] | None = None,
                   should_stop: Callable[[], bool] | None = None, record_update_norm: bool = False,
                   start: Sequence[Start | None] | None = None, on_divergence: str = "raise") -> list[Run]:
    """Train K models in one vectorised step; member k's run equals ``train(configs[k])`` (up to float
    rounding of batched matrix products). Arguments as in ``train``; ``start[k]`` is member k's."""
    configs = list(configs)
    check_ensemble(configs)
    if on_divergence not in DIVERGENCE_POLICIES:
        raise ValueError(f"on_divergence must be one of {list(DIVERGENCE_POLICIES)}, got {on_divergence!r}")
    base = configs[0]
    diagnostics = dict(diagnostics or {})
    device = pick_device(base.device)
    dtype = resolve_dtype(base.dtype, device)
    datas = [c.task.build(seed=c.split_seed).to(device, dtype) for c in configs]
    if base.batch_size is not None and base.batch_size > min(d.n_train for d in datas):
        raise ValueError(f"batch_size={base.batch_size} exceeds the smallest training set "
                         f"({min(d.n_train for d in datas)} samples); lower it or use batch_size=None")
    modules = [build_model(c.model, d, seed=c.seed).to(device, dtype) for c, d in zip(configs, datas)]
    if start is not None:
        apply_start(modules, start)
    # θ₀ once: output scaling subtracts a frozen copy of each member as it was built.
    initial = [copy.deepcopy(m) for m in modules] if base.output_scale is not None else None
    key = run_cache.key(configs, diagnostics, record_update_norm,
                        start_digest(start) + ("" if on_divergence == "raise" else f"|{on_divergence}"))
    stored = run_cache.load(key)
    names = [n for n, _ in modules[0].named_parameters()]
    if stored is not None:
        histories, tensors = stored
        params = [t.to(device, dtype) for t in tensors]
    else:
        params = [torch.stack([dict(m.named_parameters())[n].detach() for m in modules]) for n in names]
    for k, m in enumerate(modules):  # members see the stacked weights through views: no copies, always current
        for n, p in zip(names, params):
            m.get_parameter(n).data = p[k]
    trained = [CenteredScaled(m, i, c.output_scale) for m, i, c in zip(modules, initial, configs)] \
        if initial is not None else modules
    if stored is None:
        ensemble = _Ensemble(configs, datas, modules[0], names, params, device, dtype)
        logger = _Logger(ensemble, trained, diagnostics, callback)
        started = time.process_time()
        histories = _fit(ensemble, logger, progress, should_stop, record_update_norm, on_divergence)
        cost = time.process_time() - started  # travels with the runs, through the cache too
        for h in histories:
            h.cpu_seconds = cost
        run_cache.save(key, histories, params)
    for m in trained:
        m.eval()
    return [Run(c, h, m, d) for c, h, m, d in zip(configs, histories, trained, datas)]


class _Logger:
    """Evaluates every member at a logged step and appends its metrics and diagnostics to its history."""

    def __init__(self, ensemble: _Ensemble, trained: list[nn.Module], diagnostics: dict[str, Diagnostic],
                 callback: Callable[[int, list[History]], None] | None) -> None:
        self.ensemble, self.trained, self.diagnostics, self.callback = ensemble, trained, diagnostics, callback
        self.rows: list[dict[str, list]] = [dict() for _ in trained]
        self.histories = [History() for _ in trained]
        self.divergence: Divergence | None = None  # members it froze get no more rows

    def __call__(self, step: int, train_out: torch.Tensor | None = None) -> bool:
        """Log ``step``; True when ``stop_after_grok`` is set and every member has grokked."""
        e = self.ensemble
        with torch.no_grad():
            out = {"train": train_out if train_out is not None else e.outputs(e.x["train"], e.reference["train"]),
                   "test": e.outputs(e.x["test"], e.reference["test"])}
            metrics = {"weight_norm": e.weight_norm()}
            for split in ("train", "test"):
                metrics[f"{split}_loss"] = (e.per_sample(out[split], e.y[split], e.loss_fn) * e.w[split]).sum(1)
                metrics[f"{split}_acc"] = (e.per_sample(out[split], e.y[split], accuracy) * e.masks[split]).sum(1)
        values = {k: v.double().cpu().numpy() for k, v in metrics.items()}
        for split in ("train", "test"):
            values[f"{split}_acc"] /= e.counts[split]
        dead = self.divergence.dead if self.divergence is not None else set()
        for k, row in enumerate(self.rows):
            if k in dead:
                continue
            row.setdefault("step", []).append(step)
            for name, v in values.items():
                row.setdefault(name, []).append(float(v[k]))
            context = LogContext(step, self.trained[k], e.datas[k], e.configs[k], e.loss_fn, member=k,
                                 train_outputs=e.member_outputs(out["train"], "train", k),
                                 test_outputs=e.member_outputs(out["test"], "test", k))
            for name, fn in self.diagnostics.items():
                _append_diagnostic(row, name, fn(context))
            self.histories[k].columns = {n: np.asarray(v) for n, v in row.items()}
        if self.callback is not None:
            self.callback(step, self.histories)
        alive = [k for k in range(len(self.rows)) if k not in dead]
        return bool(e.base.stop_after_grok and np.all(values["test_acc"][alive] >= GROK_THRESHOLD))

    def latest(self, column: str) -> float:
        return self.rows[0][column][-1]


def _fit(e: _Ensemble, log: _Logger, progress: bool, should_stop: Callable[[], bool] | None,
         record_update_norm: bool, on_divergence: str) -> list[History]:
    """The step loop: forward, loss, gradient, optimizer step, norm projection; logs on the log grid."""
    base, K, params = e.base, e.K, e.params
    device, dtype = params[0].device, params[0].dtype
    for p in params:
        p.requires_grad_(True)
    optimizer, grad_filter = build_optimizer(e), build_grad_filter(base)
    radius = (torch.tensor([c.fixed_norm for c in e.configs], device=device, dtype=dtype)
              if base.fixed_norm is not None else None)
    batches = _Batches(e.configs, e.lengths["train"], device, dtype) if base.batch_size is not None else None
    logged = set(log_steps(base.steps, base.log_points, base.log_grid).tolist()) | {base.steps}
    divergence = Divergence(on_divergence, K, device, f"lower the learning rate (lr={base.lr}), the init scale "
                            "or the output scale, or use dtype='float64'")
    log.divergence = divergence
    updates = UpdateRecorder(base.steps, K, device, dtype) if record_update_norm else None
    # No progress bar while the HTML book builds: a tqdm widget with no kernel is an empty area.
    bar = tqdm(total=base.steps, disable=not progress or in_html_book(), desc=f"training {K} model{'s' * (K > 1)}",
               leave=False)
    step = 0
    while True:
        # Full batch: the forward pass of step t gives the train metrics of θ_t for free when t is logged.
        if batches is None:
            with torch.set_grad_enabled(step < base.steps):
                out = e.outputs(e.x["train"], e.reference["train"])
            x, y, w = e.x["train"], e.y["train"], e.w["train"]
        if step in logged:
            done = log(step, train_out=out.detach() if batches is None else None)
            bar.update(step - bar.n)
            bar.set_postfix(train_acc=f"{log.latest('train_acc'):.3f}", test_acc=f"{log.latest('test_acc'):.3f}")
            if step == base.steps or done or (should_stop is not None and should_stop()):
                break
        if batches is not None:
            x, y, w, ref = batches.next(e.x["train"], e.y["train"], e.reference["train"])
            out = e.outputs(x, ref)
        try:
            loss = divergence.loss((e.per_sample(out, y, e.loss_fn) * w).sum(1), step, params)
        except DivergenceError:
            bar.close()
            raise
        grads = divergence.mask(torch.autograd.grad(loss, params))
        if grad_filter is not None:
            grads = grad_filter(grads)
        before = [p.detach().clone() for p in params] if updates is not None else None
        optimizer.step(grads)
        if radius is not None:
            with torch.no_grad():
                factor = radius / e.weight_norm()
                for p in params:
                    p.mul_(factor.view((K,) + (1,) * (p.dim() - 1)))
        divergence.restore(params)
        if updates is not None:
            updates.record(step, before, params)
        step += 1
    bar.close()
    divergence.store(log.histories)
    if updates is not None:
        updates.store(step, log.histories)
    for p in params:
        p.requires_grad_(False)
    return log.histories


def _append_diagnostic(row: dict, name: str, value: Any) -> None:
    if isinstance(value, dict):
        for key, v in value.items():
            _append_diagnostic(row, f"{name}.{key}", v)
        return
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu().numpy()
    row.setdefault(name, []).append(value if np.ndim(value) else float(value))
