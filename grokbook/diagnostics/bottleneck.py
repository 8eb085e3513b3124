"""A rank-bottleneck sweep read fairly: the learning rate tuned per rank, censored times, reachable answers.

One hypothesis of grokking as manifold discovery is that a linear bottleneck of rank ``r`` before the readout
speeds grokking when ``r`` equals the task's dimension, prevents it below, and is harmless above.
A sweep at one learning rate and one short budget measures the budget, not the bottleneck, so each rank
gets its best learning rate from a small grid (``tune_per_group``), scored on censored times: a run that
never grokked counts as ``budget + 1`` steps, never as missing.

Rank 1 needs no run to bound: with ``r = 1`` the logits are ``s(a, b) · v_c`` (plus nothing: no bias),
so the arg-max over ``c`` is ``argmax v`` when ``s > 0`` and ``argmin v`` when ``s < 0`` — at most two
of the ``p`` answers can ever be predicted (``predicted_classes`` counts them on a trained model). With
``r = 2``, ``cos(w(a + b − c)) = cos(w(a+b)) cos(wc) + sin(w(a+b)) sin(wc)`` is a rank-2 logit table:
two is the smallest rank that can generalize (Gromov 2023, arXiv 2301.02679, for the solution).
"""
from __future__ import annotations

from typing import Callable, Hashable, Sequence

import numpy as np
import torch

from grokbook.diagnostics.geometry import inputs_of


def predicted_classes(model: torch.nn.Module, data, inputs: str = "all") -> int:
    """Number of distinct answers ``argmax_c logits(x)_c`` over ``inputs`` (``train``, ``test``, ``all``).

    A rank-1 bottleneck without biases reaches at most 2 (``argmax v`` or ``argmin v``, see the module).

    >>> from grokbook.tasks import ModularArithmetic
    >>> from grokbook.models.planted import planted_mlp
    >>> predicted_classes(planted_mlp(7, [1]), ModularArithmetic(p=7).build(seed=0))
    7
    """
    x = inputs_of(data, inputs)
    with torch.no_grad():
        logits = model(x.to(next(model.parameters()).device))
    return int(torch.unique(logits.argmax(-1)).numel())


def censored_steps(run, value: str = "steps_to_grok") -> float:
    """``run.<value>`` (steps to grok by default), or ``budget + 1`` when the run never got there."""
    t = getattr(run, value)
    return float(run.budget + 1 if t is None else t)


def _score(runs) -> tuple:
    """Lexicographic score of one grid point (lower is better): more grokked, then fewer median steps to
    grok (censored), then higher final test accuracy, more memorized, fewer median steps to memorize."""
    grokked = np.mean([r.grokked for r in runs])
    t_grok = np.median([censored_steps(r) for r in runs])
    test = np.mean([float(r.history["test_acc"][-1]) for r in runs])
    memorized = np.mean([r.steps_to_memorize is not None for r in runs])
    t_mem = np.median([censored_steps(r, "steps_to_memorize") for r in runs])
    return (-grokked, t_grok, -test, -memorized, t_mem)


def tune_per_group(runs: Sequence, group: Callable[[object], Hashable],
                   over: Callable[[object], Hashable] = lambda c: c.lr) -> dict:
    """Best setting of ``over`` (default: the learning rate) within each ``group`` of runs' configs.

    For each group ``g = group(config)`` and each value ``v = over(config)`` the runs (the random seeds) are
    scored by, in order: the share that grokked (higher wins), their median steps to grok with a run
    that never grokked counted as ``budget + 1``, their mean final test accuracy, the share that
    memorized, their median steps to memorize. Returns ``{g: {"best": v, "runs": [...], "scores":
    {v: score}}}`` in the order the groups first appear.
    """
    if not runs:
        raise ValueError("runs must hold at least one Run")
    cells: dict = {}
    for run in runs:
        cells.setdefault(group(run.config), {}).setdefault(over(run.config), []).append(run)
    out = {}
    for g, by_value in cells.items():
        scores = {v: _score(rs) for v, rs in by_value.items()}
        best = min(scores, key=lambda v: scores[v])
        out[g] = {"best": best, "runs": by_value[best], "scores": scores}
    return out


__all__ = ["censored_steps", "predicted_classes", "tune_per_group"]
