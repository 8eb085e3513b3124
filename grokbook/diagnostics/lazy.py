"""Lazy → rich dynamics: the linearised twin of a run, the timescales that tell readout from feature
learning, and two statistics of feature learning (Kumar, Bordelon, Gershman & Pehlevan 2024, "Grokking
as the transition from lazy to rich training dynamics", arXiv 2310.06110).

A network trained with output scaling ``f = α (f_θ − f_θ₀)`` and learning rate ``η/α²`` is, for large α,
its own linearisation: gradient descent on a linear model in the features ``∇_θ f(x)`` with the fixed
tangent kernel ``K₀`` (Jacot et al. 2018, arXiv 1806.07572; Chizat, Oyallon & Bach 2019, arXiv
1812.07956). ``linearized_history`` computes that model's curves in closed form; a run that follows them
is lazy. All times are read off the logged steps with one convention: the first crossing of a level,
interpolated linearly in ln(step) (``History.first_step(..., interpolate=True, log=True)``).
"""
from __future__ import annotations

import copy
import math
from typing import Any, Callable

import numpy as np
import torch

from grokbook.diagnostics.kernels import empirical_ntk, kernel_regression, kernel_target_alignment
from grokbook.history import History

__all__ = ["feature_time", "fit_time", "generalization_time", "kernel_baseline", "kernel_timescales",
           "lazy_diagnostic",
           "lazy_summary", "linearized_dynamics", "linearized_history", "linearized_losses",
           "prediction_deviation",
           "readout_time", "teacher_overlap", "timescales", "top_eigenspace"]


