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
from typing import Any, Callable, Hashable, Mapping, Sequence

import numpy as np
from scipy.stats import rankdata

from grokbook.diagnostics.phases import censored_median
from grokbook.history import Run, collect
from grokbook.training.config import setting

__all__ = ["RaceEntry", "pick_best", "race_entry", "rank_correlation", "seconds_per_step", "speedup"]


def pick_best(runs: Sequence[Run], name: str | Callable[[Any], Hashable] = "lr",
              prior_steps: int = 0) -> tuple[Any, dict[Any, float]]:
    """The value of setting ``name`` whose runs have the lowest censored median steps to grok
    (:func:`~grokbook.diagnostics.phases.censored_median`: a run that never grokked counts as +∞), and
    that median for every value. Ties (every value censored, say) go to the higher mean final test
    accuracy, then to the earlier value. ``name`` may instead be a function of a run's config (a grid
    over two settings: ``lambda c: (c.lr, c.embed_lr)``); ``prior_steps`` (steps spent before these
    runs began, GrokTransfer's weak model) is added to every median.

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
    value_of = name if callable(name) else (lambda config: setting(config, name))
    values = list(dict.fromkeys(value_of(r.config) for r in runs))
    medians, accuracy = {}, {}
    for v in values:
        group = [r for r in runs if value_of(r.config) == v]
        medians[v] = float(censored_median(collect(group, "steps_to_grok"))) + prior_steps
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
    their mean ± sd over the random seeds that grokked, the censored median, and seconds (median × s/step).

    A method that trains something first (GrokTransfer's weak model) carries that cost: ``prior_steps``
    are included in ``steps`` and ``budget``, and ``prior_seconds`` (per member) in ``seconds``."""

    method: str
    value: Any
    steps: np.ndarray
    budget: int
    seconds_per_step: float
    prior_steps: int = 0
    prior_seconds: float = 0.0

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
        """``(median − prior_steps) × seconds per step + prior_seconds``: the censored median's CPU
        seconds, the prior training included (inf when the median is censored)."""
        return (self.median - self.prior_steps) * self.seconds_per_step + self.prior_seconds

    def steps_text(self) -> str:
        """``mean ± sd (k/n)``, with ``> budget`` for the random seeds that never grokked."""
        n = len(self.steps)
        if not self.grokked:
            return f"> {self.budget} (0/{n})"
        sd = f" ± {self.sd:.0f}" if np.isfinite(self.sd) else ""
        return f"{self.mean:.0f}{sd} ({self.grokked}/{n})"


def race_entry(method: str, value: Any, runs: Sequence[Run], cpu_seconds: float, *, prior_steps: int = 0,
               prior_seconds: float = 0.0) -> RaceEntry:
    """A :class:`RaceEntry` from the reported runs of one method and the CPU seconds their ensemble
    took; ``prior_steps`` and ``prior_seconds`` (per member) are what it trained before them."""
    if not runs:
        raise ValueError("race_entry needs the method's reported runs")
    if prior_steps < 0 or not prior_seconds >= 0:
        raise ValueError(f"prior_steps and prior_seconds must be ≥ 0, got {prior_steps}, {prior_seconds}")
    budget = max(int(r.config.steps) for r in runs) + prior_steps
    return RaceEntry(method, value, collect(runs, "steps_to_grok") + prior_steps, budget,
                     seconds_per_step(cpu_seconds, runs), prior_steps, float(prior_seconds))


def speedup(baseline: RaceEntry, entry: RaceEntry, in_seconds: bool = False) -> float:
    """``median(baseline) / median(entry)`` in steps (or seconds): > 1 means the method groks sooner;
    0 when the method's median is censored and the baseline's is not, NaN when both are."""
    a, b = (baseline.seconds, entry.seconds) if in_seconds else (baseline.median, entry.median)
    if np.isinf(a) and np.isinf(b):
        return float("nan")
    return float(a / b) if np.isfinite(b) else 0.0


def rank_correlation(first: Mapping[str, RaceEntry], second: Mapping[str, RaceEntry]) -> float:
    """Spearman's ρ between two races' censored medians over the methods both ran: the Pearson
    correlation of their ranks, ``ρ = cov(rank a, rank b) / (sd(rank a) · sd(rank b))``, ties (every
    censored method, at +∞) sharing their mean rank (Spearman 1904). 1: the same order; NaN when one
    race cannot order its methods at all.

    >>> def entry(median):
    ...     return RaceEntry("m", 0, np.array([median] * 3), 100, 1.0)
    >>> a = {"x": entry(10), "y": entry(20), "z": entry(np.nan)}
    >>> round(rank_correlation(a, {"x": entry(30), "y": entry(20), "z": entry(np.nan)}), 2)
    0.5
    """
    shared = [m for m in first if m in second]
    if len(shared) < 2:
        raise ValueError(f"rank_correlation needs ≥ 2 methods in both races, got {shared}")
    a = rankdata([first[m].median for m in shared])
    b = rankdata([second[m].median for m in shared])
    if np.ptp(a) == 0 or np.ptp(b) == 0:
        return float("nan")
    return float(np.corrcoef(a, b)[0, 1])
