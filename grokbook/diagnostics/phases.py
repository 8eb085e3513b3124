"""The four learning phases of Liu et al. 2022 and the Goldilocks shell of weight norms.

Liu, Kitouni, Nolte, Michaud, Tegmark & Williams 2022 ("Towards understanding grokking: an effective
theory of representation learning", arXiv 2205.10343) sort runs into four phases by *when* train and test
accuracy first reach a threshold (90% in the paper):

- **comprehension**: both reach it, the test set at most ``max_delay`` steps after the training set
  (the paper uses 10³ steps);
- **grokking**: both reach it, the test set more than ``max_delay`` steps later;
- **memorization**: the training set reaches it, the test set never does (within the run);
- **confusion**: the training set never reaches it.

Liu, Michaud & Tegmark 2023 ("Omnigrok", arXiv 2210.01117) train with the weight norm held at ``w`` and
find that the test set is learned only inside a shell ``w_lo ≤ ‖θ‖ ≤ w_hi``: ``goldilocks_shell``
reads that shell off a sweep over radii.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from grokbook.history import History

PHASES = ("comprehension", "grokking", "memorization", "confusion")


@dataclass(frozen=True)
class PhaseRule:
    """Thresholds of the phase rule: accuracy that counts as "learned" on each split, and the largest
    train→test delay (in optimisation steps) that still counts as comprehension."""

    train_threshold: float = 0.9
    test_threshold: float = 0.9
    max_delay: int = 1000

    def __post_init__(self) -> None:
        for name in ("train_threshold", "test_threshold"):
            value = getattr(self, name)
            if not 0 < value <= 1:
                raise ValueError(f"{name} must lie in (0, 1] (an accuracy), got {value}")
        if not self.max_delay >= 0:
            raise ValueError(f"max_delay must be ≥ 0 optimisation steps, got {self.max_delay}")


def _first(history: History, column: str, threshold: float) -> int | None:
    hits = np.nonzero(np.asarray(history[column]) >= threshold)[0]
    return int(history["step"][hits[0]]) if len(hits) else None


def learning_times(history: History, rule: PhaseRule = PhaseRule()) -> tuple[int | None, int | None]:
    """``(t_train, t_test)``: the first logged steps at which train / test accuracy reach the rule's
    thresholds, None where never (resolution: the log grid)."""
    return _first(history, "train_acc", rule.train_threshold), _first(history, "test_acc", rule.test_threshold)


def classify_phase(history: History, rule: PhaseRule = PhaseRule()) -> str:
    """The phase of one run: ``"comprehension"``, ``"grokking"``, ``"memorization"`` or ``"confusion"``.

    With ``t_train, t_test = learning_times(history, rule)``: confusion if ``t_train`` is None;
    memorization if ``t_test`` is None; comprehension if ``t_test − t_train ≤ max_delay``; else grokking
    (Liu et al. 2022, arXiv 2205.10343).
    """
    t_train, t_test = learning_times(history, rule)
    if t_train is None:
        return "confusion"
    if t_test is None:
        return "memorization"
    return "comprehension" if t_test - t_train <= rule.max_delay else "grokking"


def phase_grid(histories: Sequence[History], shape: tuple[int, int], rule: PhaseRule = PhaseRule()) -> np.ndarray:
    """Phase codes (indices into ``PHASES``) of a row-major sweep, reshaped to ``shape`` (rows, columns),
    e.g. the runs of ``grid(cfg, weight_decay=[…], lr=[…])`` with ``shape=(n_wd, n_lr)``."""
    if len(shape) != 2 or shape[0] * shape[1] != len(histories):
        raise ValueError(f"shape must be (rows, columns) with rows·columns = {len(histories)} runs, got {shape}")
    codes = [PHASES.index(classify_phase(h, rule)) for h in histories]
    return np.asarray(codes).reshape(shape)


def goldilocks_shell(radii: Sequence[float], test_acc: Sequence[float],
                     threshold: float = 0.9) -> tuple[float, float] | None:
    """``(w_lo, w_hi)``: the smallest and largest radius whose (fixed-norm) run reached ``threshold`` test
    accuracy, or None if none did. ``radii`` and ``test_acc`` pair up (one fixed-norm run per radius).

    >>> goldilocks_shell([1, 2, 4, 8, 16], [0.1, 0.95, 1.0, 0.97, 0.2])
    (2.0, 8.0)
    """
    radii, test_acc = np.asarray(radii, dtype=float), np.asarray(test_acc, dtype=float)
    if radii.shape != test_acc.shape or radii.ndim != 1 or len(radii) == 0:
        raise ValueError(f"radii and test_acc must be 1-D and of equal length, got shapes {radii.shape} "
                         f"and {test_acc.shape}")
    if not (radii > 0).all():
        raise ValueError(f"radii must all be > 0 (weight norms), got {radii.tolist()}")
    if not 0 < threshold <= 1:
        raise ValueError(f"threshold must lie in (0, 1] (an accuracy), got {threshold}")
    inside = radii[test_acc >= threshold]
    return (float(inside.min()), float(inside.max())) if len(inside) else None
