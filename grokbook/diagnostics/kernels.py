"""The empirical neural tangent kernel and the quantities that tell lazy training from rich training.

A network trained by gradient descent changes its outputs through the tangent kernel
``K_θ(x, x') = Σ_c ∇_θ f_c(x) · ∇_θ f_c(x')``. If ``K`` stays at its initial value ``K₀`` the network is
a linear model in fixed features (lazy, Jacot et al. 2018, arXiv 1806.07572; Chizat, Oyallon & Bach
2019, arXiv 1812.07956) and ends at kernel regression with ``K₀``; if ``K`` moves and aligns with the
target it learns features (rich). Kumar, Bordelon, Gershman & Pehlevan 2024 (arXiv 2310.06110) track
exactly these: kernel change, centred kernel–target alignment, distance from initialisation and the test
error of the ``K₀`` regression, and read grokking as the lazy → rich transition.
"""
from __future__ import annotations

import math
from typing import Any, Callable

import torch
import torch.nn.functional as F
from torch import nn
from torch.func import functional_call, jacrev, vmap

from grokbook.losses import accuracy, mean_squared_error

__all__ = ["empirical_ntk", "jacobian", "kernel_change", "kernel_regression", "kernel_regression_error",
           "kernel_target_alignment", "ntk_diagnostic", "parameter_distance", "target_matrix"]


def _parameters(model: nn.Module) -> dict[str, torch.Tensor]:
    return {name: p.detach() for name, p in model.named_parameters() if p.requires_grad}


