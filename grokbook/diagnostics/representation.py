"""How well token embeddings encode the task's structure: the parallelogram index (RQI) and a ring index.

Liu, Kitouni, Nolte, Michaud, Tegmark & Williams 2022 ("Towards understanding grokking: an effective
theory of representation learning", arXiv 2205.10343) explain generalization on ``a + b`` by the
*structure* of the learned embeddings ``E_0 … E_{n−1}``: once every parallelogram ``i + j = m + n``
closes, ``E_i + E_j = E_m + E_n``, a decoder that fits the training sums also gets the unseen ones right.
They measure it with the representation quality index

    RQI = |P| / |P₀|,   P₀ = {(i, j, m, n) : i + j = m + n, {i, j} ≠ {m, n}},
                        P  = {(i, j, m, n) ∈ P₀ : ‖E_i + E_j − E_m − E_n‖ ≤ δ · s},

with ``s`` the embeddings' scale (root-mean-square distance from their centroid) so that RQI does not
change when all embeddings are scaled. With ``modulus=p`` the sums are taken mod p.

A parallelogram closes only for a *linear* layout (``E_k = E_0 + k·v``). Networks that learn modular
addition lay the tokens on circles instead (``E_k ∝ (cos 2πωk/p, sin 2πωk/p)``, Nanda et al. 2023), where
``E_i + E_j`` depends on ``i − j`` too and parallelograms stay open. What both layouts share is that the
distance between two tokens depends only on their difference: ``‖E_i − E_j‖ = g(i − j)`` (``g`` of
``±(i − j) mod p`` on a ring). ``ring_index`` measures that: the share of pairs-of-pairs with equal
difference whose distances agree within ``δ · s``.

On ``Z_p`` RQI is ≈ 0 by construction, not by failure of the network: if every parallelogram
``a + b ≡ c + d (mod p)`` closed, then ``E_{a+1} − E_a = E_1 − E_0 = v`` for every ``a``, so
``E_a = E_0 + a·v`` and ``E_p = E_0`` forces ``p·v = 0``: only a constant embedding closes them all.
``frequency_concentration`` measures the structure modular networks do build instead (one Fourier
frequency per embedding direction).
"""
from __future__ import annotations

import numpy as np
import torch

from grokbook.diagnostics.fourier import basis_frequencies, fourier_basis, n_frequencies

__all__ = ["embedding_scale", "frequency_concentration", "parallelogram_errors", "parallelogram_index",
           "parallelograms", "random_concentration", "representation_diagnostic", "ring_index"]

Array = np.ndarray | torch.Tensor


def _as_matrix(embeddings: Array) -> np.ndarray:
    e = embeddings.detach().cpu().numpy() if isinstance(embeddings, torch.Tensor) else np.asarray(embeddings)
    e = np.asarray(e, dtype=np.float64)
    if e.ndim == 3:  # (positions, n_tokens, dim) as MLP.embeddings() returns: a shared table has one position
        if e.shape[0] != 1:
            raise ValueError(f"embeddings must be one table (n_tokens, dim); got {e.shape[0]} positions, pick one")
        e = e[0]
    if e.ndim == 1:
        e = e[:, None]
    if e.ndim != 2 or e.shape[0] < 3:
        raise ValueError(f"embeddings must have shape (n_tokens ≥ 3, dim), got {tuple(np.shape(embeddings))}")
    return e


def _check(delta: float, modulus: int | None, n: int) -> None:
    if not delta > 0:
        raise ValueError(f"delta (the tolerance, a share of the embedding scale) must be > 0, got {delta}")
    if modulus is not None and (not isinstance(modulus, (int, np.integer)) or modulus < 2 or modulus < n):
        raise ValueError(f"modulus must be None (plain sums) or an integer ≥ n_tokens={n}, got {modulus!r}")


