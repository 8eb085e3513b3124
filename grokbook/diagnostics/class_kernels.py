"""The initial tangent kernel of a classifier on modular arithmetic, and the memorizer it must beat.

Kumar, Bordelon, Gershman & Pehlevan 2024 ("Grokking as the transition from lazy to rich training
dynamics", arXiv 2310.06110) read the memorizing phase of a lazy network on modular arithmetic as
kernel regression with its initial tangent kernel ``K₀``. On one-hot pairs ``(a, b)`` an MLP's ``K₀`` is
(at large width) a function of how many tokens two pairs share, so it "votes by shared a or b" — and a
test pair's true answer ``a + b`` is never the answer of a training pair that shares ``a`` or ``b`` with
it. Any memorizer of that kind scores below chance on the test set, so a low test accuracy cannot tell
``K₀`` apart from the crudest one. The functions here give the statistics that can:

- :func:`identity_alignment`, the alignment reached by a kernel that knows nothing about the labels;
- :func:`class_contrast`, the off-diagonal (cross-pair) alignment with the classes, 0 for the identity;
- :func:`shared_token_vote`, the crude memorizer itself;
- :func:`output_correlation`, a scale-free agreement of two predictors' class scores;
- :func:`class_kernel_baseline` (all of these for one seed) and :func:`memorizer_agreement` (a lazy
  network against its twin at a far larger α, which is its own linearisation, and the memorizer).
"""
from __future__ import annotations

import math
from typing import Any, Callable

import numpy as np
import torch

from grokbook.diagnostics.kernels import (empirical_ntk, kernel_regression, kernel_target_alignment,
                                        target_matrix)

__all__ = ["class_contrast", "class_kernel_baseline", "identity_alignment", "memorizer_agreement",
           "output_correlation", "shared_token_vote", "heldout_outputs"]


def _centred_targets(y: torch.Tensor) -> torch.Tensor:
    t = target_matrix(y)
    return t - t.mean(0, keepdim=True)


def identity_alignment(y: torch.Tensor) -> float:
    """Centred alignment of the identity kernel with the targets: ``tr(T) / (√(n−1) ‖T‖_F)``,
    ``T = Y_c Y_cᵀ``.

    The identity ``I`` knows nothing about the labels, so this is the reference level of
    :func:`grokbook.diagnostics.kernels.kernel_target_alignment` (Cortes, Mohri & Rostamizadeh 2012):
    ``1/√(n−1)`` for one real target and ``√((C−1)/(n−1))`` for ``C`` balanced classes (Kumar et al.
    2024, arXiv 2310.06110, compare K₀'s alignment with it).

    >>> round(identity_alignment(torch.tensor([0.0, 1.0, 2.0, 5.0, -1.0])), 6) == round(1 / 2, 6)
    True
    """
    if len(y) < 2:
        raise ValueError(f"need at least two targets, got {len(y)}")
    target = _centred_targets(y) @ _centred_targets(y).T
    norm = torch.linalg.matrix_norm(target)
    if norm == 0:
        raise ValueError("the centred targets are zero: alignment is undefined")
    return float(target.trace() / (math.sqrt(len(y) - 1) * norm))


def class_contrast(kernel: torch.Tensor, y: torch.Tensor) -> float:
    """Off-diagonal (cross-pair) alignment of a kernel with the classes:
    ``(mean_{i≠j, y_i=y_j} K_ij − mean_{y_i≠y_j} K_ij) / mean_i K_ii``.

    Positive when the kernel rates two *different* examples of one class as more alike than examples
    of two classes; 0 for the identity kernel (no off-diagonal entries), 1 for the class kernel
    ``[y_i = y_j]``. Unlike the centred alignment, the diagonal (each example with itself) cannot
    raise it, so it measures what kernel regression can pass from a training example to a new one.
    For a+b mod p, two distinct pairs with the same answer share no token, so a kernel that counts
    shared tokens scores below 0 (Kumar et al. 2024, arXiv 2310.06110).

    >>> y = torch.tensor([0, 0, 1, 1])
    >>> class_contrast(torch.eye(4), y), class_contrast((y[:, None] == y).double(), y)
    (0.0, 1.0)
    """
    n = kernel.shape[0]
    if kernel.dim() != 2 or kernel.shape[1] != n:
        raise ValueError(f"kernel must be a square (n, n) matrix, got shape {tuple(kernel.shape)}")
    if y.dim() != 1 or len(y) != n or y.is_floating_point():
        raise ValueError(f"y must hold {n} class ids, got shape {tuple(y.shape)}, dtype {y.dtype}")
    k = kernel.double()
    same = y[:, None].to(k.device) == y[None, :].to(k.device)
    off = ~torch.eye(n, dtype=torch.bool, device=k.device)
    if not (same & off).any() or same.all():
        raise ValueError("need two examples of one class and two classes to compare")
    scale = k.diagonal().mean()
    if not scale > 0:
        raise ValueError("the kernel's diagonal must have a positive mean")
    return float((k[same & off].mean() - k[~same].mean()) / scale)


