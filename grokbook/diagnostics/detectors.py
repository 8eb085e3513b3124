"""Early-warning detectors: a test-free signal logged during training, turned into a rule that fires at
one step, and scored over runs that grokked and runs that did not.

A rule is armed at memorization (the first logged step with training accuracy ≥ 99%, which needs no
test set) and fires at the first logged step after it where its condition holds. Scored on a set of
runs: the hit rate on runs that grokked, the false-alarm rate on runs that did not, and the lead time
``t_grok − t_fire`` (negative: it fired after grokking). Xu 2026 (arXiv 2605.08119) scores the
eigengap slope detector this way (15/15 grokking seeds, 0/15 controls, paper).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from grokbook.diagnostics.spectral import slope_detector
from grokbook.history import History, Run, steps_to_memorize

__all__ = ["KINDS", "Rule", "arm_step", "score", "sweep"]

KINDS = ("slope", "rise", "fall", "turn")


def arm_step(history: History) -> int | None:
    """The step a rule is armed at: memorization (training accuracy ≥ 99%), None if never."""
    return steps_to_memorize(history)


@dataclass(frozen=True)
class Rule:
    """``column`` read after memorization, firing when (``threshold`` = τ, reference value ``v₀`` at
    the arming step):

    - ``"slope"``: the least-squares slope of ``ln v`` over the trailing ``window`` points exceeds τ
      per step (Xu 2026's eigengap detector, :func:`~grokbook.diagnostics.spectral.slope_detector`);
    - ``"rise"``: ``v − v₀ > τ`` (e.g. the HTSR exponent α climbing);
    - ``"fall"``: ``v < (1 − τ) v₀`` (e.g. neural collapse's NC1 shrinking);
    - ``"turn"``: ``v < (1 − τ) max_{s ≤ t} v_s``, a peak passed (e.g. the weight norm turning down).

    >>> h = History({"step": np.arange(6), "train_acc": np.ones(6),
    ...              "weight_norm": np.array([1.0, 2, 3, 2.9, 2.5, 2])})
    >>> Rule("weight_norm", "turn", 0.1).fire(h)
    4
    """

    column: str
    kind: str
    threshold: float
    window: int = 10

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {list(KINDS)}, got {self.kind!r}")
        if self.kind == "slope" and self.window < 2:
            raise ValueError(f"a slope rule needs window ≥ 2 points, got {self.window}")
        if self.kind in ("fall", "turn") and not 0 < self.threshold < 1:
            raise ValueError(f"a {self.kind} rule's threshold is a fraction in (0, 1), got {self.threshold}")

    def fire(self, history: History) -> int | None:
        """The step this rule fires at on ``history``, or None (never armed, or never fired)."""
        armed = arm_step(history)
        if armed is None:
            return None
        steps, values = np.asarray(history["step"], float), np.asarray(history[self.column], float)
        keep = np.isfinite(values) & (steps >= armed)
        steps, values = steps[keep], values[keep]
        if len(values) == 0:
            return None
        if self.kind == "slope":
            if len(values) < self.window:
                return None
            return slope_detector(steps, values, window=self.window, threshold=self.threshold)
        if self.kind == "rise":
            hit = values - values[0] > self.threshold
        elif self.kind == "fall":
            hit = values < (1 - self.threshold) * values[0]
        else:
            hit = values < (1 - self.threshold) * np.maximum.accumulate(values)
        return int(steps[np.argmax(hit)]) if hit.any() else None


def score(runs: Sequence[Run], rule: Rule) -> dict:
    """Score ``rule`` on ``runs``: ``hits``/``n_grokked`` (fired on a run that grokked),
    ``false_alarms``/``n_controls`` (fired on a run that did not), ``hit_rate``, ``false_alarm_rate``,
    ``leads`` (``t_grok − t_fire`` per grokking run, NaN where it did not fire) and their median
    ``lead`` (NaN when it never fired on a grokking run)."""
    if not runs:
        raise ValueError("score needs at least one run")
    fires = [rule.fire(run.history) for run in runs]
    groks = [run.steps_to_grok for run in runs]
    grokked = [g is not None for g in groks]
    leads = np.array([g - f if f is not None else np.nan
                      for f, g, ok in zip(fires, groks, grokked) if ok], dtype=float)
    n_grokked, n_controls = sum(grokked), len(runs) - sum(grokked)
    hits = int(np.isfinite(leads).sum())
    false_alarms = sum(f is not None for f, ok in zip(fires, grokked) if not ok)
    return {"fires": fires, "hits": hits, "n_grokked": n_grokked, "false_alarms": false_alarms,
            "n_controls": n_controls,
            "hit_rate": hits / n_grokked if n_grokked else float("nan"),
            "false_alarm_rate": false_alarms / n_controls if n_controls else float("nan"),
            "leads": leads, "lead": float(np.nanmedian(leads)) if hits else float("nan")}


def sweep(runs: Sequence[Run], rule: Rule, thresholds: Sequence[float]) -> np.ndarray:
    """The detector's operating curve: for each threshold, ``(false_alarm_rate, hit_rate)``, shape
    ``(len(thresholds), 2)``. A detector that predicts grokking has a point up and to the left
    (many hits, few false alarms); one on the diagonal tells the runs apart no better than chance."""
    out = []
    for t in thresholds:
        s = score(runs, Rule(rule.column, rule.kind, float(t), rule.window))
        out.append((s["false_alarm_rate"], s["hit_rate"]))
    return np.asarray(out, dtype=float)