def embedding_scale(embeddings: Array) -> float:
    """``s = (mean_k ‖E_k − Ē‖²)^½``, the root-mean-square distance of the embeddings from their centroid."""
    e = _as_matrix(embeddings)
    return float(np.sqrt(np.mean(np.sum((e - e.mean(0)) ** 2, axis=1))))


def parallelograms(n: int, modulus: int | None = None) -> np.ndarray:
    """All quadruples ``(i, j, m, n)`` of tokens ``0 … n−1`` with ``i + j = m + n`` (mod ``modulus``),
    ``i ≤ j``, ``m ≤ n``, ``(i, j) < (m, n)`` and ``{i, j} ≠ {m, n}``: each parallelogram once.

    >>> parallelograms(3).tolist()   # 0+2 = 1+1
    [[0, 2, 1, 1]]
    """
    if not isinstance(n, (int, np.integer)) or n < 2:
        raise ValueError(f"n (the number of tokens) must be an integer ≥ 2, got {n!r}")
    i, j = np.triu_indices(n)
    sums = i + j if modulus is None else (i + j) % modulus
    out = []
    for s in np.unique(sums):
        idx = np.nonzero(sums == s)[0]
        a, b = np.triu_indices(len(idx), k=1)
        out.append(np.stack([i[idx[a]], j[idx[a]], i[idx[b]], j[idx[b]]], axis=1))
    return np.concatenate(out) if out else np.zeros((0, 4), dtype=int)


def parallelogram_errors(embeddings: Array, modulus: int | None = None) -> np.ndarray:
    """``‖E_i + E_j − E_m − E_n‖ / s`` for every parallelogram of ``parallelograms(n_tokens, modulus)``."""
    e = _as_matrix(embeddings)
    _check(1.0, modulus, len(e))
    q = parallelograms(len(e), modulus)
    scale = embedding_scale(e)
    gap = e[q[:, 0]] + e[q[:, 1]] - e[q[:, 2]] - e[q[:, 3]]
    return np.linalg.norm(gap, axis=1) / (scale if scale > 0 else 1.0)


def parallelogram_index(embeddings: Array, *, modulus: int | None = None, delta: float = 0.05) -> float:
    """RQI: the share of parallelograms ``i + j = m + n`` that the embeddings close within ``δ · s``.

    Liu et al. 2022 (arXiv 2205.10343), section 3. ``embeddings``: ``(n_tokens, dim)`` (or a
    ``(1, n_tokens, dim)`` shared table, as ``MLP.embeddings()`` returns); ``modulus=p`` takes sums mod p.
    A linear layout scores 1, random points score ≈ 0.

    >>> parallelogram_index(np.arange(10.0)[:, None])
    1.0
    """
    e = _as_matrix(embeddings)
    _check(delta, modulus, len(e))
    return float(np.mean(parallelogram_errors(e, modulus) <= delta))


def ring_index(embeddings: Array, *, modulus: int | None = None, delta: float = 0.05) -> float:
    """The share of pairs ``(i, j)``, ``(m, n)`` with the same difference whose distances agree within ``δ · s``.

    Difference: ``j − i`` for plain integers, ``min((j − i) mod p, (i − j) mod p)`` on the ring ``Z_p``
    (``modulus=p``). Scores 1 for a line (plain) and for points evenly spaced on a circle, in any number
    of Fourier planes (modular); ≈ 0 for random points. A chapter-2 companion to RQI that also sees the
    circles of modular arithmetic.

    >>> k = np.arange(7); ring = np.stack([np.cos(2 * np.pi * k / 7), np.sin(2 * np.pi * k / 7)], 1)
    >>> ring_index(ring, modulus=7), round(parallelogram_index(ring, modulus=7), 2)
    (1.0, 0.0)
    """
    e = _as_matrix(embeddings)
    _check(delta, modulus, len(e))
    i, j = np.triu_indices(len(e), k=1)
    diff = j - i if modulus is None else np.minimum((j - i) % modulus, (i - j) % modulus)
    dist = np.linalg.norm(e[i] - e[j], axis=1)
    scale = embedding_scale(e)
    agree, total = 0, 0
    for d in np.unique(diff):
        group = dist[diff == d]
        if len(group) < 2:
            continue
        a, b = np.triu_indices(len(group), k=1)
        agree += int(np.sum(np.abs(group[a] - group[b]) <= delta * (scale if scale > 0 else 1.0)))
        total += len(a)
    return float(agree / total) if total else float("nan")


