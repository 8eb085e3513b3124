"""Lazy → rich dynamics: the linearised twin of a run, the timescales that tell readout from feature
learning, and two statistics of feature learning (Kumar, Bordelon, Gershman & Pehlevan 2024, "Grokking
as the transition from lazy to rich training dynamics", arXiv 2310.06110).

A network trained with output scaling ``f = α (f_θ − f_θ₀)`` and learning rate ``η/α²`` is, for large α,
its own linearisation: gradient descent on a linear model in the features ``∇_θ f(x)`` with the fixed
tangent kernel ``K₀`` (Jacot et al. 2018, arXiv 1806.07572; Chizat, Oyallon & Bach 2019, arXiv
1812.07956). ``linearized_history`` computes that model's curves in closed form; a run that follows them
is lazy. All times are read off the logged steps with one convention: the first crossing of a level,
interpolated linearly in ln(step) (``History.first_step(..., interpolate=True, log=True)``).

The closed-form twin lives in ``grokbook.diagnostics.linearized``; its names are importable from here.
"""
from __future__ import annotations

import copy
import math
from typing import Any, Callable

import numpy as np
import torch

from grokbook.diagnostics.kernels import empirical_ntk, kernel_target_alignment
from grokbook.diagnostics.linearized import (kernel_baseline, kernel_timescales, linearized_dynamics,
                                             linearized_history, linearized_losses, prediction_deviation,
                                             top_eigenspace)
from grokbook.history import History

__all__ = ["feature_time", "fit_time", "generalization_time", "kernel_baseline", "kernel_timescales",
           "lazy_diagnostic", "lazy_summary", "linearized_dynamics", "linearized_history", "linearized_losses",
           "prediction_deviation", "readout_time", "teacher_overlap", "timescales", "top_eigenspace"]


def teacher_overlap(weight: torch.Tensor, direction: torch.Tensor) -> float:
    """Share of the first-layer weights along the teacher direction: ``‖β̂ᵀ W‖² / ‖W‖_F²``.

    ``W`` is ``(dim, width)`` (inputs × hidden units), ``β̂ = β/‖β‖``. Random weights give ≈ ``1/dim``;
    hidden units that all read ``β·x`` give 1. Rich training on ``y = (β·x)²/2`` turns the first layer
    towards β; lazy training leaves it at its initial value (Kumar et al. 2024).

    >>> round(teacher_overlap(torch.outer(torch.tensor([0.0, 2.0]), torch.ones(3)), torch.tensor([0.0, 1.0])), 6)
    1.0
    """
    if weight.dim() != 2 or direction.dim() != 1 or weight.shape[0] != len(direction):
        raise ValueError(f"weight must be (dim, width) and direction (dim,), got {tuple(weight.shape)} "
                         f"and {tuple(direction.shape)}")
    w, d = weight.detach().double(), direction.detach().double().to(weight.device)
    if d.norm() == 0 or w.norm() == 0:
        raise ValueError("direction and weight must be non-zero")
    return float((d / d.norm() @ w).square().sum() / w.square().sum())


def lazy_diagnostic(top_k: int, teacher: torch.Tensor | None = None, outputs: bool = True
                    ) -> Callable[[Any], dict[str, Any]]:
    """A ``LogContext`` diagnostic for one-output regression, on the full training set: ``top_residual``,
    the share of the labels' projection on the top-``top_k`` eigenspace of ``K₀`` (the kernel at step 0)
    not yet fitted, ``‖V_kᵀ (f(X) − y)‖² / ‖V_kᵀ y‖²`` (1 at step 0 when ``f₀ = 0``); with ``teacher``,
    ``teacher_overlap`` of the first-layer weights (``first``); with ``outputs``, ``test_output``, the
    predictions on the test set (an array per logged step). Use as ``diagnostics={"lazy": …}``.
    """
    if not isinstance(top_k, int) or top_k < 1:
        raise ValueError(f"top_k must be a positive integer, got {top_k!r}")
    spaces: dict[int, tuple[torch.Tensor, torch.Tensor]] = {}

    def diagnostic(context: Any) -> dict[str, Any]:
        model, data = context.model, context.data
        key = context.member
        if context.step == 0 or key not in spaces:
            _, vectors = top_eigenspace(empirical_ntk(model, data.x_train), top_k)
            spaces[key] = (vectors, vectors.T @ data.y_train.double())
        vectors, target = spaces[key]
        with torch.no_grad():
            residual = context.outputs("train").reshape(-1).double() - data.y_train.double()
            out: dict[str, Any] = {"top_residual": float((vectors.T @ residual).square().sum()
                                                         / target.square().sum())}
            if teacher is not None:
                out["teacher_overlap"] = teacher_overlap(getattr(model, "model", model).first, teacher)
            if outputs:
                out["test_output"] = context.outputs("test").reshape(-1).cpu().numpy().copy()
        return out

    return diagnostic


def _time(history: History, column: str, level: float, below: bool) -> float:
    if column not in history:
        raise ValueError(f"history has no column {column!r}: log it with the matching diagnostic")
    step = history.first_step(column, level, below=below, interpolate=True, log=True)
    return math.nan if step is None else float(step)


def _check_fraction(fraction: float) -> None:
    if not 0 < fraction < 1:
        raise ValueError(f"fraction must lie in (0, 1), got {fraction}")


