"""The trainer: K ≥ 1 models stepped together, each exactly as if trained alone.

``train(config)`` trains one model; ``train_ensemble(configs)`` trains K of them in one vectorised step
(``torch.func.vmap`` over stacked parameters), for seed averages, sweeps and phase diagrams. Members
may differ in seed, data split, training fraction, learning rate, weight decay, init scale, fixed norm
and output scale; everything else must agree.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Callable, Sequence

import numpy as np
import torch
from torch import nn
from torch.func import functional_call, vmap
from tqdm.auto import tqdm

from grokbook.device import pick_device, resolve_dtype
from grokbook.htmlbook import in_html_book
from grokbook.losses import accuracy, get_loss
from grokbook.models import build_model
from grokbook.optim import StackedOptimizer
from grokbook.tasks import Dataset
from grokbook.training import cache as run_cache
from grokbook.training.config import TrainConfig
from grokbook.history import GROK_THRESHOLD, History, Run

VARYING = ("seed", "data_seed", "train_fraction", "lr", "weight_decay", "init_scale", "fixed_norm",
           "output_scale")


class DivergenceError(FloatingPointError):
    """The loss became NaN or infinite: training stopped at the step named in the message."""


@dataclass
class LogContext:
    """What a diagnostic sees at a logged step: one model (``model`` computes the trained function,
    output scaling included), its data, its config, the per-sample loss and the step."""

    step: int
    model: nn.Module
    data: Dataset
    config: TrainConfig
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


Diagnostic = Callable[[LogContext], Any]


class CenteredScaled(nn.Module):
    """``f(x) = α (f_θ(x) − f_θ₀(x))``: zero at initialisation, lazy for large α (Chizat, Oyallon & Bach
    2019, arXiv 1812.07956; Kumar et al. 2024, arXiv 2310.06110). Only θ is a parameter."""

    def __init__(self, model: nn.Module, initial: nn.Module, alpha: float) -> None:
        super().__init__()
        self.model, self.alpha = model, alpha
        self._initial = [initial.requires_grad_(False)]  # a list hides θ₀ from .parameters()

    def forward(self, x: torch.Tensor, cache: dict | None = None) -> torch.Tensor:
        with torch.no_grad():
            reference = self._initial[0](x)
        return self.alpha * (self.model(x, cache=cache) - reference)

    def embeddings(self) -> torch.Tensor:
        return self.model.embeddings()


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
          should_stop: Callable[[], bool] | None = None, record_update_norm: bool = False) -> Run:
    """Train one model as ``config`` says and return its ``Run`` (config, history, model, data).

    ``diagnostics`` maps a column name to a function of a ``LogContext`` returning a number, a dict of
    numbers (one column each, ``name.key``) or an array; it is evaluated at every logged step.
    ``callback(step, histories)`` is called after every log (live plots); ``should_stop()`` is polled
    there too. ``record_update_norm`` stores ``‖θ_{t+1} − θ_t‖`` for every step in
    ``history.per_step["update_norm"]``.

    >>> from grokbook import ModularArithmetic, MLPConfig
    >>> run = train(TrainConfig(task=ModularArithmetic(p=7, train_fraction=0.5),
    ...             model=MLPConfig(width=8), steps=5, device="cpu"), progress=False)
    >>> run.history["step"][-1]
    5
    """
    return train_ensemble([config], diagnostics=diagnostics, progress=progress, callback=callback,
                          should_stop=should_stop, record_update_norm=record_update_norm)[0]


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
    for name in ("fixed_norm", "output_scale"):
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


def train_ensemble(configs: Sequence[TrainConfig], *, diagnostics: dict[str, Diagnostic] | None = None,
                   progress: bool = True, callback: Callable[[int, list[History]], None] | None = None,
                   should_stop: Callable[[], bool] | None = None, record_update_norm: bool = False) -> list[Run]:
    """Train K models in one vectorised step; member k's run equals ``train(configs[k])`` (up to float
    rounding of batched matrix products). Arguments as in ``train``."""
    configs = list(configs)
    check_ensemble(configs)
    base = configs[0]
    diagnostics = dict(diagnostics or {})
    device = pick_device(base.device)
    dtype = resolve_dtype(base.dtype, device)
    datas = [c.task.build(seed=c.split_seed).to(device, dtype) for c in configs]
    if base.batch_size is not None and base.batch_size > min(d.n_train for d in datas):
        raise ValueError(f"batch_size={base.batch_size} exceeds the smallest training set "
                         f"({min(d.n_train for d in datas)} samples); lower it or use batch_size=None")
    modules = [build_model(c.model, d, seed=c.seed).to(device, dtype) for c, d in zip(configs, datas)]
    key = run_cache.key(configs, diagnostics, record_update_norm)
    stored = run_cache.load(key)
    names = [n for n, _ in modules[0].named_parameters()]
    initial = [build_model(c.model, d, seed=c.seed).to(device, dtype) for c, d in zip(configs, datas)] \
        if base.output_scale is not None else None
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
        histories = _fit(configs, datas, modules, trained, names, params, device, dtype, diagnostics,
                         progress, callback, should_stop, record_update_norm)
        run_cache.save(key, histories, params)
    for m in trained:
        m.eval()
    return [Run(c, h, m, d) for c, h, m, d in zip(configs, histories, trained, datas)]


def _fit(configs, datas, modules, trained, names, params, device, dtype, diagnostics, progress, callback,
         should_stop, record_update_norm) -> list[History]:
    base, K = configs[0], len(configs)
    loss_fn = get_loss(base.loss)
    lengths = [d.n_train for d in datas]
    train_x, train_y = _pad([d.x_train for d in datas]), _pad([d.y_train for d in datas])
    test_x, test_y = _pad([d.x_test for d in datas]), _pad([d.y_test for d in datas])
    train_w, test_w = _weights(lengths, params[0]), _weights([len(d.y_test) for d in datas], params[0])
    # Padding rows weigh 0; sums of 0/1 accuracies are exact, and dividing by n in float64 keeps 100% at 1.0.
    masks = {"train": (train_w > 0).to(dtype), "test": (test_w > 0).to(dtype)}
    counts = {split: mask.sum(1).double().cpu().numpy() for split, mask in masks.items()}

    if hasattr(modules[0], "forward_stacked"):  # the model batches members itself (bmm): no vmap overhead
        def forward(member_params, x):
            return modules[0].forward_stacked(dict(zip(names, member_params)), x)
    else:
        def member_forward(member_params, x):
            return functional_call(modules[0], dict(zip(names, member_params)), (x,))

        forward = vmap(member_forward)
    scale = reference_train = reference_test = None
    if base.output_scale is not None:
        scale = torch.tensor([c.output_scale for c in configs], device=device, dtype=dtype).view(K, 1, 1)
        with torch.no_grad():
            reference_train, reference_test = forward(params, train_x), forward(params, test_x)

    def outputs(x, reference):
        out = forward(params, x)
        return out if scale is None else scale * (out - reference)

    def per_sample(out, y, fn):
        return fn(out.flatten(0, 1), y.flatten(0, 1)).view(K, -1)

    for p in params:
        p.requires_grad_(True)
    optimizer = StackedOptimizer(
        params, kind=base.optimizer, betas=base.betas, eps=base.eps, momentum=base.momentum,
        orthogonal=base.orthogonal,
        lr=torch.tensor([c.effective_lr for c in configs], device=device, dtype=dtype),
        weight_decay=torch.tensor([c.weight_decay for c in configs], device=device, dtype=dtype))
    radius = (torch.tensor([c.fixed_norm for c in configs], device=device, dtype=dtype)
              if base.fixed_norm is not None else None)
    batches = _Batches(configs, lengths, device, dtype) if base.batch_size is not None else None
    logged = set(log_steps(base.steps, base.log_points, base.log_grid).tolist())
    rows: list[dict[str, list]] = [dict() for _ in range(K)]
    histories = [History() for _ in range(K)]
    update_norms = torch.zeros((base.steps, K), device=device, dtype=dtype) if record_update_norm else None

    def weight_norm() -> torch.Tensor:
        return torch.sqrt(sum(p.detach().flatten(1).square().sum(1) for p in params))

    def log(step: int, train_out: torch.Tensor | None = None) -> bool:
        with torch.no_grad():
            metrics = {}
            for split, x, y, ref in (("train", train_x, train_y, reference_train),
                                     ("test", test_x, test_y, reference_test)):
                out = train_out if split == "train" and train_out is not None else outputs(x, ref)
                mask = masks[split]
                metrics[f"{split}_loss"] = (per_sample(out, y, loss_fn) * mask).sum(1)
                metrics[f"{split}_acc"] = (per_sample(out, y, accuracy) * mask).sum(1)
            metrics["weight_norm"] = weight_norm()
        values = {k: v.double().cpu().numpy() for k, v in metrics.items()}
        for split in ("train", "test"):
            values[f"{split}_loss"] /= counts[split]
            values[f"{split}_acc"] /= counts[split]
        for k in range(K):
            row = rows[k]
            row.setdefault("step", []).append(step)
            for name, v in values.items():
                row.setdefault(name, []).append(float(v[k]))
            context = LogContext(step, trained[k], datas[k], configs[k], loss_fn)
            for name, fn in diagnostics.items():
                _append_diagnostic(row, name, fn(context))
            histories[k].columns = {n: np.asarray(v) for n, v in row.items()}
        if callback is not None:
            callback(step, histories)
        return bool(base.stop_after_grok and np.all(values["test_acc"] >= GROK_THRESHOLD))

    bar = tqdm(total=base.steps, disable=not progress or in_html_book(), desc=f"training {K} model{'s' * (K > 1)}", leave=False)
    logged.add(base.steps)
    step = 0
    while True:
        # Full batch: the forward pass of step t gives the train metrics of θ_t for free when t is logged.
        if batches is None:
            with torch.set_grad_enabled(step < base.steps):
                out = outputs(train_x, reference_train)
            x, y, w = train_x, train_y, train_w
        if step in logged:
            done = log(step, train_out=out.detach() if batches is None else None)
            bar.update(step - bar.n)
            bar.set_postfix(train_acc=f"{rows[0]['train_acc'][-1]:.3f}", test_acc=f"{rows[0]['test_acc'][-1]:.3f}")
            if step == base.steps or done or (should_stop is not None and should_stop()):
                break
        if batches is not None:
            x, y, w, ref = batches.next(train_x, train_y, reference_train)
            out = outputs(x, ref)
        loss = (per_sample(out, y, loss_fn) * w).sum()
        if not torch.isfinite(loss):
            bar.close()
            raise DivergenceError(
                f"the loss became {loss.item()} at step {step}: lower the learning rate (lr={base.lr}), "
                f"the init scale or the output scale, or use dtype='float64'")
        grads = torch.autograd.grad(loss, params)
        before = [p.detach().clone() for p in params] if record_update_norm else None
        optimizer.step(grads)
        if radius is not None:
            with torch.no_grad():
                factor = radius / weight_norm()
                for p in params:
                    p.mul_(factor.view((K,) + (1,) * (p.dim() - 1)))
        step += 1
        if before is not None:
            with torch.no_grad():
                update_norms[step - 1] = torch.sqrt(sum((p - b).flatten(1).square().sum(1) for p, b in zip(params, before)))
    bar.close()
    if update_norms is not None:
        norms = update_norms[:step].cpu().numpy()
        for k in range(K):
            histories[k].per_step["update_norm"] = norms[:, k]
    for p in params:
        p.requires_grad_(False)
    return histories


def _append_diagnostic(row: dict, name: str, value: Any) -> None:
    if isinstance(value, dict):
        for key, v in value.items():
            _append_diagnostic(row, f"{name}.{key}", v)
        return
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu().numpy()
    row.setdefault(name, []).append(value if np.ndim(value) else float(value))


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
