"""The one record that describes a training run, and tools to derive variants and grids from it."""
from __future__ import annotations

import dataclasses
import itertools
from dataclasses import dataclass, field
from typing import Any

from grokbook.accelerate import SPECTRAL_OPTIMIZERS
from grokbook.losses import LOSSES
from grokbook.models import MLPConfig, ModelConfig, TransformerConfig
from grokbook.optim import OPTIMIZERS
from grokbook.tasks import ModularArithmetic
from grokbook.device import DTYPES, LOSS_DTYPES

__all__ = ["GRAD_FILTERS", "LOG_GRIDS", "grid", "setting", "TrainConfig", "vary"]

LOG_GRIDS = ("log", "linear")
GRAD_FILTERS = ("ema", "ma")


@dataclass(frozen=True, kw_only=True)
class TrainConfig:
    """Task, model, optimizer, schedule, precision, device and seed of one run.

    ``seed`` fixes the initial weights, the minibatch order and, unless ``data_seed`` is given, the
    train/test split. ``batch_size=None`` trains on the full batch. ``fixed_norm=w`` projects all
    weights back onto the sphere ``‖θ‖ = w`` after every step (Liu, Michaud & Tegmark 2023).
    ``output_scale=α`` trains ``f = α (f_θ − f_θ₀)`` with learning rate ``lr / α²`` (Chizat et al. 2019;
    Kumar et al. 2024); decoupled weight decay then shrinks θ by ``1 − (lr/α²)·λ`` per step, α² times less
    than the same ``weight_decay`` without output scaling. ``orthogonal=True`` is ⊥Grad (Prieto et al.
    2025). ``embed_lr`` gives the embedding parameters their own learning rate (Adam-LR, arXiv 2505.15624).
    Metrics are logged at ``log_points`` steps spaced on a ``log`` or ``linear`` grid.
    ``stop_after_grok`` ends training at the first logged step where every model has grokked.
    ``loss_dtype`` computes the loss (softmax and log) in another precision than the model: the logits
    are cast to it first, as Prieto et al. 2025's ``softmax_precision`` does (None: the model's ``dtype``).
    """

    task: Any = field(default_factory=ModularArithmetic)
    model: ModelConfig = field(default_factory=MLPConfig)
    steps: int = 3000
    optimizer: str = "adamw"
    lr: float = 1e-3
    weight_decay: float = 1.0
    betas: tuple[float, float] = (0.9, 0.98)
    eps: float = 1e-8
    momentum: float = 0.0
    orthogonal: bool = False
    loss: str = "cross_entropy"
    batch_size: int | None = None
    fixed_norm: float | None = None
    output_scale: float | None = None
    dtype: str = "float32"
    loss_dtype: str | None = None
    device: str = "auto"
    seed: int = 0
    data_seed: int | None = None
    log_grid: str = "log"
    log_points: int = 100
    stop_after_grok: bool = False
    grad_filter: str | None = None
    grad_filter_alpha: float = 0.98
    grad_filter_lambda: float = 2.0
    grad_filter_window: int = 100
    muon_momentum: float = 0.95
    adam_lr: float | None = None
    embed_lr: float | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.model, (MLPConfig, TransformerConfig)):
            raise ValueError(f"model must be an MLPConfig or TransformerConfig, got {type(self.model).__name__}")
        if not hasattr(self.task, "build"):
            raise ValueError(f"task must be a task config with a build(seed) method, got {type(self.task).__name__}")
        if self.steps < 1:
            raise ValueError(f"steps must be ≥ 1, got {self.steps}")
        if self.optimizer not in OPTIMIZERS + SPECTRAL_OPTIMIZERS:
            raise ValueError(f"optimizer must be one of {list(OPTIMIZERS + SPECTRAL_OPTIMIZERS)}, "
                             f"got {self.optimizer!r}")
        if self.loss not in LOSSES:
            raise ValueError(f"loss must be one of {list(LOSSES)}, got {self.loss!r}")
        if self.dtype not in DTYPES:
            raise ValueError(f"dtype must be one of {sorted(DTYPES)}, got {self.dtype!r}")
        if self.loss_dtype is not None and self.loss_dtype not in LOSS_DTYPES:
            raise ValueError(f"loss_dtype must be one of {sorted(LOSS_DTYPES)} or None, got {self.loss_dtype!r}")
        if not self.lr > 0:
            raise ValueError(f"lr must be > 0, got {self.lr}")
        if self.weight_decay < 0:
            raise ValueError(f"weight_decay must be ≥ 0, got {self.weight_decay}")
        if not all(0 <= b < 1 for b in self.betas):
            raise ValueError(f"betas must lie in [0, 1), got {self.betas}")
        if self.batch_size is not None and self.batch_size < 1:
            raise ValueError(f"batch_size must be ≥ 1 or None (full batch), got {self.batch_size}")
        if self.fixed_norm is not None and not self.fixed_norm > 0:
            raise ValueError(f"fixed_norm (the radius w) must be > 0, got {self.fixed_norm}")
        if self.output_scale is not None and not self.output_scale > 0:
            raise ValueError(f"output_scale (α) must be > 0, got {self.output_scale}")
        if self.log_grid not in LOG_GRIDS:
            raise ValueError(f"log_grid must be one of {list(LOG_GRIDS)}, got {self.log_grid!r}")
        if self.grad_filter is not None and self.grad_filter not in GRAD_FILTERS:
            raise ValueError(f"grad_filter must be one of {list(GRAD_FILTERS)} or None, got {self.grad_filter!r}")
        if not 0 <= self.grad_filter_alpha < 1:
            raise ValueError(f"grad_filter_alpha must lie in [0, 1), got {self.grad_filter_alpha}")
        if self.grad_filter_window < 1:
            raise ValueError(f"grad_filter_window must be ≥ 1, got {self.grad_filter_window}")
        if not 0 <= self.muon_momentum < 1:
            raise ValueError(f"muon_momentum must lie in [0, 1), got {self.muon_momentum}")
        if self.adam_lr is not None and not self.adam_lr > 0:
            raise ValueError(f"adam_lr must be > 0, got {self.adam_lr}")
        if self.embed_lr is not None and not self.embed_lr > 0:
            raise ValueError(f"embed_lr must be > 0, got {self.embed_lr}")
        if self.embed_lr is not None and self.optimizer in SPECTRAL_OPTIMIZERS:
            raise ValueError("embed_lr (Adam-LR) sets AdamW's embedding rate; with Muon use adam_lr")
        if self.orthogonal and self.optimizer in SPECTRAL_OPTIMIZERS:
            raise ValueError(f"orthogonal (⊥Grad) wraps AdamW, Adam or SGD, not optimizer={self.optimizer!r}")
        if self.log_points < 2:
            raise ValueError(f"log_points must be ≥ 2, got {self.log_points}")

    @property
    def split_seed(self) -> int:
        return self.seed if self.data_seed is None else self.data_seed

    @property
    def effective_lr(self) -> float:
        """The learning rate applied: ``lr / output_scale²`` when the output is scaled (lazy training)."""
        return self.lr / self.output_scale**2 if self.output_scale is not None else self.lr


