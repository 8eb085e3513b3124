"""Jump analysis of a training trajectory: is a move in parameter space one big step or many small ones?

A Lévy flight covers most of its distance in a few long jumps; a diffusion (or a steady drift) covers it
in many steps of similar size. Given the per-step displacements ``s_t = ‖θ_{t+1} − θ_t‖`` (the trainer
records them with ``record_update_norm=True``) over a window, these functions measure how much of the
path length, and at most how much of the net displacement, the largest ``k`` steps account for: a
test of the heavy-tailed (α-stable) picture of SGD of Şimşekli, Sagun & Gürbüzbalaban 2019 (arXiv
1901.06053).
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np
import torch

from grokbook.history import GROK_THRESHOLD, MEMORIZE_THRESHOLD, History

__all__ = ["DistanceFromMemorization", "RISE_LEVEL", "displacement_bound", "distance_from_memorization",
           "escape_times", "flat_parameters",
           "jump_statistics", "largest_steps_share", "mean_between", "relative_distance", "share_curve", "steps_to_cover", "straightness"]

RISE_LEVEL = 0.1


def _check_steps(step_sizes: np.ndarray) -> np.ndarray:
    s = np.asarray(step_sizes, dtype=float)
    if s.ndim != 1 or len(s) == 0:
        raise ValueError(f"step_sizes must be a non-empty 1-D array, got shape {s.shape}")
    if not np.all(np.isfinite(s)) or np.any(s < 0):
        raise ValueError("step_sizes must be finite and ≥ 0 (they are norms ‖θ_{t+1} − θ_t‖)")
    if s.sum() == 0:
        raise ValueError("step_sizes are all zero: the parameters never moved")
    return s


def _check_k(k: int, n: int) -> int:
    if not (isinstance(k, (int, np.integer)) and 1 <= k <= n):
        raise ValueError(f"k must be an integer in 1…{n} (the number of steps), got {k!r}")
    return int(k)


def share_curve(step_sizes: np.ndarray) -> np.ndarray:
    """``c_k = (Σ of the k largest s_t) / Σ_t s_t`` for ``k = 1 … n``: the share of the path length
    covered by the largest k steps. ``c_k = k/n`` when every step has the same size; a Lévy flight
    has ``c_1`` of order one.

    >>> share_curve(np.array([1.0, 3.0, 1.0, 5.0])).tolist()
    [0.5, 0.8, 0.9, 1.0]
    """
    s = _check_steps(step_sizes)
    return np.cumsum(np.sort(s)[::-1]) / s.sum()


def largest_steps_share(step_sizes: np.ndarray, k: int = 1) -> float:
    """Share of the path length ``Σ_t s_t`` covered by the ``k`` largest steps (``share_curve[k−1]``)."""
    s = _check_steps(step_sizes)
    return float(share_curve(s)[_check_k(k, len(s)) - 1])


def steps_to_cover(step_sizes: np.ndarray, share: float = 0.5) -> int:
    """The fewest steps whose lengths add up to at least ``share`` of the path length (1 for a single
    dominant jump, ≈ ``share · n`` for equal steps)."""
    if not 0 < share <= 1:
        raise ValueError(f"share must lie in (0, 1], got {share!r}")
    curve = share_curve(step_sizes)
    return int(np.searchsorted(curve, share - 1e-12) + 1)


def displacement_bound(step_sizes: np.ndarray, displacement: float, k: int = 1) -> float:
    """Upper bound on the fraction of the net displacement ``D = ‖θ_end − θ_start‖`` that the ``k``
    largest steps can account for: ``(Σ of the k largest s_t) / D``, by the triangle inequality.
    A value ≪ 1 rules out "one big jump": even placed end to end in the right direction, the largest
    steps would cover only that fraction of the way. (Values > 1 are possible and mean no bound.)"""
    s = _check_steps(step_sizes)
    if not displacement > 0:
        raise ValueError(f"displacement (‖θ_end − θ_start‖) must be > 0, got {displacement!r}")
    return float(np.sort(s)[::-1][: _check_k(k, len(s))].sum() / displacement)


def straightness(step_sizes: np.ndarray, displacement: float) -> float:
    """``D / Σ_t s_t`` ∈ [0, 1]: 1 for a straight path, near 0 for a path that mostly wanders."""
    s = _check_steps(step_sizes)
    if displacement < 0:
        raise ValueError(f"displacement must be ≥ 0, got {displacement!r}")
    return float(displacement / s.sum())


def flat_parameters(model: torch.nn.Module) -> torch.Tensor:
    """All trainable parameters of ``model`` as one detached vector θ."""
    return torch.cat([p.detach().reshape(-1) for p in model.parameters() if p.requires_grad])


def distance_from_memorization(threshold: float = MEMORIZE_THRESHOLD) -> Callable[[Any], float]:
    """A ``train`` diagnostic: ``‖θ_t − θ_mem‖₂``, where θ_mem is the parameter vector at the first logged
    step whose train accuracy is ≥ ``threshold`` (``MEMORIZE_THRESHOLD``, 0.99, as
    ``steps_to_memorize``); NaN before that.

    Read at ``t_grok`` it is the distance between the memorizing and the generalizing solution, the
    width of the memorization basin in an escape picture of grokking (Şimşekli, Sagun & Gürbüzbalaban
    2019, arXiv 1901.06053). The accuracy is read from the outputs the trainer computed
    (``ctx.outputs("train")``); each ensemble member keeps its own anchor (keyed by ``ctx.member``,
    reset at step 0, so one diagnostic may serve several training calls).
    ``train(cfg, diagnostics={"distance": distance_from_memorization()})``.
    """
    if not 0 < threshold <= 1:
        raise ValueError(f"threshold (train accuracy) must lie in (0, 1], got {threshold!r}")
    anchors: dict[int, torch.Tensor] = {}

    def distance(ctx: Any) -> float:
        if ctx.step == 0:
            anchors.pop(ctx.member, None)
        theta = flat_parameters(ctx.model)
        if ctx.member not in anchors:
            predicted = ctx.outputs("train").argmax(-1)
            if (predicted == ctx.data.y_train).double().mean().item() < threshold:
                return float("nan")
            anchors[ctx.member] = theta.clone()
        return float((theta - anchors[ctx.member]).double().norm())

    return distance


# The name chapter 7 imports (it was a class): the same factory.
DistanceFromMemorization = distance_from_memorization


def escape_times(history: History, rise_level: float = RISE_LEVEL) -> dict[str, float]:
    """The phase boundaries of one run, interpolated between logged steps, and the two waiting times an
    escape picture reads from them:

    ``t_mem`` (train accuracy ≥ 0.99), ``t_rise`` (test accuracy ≥ ``rise_level``: the run leaves the
    memorizing basin), ``t_grok`` (test accuracy ≥ 0.95); ``dwell = t_rise − t_mem`` (the time spent
    in the basin, the escape time of Kramers' and Imkeller & Pavlyukevich's laws) and
    ``plateau = t_grok − t_mem``. NaN where a boundary is never reached. Power et al. 2022
    (arXiv 2201.02177) time memorization at 99% train accuracy; 95% test accuracy follows Lee et al.
    2024 (arXiv 2405.20233).

    >>> h = History({"step": np.array([0, 10, 20, 30]), "train_acc": np.array([0.0, 1.0, 1.0, 1.0]),
    ...              "test_acc": np.array([0.0, 0.0, 0.1, 1.0])})
    >>> {k: round(v, 1) for k, v in escape_times(h).items()}
    {'t_mem': 9.9, 't_rise': 20.0, 't_grok': 29.4, 'dwell': 10.1, 'plateau': 19.5}
    """
    if not 0 < rise_level < GROK_THRESHOLD:
        raise ValueError(f"rise_level must lie in (0, {GROK_THRESHOLD}) (below the grokking level), got {rise_level!r}")
    read = lambda column, level: history.first_step(column, level, interpolate=True)
    t = {"t_mem": read("train_acc", MEMORIZE_THRESHOLD), "t_rise": read("test_acc", rise_level),
         "t_grok": read("test_acc", GROK_THRESHOLD)}
    t = {k: np.nan if v is None else float(v) for k, v in t.items()}
    return {**t, "dwell": t["t_rise"] - t["t_mem"], "plateau": t["t_grok"] - t["t_mem"]}


def relative_distance(history: History, start: float, stop: float) -> float:
    """``‖θ(stop) − θ(start)‖ / ‖θ(start)‖``: the distance logged by ``DistanceFromMemorization`` (column
    ``distance``, anchored at t_mem) in units of the weight norm where it starts.

    Weight decay shrinks every weight, so the raw distance between the memorizing and the generalizing
    solution shrinks with it almost by construction; in units of the norm it measures how far the
    solution moves relative to its own size.
    """
    if "distance" not in history:
        raise ValueError("history has no 'distance' column: train with DistanceFromMemorization()")
    if not (np.isfinite(start) and np.isfinite(stop)):
        return float("nan")  # a phase that was never reached
    norm = history.at("weight_norm", start)
    return float(history.at("distance", stop) / norm)


def mean_between(history: History, column: str, start: float, stop: float) -> float:
    """Mean of the finite logged values of ``column`` with ``start ≤ step ≤ stop`` (e.g. α̂ on the
    plateau between t_mem and t_rise); NaN when the window is undefined or holds no finite value."""
    if not (np.isfinite(start) and np.isfinite(stop)):
        return float("nan")
    values = np.asarray(history.window(column, start, stop), dtype=float)
    values = values[np.isfinite(values)]
    return float(values.mean()) if len(values) else float("nan")


def jump_statistics(history: History, start: float, stop: float, k: int = 10) -> dict[str, float]:
    """Is the move between steps ``start`` and ``stop`` one big jump? From the per-step lengths
    ``s_t = ‖θ_{t+1} − θ_t‖`` (``record_update_norm=True``) and the logged ``distance`` at ``stop``
    (``DistanceFromMemorization``, anchored at t_mem, so ``start`` should be t_mem):

    ``max_over_mean`` (largest step / mean step), ``top1_share`` and ``topk_share`` of the path length,
    ``half_path_fraction`` (the share of the steps needed to cover half the path: ≈ ½ for equal steps,
    → 0 for a jump), ``bound_k`` (``displacement_bound`` of the ``k`` largest steps: < ½ rules out that
    they made most of the net move) and ``straightness``. All NaN when the window is undefined.
    """
    keys = ("steps", "max_over_mean", "top1_share", "topk_share", "half_path_fraction", "bound_k", "straightness")
    if not (np.isfinite(start) and np.isfinite(stop)) or "update_norm" not in history.per_step:
        return dict.fromkeys(keys, float("nan"))
    s = history.per_step["update_norm"][int(start): int(stop)]
    if len(s) < k:
        return dict.fromkeys(keys, float("nan"))
    distance = float(history.at("distance", stop))
    return {"steps": float(len(s)), "max_over_mean": float(s.max() / s.mean()),
            "top1_share": largest_steps_share(s, 1), "topk_share": largest_steps_share(s, k),
            "half_path_fraction": steps_to_cover(s, 0.5) / len(s), "bound_k": displacement_bound(s, distance, k),
            "straightness": straightness(s, distance)}
