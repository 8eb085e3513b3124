"""Seeds that a maintainer can shift from outside: every chapter's seeds are ``offset + k``.

``GROKBOOK_SEED_OFFSET=1 pytest --nbval book/`` re-runs every chapter with other seeds (and so other
splits and initialisations), to check that its claims do not depend on the seed it was written with.
"""
from __future__ import annotations

import os

__all__ = ["SEED_OFFSET_VARIABLE", "seed", "seed_offset", "seeds"]

SEED_OFFSET_VARIABLE = "GROKBOOK_SEED_OFFSET"


def seed_offset() -> int:
    """The offset read from ``GROKBOOK_SEED_OFFSET`` (0 when unset); a clear error for a non-integer."""
    raw = os.environ.get(SEED_OFFSET_VARIABLE, "0").strip() or "0"
    try:
        return int(raw)
    except ValueError:
        raise ValueError(f"{SEED_OFFSET_VARIABLE} must be an integer, got {raw!r}") from None


def seed(k: int = 0) -> int:
    """The chapter's k-th seed: ``seed_offset() + k``.

    >>> seed(2) - seed_offset()
    2
    """
    return seed_offset() + k


def seeds(n: int, start: int = 0) -> list[int]:
    """``n`` consecutive seeds from ``seed(start)``: the seeds of an ensemble that a claim counts over.

    >>> len(seeds(3))
    3
    """
    if n < 1:
        raise ValueError(f"n must be ≥ 1, got {n}")
    return [seed(start + k) for k in range(n)]
