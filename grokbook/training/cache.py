"""An optional on-disk cache of finished runs, keyed by their configs.

Set ``GROKBOOK_CACHE_DIR`` to a folder and a run that was already trained with the same configs,
diagnostics and grokbook version is loaded instead of retrained: a book build that follows the
notebook tests in CI then re-uses their runs. Unset (the default), nothing is read or written.
"""
from __future__ import annotations

import functools
import hashlib
import os
from pathlib import Path
from typing import Any

import torch

__all__ = ["ENV", "describe", "exists", "key", "load", "save"]

ENV = "GROKBOOK_CACHE_DIR"


def _folder() -> Path | None:
    value = os.environ.get(ENV)
    return Path(value) if value else None


def describe(fn: Any) -> str:
    """A process-independent description of a diagnostic: its qualified name and what it closes over
    (a closure's cells, a partial's arguments), so that two diagnostics with different settings never
    share a cache entry."""
    if isinstance(fn, functools.partial):
        return f"partial({describe(fn.func)}, {fn.args!r}, {sorted(fn.keywords.items())!r})"
    name = f"{getattr(fn, '__module__', '')}.{getattr(fn, '__qualname__', type(fn).__qualname__)}"
    cells = [c.cell_contents for c in (getattr(fn, "__closure__", None) or ())]
    defaults = getattr(fn, "__defaults__", None)
    state = vars(fn) if not callable(getattr(fn, "__code__", None)) and hasattr(fn, "__dict__") else {}
    return f"{name}{[describe(c) if callable(c) else repr(c) for c in cells]}{defaults!r}{state!r}"


def key(configs: list[Any], diagnostics: dict[str, Any], record_update_norm: bool, start: str = "") -> str:
    """The cache key: a hash of the version, configs, diagnostics, update-norm flag and ``start``
    (a digest of the weights the run starts from; empty for a run from its own random initialisation)."""
    from grokbook import __version__

    described = sorted((name, describe(fn)) for name, fn in diagnostics.items())
    text = repr((__version__, configs, described, record_update_norm) + ((start,) if start else ()))
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def exists(run_key: str) -> bool:
    """Whether a run is stored under ``run_key`` (False when no cache folder is set)."""
    folder = _folder()
    return folder is not None and (folder / f"{run_key}.pt").exists()


def load(run_key: str):
    """``(histories, stacked parameters)`` stored under ``run_key``, or None."""
    folder = _folder()
    path = folder / f"{run_key}.pt" if folder else None
    if path is None or not path.exists():
        return None
    stored = torch.load(path, weights_only=False)
    return stored["histories"], stored["params"]


def save(run_key: str, histories: list, params: list[torch.Tensor]) -> None:
    folder = _folder()
    if folder is None:
        return
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f"{run_key}.tmp"
    torch.save({"histories": histories, "params": [p.detach().cpu() for p in params]}, tmp)
    tmp.replace(folder / f"{run_key}.pt")