def _owner(config: TrainConfig, name: str) -> str:
    owners = [part for part, obj in (("", config), ("task", config.task), ("model", config.model))
              if name in {f.name for f in dataclasses.fields(obj)}]
    if not owners:
        raise ValueError(f"no setting called {name!r} in TrainConfig, {type(config.task).__name__} "
                         f"or {type(config.model).__name__}")
    return owners[0]


def setting(config: TrainConfig, name: str) -> Any:
    """The value of a setting by name, wherever it lives (run, task or model); ``ValueError`` if none.

    >>> setting(TrainConfig(), "train_fraction"), setting(TrainConfig(), "weight_decay")
    (0.3, 1.0)
    """
    part = _owner(config, name)
    return getattr(getattr(config, part) if part else config, name)


def vary(config: TrainConfig, **changes: Any) -> TrainConfig:
    """A copy of ``config`` with settings changed by name, wherever they live (run, task or model).

    >>> vary(TrainConfig(), weight_decay=0.1, train_fraction=0.5, width=128).model.width
    128
    """
    top, task, model = {}, {}, {}
    for name, value in changes.items():
        {"": top, "task": task, "model": model}[_owner(config, name)][name] = value
    if task:
        top["task"] = dataclasses.replace(config.task, **task)
    if model:
        top["model"] = dataclasses.replace(config.model, **model)
    return dataclasses.replace(config, **top)


def grid(config: TrainConfig, **axes: list) -> list[TrainConfig]:
    """Every combination of the values given per setting (the last axis varies fastest).

    >>> len(grid(TrainConfig(), weight_decay=[0.0, 1.0], seed=[0, 1, 2]))
    6
    """
    names = list(axes)
    return [vary(config, **dict(zip(names, values))) for values in itertools.product(*axes.values())]
