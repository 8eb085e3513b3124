"""One row of numbers per trained modular-addition run: everything chapter 5 tests of Nanda et al.'s
circuit, so that a chapter can compare seeds, weight decays and training fractions as a table.

Nanda, Chan, Lieberum, Smith & Steinhardt 2023 ("Progress measures for grokking via mechanistic
interpretability", arXiv 2301.05217): key frequencies of the embedding (§4), the phases located by the
progress measures (§5), the key-frequency ablation, the cosine fit of the logits, ``W_L`` in the Fourier
basis and the share of neurons tuned to one frequency. Each statistic comes with its control, the same
statistic for as many random non-key frequencies. A run without a key frequency gets NaN (and an empty
``keys``), never an error, so a table over seeds says how many seeds have a circuit.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch

from grokbook.diagnostics.circuit_losses import ablated_loss, logit_table, table_loss, train_mask, trig_fit
from grokbook.diagnostics.neurons import neuron_clusters, neuron_logit_map, neuron_table
from grokbook.diagnostics.progress import locate_phases, phase_changes, progress_measures
from grokbook.diagnostics.spectrum import check_keys, embedding_fourier_norms, key_frequencies, n_frequencies

__all__ = ["circuit_summary", "key_energy_share", "random_frequencies"]

NAN = float("nan")


def random_frequencies(keys: list[int], p: int, rng: np.random.Generator) -> list[int]:
    """As many frequencies as ``keys``, drawn without replacement from the non-key ones in
    ``1…(p−1)/2`` (sorted): the control of every key-frequency statistic."""
    keys = check_keys(keys, p)
    others = [k for k in range(1, n_frequencies(p) + 1) if k not in keys]
    if len(keys) > len(others):
        raise ValueError(f"{len(keys)} keys leave only {len(others)} other frequencies to draw from")
    return sorted(int(k) for k in rng.choice(others, size=len(keys), replace=False))


def key_energy_share(table: torch.Tensor, keys: list[int]) -> float:
    """Share of a ``(p, n)`` table's squared Fourier norm (over its rows, the constant excluded) at
    ``keys``: ``Σ_{k∈keys} ‖T_k‖² / Σ_k ‖T_k‖²``, with ``‖T_k‖`` from
    :func:`~grokbook.diagnostics.spectrum.embedding_fourier_norms`. For ``W_L`` (rows: answers ``c``)
    Nanda et al. 2023 find it concentrated on the key frequencies."""
    norms = embedding_fourier_norms(table).square()
    keys = check_keys(keys, 2 * len(norms) + 1)
    total = float(norms.sum())
    if not total > 1e-12 * float(torch.as_tensor(table, dtype=torch.float64).square().sum()):
        raise ValueError("the table has no non-constant Fourier component")
    return float(norms[[k - 1 for k in keys]].sum()) / total if keys else 0.0


def circuit_summary(run: Any, rng: np.random.Generator, column: str = "fourier") -> dict[str, Any]:
    """The chapter-5 statistics of one run trained with ``diagnostics={column: fourier_snapshot()}``.

    ``keys`` (final, :func:`key_frequencies` of the model) and ``keys_at_init`` (of the step-0
    embedding); ``t_mem``, ``t_grok`` (None: never), ``test_acc_at_mem``; ``t_circuit``, ``t_formed``,
    ``t_clean`` (:func:`locate_phases`); ``loss_formation``, ``loss_cleanup`` (Δ ln test loss in each
    phase) and ``loss_cleanup_share``, ``norm_cleanup_share`` (:func:`phase_changes` of the test loss
    and the weight norm); ``own_loss`` (loss on all p² pairs), ``kept_loss`` (embedding reduced to the
    keys, :func:`ablated_loss`) and ``random_loss`` (reduced to as many random frequencies);
    ``r2`` / ``r2_random`` (:func:`trig_fit` of the logits on the keys / random ones); ``wl_share`` /
    ``wl_random`` (:func:`key_energy_share` of ``W_L``); ``tuned`` (share of neurons > 85% explained by
    one frequency) and ``tuned_on_keys`` (share of those tuned to a key). ``rng`` draws the random
    frequencies. Without a key frequency every key statistic is NaN.
    """
    task, h = run.config.task, run.history
    p = task.p
    if f"{column}.embedding" not in h:
        raise ValueError(f"history has no column {column}.embedding: train with "
                         f"diagnostics={{'{column}': fourier_snapshot()}}")
    keys = key_frequencies(run.model, p)
    t_mem = run.steps_to_memorize
    row: dict[str, Any] = {
        "keys": keys, "keys_at_init": key_frequencies(torch.from_numpy(h[f"{column}.embedding"][0]), p),
        "t_mem": t_mem, "t_grok": run.steps_to_grok,
        "test_acc_at_mem": NAN if t_mem is None else float(h.at("test_acc", t_mem)),
        "own_loss": float(table_loss(logit_table(run.model, task)))}
    none = dict.fromkeys(("t_circuit", "t_formed", "t_clean", "loss_formation", "loss_cleanup",
                          "loss_cleanup_share", "norm_cleanup_share", "kept_loss", "random_loss", "r2",
                          "r2_random", "wl_share", "wl_random", "tuned_on_keys"), NAN)
    clusters = neuron_clusters(neuron_table(run.model, task))
    row["tuned"] = float(clusters["tuned_fraction"])
    if not keys:
        return row | none | {"t_circuit": None, "t_formed": None, "t_clean": None}
    measures = progress_measures(h, task, keys, train_mask(run.data, p), column)
    phases = locate_phases(h, measures)
    loss, norm = phase_changes(h, phases, "test_loss", log=True), phase_changes(h, phases, "weight_norm")
    others = random_frequencies(keys, p, rng)
    logits = logit_table(run.model, task)
    w_l = neuron_logit_map(run.model, p)
    counts = clusters["counts"]
    tuned = sum(counts.values())
    return row | phases | {
        "loss_formation": loss["formation"], "loss_cleanup": loss["cleanup"],
        "loss_cleanup_share": loss["cleanup_share"], "norm_cleanup_share": norm["cleanup_share"],
        "kept_loss": ablated_loss(run.model, task, keys), "random_loss": ablated_loss(run.model, task, others),
        "r2": trig_fit(logits, keys)["r2"], "r2_random": trig_fit(logits, others)["r2"],
        "wl_share": key_energy_share(w_l, keys), "wl_random": key_energy_share(w_l, others),
        "tuned_on_keys": sum(n for k, n in counts.items() if k in keys) / tuned if tuned else math.nan}
