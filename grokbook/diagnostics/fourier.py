"""Fourier diagnostics on Z_p: the language in which modular-addition circuits are read.

Nanda, Chan, Lieberum, Smith & Steinhardt 2023 ("Progress measures for grokking via mechanistic
interpretability", arXiv 2301.05217) found that a network trained on ``a + b mod p`` embeds each token as
``cos(w_k a), sin(w_k a)`` for a few *key frequencies* ``w_k = 2πk/p`` and reads out
``logits(c) ≈ Σ_k α_k cos(w_k(a + b − c))``. One name space for the four modules that compute it:

- ``spectrum``: the basis, Fourier norms, Gini, key frequencies, projections onto frequencies;
- ``circuit_losses``: the logit table, restricted / excluded losses, the cosine fit, the ablation;
- ``progress``: snapshots during training, the progress measures and the phases they locate;
- ``neurons``: neuron tables, their frequency shares, ``W_L`` and the attention table.

Every function accepts tensors and models on any device and computes there (float64; the CPU for MPS).
"""
from __future__ import annotations

from grokbook.diagnostics.circuit_losses import (ablated_loss, check_task, excluded_loss, key_component,
                                                 logit_table, restricted_loss, table_loss, train_mask,
                                                 trig_fit)
from grokbook.diagnostics.neurons import (TUNED_SHARE, attention_table, neuron_clusters,
                                          neuron_frequency_shares, neuron_logit_map, neuron_table)
from grokbook.diagnostics.progress import (first_below, fourier_snapshot, locate_phases, phase_changes,
                                           progress_measures)
from grokbook.diagnostics.spectrum import (DTYPE, basis_frequencies, check_frequency, check_keys,
                                           embedding_fourier_norms, fourier_basis, frequency_rows, gini,
                                           keep_frequencies,
                                           key_frequencies, n_frequencies, project_onto_frequency,
                                           token_table)

__all__ = ["DTYPE", "TUNED_SHARE", "ablated_loss", "attention_table", "basis_frequencies", "check_frequency",
           "check_keys", "check_task", "embedding_fourier_norms", "excluded_loss", "first_below",
           "fourier_basis", "fourier_snapshot", "frequency_rows", "gini", "keep_frequencies", "key_component",
           "key_frequencies", "locate_phases", "logit_table", "n_frequencies", "neuron_clusters",
           "neuron_frequency_shares", "neuron_logit_map", "neuron_table", "phase_changes",
           "progress_measures", "project_onto_frequency", "restricted_loss", "table_loss",
           "token_table", "train_mask", "trig_fit"]
