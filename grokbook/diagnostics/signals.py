"""Test-free signals read from the weights and the training features alone: the power-law exponent
of a weight matrix's spectrum (heavy-tailed self-regularisation), neural collapse of the hidden
features, and the sign match of Tian's repulsion matrix, logged together as one diagnostic.

Each is a candidate early warning of grokking that needs no test set; ``grokbook.diagnostics.detectors``
turns each into a rule that fires at one step and scores it.
"""
from __future__ import annotations

import numpy as np
import torch

from grokbook.diagnostics.spectral import sign_match
from grokbook.models import activations

__all__ = ["hill_exponent", "signals_diagnostic", "weight_alpha", "within_class_variability"]


def hill_exponent(values: np.ndarray, k: int | None = None) -> float:
    """The maximum-likelihood power-law exponent of the ``k`` largest ``values`` (Hill 1975; Clauset,
    Shalizi & Newman 2009, arXiv 0706.1062): for a density ``p(λ) ∝ λ^(−α)`` above ``λ_min``,

        α̂ = 1 + (k − 1) / Σ_{i<k} ln(λ_(i) / λ_(k)),

    with ``λ_(1) ≥ … ≥ λ_(k)`` and ``λ_min = λ_(k)``. ``k=None`` uses the upper half of the values.

    >>> lam = (np.arange(1, 2001) / 2001.0) ** (-1 / 2.0)   # quantiles of a Pareto law with α = 3
    >>> round(hill_exponent(lam, k=2000), 1)
    3.0
    """
    lam = np.sort(np.asarray(values, dtype=float).ravel())[::-1]
    if lam.size < 3 or not np.all(lam > 0):
        raise ValueError(f"need at least 3 positive values, got {lam.size} values (min {lam.min()})")
    k = lam.size // 2 if k is None else k
    if not 3 <= k <= lam.size:
        raise ValueError(f"k must lie in 3…{lam.size}, got {k}")
    logs = np.log(lam[:k - 1] / lam[k - 1])
    return float(1.0 + (k - 1) / max(logs.sum(), np.finfo(float).tiny))


def weight_alpha(weight: np.ndarray | torch.Tensor, k: int | None = None) -> float:
    """HTSR's α (Martin & Mahoney 2021, "Implicit self-regularization in deep neural networks",
    arXiv 1810.01075): :func:`hill_exponent` of the eigenvalues of ``WᵀW`` (the squared singular
    values of ``W``, read as a matrix with its last axis as columns). α ≳ 6 is a random-like
    spectrum, 2 ≲ α ≲ 4 the heavy tail the authors find in well-trained layers."""
    W = torch.as_tensor(weight).detach().cpu().double()
    W = W.reshape(-1, W.shape[-1])
    s = torch.linalg.svdvals(W).cpu().numpy()
    return hill_exponent(np.maximum(s**2, np.finfo(float).tiny), k)


def within_class_variability(features: np.ndarray, labels: np.ndarray, n_classes: int) -> float:
    """Neural collapse's NC1 (Papyan, Han & Donoho 2020, arXiv 2008.08186):
    ``tr(Σ_W Σ_B⁺) / C``, with ``Σ_W`` the covariance of the features around their class means and
    ``Σ_B`` the covariance of the class means around the global mean; 0 when every sample sits on its
    class mean. Classes without samples are left out.

    >>> x = np.array([[-1.1], [-0.9], [0.9], [1.1]]); y = np.array([0, 0, 1, 1])
    >>> round(within_class_variability(x, y, 2), 6)    # s² / 2 with s² = 0.01, Σ_B = 1
    0.005
    """
    H = np.asarray(features, dtype=float)
    y = np.asarray(labels)
    if H.ndim != 2 or y.shape != (len(H),):
        raise ValueError(f"features must be (n, d) and labels (n,), got {H.shape} and {y.shape}")
    present = [c for c in range(n_classes) if np.any(y == c)]
    if len(present) < 2:
        raise ValueError(f"need samples of at least 2 classes, got {len(present)}")
    means = np.stack([H[y == c].mean(axis=0) for c in present])
    centred = H - means[np.searchsorted(present, y)]
    between = means - means.mean(axis=0)
    # Σ_B = V (S²/C) Vᵀ has rank < C: tr(Σ_W Σ_B⁺) = Σ_j (C / s_j²) ‖centred v_j‖² / n over the
    # class means' right singular vectors v_j, without forming a d × d matrix (pinv's cut-off 1e-10).
    _, s, vt = np.linalg.svd(between, full_matrices=False)
    keep = s**2 > 1e-10 * s[0] ** 2 if s[0] > 0 else np.zeros_like(s, dtype=bool)
    projected = centred @ vt[keep].T
    spread = np.sum(projected**2, axis=0) / len(H)
    return float(np.sum(spread * len(present) / s[keep] ** 2) / len(present))


def signals_diagnostic(every: int = 1, parameter: str = "first", eta: float = 0.1, top: int = 200):
    """A diagnostic logging, every ``every`` steps (NaN in between), from the training data only:
    ``alpha`` (:func:`weight_alpha` of ``parameter``), ``nc1`` (:func:`within_class_variability` of
    the hidden features on the training set) and ``sign`` (:func:`~grokbook.diagnostics.spectral.
    sign_match` of the centred hidden features ``F̃``, top ``top`` pairs, ``η = eta·mean diag F̃ᵀF̃``).
    """
    if every < 1:
        raise ValueError(f"every must be ≥ 1 step, got {every}")

    def diagnostic(context) -> dict[str, float]:
        if context.step % every:
            return dict.fromkeys(("alpha", "nc1", "sign"), float("nan"))
        model = getattr(context.model, "model", context.model)
        W = dict(model.named_parameters())[parameter]
        data = context.data
        H = activations(model, data.x_train)["hidden"].double().cpu().numpy()
        F = H - H.mean(axis=0)
        scale = float(np.mean(np.sum(F * F, axis=0)))
        K = F.shape[1]
        return {"alpha": weight_alpha(W),
                "nc1": within_class_variability(H, data.y_train.cpu().numpy(), data.n_outputs),
                "sign": sign_match(F, max(eta * scale, 1e-12), min(top, K * (K - 1) // 2))}

    return diagnostic
