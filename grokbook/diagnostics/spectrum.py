"""Fourier analysis of functions on Z_p: the basis, an embedding's norm per frequency, its Gini
coefficient, the key frequencies and the projection of a token table onto chosen frequencies.

Nanda, Chan, Lieberum, Smith & Steinhardt 2023 ("Progress measures for grokking via mechanistic
interpretability", arXiv 2301.05217) read a network trained on ``a + b mod p`` in this basis: each token is
embedded as ``cos(w_k a), sin(w_k a)`` for a few key frequencies ``w_k = 2πk/p``. Frequencies are integers
``k`` in ``1 … ⌊(p−1)/2⌋`` (``k`` and ``p − k`` give the same cos/sin pair). Everything computes in float64
on the device of its input (the CPU for MPS, which has no float64) and returns tensors there.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch
from torch import nn

__all__ = ["DTYPE", "analysis_tensor", "basis_frequencies", "check_frequency", "embedding_fourier_norms",
           "fourier_basis", "frequency_rows", "gini", "key_frequencies", "keep_frequencies", "n_frequencies",
           "project_onto_frequency", "token_table"]

DTYPE = torch.float64


def analysis_tensor(values: Any) -> torch.Tensor:
    """``values`` as a detached float64 tensor on its own device (moved to the CPU only from MPS,
    which has no float64); numpy arrays and lists land on the CPU."""
    t = torch.as_tensor(values).detach()
    return t.to("cpu", DTYPE) if t.device.type == "mps" else t.to(DTYPE)


def n_frequencies(p: int) -> int:
    """Number of non-constant frequencies on Z_p, ``⌊(p − 1)/2⌋``."""
    return (p - 1) // 2


def check_p(p: Any) -> int:
    """``p`` as an int, or a ``ValueError`` unless it is an integer ≥ 3."""
    if isinstance(p, bool) or not isinstance(p, (int, np.integer)) or p < 3:
        raise ValueError(f"p (the modulus) must be an integer ≥ 3, got {p!r}")
    return int(p)


def check_frequency(k: Any, p: int, name: str = "k") -> int:
    """``k`` as an int, or a ``ValueError`` naming ``name`` unless ``1 ≤ k ≤ (p − 1)/2``."""
    p = check_p(p)
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 1 <= k <= n_frequencies(p):
        raise ValueError(f"{name} must be an integer frequency in 1…{n_frequencies(p)} = (p−1)/2 "
                         f"for p={p}, got {k!r}")
    return int(k)


def check_keys(keys: Any, p: int) -> list[int]:
    """The frequencies as ints, or a ``ValueError`` for one out of range or repeated."""
    keys = [check_frequency(k, p, name="keys") for k in keys]
    if len(set(keys)) != len(keys):
        raise ValueError(f"keys must not repeat a frequency, got {keys}")
    return keys


def fourier_basis(p: int, device: torch.device | str | None = None) -> torch.Tensor:
    """The real orthonormal Fourier basis of functions on Z_p, one basis vector per row, shape ``(p, p)``.

    Row 0 is the constant ``1/√p``; rows ``2k − 1`` and ``2k`` are ``√(2/p)·cos(2πkx/p)`` and
    ``√(2/p)·sin(2πkx/p)`` for ``k = 1 … ⌊(p−1)/2⌋``; for even ``p`` the last row is ``cos(πx)/√p``.
    ``B @ B.T = I``, so ``B @ f`` are the Fourier coefficients of ``f`` and ``B.T @ c`` inverts them
    (Nanda et al. 2023, arXiv 2301.05217, Appendix). Built on ``device`` (default the CPU).

    >>> B = fourier_basis(5)
    >>> bool(torch.allclose(B @ B.T, torch.eye(5, dtype=B.dtype)))
    True
    """
    p = check_p(p)
    x = torch.arange(p, dtype=DTYPE, device=device)
    k = torch.arange(1, n_frequencies(p) + 1, dtype=DTYPE, device=device)[:, None]
    angle = 2 * math.pi * k * x / p                                         # (K, p)
    pairs = torch.stack([torch.cos(angle), torch.sin(angle)], 1).flatten(0, 1) * math.sqrt(2.0 / p)
    rows = [torch.full((1, p), 1.0 / math.sqrt(p), dtype=DTYPE, device=device), pairs]
    if p % 2 == 0:
        rows.append((torch.cos(math.pi * x) / math.sqrt(p))[None])
    return torch.cat(rows)


def basis_frequencies(p: int) -> torch.Tensor:
    """The frequency of each row of ``fourier_basis(p)``: ``[0, 1, 1, 2, 2, …]`` (``p/2`` last for even p)."""
    p = check_p(p)
    freqs = [0] + [k for k in range(1, n_frequencies(p) + 1) for _ in range(2)]
    if p % 2 == 0:
        freqs.append(p // 2)
    return torch.tensor(freqs)


def frequency_rows(p: int, frequencies: list[int], device: torch.device | str | None = None
                   ) -> torch.Tensor:
    """Indices (a long tensor on ``device``) of the rows of ``fourier_basis(p)`` with those frequencies.

    >>> frequency_rows(7, [0, 2]).tolist()
    [0, 3, 4]
    """
    wanted = set(frequencies)
    rows = [i for i, f in enumerate(basis_frequencies(p).tolist()) if f in wanted]
    return torch.tensor(rows, dtype=torch.long, device=device)


def token_table(model_or_embedding: nn.Module | torch.Tensor, p: int) -> torch.Tensor:
    """A ``(p, d)`` float64 table, one row per token 0…p−1, on its own device: a tensor as given, or a
    model's embeddings with the positions side by side (Gromov's MLP has one table per input position)."""
    if isinstance(model_or_embedding, nn.Module):
        if not hasattr(model_or_embedding, "embeddings"):
            raise ValueError(f"model_or_embedding: {type(model_or_embedding).__name__} has no "
                             f"embeddings() method")
        tables = model_or_embedding.embeddings().detach()
        if tables.shape[1] < p:
            raise ValueError(f"model_or_embedding has {tables.shape[1]} tokens, fewer than p={p}")
        table = torch.cat(list(tables[:, :p]), dim=1)
    else:
        table = torch.as_tensor(model_or_embedding).detach()
        if table.dim() != 2 or table.shape[0] != p:
            raise ValueError(f"embedding must have shape (p, d) = ({p}, d), got {tuple(table.shape)}")
    return analysis_tensor(table)


def embedding_fourier_norms(embedding: torch.Tensor) -> torch.Tensor:
    """Norm of each frequency's component of a ``(p, d)`` embedding, shape ``(⌊(p−1)/2⌋,)``.

    ``N_k = (‖c_kᵀE‖² + ‖s_kᵀE‖²)^½`` with ``c_k, s_k`` the orthonormal cos/sin rows of frequency ``k``
    (Nanda et al. 2023, arXiv 2301.05217, Fig. 3). Row ``a`` of ``E`` is token ``a``; ``p`` is read from
    the number of rows. ``Σ_k N_k²`` is the squared norm of ``E`` minus its mean row.

    >>> x = torch.arange(7.0)
    >>> E = torch.stack([torch.cos(2 * math.pi * 2 * x / 7), torch.sin(2 * math.pi * 2 * x / 7)], 1)
    >>> int(embedding_fourier_norms(E).argmax()) + 1
    2
    """
    embedding = analysis_tensor(embedding)
    if embedding.dim() != 2:
        raise ValueError(f"embedding must be a (p, d) tensor, got shape {tuple(embedding.shape)}")
    p = check_p(embedding.shape[0])
    coeffs = fourier_basis(p, embedding.device) @ embedding                 # (p, d)
    energy = coeffs.square().sum(1)[1: 1 + 2 * n_frequencies(p)]
    return energy.view(-1, 2).sum(1).sqrt()


def gini(values: torch.Tensor | np.ndarray) -> float:
    """Gini coefficient of non-negative numbers: 0 when all are equal, ``1 − 1/n`` when one holds all.

    ``G = Σ_i Σ_j |x_i − x_j| / (2 n Σ_i x_i)``; Nanda et al. 2023 (arXiv 2301.05217) track it for the
    embedding's Fourier norms: it rises as the embedding becomes sparse in frequency.

    >>> gini([1.0, 1.0, 1.0]), round(gini([0.0, 0.0, 3.0]), 4)
    (0.0, 0.6667)
    """
    if isinstance(values, torch.Tensor):
        values = values.detach().cpu()
    x = np.asarray(values, dtype=float).ravel()
    if x.size == 0 or np.any(x < 0) or not np.all(np.isfinite(x)):
        raise ValueError("values must be a non-empty array of finite, non-negative numbers")
    if x.sum() == 0:
        return 0.0
    x = np.sort(x)
    n = x.size
    rank = np.arange(1, n + 1)
    return float(np.sum((2 * rank - n - 1) * x) / (n * x.sum()))


def key_frequencies(model_or_embedding: nn.Module | torch.Tensor, p: int, *, ratio: float = 10.0,
                    floor: float = 0.01) -> list[int]:
    """The frequencies that dominate the embedding, sorted: ``k`` is key when its squared Fourier norm
    is both ``> ratio ×`` the median squared norm over all frequencies and ``≥ floor ×`` the largest.

    The median stands for the noise level (most frequencies are unused), so a random embedding has no key
    frequency and a grokked one has the few it computes with (Nanda et al. 2023, arXiv 2301.05217, find
    5 for p = 113); ``floor`` keeps rounding noise out when the unused norms are exactly zero (the planted
    model). ``model_or_embedding`` is a ``(p, d)`` table or a model with ``embeddings()`` (its tables for
    tokens 0…p−1 are read side by side). May be empty: say so rather than index it.
    """
    p = check_p(p)
    if not ratio > 1:
        raise ValueError(f"ratio must be > 1 (a multiple of the median squared norm), got {ratio}")
    if not 0 <= floor < 1:
        raise ValueError(f"floor must lie in [0, 1) (a share of the largest squared norm), got {floor}")
    energy = embedding_fourier_norms(token_table(model_or_embedding, p)).square()
    keep = (energy > ratio * energy.median()) & (energy >= floor * energy.max()) & (energy > 0)
    return [int(k) + 1 for k in torch.nonzero(keep.cpu()).flatten()]


def keep_frequencies(table: torch.Tensor, keys: list[int]) -> torch.Tensor:
    """The ``(p, d)`` table projected, along the token axis, onto the constant and the cos/sin of ``keys``.

    ``E' = Bₛᵀ Bₛ E`` with ``Bₛ`` the rows of ``fourier_basis(p)`` for frequency 0 and ``keys``: what is
    left of an embedding when every other frequency is ablated (Nanda et al. 2023, arXiv 2301.05217, §5
    ablate frequencies the same way). With every frequency kept it returns ``E``.

    >>> E = torch.randn(7, 3, dtype=torch.float64)
    >>> bool(torch.allclose(keep_frequencies(E, [1, 2, 3]), E))
    True
    """
    table = analysis_tensor(table)
    if table.dim() != 2:
        raise ValueError(f"table must be a (p, d) tensor, got shape {tuple(table.shape)}")
    p = check_p(table.shape[0])
    keys = check_keys(keys, p)
    B = fourier_basis(p, table.device)[frequency_rows(p, [0] + keys, table.device)]
    return B.T @ (B @ table)


def project_onto_frequency(points: torch.Tensor, k: int, p: int) -> torch.Tensor:
    """Coordinates of each token's point in the plane of frequency ``k``, shape ``(p, 2)``.

    The plane is spanned by ``C = Σ_a cos(w_k a) E_a`` and ``S = Σ_a sin(w_k a) E_a`` (``w_k = 2πk/p``),
    orthonormalised (``C`` first); each row ``E_a`` is projected onto it. When the embedding uses frequency
    ``k`` the p points lie on a circle (an ellipse if ``‖C‖ ≠ ‖S‖``), token ``a`` at angle ``≈ w_k a``.
    """
    p = check_p(p)
    k = check_frequency(k, p)
    table = token_table(points, p)
    plane = fourier_basis(p, table.device)[2 * k - 1: 2 * k + 1] @ table  # (2, d): C and S directions
    q, r = torch.linalg.qr(plane.T)                                       # orthonormal columns, C first
    diag = torch.diagonal(r)
    q = q * torch.where(diag < 0, -torch.ones_like(diag), torch.ones_like(diag))
    return table @ q