def readout_time(history: History, fraction: float = 0.5, column: str = "lazy.top_residual") -> float:
    """τ_readout: first step at which the labels' projection on the top eigenspace of ``K₀`` is fitted
    down to ``fraction`` of itself (``top_residual ≤ fraction``; NaN if never).

    In the lazy regime it is set by the kernel timescales ``P/(2 η_eff λ_i)`` of that eigenspace
    (:func:`kernel_timescales`), which do not depend on α because ``K₀ ∝ α²`` and ``η_eff = η/α²``."""
    _check_fraction(fraction)
    return _time(history, column, fraction, below=True)


def fit_time(history: History, fraction: float = 0.5) -> float:
    """First step with train loss ≤ ``fraction`` × its value at step 0 (NaN if never)."""
    _check_fraction(fraction)
    return _time(history, "train_loss", fraction * history["train_loss"][0], below=True)


def generalization_time(history: History, fraction: float = 0.5) -> float:
    """t_gen for regression: first step with test loss ≤ ``fraction`` × its value at step 0 (NaN if
    never). Accuracy is undefined for real targets, so the loss is used."""
    _check_fraction(fraction)
    return _time(history, "test_loss", fraction * history["test_loss"][0], below=True)


def feature_time(history: History, threshold: float = 0.1, column: str = "ntk.kernel_change") -> float:
    """τ_features: first step with relative kernel change ``‖K_t − K₀‖_F/‖K₀‖_F ≥ threshold`` (NaN if
    never). Under output scaling the weights move at rate ``η/α``, so τ_features grows with α."""
    if not threshold > 0:
        raise ValueError(f"threshold must be > 0, got {threshold}")
    return _time(history, column, threshold, below=False)


def timescales(history: History, readout_fraction: float = 0.5, feature_threshold: float = 0.1,
               generalization_fraction: float = 0.5) -> dict[str, float]:
    """The lazy → rich times of one run (steps, NaN if never reached): ``tau_readout``
    (:func:`readout_time`), ``t_fit`` (:func:`fit_time`, the train loss halves), ``tau_features``
    (:func:`feature_time`), ``ratio`` = τ_features/τ_readout, ``t_gen`` (:func:`generalization_time`)
    and ``t_align``, the step at which ``ntk.alignment`` has made half of its change from step 0 to the
    last step. Needs the columns of ``ntk_diagnostic`` (``ntk``) and ``lazy_diagnostic`` (``lazy``)."""
    align = history["ntk.alignment"] if "ntk.alignment" in history else None
    if align is None:
        raise ValueError("history has no column 'ntk.alignment': train with diagnostics={'ntk': ntk_diagnostic(…)}")
    tau_readout = readout_time(history, readout_fraction)
    tau_features = feature_time(history, feature_threshold)
    middle = (align[0] + align[-1]) / 2
    return {"tau_readout": tau_readout, "t_fit": fit_time(history),
            "tau_features": tau_features, "ratio": tau_features / tau_readout,
            "t_gen": generalization_time(history, generalization_fraction),
            "t_align": _time(history, "ntk.alignment", middle, below=bool(align[-1] < align[0]))}


def lazy_summary(run: Any, top_k: int, at: float | None = None) -> dict[str, float]:
    """One output-scaled regression run against its linearised twin, as a row of numbers.

    :func:`timescales` of the run; ``lin_tau_readout`` and ``lin_t_fit``, the same times of the twin
    (:func:`linearized_history`, read with the same convention); ``deviation``, the
    :func:`prediction_deviation` of the run's test predictions from the twin's at the logged step nearest
    ``at`` (default: the run's τ_features, the end of its lazy phase; the last step if never reached);
    ``overlap_start`` / ``overlap_fit`` / ``overlap_gen`` / ``overlap_end``, the teacher overlap at step 0,
    t_fit, t_gen (NaN if never) and the last step; ``test_loss`` and ``train_loss`` at the end;
    ``alignment_start`` / ``alignment_end``, the centred alignment of ``K₀`` and of the final kernel with
    y on the full training set. Needs the ``ntk`` and ``lazy`` diagnostics (``lazy_diagnostic(top_k, β)``).
    """
    h, data = run.history, run.data
    times = timescales(h)
    twin = linearized_history(run, top_k=top_k)
    twin_times = {"lin_tau_readout": readout_time(twin), "lin_t_fit": fit_time(twin)}
    at = times["tau_features"] if at is None else at
    row = h.index(None if not np.isfinite(at) else at)
    overlap = lambda step: (math.nan if not np.isfinite(step)
                            else float(h.at("lazy.teacher_overlap", step)))
    initial = copy.deepcopy(run.model.initial).requires_grad_(True)
    return times | twin_times | {
        "deviation": prediction_deviation(h["lazy.test_output"][row], twin["lazy.test_output"][row]),
        "deviation_step": float(h["step"][row]),
        "overlap_start": overlap(0), "overlap_fit": overlap(times["t_fit"]),
        "overlap_gen": overlap(times["t_gen"]), "overlap_end": float(h["lazy.teacher_overlap"][-1]),
        "train_loss": float(h["train_loss"][-1]), "test_loss": float(h["test_loss"][-1]),
        "alignment_start": kernel_target_alignment(empirical_ntk(initial, data.x_train), data.y_train),
        "alignment_end": kernel_target_alignment(empirical_ntk(run.model, data.x_train), data.y_train)}
