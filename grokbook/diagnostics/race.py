"""A fair race between training methods: each method's learning rate picked on tuning seeds, its steps
and seconds to grok read on other seeds, the runs that never grokked kept as censored.

Every published speed-up (Grokfast: Lee et al. 2024, arXiv 2405.20233; Muon: Tveit et al. 2025, arXiv
2504.16041; EGD: Pasand et al. 2025, arXiv 2510.04930) is measured by its authors at their own learning
rate. Here a method's setting is chosen by the censored median steps to grok over *tuning* seeds
(:func:`pick_best`), and reported on *fresh* seeds (:func:`race_entry`), so the reported number is not the
lucky draw that won the selection. These functions compute and never train or draw.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from grokbook.diagnostics.phases import censored_median
from grokbook.history import Run, collect
from grokbook.training.config import setting

__all__ = ["RaceEntry", "pick_best", "race_entry", "seconds_per_step", "speedup"]


def pick_best(runs: Sequence[Run], name: str = "lr") -> tuple[Any, dict[Any, float]]:
    """The value of setting ``name`` whose runs have the lowest censored median steps to grok
    (:func:`~grokbook.diagnostics.phases.censored_median`: a run that never grokked counts as +∞), and
    that median for every value. Ties (every value censored, say) go to the higher mean final test
    accuracy, then to the earlier value.

    >>> from grokbook.history import History
    >>> from grokbook.training import TrainConfig
    >>> def run(lr, acc):
    ...     h = History({"step": np.array([0, 10, 20]), "train_acc": np.ones(3),
    ...                  "test_acc": np.array([0.0, 0.5, acc])})
    ...     return Run(TrainConfig(lr=lr), h, None, None)
    >>> pick_best([run(0.1, 0.99), run(0.1, 0.2), run(0.3, 0.99), run(0.3, 0.99)])[0]
    0.3
    """
    if not runs:
        raise ValueError("pick_best needs at least one run")
    values = list(dict.fromkeys(setting(r.config, name) for r in runs))
    medians, accuracy = {}, {}
    for v in values:
        group = [r for r in runs if setting(r.config, name) == v]
        medians[v] = float(censored_median(collect(group, "steps_to_grok")))
        accuracy[v] = float(np.mean([r.history["test_acc"][-1] for r in group]))
    best = min(values, key=lambda v: (medians[v], -accuracy[v], values.index(v)))
    return best, medians


def seconds_per_step(cpu_seconds: float, runs: Sequence[Run], floor: float = 1e-6) -> float:
    """CPU seconds one member's step cost in an ensemble that took ``cpu_seconds`` for ``runs``:
    ``cpu_seconds / (K · steps run)`` (the steps of the longest run: an ensemble steps together).
    Runs that carry the CPU time of the loop that trained them (``History.cpu_seconds``, one ensemble:
    one value) are costed by it, so runs read back from the run cache keep their cost; otherwise NaN
    below ``floor`` seconds per step (runs loaded, not trained: cost unknown)."""
    if not runs:
        raise ValueError("seconds_per_step needs the runs of the timed ensemble")
    if not cpu_seconds >= 0:
        raise ValueError(f"cpu_seconds must be ≥ 0, got {cpu_seconds}")
    recorded = {getattr(r.history, "cpu_seconds", None) for r in runs}
    if len(recorded) == 1 and None not in recorded:
        cpu_seconds = float(recorded.pop())
    steps = max(int(r.history["step"][-1]) for r in runs)
    cost = cpu_seconds / (len(runs) * max(steps, 1))
    return cost if cost >= floor else float("nan")


@dataclass(frozen=True)
class RaceEntry:
    """One method's result on the reported seeds: steps to grok per seed (NaN = censored at ``budget``),
    their mean ± sd over the random seeds that grokked, the censored median, and seconds (median × s/step)."""

    method: str
    value: Any
    steps: np.ndarray
    budget: int
    seconds_per_step: float

    @property
    def grokked(self) -> int:
        return int(np.isfinite(self.steps).sum())

    @property
    def mean(self) -> float:
        done = self.steps[np.isfinite(self.steps)]
        return float(done.mean()) if done.size else float("nan")

    @property
    def sd(self) -> float:
        done = self.steps[np.isfinite(self.steps)]
        return float(done.std(ddof=1)) if done.size > 1 else float("nan")

    @property
    def median(self) -> float:
        return float(censored_median(self.steps))

    @property
    def seconds(self) -> float:
        """Censored median steps to grok × seconds per step (inf when the median is censored)."""
        return self.median * self.seconds_per_step

    def steps_text(self) -> str:
        """``mean ± sd (k/n)``, with ``> budget`` for the random seeds that never grokked."""
        n = len(self.steps)
        if not self.grokked:
            return f"> {self.budget} (0/{n})"
        sd = f" ± {self.sd:.0f}" if np.isfinite(self.sd) else ""
        return f"{self.mean:.0f}{sd} ({self.grokked}/{n})"


def race_entry(method: str, value: Any, runs: Sequence[Run], cpu_seconds: float) -> RaceEntry:
    """A :class:`RaceEntry` from the reported runs of one method and the CPU seconds their ensemble
    took."""
    if not runs:
        raise ValueError("race_entry needs the method's reported runs")
    budget = max(int(r.config.steps) for r in runs)
    return RaceEntry(method, value, collect(runs, "steps_to_grok"), budget,
                     seconds_per_step(cpu_seconds, runs))


def speedup(baseline: RaceEntry, entry: RaceEntry, in_seconds: bool = False) -> float:
    """``median(baseline) / median(entry)`` in steps (or seconds): > 1 means the method groks sooner;
    0 when the method's median is censored and the baseline's is not, NaN when both are."""
    a, b = (baseline.seconds, entry.seconds) if in_seconds else (baseline.median, entry.median)
    if np.isinf(a) and np.isinf(b):
        return float("nan")
    return float(a / b) if np.isfinite(b) else 0.0
