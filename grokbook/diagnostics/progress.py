"""Nanda et al.'s progress measures along training and the three phases they locate.

Nanda, Chan, Lieberum, Smith & Steinhardt 2023 ("Progress measures for grokking via mechanistic
interpretability", arXiv 2301.05217, §5) track the restricted and excluded losses, the Gini coefficient of
the embedding's Fourier norms and the sum of squared weights, and split training into memorization,
circuit formation and cleanup. ``fourier_snapshot`` stores what they need at each logged step;
``progress_measures`` computes them once the final key frequencies are known; ``locate_phases`` applies
stated rules to the progress measures alone, so that claims about the test loss and the weight norm in
each phase are tested, not built in.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np
import torch

from grokbook.diagnostics.circuit_losses import (check_task, excluded_loss, logit_table, restricted_loss,
                                                 trig_fit)
from grokbook.diagnostics.spectrum import check_keys, embedding_fourier_norms, gini, token_table
from grokbook.history import first_crossing
from grokbook.tasks.modular import ModularArithmetic

__all__ = ["first_below", "fourier_snapshot", "locate_phases", "phase_changes", "progress_measures"]

MEASURES = ("restricted_loss", "excluded_loss", "gini", "trig_r2", "key_norm_share")


def _host(tensor: torch.Tensor) -> np.ndarray:
    """The one place a snapshot leaves the device: float32 numpy on the host."""
    return tensor.detach().to("cpu", torch.float32).numpy()


def fourier_snapshot() -> Callable[[Any], dict[str, np.ndarray]]:
    """A training diagnostic: the logits on the full table (``(p, p, p)``, float32) and the token
    embedding (``(p, d)``) at a logged step, copied to the host. Attach it as
    ``train(cfg, diagnostics={"fourier": fourier_snapshot()})``; ``progress_measures`` turns the snapshots
    into the progress measures once the final key frequencies are known (Nanda et al. 2023 compute
    them from checkpoints)."""
    return _fourier_snapshot


def _fourier_snapshot(context: Any) -> dict[str, np.ndarray]:
    task = check_task(context.config.task)
    return {"logits": _host(logit_table(context.model, task)),
            "embedding": _host(token_table(context.model, task.p))}


def progress_measures(history: Any, task: ModularArithmetic, keys: list[int], mask: torch.Tensor,
                      column: str = "fourier") -> dict[str, np.ndarray]:
    """The progress measures at every logged step (Nanda et al. 2023, arXiv 2301.05217, §5.1), from the
    snapshots that ``fourier_snapshot`` stored under ``column``: ``restricted_loss``, ``excluded_loss``
    (on the training pairs ``mask``), ``gini`` of the embedding's Fourier norms, ``trig_r2`` (share of the
    logits' variance explained by ``Σ_k α_k cos(w_k(a+b−c))``) and ``key_norm_share`` (share of the
    embedding's squared Fourier norm in the key frequencies). Each is an array over ``history["step"]``;
    with no key frequency the losses are those of the mean logits and the shares are 0."""
    task = check_task(task)
    keys = check_keys(keys, task.p)
    for part in ("logits", "embedding"):
        if f"{column}.{part}" not in history:
            raise ValueError(f"history has no column {column}.{part}: train with "
                             f"diagnostics={{'{column}': fourier_snapshot()}}")
    out: dict[str, list[float]] = {name: [] for name in MEASURES}
    index = torch.tensor(keys, dtype=torch.long) - 1
    mask = torch.as_tensor(mask).cpu()
    for logits, embedding in zip(history[f"{column}.logits"], history[f"{column}.embedding"]):
        logits = torch.from_numpy(np.asarray(logits))
        norms = embedding_fourier_norms(torch.from_numpy(np.asarray(embedding)))
        out["restricted_loss"].append(restricted_loss(logits, keys))
        out["excluded_loss"].append(excluded_loss(logits, keys, mask))
        out["gini"].append(gini(norms))
        out["trig_r2"].append(trig_fit(logits, keys)["r2"])
        out["key_norm_share"].append(float(norms[index].square().sum() / norms.square().sum()))
    return {name: np.asarray(values) for name, values in out.items()}


def locate_phases(history: Any, measures: dict[str, np.ndarray], *, start: float = 0.1,
                  end: float = 0.9) -> dict[str, int | None]:
    """The three phases of Nanda et al. 2023 (arXiv 2301.05217, §5.2) located by stated rules on the
    progress measures only (never on the test loss or the weight norm, which the phases are then
    used to test):

    - ``t_circuit``: the logged step (after 0) where the excluded loss is smallest. Before it, taking
      the key frequencies out costs nothing (memorization); after it the training fit leans on them.
    - ``t_formed``: the first step after ``t_circuit`` where the restricted loss has made a share
      ``start`` of its descent, in ln, from its value at ``t_circuit`` to its last value.
    - ``t_clean``: the first step where it has made a share ``end`` of that descent.

    Memorization is ``[0, t_circuit)``, circuit formation ``[t_circuit, t_formed)``, cleanup
    ``[t_formed, t_clean]``. A boundary never reached (or a restricted loss that never falls) is None.
    """
    if not 0 < start < end < 1:
        raise ValueError(f"need 0 < start < end < 1 (shares of the descent), got {start}, {end}")
    step = np.asarray(history["step"])
    excluded = np.asarray(measures["excluded_loss"], dtype=float)
    restricted = np.log(np.asarray(measures["restricted_loss"], dtype=float))
    later = step > 0
    if not later.any():
        return {"t_circuit": None, "t_formed": None, "t_clean": None}
    t_circuit = int(step[later][np.argmin(excluded[later])])
    after = step >= t_circuit
    top, bottom = restricted[after][0], restricted[-1]
    if not top > bottom:
        return {"t_circuit": t_circuit, "t_formed": None, "t_clean": None}
    def reached(share: float) -> int | None:
        level = top - share * (top - bottom)
        return first_crossing(step[after], restricted[after], level, below=True)
    return {"t_circuit": t_circuit, "t_formed": reached(start), "t_clean": reached(end)}


def phase_changes(history: Any, phases: dict[str, int | None], column: str, *, log: bool = False
                  ) -> dict[str, float]:
    """How much ``column`` changes in each phase: ``{"formation": …, "cleanup": …, "cleanup_share": …}``.

    ``formation`` and ``cleanup`` are ``v(t_formed) − v(t_circuit)`` and ``v(t_clean) − v(t_formed)``
    (of ``ln v`` with ``log``); ``cleanup_share`` is the cleanup's share of the total fall from
    ``t_circuit`` to the last logged step (NaN when the column does not fall or a boundary is missing).
    Nanda et al. 2023 (arXiv 2301.05217, §5.2): the test loss stays roughly flat in circuit formation;
    the test loss and the weight norm fall in cleanup.
    """
    if None in (phases.get("t_circuit"), phases.get("t_formed"), phases.get("t_clean")):
        nan = float("nan")
        return {"formation": nan, "cleanup": nan, "cleanup_share": nan}
    values = np.asarray(history[column], dtype=float)
    values = np.log(values) if log else values
    at = {name: float(values[history.index(phases[name])]) for name in ("t_circuit", "t_formed", "t_clean")}
    total = at["t_circuit"] - float(values[-1])
    cleanup = at["t_clean"] - at["t_formed"]
    return {"formation": at["t_formed"] - at["t_circuit"], "cleanup": cleanup,
            "cleanup_share": -cleanup / total if total > 0 else float("nan")}


def first_below(history: Any, values: np.ndarray, level: float) -> int | None:
    """The first logged step where ``values`` (an array over ``history["step"]``) is below ``level``."""
    return first_crossing(np.asarray(history["step"]), np.asarray(values), level, below=True)
