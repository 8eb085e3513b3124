"""Hysteresis, the signature of a first-order transition: two runs continued from different trained
states (a memorizer, a generalizer) at the same setting, and the range of the setting over which they
end in different states (Rubin et al. 2024, "Grokking as a first-order phase transition in two layer
networks", arXiv 2310.03789). Computes, never draws; chapter "The landscape" uses it."""
from __future__ import annotations

from typing import Sequence

import numpy as np

from grokbook.history import GROK_THRESHOLD, MEMORIZE_THRESHOLD, History

__all__ = ["STATES", "end_state", "hysteresis_window"]

STATES = ("generalized", "memorized", "unfit", "between")


def end_state(history: History, *, memorize: float = MEMORIZE_THRESHOLD, grok: float = GROK_THRESHOLD,
              chance: float = 0.5) -> str:
    """Which state a run ends in, from its last logged train and test accuracies:

    ``"generalized"`` (test ≥ ``grok``), ``"memorized"`` (train ≥ ``memorize`` and test < ``chance``),
    ``"unfit"`` (train < ``memorize``, test < ``grok``: e.g. collapsed towards θ = 0) or ``"between"``
    (fits the training set, test accuracy in ``[chance, grok)``: on its way, or stuck half-way).
    """
    if not 0 < chance <= grok <= 1:
        raise ValueError(f"need 0 < chance ≤ grok ≤ 1, got chance={chance}, grok={grok}")
    train, test = float(history["train_acc"][-1]), float(history["test_acc"][-1])
    if test >= grok:
        return "generalized"
    if train < memorize:
        return "unfit"
    return "memorized" if test < chance else "between"


def hysteresis_window(ladder: Sequence[float], lower: Sequence[str], upper: Sequence[str]) -> dict:
    """The window of a setting (e.g. weight decay λ) over which two branches disagree.

    ``ladder``: increasing values of the setting; ``lower[i]`` / ``upper[i]``: the :func:`end_state`
    of the run continued at ``ladder[i]`` from the first / second start (a memorizer, a generalizer).
    Returns ``disagree`` (bool per rung), ``low`` / ``high`` (the smallest / largest rung where the
    states differ; NaN when they never do), ``edge`` (the first rung above ``high`` where they agree
    again: the window's upper edge lies in ``(high, edge]``; ``inf`` when the ladder ends inside the
    window) and ``gaps`` (agreeing rungs inside ``[low, high]``: a window that is not one interval).

    >>> w = hysteresis_window([0, 1, 2], ["memorized", "memorized", "generalized"],
    ...                       ["generalized"] * 3)
    >>> w["low"], w["high"], w["edge"], w["gaps"]
    (0.0, 1.0, 2.0, 0)
    """
    lams = np.asarray(ladder, dtype=float)
    if lams.ndim != 1 or len(lams) == 0 or np.any(np.diff(lams) <= 0):
        raise ValueError("ladder must be a non-empty increasing 1-D sequence")
    if len(lower) != len(lams) or len(upper) != len(lams):
        raise ValueError(f"need one state per rung in both branches ({len(lams)}), got {len(lower)} and "
                         f"{len(upper)}")
    for state in (*lower, *upper):
        if state not in STATES:
            raise ValueError(f"unknown state {state!r}: use one of {list(STATES)}")
    disagree = np.array([a != b for a, b in zip(lower, upper)])
    if not disagree.any():
        return {"disagree": disagree, "low": float("nan"), "high": float("nan"), "edge": float("nan"),
                "gaps": 0}
    inside = np.flatnonzero(disagree)
    first, last = inside[0], inside[-1]
    return {"disagree": disagree, "low": float(lams[first]), "high": float(lams[last]),
            "edge": float(lams[last + 1]) if last + 1 < len(lams) else float("inf"),
            "gaps": int((~disagree[first:last + 1]).sum())}
