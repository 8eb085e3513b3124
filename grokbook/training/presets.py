"""Published setups written once, as configs: a chapter, a benchmark or a test starts from them.

``gromov_config`` is Gromov 2023's cheap grokker ("Grokking modular arithmetic", arXiv 2301.02679): a
two-layer MLP without biases and φ(x) = x², written in the paper as

    f(a, b) = (1/N) · W₂ · φ(W₁ [e_a; e_b] / √(2p)),

trained with mean squared error on one-hot targets, full batch, AdamW (lr 1e-2, β = (0.9, 0.98)) and
no weight decay, on (a + b) mod 97 with 30% of the table and N = 500 hidden units.

Where the scale sits matters under Adam, which moves every weight by about the learning rate per step
whatever the weight's size. The authors' public code (github.com/d-doshi/Grokking, ``utils/models.py``
and ``utils/optimization.py``) puts it in the initialisation: both weight matrices N(0, σ²) with
σ = ½ (2N)^(−1/3), no forward multipliers, ``nn.MSELoss`` (the mean over samples and classes), AdamW
ε = 1e-8. That is ``MLPConfig(parameterization="gromov_code")``, the preset's default; the formula with
N(0, 1) weights and the multipliers in the forward pass (``parameterization="gromov"``) trains ≈ 4×
slower at the same learning rate and, with ε = 1e-8, hardly at all (its gradients are below ε).
``GROMOV_REFERENCE`` holds the milestones of a separate implementation of that setup, the oracle the
tests and chapter 1 compare the preset with.

``tian_config`` is Tian 2025's two-layer network (arXiv 2509.21519), as Xu 2026 (arXiv 2605.08119)
trains it: ``ŷ = σ(XW)V`` on frozen one-hot inputs ``X = [e_a; e_b]`` (no embedding, no bias), MSE on
zero-mean one-hot targets, full batch, Adam lr 1e-3, on (a + b) mod 71 with 40% of the table.
"""
from __future__ import annotations

from typing import Any

from grokbook.models import MLPConfig
from grokbook.tasks import ModularArithmetic
from grokbook.training.config import TrainConfig, vary

__all__ = ["GROMOV_REFERENCE", "gromov_config", "tian_config"]

# Steps at which a separate (numpy, full-batch) implementation of the authors' setup, p = 97, N = 500,
# 30% of the table, reached each milestone: train accuracy 100%, test accuracy 0.27, 0.90 and 0.999.
GROMOV_REFERENCE = {"train_acc 1.0": 20, "test_acc 0.27": 200, "test_acc 0.9": 300,
                    "test_acc 0.999": 360}


def gromov_config(**changes: Any) -> TrainConfig:
    """Gromov 2023's setup (arXiv 2301.02679) as a ``TrainConfig``; ``changes`` are passed to
    :func:`~grokbook.training.vary` (any run, task or model setting, e.g. ``p=59, width=256``).

    Defaults: p = 97, ``+``, 30% of the pairs for training, width N = 500, φ(x) = x², no bias,
    ``parameterization="gromov_code"`` (weights N(0, σ²), σ = ½ (2N)^(−1/3), as the authors' code),
    MSE, AdamW lr 1e-2, β = (0.9, 0.98), ε = 1e-8, weight decay 0, full batch, 1000 steps. At these
    defaults it reaches ``GROMOV_REFERENCE``'s milestones within 25% (``tests/test_presets.py``).

    >>> cfg = gromov_config(train_fraction=0.5)
    >>> cfg.model.parameterization, cfg.task.train_fraction, cfg.weight_decay
    ('gromov_code', 0.5, 0.0)
    """
    base = TrainConfig(
        task=ModularArithmetic(p=97, operation="+", train_fraction=0.3),
        model=MLPConfig(width=500, activation="quadratic", bias=False,
                        parameterization="gromov_code"),
        loss="mse", optimizer="adamw", lr=1e-2, betas=(0.9, 0.98), weight_decay=0.0,
        eps=1e-8, batch_size=None, steps=1000, log_points=100)
    return vary(base, **changes) if changes else base


def tian_config(**changes: Any) -> TrainConfig:
    """Tian 2025's setup (arXiv 2509.21519; Xu 2026, arXiv 2605.08119) as a ``TrainConfig``.

    Defaults: M = p = 71, ``+``, 40% of the pairs, K = width 2048, σ(x) = x² (``activation="relu"``
    for Xu's ReLU arm), no bias, standard init, ``loss="mse_centered"``, decoupled weight decay
    2e-4 (AdamW; coupled L2 through Adam's gradient drives this network to its zero saddle), lr 1e-3,
    β = (0.9, 0.999), full batch, 400 epochs logged at every epoch.

    >>> cfg = tian_config(width=128)
    >>> cfg.model.width, cfg.task.p, cfg.loss, cfg.log_points
    (128, 71, 'mse_centered', 401)
    """
    base = TrainConfig(
        task=ModularArithmetic(p=71, operation="+", train_fraction=0.4),
        model=MLPConfig(width=2048, activation="quadratic", bias=False),
        loss="mse_centered", optimizer="adamw", lr=1e-3, betas=(0.9, 0.999), weight_decay=2e-4,
        batch_size=None, steps=400, log_grid="linear", log_points=401)
    return vary(base, **changes) if changes else base