def jacobian(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """Per-example Jacobian of the outputs with respect to all trainable parameters, flattened.

    ``J[i, c, :] = ∂f_c(x_i)/∂θ``, shape ``(n, C, n_params)`` (``torch.func.jacrev`` vmapped over the
    examples, so each row is the gradient of one example alone).
    """
    params = _parameters(model)
    if not params:
        raise ValueError("model has no trainable parameters: its tangent kernel is zero")

    def single(p: dict[str, torch.Tensor], xi: torch.Tensor) -> torch.Tensor:
        out = functional_call(model, p, (xi[None],))
        return out.reshape(-1)

    try:
        jac = vmap(jacrev(single), in_dims=(None, 0))(params, x)  # name → (n, C, *shape)
    except RuntimeError as error:
        if "autograd.Function" not in str(error):
            raise
        return _jacobian_by_loop(model, x)  # a custom autograd.Function without torch.func support
    return torch.cat([j.flatten(2) for j in jac.values()], dim=2)


def _jacobian_by_loop(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    # One backward pass per example and output: slow, but needs nothing beyond plain autograd.
    params = [p for p in model.parameters() if p.requires_grad]
    rows = []
    for xi in x:
        out = model(xi[None]).reshape(-1)
        rows.append(torch.stack([torch.cat([g.reshape(-1) for g in torch.autograd.grad(
            out[c], params, retain_graph=c < len(out) - 1, allow_unused=False)]) for c in range(len(out))]))
    return torch.stack(rows).detach()


def empirical_ntk(model: nn.Module, x: torch.Tensor, x2: torch.Tensor | None = None) -> torch.Tensor:
    """The empirical tangent kernel, traced over outputs: ``K[i, j] = Σ_c ∇_θ f_c(x_i) · ∇_θ f_c(x2_j)``.

    Shapes: ``x`` ``(n, …)``, ``x2`` ``(m, …)`` (default ``x``) → ``K`` ``(n, m)``. For a model with
    output scaling (``CenteredScaled``) the kernel is that of the trained function ``α (f_θ − f_θ₀)``,
    i.e. ``α²`` times the raw network's. Jacot, Gabriel & Hongler 2018, arXiv 1806.07572.

    >>> lin = nn.Linear(3, 1, bias=False)
    >>> x = torch.randn(4, 3)
    >>> torch.allclose(empirical_ntk(lin, x), x @ x.T, atol=1e-6)
    True
    """
    j1 = jacobian(model, x)
    j2 = j1 if x2 is None else jacobian(model, x2)
    return torch.einsum("icp,jcp->ij", j1, j2)


def kernel_change(kernel: torch.Tensor, initial: torch.Tensor) -> float:
    """Relative kernel movement ``‖K_t − K₀‖_F / ‖K₀‖_F`` (0 in the lazy limit; Kumar et al. 2024)."""
    if kernel.shape != initial.shape:
        raise ValueError(f"kernel and initial must have the same shape, got {tuple(kernel.shape)} "
                         f"and {tuple(initial.shape)}")
    norm = torch.linalg.matrix_norm(initial.double())
    if norm == 0:
        raise ValueError("initial kernel is zero: the relative change is undefined")
    return float(torch.linalg.matrix_norm((kernel - initial).double()) / norm)


def target_matrix(y: torch.Tensor) -> torch.Tensor:
    """Targets as a real matrix ``(n, C)``: class ids become one-hot rows, a vector becomes a column."""
    if not y.is_floating_point():
        return F.one_hot(y.long(), int(y.max()) + 1).double()
    return (y[:, None] if y.dim() == 1 else y.flatten(1)).double()


def kernel_target_alignment(kernel: torch.Tensor, y: torch.Tensor) -> float:
    """Centred kernel–target alignment ``⟨K_c, Y_c Y_cᵀ⟩_F / (‖K_c‖_F ‖Y_c Y_cᵀ‖_F)`` in [−1, 1].

    ``K_c = H K H``, ``Y_c = H Y`` with the centring matrix ``H = I − 11ᵀ/n`` (Cortes, Mohri &
    Rostamizadeh 2012, JMLR 13); for one target column this is ``y_cᵀ K_c y_c / (‖K_c‖_F ‖y_c‖²)``, the
    alignment of Kumar et al. 2024 (their kernel is centred on one side only). Class ids are one-hot
    encoded. ``K = y yᵀ`` gives 1.

    >>> y = torch.randn(5)
    >>> round(kernel_target_alignment(torch.outer(y, y), y), 6)
    1.0
    """
    n = kernel.shape[0]
    if kernel.dim() != 2 or kernel.shape[1] != n:
        raise ValueError(f"kernel must be a square (n, n) matrix, got shape {tuple(kernel.shape)}")
    if len(y) != n:
        raise ValueError(f"y must have one entry per kernel row ({n}), got {len(y)}")
    k = kernel.double()
    k = k - k.mean(0, keepdim=True) - k.mean(1, keepdim=True) + k.mean()
    yc = target_matrix(y)
    yc = yc - yc.mean(0, keepdim=True)
    target = yc @ yc.T
    denominator = torch.linalg.matrix_norm(k) * torch.linalg.matrix_norm(target)
    if denominator == 0:
        raise ValueError("the centred kernel or the centred targets are zero: alignment is undefined")
    return float((k * target).sum() / denominator)


def _raw_and_initial(model: nn.Module, initial: nn.Module | None) -> tuple[nn.Module, nn.Module]:
    if initial is None:
        if not hasattr(model, "initial"):
            raise ValueError("initial is needed unless model is a CenteredScaled (which keeps θ₀)")
        return model.model, model.initial
    return model, initial


def parameter_distance(model: nn.Module, initial: nn.Module | None = None, relative: bool = False) -> float:
    """Distance travelled from initialisation, ``‖θ − θ₀‖₂`` (divided by ``‖θ₀‖₂`` if ``relative``).

    Lazy training keeps it ``O(1/α)`` (Chizat et al. 2019). ``initial`` is a module with the same
    parameter names; it defaults to the θ₀ that an output-scaled model (``CenteredScaled``) keeps.
    """
    model, initial = _raw_and_initial(model, initial)
    now, start = dict(model.named_parameters()), dict(initial.named_parameters())
    if set(now) != set(start):
        raise ValueError("model and initial must have the same parameter names")
    distance = math.sqrt(sum(float((now[k].detach().double() - start[k].detach().double()).square().sum())
                             for k in now))
    if relative:
        return distance / math.sqrt(sum(float(v.detach().double().square().sum()) for v in start.values()))
    return distance


def kernel_regression(k_train: torch.Tensor, k_cross: torch.Tensor, y_train: torch.Tensor,
                      ridge: float = 0.0) -> torch.Tensor:
    """Kernel regression from zero: ``f̂(x) = K(x, X) (K(X, X) + λI)⁺ Y``, shape ``(m, C)``.

    With ``K = K₀`` and ``λ = 0`` this is where gradient flow on the linearised network ends when the
    output starts at 0 (``f = α (f_θ − f_θ₀)``): the lazy prediction (Jacot et al. 2018; Kumar et al.
    2024). The pseudo-inverse (``lstsq``) handles a singular ``K(X, X)``.
    """
    if ridge < 0:
        raise ValueError(f"ridge must be ≥ 0, got {ridge}")
    if k_train.shape[0] != k_train.shape[1] or k_cross.shape[1] != k_train.shape[0]:
        raise ValueError(f"k_train must be (n, n) and k_cross (m, n), got {tuple(k_train.shape)} "
                         f"and {tuple(k_cross.shape)}")
    k = k_train.double() + ridge * torch.eye(len(k_train), dtype=torch.float64, device=k_train.device)
    coefficients = torch.linalg.pinv(k, hermitian=True) @ target_matrix(y_train).to(k.device)
    return k_cross.double() @ coefficients


def kernel_regression_error(model: nn.Module, x_train: torch.Tensor, y_train: torch.Tensor,
                            x_test: torch.Tensor, y_test: torch.Tensor, ridge: float = 0.0) -> dict[str, float]:
    """Test loss (MSE, one-hot for class ids) and accuracy (NaN for real targets) of kernel regression
    with ``model``'s current tangent kernel; called at initialisation it is the lazy baseline ``K₀``."""
    k_train = empirical_ntk(model, x_train)
    k_cross = empirical_ntk(model, x_test, x_train)
    prediction = kernel_regression(k_train, k_cross, y_train, ridge)
    if not y_test.is_floating_point():  # predictions have one column per class seen in training
        prediction = F.pad(prediction, (0, max(0, int(y_test.max()) + 1 - prediction.shape[1])))
        targets = y_test
    else:
        targets = y_test.double()
    return {"test_loss": float(mean_squared_error(prediction, targets).mean()),
            "test_acc": float(accuracy(prediction, targets).mean())}


def ntk_diagnostic(probe_size: int = 64, seed: int = 0, split: str = "train") -> Callable[[Any], dict[str, float]]:
    """A ``LogContext`` diagnostic logging, on a fixed probe set of ``probe_size`` examples of ``split``:
    ``kernel_change`` (vs. the kernel at step 0), ``alignment`` (centred, with the probe targets) and
    ``distance`` (‖θ − θ₀‖, for output-scaled models). Use as ``diagnostics={"ntk": ntk_diagnostic()}``.

    The probe is drawn with ``seed``; ``probe_size`` larger than the split raises a ``ValueError`` at
    step 0, before any training step.
    """
    if not isinstance(probe_size, int) or probe_size < 2:
        raise ValueError(f"probe_size must be an integer ≥ 2, got {probe_size!r}")
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    initial: dict[int, torch.Tensor] = {}

    def diagnostic(context: Any) -> dict[str, float]:
        x, y = (context.data.x_train, context.data.y_train) if split == "train" else \
            (context.data.x_test, context.data.y_test)
        if probe_size > len(y):
            raise ValueError(f"probe_size={probe_size} exceeds the {split} set ({len(y)} examples)")
        index = torch.randperm(len(y), generator=torch.Generator().manual_seed(seed))[:probe_size]
        kernel = empirical_ntk(context.model, x[index.to(x.device)])
        key = context.member
        if context.step == 0 or key not in initial:
            initial[key] = kernel
        out = {"kernel_change": kernel_change(kernel, initial[key]),
               "alignment": kernel_target_alignment(kernel, y[index.to(y.device)])}
        if hasattr(context.model, "initial"):
            out["distance"] = parameter_distance(context.model)
        return out

    return diagnostic
