"""What a run leaves behind: its metrics by column, the step counts that define grokking, and the one
primitive that reads them (first crossing of a level, value at a step, arrays over a grid of runs).

A leaf module: plots, diagnostics and claims import it without loading the trainer.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import numpy as np

__all__ = ["GROK_THRESHOLD", "MEMORIZE_THRESHOLD", "History", "Run", "collect", "first_crossing",
           "steps_to_grok", "steps_to_memorize"]

MEMORIZE_THRESHOLD = 0.99
GROK_THRESHOLD = 0.95


def first_crossing(steps: np.ndarray, values: np.ndarray, level: float, *, below: bool = False,
                   interpolate: bool = False, log: bool = False) -> float | None:
    """The first step at which ``values`` reaches ``level`` (``≥ level``, or ``≤ level`` with ``below``).

    Without ``interpolate`` the first logged step past the level is returned (an int), so resolution is the
    log grid's. With it the crossing is interpolated between the two logged points around it, linearly in
    the step or, with ``log=True``, linearly in ln(step) (the natural choice on a log-spaced grid).
    Returns None when the level is never reached; NaN values never count as a crossing.

    >>> first_crossing(np.array([0, 10, 20]), np.array([0.0, 0.5, 1.0]), 0.75)
    20
    >>> first_crossing(np.array([0, 10, 20]), np.array([0.0, 0.5, 1.0]), 0.75, interpolate=True)
    15.0
    >>> first_crossing(np.array([0, 10, 20]), np.array([3.0, 2.0, 1.0]), 2.5, below=True)
    10
    """
    steps, values = np.asarray(steps), np.asarray(values, dtype=float)
    if steps.shape != values.shape:
        raise ValueError(f"steps and values must have the same shape, got {steps.shape} and {values.shape}")
    with np.errstate(invalid="ignore"):
        hit = values <= level if below else values >= level
    hits = np.nonzero(hit)[0]
    if not len(hits):
        return None
    i = hits[0]
    if not interpolate or i == 0:
        return int(steps[i])
    x0, x1 = float(steps[i - 1]), float(steps[i])
    if log:
        if x0 <= 0:
            return x1
        x0, x1 = np.log(x0), np.log(x1)
    y0, y1 = values[i - 1], values[i]
    x = x0 + (level - y0) * (x1 - x0) / (y1 - y0) if y1 != y0 else x1
    return float(np.exp(x) if log else x)


@dataclass
class History:
    """Metrics stored by column: ``history["test_acc"]`` is an array over the logged ``history["step"]``.

    Columns always present: ``step``, ``train_loss``, ``train_acc``, ``test_loss``, ``test_acc``,
    ``weight_norm``; each attached diagnostic adds its own. ``per_step`` holds arrays with one entry per
    optimisation step (e.g. ``update_norm``). ``cpu_seconds`` is the CPU time of the training loop that
    produced it (the whole ensemble's), stored with it in the run cache, so a cached run keeps its cost.
    ``diverged_at`` is the step at which the loss became NaN or infinite in a run trained with
    ``on_divergence="freeze"`` (its columns end there), None otherwise.
    """

    columns: dict[str, np.ndarray] = field(default_factory=dict)
    per_step: dict[str, np.ndarray] = field(default_factory=dict)
    cpu_seconds: float | None = None
    diverged_at: int | None = None

    def __getitem__(self, name: str) -> np.ndarray:
        return self.columns[name]

    def __getattr__(self, name: str) -> np.ndarray:
        columns = self.__dict__.get("columns", {})
        if name in columns:
            return columns[name]
        raise AttributeError(name)

    def __contains__(self, name: str) -> bool:
        return name in self.columns

    def __len__(self) -> int:
        return len(self.columns.get("step", ()))

    def keys(self) -> list[str]:
        return list(self.columns)

    def first_step(self, column: str, level: float, *, below: bool = False, interpolate: bool = False,
                   log: bool = False, after: float | None = None) -> float | None:
        """The first logged step where ``column`` reaches ``level`` (see :func:`first_crossing`);
        ``after`` ignores the steps before it (e.g. the first step of cleanup *after* memorization)."""
        steps, values = self.columns["step"], self.columns[column]
        if after is not None:
            keep = steps >= after
            steps, values = steps[keep], values[keep]
        return first_crossing(steps, values, level, below=below, interpolate=interpolate, log=log)

    def index(self, step: float) -> int:
        """The row of the logged step nearest to ``step`` (the last row when ``step`` is None)."""
        if step is None:
            return len(self) - 1
        return int(np.argmin(np.abs(self.columns["step"] - step)))

    def at(self, column: str, step: float | None) -> Any:
        """The value of ``column`` at the logged step nearest to ``step`` (the last value when None).

        >>> History({"step": np.array([0, 10, 20]), "test_acc": np.array([0.0, 0.5, 1.0])}).at("test_acc", 12)
        0.5
        """
        value = self.columns[column][self.index(step)]
        return value.item() if np.ndim(value) == 0 else value

    def window(self, column: str, start: float | None = None, stop: float | None = None) -> np.ndarray:
        """The logged values of ``column`` with ``start ≤ step ≤ stop`` (open ends when None)."""
        steps = self.columns["step"]
        keep = np.ones(len(steps), dtype=bool)
        if start is not None:
            keep &= steps >= start
        if stop is not None:
            keep &= steps <= stop
        return self.columns[column][keep]

    def to_dataframe(self):
        """The scalar columns as a pandas DataFrame indexed by step (pandas comes with seaborn)."""
        import pandas as pd

        scalar = {k: v for k, v in self.columns.items() if v.ndim == 1}
        return pd.DataFrame(scalar).set_index("step")


def steps_to_memorize(history: History, threshold: float = MEMORIZE_THRESHOLD) -> int | None:
    """t_mem: the first logged step with train accuracy ≥ ``threshold`` (0.99), or None if never.

    Resolution is that of the log grid (Power et al. 2022, arXiv 2201.02177, time memorization at 99%
    train accuracy)."""
    return history.first_step("train_acc", threshold)


def steps_to_grok(history: History, threshold: float = GROK_THRESHOLD) -> int | None:
    """t_grok: the first logged step with test accuracy ≥ ``threshold`` (0.95), or None if never.

    0.95 follows Lee et al. 2024 (Grokfast, arXiv 2405.20233), who time grokking at 95% validation
    accuracy; the first logged step past the threshold is returned, so resolution is the log grid's."""
    return history.first_step("test_acc", threshold)


@dataclass
class Run:
    """One trained model: its config, its history, the model (eval mode, on its device) and its data."""

    config: Any
    history: History
    model: Any
    data: Any

    @property
    def steps_to_memorize(self) -> int | None:
        return steps_to_memorize(self.history)

    @property
    def steps_to_grok(self) -> int | None:
        return steps_to_grok(self.history)

    @property
    def grokked(self) -> bool:
        return self.steps_to_grok is not None

    @property
    def budget(self) -> int:
        """The last logged step: where a run that never grokked is censored. A run frozen after its loss
        diverged (``history.diverged_at``) is censored at its full step budget: it could not have grokked
        in the steps it did not train, and must not look faster for having stopped."""
        if getattr(self.history, "diverged_at", None) is not None:
            return int(self.config.steps)
        return int(self.history["step"][-1])

    def summary(self) -> str:
        h = self.history
        diverged = f"  diverged at step {h.diverged_at}" if getattr(h, "diverged_at", None) is not None else ""
        return (f"t_mem={self.steps_to_memorize}  t_grok={self.steps_to_grok}{diverged}  "
                f"final train acc {float(h['train_acc'][-1]):.3f}  test acc {float(h['test_acc'][-1]):.3f}")


def collect(runs: Sequence[Run], value: Callable[[Run], Any] | str, shape: Sequence[int] | None = None
            ) -> np.ndarray:
    """One number per run as a float array, None read as NaN, reshaped to ``shape`` (a grid's axes, in the
    order given to :func:`grokbook.training.grid`; the last axis varies fastest).

    ``value`` is a function of a run, or the name of a run attribute (``"steps_to_grok"``).

    >>> collect([Run(None, History({"step": np.array([0]), "test_acc": np.array([1.0]),
    ...                             "train_acc": np.array([1.0])}), None, None)] * 2, "steps_to_grok")
    array([0., 0.])
    """
    read = (lambda run: getattr(run, value)) if isinstance(value, str) else value
    out = np.array([np.nan if (v := read(run)) is None else float(v) for run in runs], dtype=float)
    return out.reshape(shape) if shape is not None else out
