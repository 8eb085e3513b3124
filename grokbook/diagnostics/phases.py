"""Phases of a run read from its accuracies: the four phases of Liu et al. 2022 (one label per run),
the stretches of one training curve (fit, plateau, test rise, generalized), and the Goldilocks shell.

``curve_phases`` cuts one run's training curve at three steps that accuracies alone define:

- **fit** ``[0, t_mem)``: until train accuracy first reaches 0.99 (``t_mem``, Power et al. 2022,
  arXiv 2201.02177);
- **plateau** ``[t_mem, t_rise)``: train accuracy is 1, test accuracy has not yet left chance;
- **test rise** ``[t_rise, t_grok)``: from the first step after ``t_mem`` where test accuracy exceeds
  ``chance + rise · (1 − chance)`` until it reaches 0.95 (``t_grok``);
- **generalized** from ``t_grok`` on.

These are phases *of the test accuracy*, not of the network's mechanism: Nanda, Chan, Lieberum, Smith &
Steinhardt 2023 (arXiv 2301.05217) find, with Fourier progress measures, that the generalizing circuit
forms while test accuracy is still flat, and that the rise of test accuracy is the "cleanup" of the
memorizing solution.

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

from grokbook.history import GROK_THRESHOLD, MEMORIZE_THRESHOLD, History

__all__ = ["CURVE_PHASES", "PHASES", "PhaseRule", "censored_median", "classify_phase", "curve_phases",
           "goldilocks_shell", "learning_times", "phase_boundaries", "phase_grid", "smallest_fraction"]

CURVE_PHASES = ("fit", "plateau", "test rise", "generalized")

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


def learning_times(history: History, rule: PhaseRule = PhaseRule()) -> tuple[int | None, int | None]:
    """``(t_train, t_test)``: the first logged steps at which train / test accuracy reach the rule's
    thresholds, None where never (resolution: the log grid)."""
    return (history.first_step("train_acc", rule.train_threshold),
            history.first_step("test_acc", rule.test_threshold))


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


def phase_boundaries(history: History, rise: float = 0.1, chance: float | None = None
                     ) -> dict[str, int | None]:
    """``{"t_mem", "t_rise", "t_grok"}``: the steps that cut one run's curve into ``CURVE_PHASES``.

    ``t_mem`` = first logged step with train accuracy ≥ 0.99; ``t_rise`` = first logged step ≥ ``t_mem``
    with test accuracy > ``chance + rise · (1 − chance)``; ``t_grok`` = first logged step with test
    accuracy ≥ 0.95. ``chance`` defaults to the test accuracy at the first logged step (the untrained
    network). A boundary never reached is None (``t_rise`` is None too when ``t_mem`` is).

    >>> h = History({"step": np.array([0, 10, 100, 200, 400]),
    ...              "train_acc": np.array([0.01, 1.0, 1.0, 1.0, 1.0]),
    ...              "test_acc": np.array([0.01, 0.0, 0.02, 0.3, 0.97])})
    >>> phase_boundaries(h)
    {'t_mem': 10, 't_rise': 200, 't_grok': 400}
    """
    if not 0 < rise < 1:
        raise ValueError(f"rise must lie in (0, 1) (a share of the way from chance to 1), got {rise}")
    chance = float(history["test_acc"][0]) if chance is None else chance
    t_mem = history.first_step("train_acc", MEMORIZE_THRESHOLD)
    t_rise = (history.first_step("test_acc", np.nextafter(chance + rise * (1 - chance), 2.0), after=t_mem)
              if t_mem is not None else None)
    return {"t_mem": t_mem, "t_rise": t_rise, "t_grok": history.first_step("test_acc", GROK_THRESHOLD)}


def curve_phases(history: History, rise: float = 0.1) -> list[tuple[str, float, float]]:
    """The stretches of ``CURVE_PHASES`` the run went through, as ``(name, start, stop)`` in steps; the
    last one ends at the last logged step, and a phase the run never reached is left out.

    >>> h = History({"step": np.array([0, 10, 100, 200, 400]),
    ...              "train_acc": np.array([0.01, 1.0, 1.0, 1.0, 1.0]),
    ...              "test_acc": np.array([0.01, 0.0, 0.02, 0.3, 0.5])})
    >>> [name for name, _, _ in curve_phases(h)]
    ['fit', 'plateau', 'test rise']
    """
    b = phase_boundaries(history, rise)
    end = float(history["step"][-1])
    edges = [float(history["step"][0])]
    for key in ("t_mem", "t_rise", "t_grok"):  # never reached: None; kept in order (test may lead train)
        edges.append(None if b[key] is None or edges[-1] is None else max(float(b[key]), edges[-1]))
    edges.append(end)
    out = []
    for name, start, stop in zip(CURVE_PHASES, edges[:-1], edges[1:]):
        if start is None:
            break
        stop = end if stop is None else stop
        if stop > start:
            out.append((name, start, stop))
    return out


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


def censored_median(times: np.ndarray, axis: int = -1) -> np.ndarray:
    """The median of step counts along ``axis`` with runs that never got there (NaN) counted, not dropped.

    A run that did not grok within its budget is right-censored: its time is "more than the budget".
    Read as +∞ it sorts above every observed time, so the median is finite only when more than half of
    the runs got there, and it is never the average of the survivors (the bias of dropping them).
    The result is ``inf`` where the median is censored.

    >>> censored_median(np.array([[100.0, 200.0, np.nan], [100.0, np.nan, np.nan]]))
    array([200.,  inf])
    """
    times = np.asarray(times, dtype=float)
    if times.size == 0:
        raise ValueError("times must hold at least one run")
    if np.any(times[np.isfinite(times)] < 0):
        raise ValueError("times must be step counts ≥ 0 (NaN for a run that never got there)")
    return np.median(np.where(np.isnan(times), np.inf, times), axis=axis)


def smallest_fraction(fractions: Sequence[float], shares: Sequence[float], at_least: float) -> float | None:
    """The smallest training fraction whose share of grokked seeds is ≥ ``at_least`` (None: none is).

    Power et al. 2022 (arXiv 2201.02177) read the data a task needs this way: below some fraction of the
    table no run generalizes within the budget.

    >>> smallest_fraction([0.3, 0.4, 0.5], [0.0, 2 / 3, 1.0], at_least=2 / 3)
    0.4
    """
    fractions, shares = np.asarray(fractions, dtype=float), np.asarray(shares, dtype=float)
    if fractions.shape != shares.shape or fractions.ndim != 1:
        raise ValueError(f"fractions and shares must be 1-D and of equal length, got shapes "
                         f"{fractions.shape} and {shares.shape}")
    ok = fractions[shares >= at_least - 1e-12]
    return float(ok.min()) if len(ok) else None
