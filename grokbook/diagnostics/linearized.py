"""The linearised network: gradient descent on the fixed tangent kernel ``K₀``, in closed form.

For large output scale α a network trained with ``f = α (f_θ − f_θ₀)`` and learning rate ``η/α²`` is its
own linearisation, a linear model in the features ``∇_θ f(x)`` with the tangent kernel ``K₀`` (Jacot,
Gabriel & Hongler 2018, arXiv 1806.07572; Chizat, Oyallon & Bach 2019, arXiv 1812.07956). Its curves,
timescales and end point (kernel regression with ``K₀``) are the lazy reference of Kumar, Bordelon,
Gershman & Pehlevan 2024 (arXiv 2310.06110).
"""
from __future__ import annotations

import copy
import math
from typing import Any

import numpy as np
import torch

from grokbook.diagnostics.kernels import empirical_ntk, kernel_regression, kernel_target_alignment
from grokbook.history import History

__all__ = ["kernel_baseline", "kernel_timescales", "linearized_dynamics", "linearized_history",
           "linearized_losses", "prediction_deviation", "top_eigenspace"]


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
