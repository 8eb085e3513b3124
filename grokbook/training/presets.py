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
"""
from __future__ import annotations

from typing import Any

from grokbook.models import MLPConfig
from grokbook.tasks import ModularArithmetic
from grokbook.training.config import TrainConfig, vary

__all__ = ["GROMOV_REFERENCE", "gromov_config"]

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
