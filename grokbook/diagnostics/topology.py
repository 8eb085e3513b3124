"""Is a token table a ring? Persistent homology of its projection on one frequency's plane.

A network that groks modular addition embeds token ``a`` near ``(cos 2πka/p, sin 2πka/p)`` for a few key
frequencies ``k`` (Nanda, Chan, Lieberum, Smith & Steinhardt 2023, arXiv 2301.05217). Projected on the
strongest frequency's plane, the rows of the table then form a loop: ``significant_loops`` (Vietoris–Rips
persistence against a null model, in ``grokbook.diagnostics.persistence``) with random tables of the same
shape projected the same way as the null. The persistence functions are importable from here too.
"""
from __future__ import annotations

import numpy as np
import torch

from grokbook.diagnostics.geometry import _as_points
from grokbook.diagnostics.persistence import (HOMOLOGY_DIMENSIONS, MIN_POINTS, betti_curve, betti_numbers,
                                              cloud_diameter, gaussian_null, long_lived_betti, loop_lengths,
                                              loop_test, null_loop_lengths, persistence_diagram, rms_radius,
                                              significant_loops, subsample)

__all__ = ["HOMOLOGY_DIMENSIONS", "MIN_POINTS", "betti_curve", "betti_numbers", "cloud_diameter",
           "frequency_plane", "frequency_plane_test", "gaussian_null", "long_lived_betti", "loop_lengths",
           "loop_test", "null_loop_lengths", "persistence_diagram", "plane_ratios", "random_table_null",
           "rms_radius", "significant_loops", "strongest_frequency", "subsample"]


def strongest_frequency(table) -> int:
    """The frequency ``k`` whose plane holds most of a ``(p, d)`` token table's energy (largest Fourier
    norm, ``embedding_fourier_norms``; Nanda et al. 2023, arXiv 2301.05217)."""
    from grokbook.diagnostics.fourier import embedding_fourier_norms

    return int(embedding_fourier_norms(torch.as_tensor(_as_points(table, "table"))).argmax()) + 1


def frequency_plane(table, k: int | None = None) -> np.ndarray:
    """The ``(p, 2)`` coordinates of the rows of a token table in the plane of frequency ``k``
    (``project_onto_frequency``; the strongest frequency when ``k`` is None). Row ``a`` is token ``a``."""
    from grokbook.diagnostics.fourier import project_onto_frequency

    table = _as_points(table, "table")
    k = strongest_frequency(table) if k is None else k
    return project_onto_frequency(torch.as_tensor(table), k, len(table)).cpu().numpy()


def random_table_null(p: int, dim: int, k: int | None = None, n_draws: int = 39, seed: int = 0
                      ) -> np.ndarray:
    """The longest relative ``H₁`` bar in frequency ``k``'s plane (each table's strongest when None) of
    ``n_draws`` random tables of i.i.d. Gaussian entries, shape ``(p, dim)``: what a random embedding
    (a network at initialisation) shows. Rows of a random table are nearly orthogonal when ``dim ≳ p``, so
    their projection already looks like a noisy ring; this null reproduces exactly that. By symmetry
    (``a → k·a mod p`` permutes i.i.d. rows) the null is the same for every frequency coprime to ``p``."""
    if p < MIN_POINTS[1] or dim < 2:
        raise ValueError(f"a random table needs p ≥ {MIN_POINTS[1]} rows and dim ≥ 2 columns, got ({p}, {dim})")
    if n_draws < 1:
        raise ValueError(f"n_draws must be ≥ 1, got {n_draws}")
    rng = np.random.default_rng(seed)
    return null_loop_lengths(frequency_plane(rng.standard_normal((p, dim)), k) for _ in range(n_draws))


def frequency_plane_test(table, k: int | None = None, null_lengths=None, margin: float = 1.5, seed: int = 0
                         ) -> dict[str, float]:
    """Is ``Z_p`` a ring in frequency ``k``'s plane of a ``(p, d)`` table (row ``a`` = token ``a``)?

    ``significant_loops`` of the projected rows against random tables of the same shape projected the same
    way (``random_table_null``, 39 draws unless ``null_lengths`` is given: pass it to reuse one null for
    many tables of one shape). ``k=None`` tests the table's strongest frequency against the strongest plane
    of each random table, so choosing the plane cannot pass the test by itself. Adds ``"k"``.

    >>> t = 2 * np.pi * 3 * np.arange(31) / 31
    >>> ring = np.c_[np.cos(t), np.sin(t), np.zeros((31, 4))] + 0.01 * np.random.default_rng(0).normal(size=(31, 6))
    >>> result = frequency_plane_test(ring)
    >>> result["b1"], result["k"]
    (1, 3)
    """
    table = _as_points(table, "table")
    k = strongest_frequency(table) if k is None else int(k)
    if null_lengths is None:
        null_lengths = random_table_null(*table.shape, k=None, n_draws=39, seed=seed)
    return {**significant_loops(frequency_plane(table, k), null_lengths, margin, max_points=None), "k": k}


def plane_ratios(history, column: str, null_lengths, k: int | None = None) -> np.ndarray:
    """``frequency_plane_test(...)["ratio"]`` of the table logged in ``history[column]`` at every logged
    step (frequency ``k``, or each step's strongest): a loop is there where the ratio exceeds the margin."""
    return np.array([frequency_plane_test(table, k, null_lengths)["ratio"] for table in history[column]])