def shared_token_vote(x_train: torch.Tensor, y_train: torch.Tensor, x_test: torch.Tensor,
                      n_classes: int) -> torch.Tensor:
    """The crude memorizer: each training example votes for its answer once per token position it
    shares with the test example, ``score_c(x*) = Σ_μ [y_μ = c] Σ_i [x*_i = x_μ,i]``, shape
    ``(m, n_classes)``.

    On a+b mod p the true answer of a test pair gets no vote (a training pair sharing ``a`` and with
    answer ``a + b`` would be the test pair itself), so its test accuracy is 0: the control that a
    claim about ``K₀`` regression must beat (Kumar et al. 2024, arXiv 2310.06110).

    >>> x = torch.tensor([[0, 1], [1, 1]]); y = torch.tensor([1, 2])
    >>> shared_token_vote(x, y, torch.tensor([[0, 0]]), 3).tolist()
    [[0.0, 1.0, 0.0]]
    """
    if x_train.dim() != 2 or x_test.dim() != 2 or x_train.shape[1] != x_test.shape[1]:
        raise ValueError(f"x_train and x_test must be token ids (n, positions) with the same positions, "
                         f"got {tuple(x_train.shape)} and {tuple(x_test.shape)}")
    if x_train.is_floating_point() or len(y_train) != len(x_train):
        raise ValueError("x_train must hold integer token ids and y_train one class id per row")
    if not isinstance(n_classes, int) or n_classes <= int(y_train.max()):
        raise ValueError(f"n_classes must be an integer above every class id, got {n_classes!r}")
    shared = (x_test[:, None, :] == x_train[None, :, :]).double().sum(-1)      # (m, n)
    return shared @ torch.nn.functional.one_hot(y_train.long(), n_classes).double()


def output_correlation(outputs: np.ndarray, reference: np.ndarray) -> float:
    """Agreement of two predictors' class scores, blind to scale and to a per-example shift:
    the cosine of the two ``(m, C)`` score arrays after each example's mean over classes is removed.

    1 when ``outputs = s · reference + b(x)`` with ``s > 0`` (what ``argmax`` sees); about 0 for
    unrelated scores. It lets a memorizer on another scale (vote counts) be compared fairly.

    >>> r = np.array([[1.0, 0.0, 2.0], [0.0, 3.0, 1.0]])
    >>> round(output_correlation(5 * r + np.array([[1.0], [-2.0]]), r), 6)
    1.0
    """
    a, b = np.asarray(outputs, dtype=float), np.asarray(reference, dtype=float)
    if a.shape != b.shape or a.ndim != 2:
        raise ValueError(f"outputs and reference must be (m, C) arrays of one shape, got {a.shape}, {b.shape}")
    a, b = a - a.mean(1, keepdims=True), b - b.mean(1, keepdims=True)
    norm = np.linalg.norm(a) * np.linalg.norm(b)
    if norm == 0:
        raise ValueError("a predictor gives every class the same score: the correlation is undefined")
    return float((a * b).sum() / norm)


def heldout_outputs() -> Callable[[Any], np.ndarray]:
    """A training diagnostic: the model's outputs on the test set at a logged step, ``(m, C)`` float32
    on the host (``diagnostics={"out": heldout_outputs()}``), for :func:`memorizer_agreement`."""
    return _heldout_outputs