def top_eigenspace(kernel: torch.Tensor, k: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The ``k`` largest eigenvalues of a symmetric kernel (descending, float64) and their eigenvectors
    as the columns of an ``(n, k)`` matrix."""
    n = kernel.shape[0]
    if kernel.dim() != 2 or kernel.shape[1] != n:
        raise ValueError(f"kernel must be a square (n, n) matrix, got shape {tuple(kernel.shape)}")
    if not isinstance(k, int) or not 1 <= k <= n:
        raise ValueError(f"k must be an integer in 1…{n}, got {k!r}")
    values, vectors = torch.linalg.eigh(kernel.double())
    return values.flip(0)[:k], vectors.flip(1)[:, :k]


def kernel_timescales(kernel: torch.Tensor, lr: float, k: int) -> np.ndarray:
    """``P / (2 η λ_i)`` for the ``k`` largest eigenvalues λ_i of the ``(P, P)`` train kernel: the e-folding
    time (steps) of the train residual along eigenvector i under gradient descent on the linearised
    network with loss ``(1/P) Σ (f − y)²`` and step size η (the ``1/(η_eff λ)`` of the lazy readout, with
    λ the eigenvalue of ``K/P`` and the factor 2 of the squared error)."""
    if not lr > 0:
        raise ValueError(f"lr must be > 0, got {lr}")
    values, _ = top_eigenspace(kernel, k)
    return (kernel.shape[0] / (2 * lr * values.clamp(min=1e-300))).cpu().numpy()


def linearized_dynamics(k_train: torch.Tensor, k_cross: torch.Tensor, y_train: torch.Tensor,
                        y_test: torch.Tensor, lr: float, steps: np.ndarray, top_k: int | None = None
                        ) -> dict[str, np.ndarray]:
    """Exact full-batch gradient descent on the linearised network, for one real output and MSE.

    With ``f₀ = 0`` (output scaling), loss ``L = (1/P) Σ (f(x_μ) − y_μ)²`` and step size ``lr`` (the
    effective one, ``TrainConfig.effective_lr``) on a network frozen at its tangent kernel ``K``, the
    train residual after ``t`` steps is ``r_t = −(I − (2 lr/P) K)^t y`` and the test output
    ``f_t(x*) = K(x*, X) K⁺ (I − (I − (2 lr/P) K)^t) y``, computed in the eigenbasis of ``K`` (Jacot et al.
    2018; the linearised curves of Kumar et al. 2024, Fig. 1). Returns, at ``steps``: ``train_loss``,
    ``test_loss``, ``test_output`` ``(T, m)`` and, with ``top_k``, ``top_residual``
    ``‖V_kᵀ r_t‖² / ‖V_kᵀ y‖²`` on the top-``k`` eigenvectors ``V_k`` of ``K``.
    """
    if not lr > 0:
        raise ValueError(f"lr must be > 0, got {lr}")
    if y_train.dim() != 1 or y_test.dim() != 1 or not y_train.is_floating_point():
        raise ValueError("linearized_dynamics needs one real target per example: y_train (P,), y_test (m,)")
    if k_train.shape != (len(y_train), len(y_train)) or k_cross.shape != (len(y_test), len(y_train)):
        raise ValueError(f"k_train must be (P, P) and k_cross (m, P) for P={len(y_train)}, "
                         f"m={len(y_test)}; got {tuple(k_train.shape)} and {tuple(k_cross.shape)}")
    n = len(y_train)
    eigenvalues, vectors = top_eigenspace(k_train, n)
    eigenvalues = eigenvalues.clamp(min=0)
    if lr * 2 * float(eigenvalues[0]) / n >= 2:
        raise ValueError(f"lr={lr} is above the stability limit P/λ_max(K) = "
                         f"{n / float(eigenvalues[0]):.3g} of gradient descent on this kernel")
    projections = vectors.T @ y_train.double().to(vectors.device)
    cross = k_cross.double().to(vectors.device) @ vectors
    inverse = torch.where(eigenvalues > eigenvalues[0] * 1e-12, 1 / eigenvalues.clamp(min=1e-300), 0.0)
    t = torch.as_tensor(np.asarray(steps, dtype=float), dtype=torch.float64, device=vectors.device)
    decay = (1 - 2 * lr * eigenvalues / n)[None, :] ** t[:, None]          # (T, P)
    residual = (decay * projections) ** 2
    test_out = ((1 - decay) * inverse * projections) @ cross.T              # (T, m)
    out = {"train_loss": residual.sum(1) / n,
           "test_loss": (test_out - y_test.double().to(vectors.device)).square().mean(1),
           "test_output": test_out}
    if top_k is not None:
        if not isinstance(top_k, int) or not 1 <= top_k <= n:
            raise ValueError(f"top_k must be an integer in 1…{n}, got {top_k!r}")
        out["top_residual"] = residual[:, :top_k].sum(1) / projections[:top_k].square().sum()
    return {name: value.cpu().numpy() for name, value in out.items()}


def linearized_losses(k_train: torch.Tensor, k_cross: torch.Tensor, y_train: torch.Tensor,
                      y_test: torch.Tensor, lr: float, steps: np.ndarray) -> dict[str, np.ndarray]:
    """``train_loss`` and ``test_loss`` of :func:`linearized_dynamics` (the linearised network's curves)."""
    out = linearized_dynamics(k_train, k_cross, y_train, y_test, lr, steps)
    return {"train_loss": out["train_loss"], "test_loss": out["test_loss"]}


def linearized_history(run: Any, steps: np.ndarray | None = None, top_k: int | None = None) -> History:
    """The linearised twin of an output-scaled run, as a ``History`` on the run's logged steps.

    The kernel is that of the trained function at initialisation, ``α² K_θ₀`` (from the run's kept
    θ₀, ``run.model.initial``), and the step size the run's effective one, ``lr/α²``; columns ``step``,
    ``train_loss``, ``test_loss``, ``lazy.test_output`` and, with ``top_k``, ``lazy.top_residual``, so
    :func:`timescales` reads the twin exactly as it reads the run (one interpolation convention).
    """
    if not hasattr(run.model, "initial") or run.config.output_scale is None:
        raise ValueError("linearized_history needs an output-scaled run (TrainConfig.output_scale set)")
    data, alpha = run.data, run.config.output_scale
    steps = run.history["step"] if steps is None else np.asarray(steps)
    initial = copy.deepcopy(run.model.initial).requires_grad_(True)  # θ₀ is kept frozen
    k_train = alpha**2 * empirical_ntk(initial, data.x_train).double()
    k_cross = alpha**2 * empirical_ntk(initial, data.x_test, data.x_train).double()
    out = linearized_dynamics(k_train, k_cross, data.y_train, data.y_test, run.config.effective_lr, steps,
                              top_k)
    columns = {"step": np.asarray(steps), "train_loss": out["train_loss"], "test_loss": out["test_loss"],
               "lazy.test_output": out["test_output"]}
    if top_k is not None:
        columns["lazy.top_residual"] = out["top_residual"]
    return History(columns=columns)


def prediction_deviation(output: np.ndarray, reference: np.ndarray) -> float:
    """How far predictions are from a reference: ``‖f − f_ref‖ / ‖f_ref − mean(f_ref)‖``.

    0 when they agree; every constant predictor (zero, the mean of y, any c) scores ≥ 1, because
    ``‖f_ref − c‖ ≥ ‖f_ref − mean(f_ref)‖``, so a deviation well below 1 is agreement that no
    null predictor reaches.

    >>> prediction_deviation(np.array([1.0, 2.0, 3.0]), np.array([1.0, 2.0, 3.0]))
    0.0
    >>> prediction_deviation(np.full(3, 2.0), np.array([1.0, 2.0, 3.0]))
    1.0
    """
    output, reference = np.asarray(output, float).ravel(), np.asarray(reference, float).ravel()
    if output.shape != reference.shape:
        raise ValueError(f"output and reference must have the same size, got {output.size} and {reference.size}")
    spread = np.linalg.norm(reference - reference.mean())
    if spread == 0:
        raise ValueError("the reference is constant: the deviation is undefined")
    return float(np.linalg.norm(output - reference) / spread)


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
        key = id(model)
        if context.step == 0 or key not in spaces:
            _, vectors = top_eigenspace(empirical_ntk(model, data.x_train), top_k)
            spaces[key] = (vectors, vectors.T @ data.y_train.double())
        vectors, target = spaces[key]
        with torch.no_grad():
            residual = model(data.x_train).reshape(-1).double() - data.y_train.double()
            out: dict[str, Any] = {"top_residual": float((vectors.T @ residual).square().sum()
                                                         / target.square().sum())}
            if teacher is not None:
                out["teacher_overlap"] = teacher_overlap(getattr(model, "model", model).first, teacher)
            if outputs:
                out["test_output"] = model(data.x_test).reshape(-1).cpu().numpy()
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


def kernel_baseline(task: Any, model: Any, seed: int) -> dict[str, float]:
    """Where an infinitely lazy network ends, against the null predictors, for one seed's data and θ₀.

    ``k0_loss``: test MSE of kernel regression with the initial tangent kernel ``K₀`` (the t → ∞ limit
    of the linearised network, :func:`linearized_dynamics`); ``zero_loss``: the test MSE of ``f = 0``
    (the start); ``mean_loss``: that of predicting the training mean of y; ``alignment``: the centred
    alignment of ``K₀`` with y on the training set, next to ``identity_alignment`` = ``1/√(P−1)``, the
    alignment of the identity kernel, which knows nothing about the target (Kumar et al. 2024).
    ``task`` is a regression task config, ``model`` an ``MLPConfig``; ``build_model(model, data, seed)``.
    """
    from grokbook.models import build_model

    data = task.build(seed=seed)
    if data.y_train.dim() != 1 or not data.y_train.is_floating_point():
        raise ValueError("kernel_baseline needs a regression task with one real target per example")
    raw = build_model(model, data, seed=seed)
    k_train = empirical_ntk(raw, data.x_train)
    prediction = kernel_regression(k_train, empirical_ntk(raw, data.x_test, data.x_train), data.y_train)
    y_test, n = data.y_test.double(), data.n_train
    return {"k0_loss": float((prediction[:, 0] - y_test).square().mean()),
            "zero_loss": float(y_test.square().mean()),
            "mean_loss": float((y_test - data.y_train.double().mean()).square().mean()),
            "alignment": kernel_target_alignment(k_train, data.y_train),
            "identity_alignment": 1 / math.sqrt(n - 1)}
