"""Which sizes a chapter runs at: the CPU defaults, the papers' sizes on a GPU, or a paper-size smoke run.

``GROKBOOK_PAPER_SCALE`` overrides the device's choice: ``1`` runs the papers' sizes on any device,
``0`` the CPU defaults on any device, ``smoke`` the papers' sizes with every step budget cut to a few
dozen steps (wrap each budget in :func:`budget`), so CI executes the paper-size code path (shapes,
panel ranges, memory) on every commit without a GPU. In a smoke run claims are shown, not enforced.
"""
from __future__ import annotations

import os

__all__ = ["PAPER_SCALE_VARIABLE", "budget", "paper_scale", "smoke_run"]

PAPER_SCALE_VARIABLE = "GROKBOOK_PAPER_SCALE"
_CHOICES = ("", "0", "1", "smoke")


def _setting() -> str:
    value = os.environ.get(PAPER_SCALE_VARIABLE, "").strip().lower()
    if value not in _CHOICES:
        raise ValueError(f"{PAPER_SCALE_VARIABLE} must be one of 0, 1 or smoke (or unset), got {value!r}")
    return value


def smoke_run() -> bool:
    """True when ``GROKBOOK_PAPER_SCALE=smoke``: paper sizes, step budgets cut by :func:`budget`."""
    return _setting() == "smoke"


def paper_scale(device) -> bool:
    """Whether a chapter runs at the papers' sizes: on CUDA by default, or as ``GROKBOOK_PAPER_SCALE`` says.

    >>> import torch; paper_scale(torch.device("cpu")) in (True, False)
    True
    """
    setting = _setting()
    if setting in ("1", "smoke"):
        return True
    if setting == "0":
        return False
    return getattr(device, "type", str(device)) == "cuda"


def budget(steps: int, smoke_steps: int = 30) -> int:
    """A step budget: ``steps``, or at most ``smoke_steps`` in a smoke run.

    >>> budget(40_000) in (30, 40_000)
    True
    """
    if steps < 1:
        raise ValueError(f"steps must be ≥ 1, got {steps}")
    return min(steps, smoke_steps) if smoke_run() else steps