def _heldout_outputs(context: Any) -> np.ndarray:
    return context.outputs("test").detach().to("cpu", torch.float32).numpy()


def class_kernel_baseline(task: Any, model: Any, seed: int) -> dict[str, float]:
    """``K₀`` of one seed's classifier on a token task, next to its references (Kumar et al. 2024,
    arXiv 2310.06110): ``alignment`` (centred, with the one-hot classes) and ``identity_alignment``
    (:func:`identity_alignment`); ``contrast`` (:func:`class_contrast`); ``k0_acc``, the test accuracy
    of kernel regression with ``K₀`` (the t → ∞ end of a lazy network), ``vote_acc``, that of
    :func:`shared_token_vote`, ``chance`` = 1/C, and ``k0_vote``, the :func:`output_correlation` of the
    two predictors' test scores. ``build_model(model, data, seed)`` gives θ₀, as the trainer does."""
    from grokbook.models import build_model

    data = task.build(seed=seed)
    if data.y_train.is_floating_point() or data.x_train.is_floating_point():
        raise ValueError("class_kernel_baseline needs a classification task on token ids")
    raw = build_model(model, data, seed=seed)
    k_train = empirical_ntk(raw, data.x_train).double()
    k0 = kernel_regression(k_train, empirical_ntk(raw, data.x_test, data.x_train), data.y_train)
    n_classes = data.n_outputs
    k0 = torch.nn.functional.pad(k0, (0, n_classes - k0.shape[1]))
    vote = shared_token_vote(data.x_train, data.y_train, data.x_test, n_classes)
    accuracy = lambda scores: float((scores.argmax(1).cpu() == data.y_test.cpu()).double().mean())
    return {"alignment": kernel_target_alignment(k_train, data.y_train),
            "identity_alignment": identity_alignment(data.y_train),
            "contrast": class_contrast(k_train, data.y_train),
            "k0_acc": accuracy(k0), "vote_acc": accuracy(vote), "chance": 1 / n_classes,
            "k0_vote": output_correlation(k0.cpu().numpy(), vote.cpu().numpy())}


def memorizer_agreement(run: Any, twin: Any, column: str = "out") -> dict[str, float]:
    """A classifier at memorization against gradient descent on ``K₀`` and against the crude memorizer.

    ``twin`` is the same config and seed at a much larger output scale α: under output scaling a
    network is its own linearisation up to ``O(1/α)`` (Chizat, Oyallon & Bach 2019, arXiv 1812.07956;
    the package's lazy oracle test), so its outputs are those of gradient descent on ``K₀``. At
    ``t_mem`` (train accuracy 99%; the last step if never) of ``run``: ``twin``, the
    :func:`output_correlation` of the run's test scores with the twin's; ``vote``, that of
    :func:`shared_token_vote` with the twin's (the rule's memorizer control); ``test_acc`` and
    ``kernel_change`` of the run there (``ntk.kernel_change`` if logged, else NaN). Both runs need the
    :func:`heldout_outputs` diagnostic under ``column``."""
    if run.config.seed != twin.config.seed or not np.array_equal(run.history["step"], twin.history["step"]):
        raise ValueError("run and twin must share a seed and their logged steps")
    h, data = run.history, run.data
    if column not in h or column not in twin.history:
        raise ValueError(f"both histories need the test outputs under {column!r}: train with "
                         f"diagnostics={{{column!r}: heldout_outputs()}}")
    t_mem = run.steps_to_memorize
    row = h.index(t_mem)  # the last row when never memorized
    reference = twin.history[column][row]
    vote = shared_token_vote(data.x_train, data.y_train, data.x_test, reference.shape[1])
    change = h["ntk.kernel_change"][row] if "ntk.kernel_change" in h else math.nan
    return {"t_mem": math.nan if t_mem is None else float(t_mem),
            "twin": output_correlation(h[column][row], reference),
            "vote": output_correlation(vote.cpu().numpy(), reference),
            "test_acc": float(h["test_acc"][row]), "kernel_change": float(change)}