def frequency_concentration(embeddings: Array) -> float:
    """How much each embedding direction is a single Fourier frequency of the token, power-weighted.

    For column ``u`` of a ``(p, d)`` table ``E`` (tokens ``0 … p−1`` in rows) let
    ``P_k(u) = (c_kᵀE_u)² + (s_kᵀE_u)²`` be its power at frequency ``k = 1 … ⌊(p−1)/2⌋`` (``c_k, s_k``
    the orthonormal cos/sin vectors of ``fourier_basis``). Then

        C(E) = Σ_u max_k P_k(u) / Σ_u Σ_k P_k(u),

    1 when every column is one sinusoid ``cos(2πk_u a/p + φ_u)`` (the learned solutions of Gromov 2023,
    arXiv 2301.02679, and Nanda et al. 2023, arXiv 2301.05217, whose hidden units each read one
    frequency), and about ``H_K / K`` (``K`` frequencies, ``H_K`` the harmonic number) for Gaussian noise
    (see ``random_concentration``). Gromov's MLP has one table per input position (``MLP.embeddings()``
    gives ``(positions, p, width)``): the positions' columns are pooled.

    >>> a = np.arange(11); E = np.stack([np.cos(2 * np.pi * 3 * a / 11), np.sin(2 * np.pi * 5 * a / 11)], 1)
    >>> round(frequency_concentration(E), 6)
    1.0
    """
    e = embeddings.detach().cpu().numpy() if isinstance(embeddings, torch.Tensor) else np.asarray(embeddings)
    e = np.asarray(e, dtype=np.float64)
    if e.ndim == 3:
        e = np.concatenate(list(e), axis=1)
    if e.ndim != 2 or e.shape[0] < 3:
        raise ValueError(f"embeddings must have shape (p ≥ 3, d) or (positions, p, d), got {np.shape(embeddings)}")
    p = e.shape[0]
    coeffs = fourier_basis(p).cpu().numpy() @ e                                  # (p, d)
    freq = basis_frequencies(p).cpu().numpy()
    power = np.stack([np.sum(coeffs[freq == k] ** 2, axis=0) for k in range(1, n_frequencies(p) + 1)])
    total = power.sum()
    if not total > 1e-20 * max(1.0, float(np.sum(e**2))):  # rounding leaves ~1e-32 for constants
        raise ValueError("embeddings are constant over tokens: no Fourier power to concentrate")
    return float(power.max(axis=0).sum() / total)


def random_concentration(p: int, d: int, *, samples: int = 20, seed: int = 0) -> float:
    """The null level of ``frequency_concentration``: its mean over ``samples`` Gaussian ``(p, d)`` tables.

    >>> 0.2 < random_concentration(23, 256) < 0.35
    True
    """
    if samples < 1:
        raise ValueError(f"samples must be ≥ 1, got {samples}")
    rng = np.random.default_rng(seed)
    return float(np.mean([frequency_concentration(rng.standard_normal((p, d))) for _ in range(samples)]))


def representation_diagnostic(*, modulus: int | None = None, delta: float = 0.05):
    """A trainer diagnostic (``train(cfg, diagnostics={"rep": representation_diagnostic(modulus=p)})``)
    logging ``rqi`` and ``ring`` of the model's shared token embedding (``MLPConfig(embed_dim=d)``)."""
    _check(delta, modulus, 0)

    def measure(context) -> dict[str, float]:
        e = context.model.embeddings()
        return {"rqi": parallelogram_index(e, modulus=modulus, delta=delta),
                "ring": ring_index(e, modulus=modulus, delta=delta)}

    return measure
