"""Sparse parity: the label is the XOR of k secret bits out of n (Barak et al. 2022, arXiv 2207.08799)."""
from __future__ import annotations

from dataclasses import dataclass

import torch

from grokbook.tasks.base import Dataset, check_fraction


__all__ = ["SparseParity", "distinct_bit_strings"]


def distinct_bit_strings(n: int, n_bits: int, generator: torch.Generator) -> torch.Tensor:
    """``n`` distinct random strings of ``n_bits`` bits, shape ``(n, n_bits)``, drawn uniformly without
    replacement (a small space is permuted whole; a large one is sampled and de-duplicated).

    >>> s = distinct_bit_strings(16, 4, torch.Generator().manual_seed(0))
    >>> len(torch.unique(s, dim=0))
    16
    """
    if not 1 <= n <= 2**n_bits:
        raise ValueError(f"n must lie in 1…2**n_bits={2**n_bits}, got {n}")
    if n_bits <= 20:
        codes = torch.randperm(2**n_bits, generator=generator)[:n]
        return (codes[:, None] >> torch.arange(n_bits)) & 1
    rows = torch.empty((0, n_bits), dtype=torch.long)
    while len(rows) < n:
        draw = torch.randint(0, 2, (n - len(rows) + 16, n_bits), generator=generator)
        rows = torch.unique(torch.cat([rows, draw]), dim=0)
    return rows[torch.randperm(len(rows), generator=generator)[:n]]


@dataclass(frozen=True, kw_only=True)
class SparseParity:
    """Random bit strings of length ``n_bits``; the class is the parity of the bits at ``support``.

    ``n_samples`` distinct strings are drawn, ``train_fraction`` of them for training. The support is
    the first ``k`` bits (which bits does not matter to an MLP, and a fixed choice keeps runs comparable).
    Inputs are tokens 0/1 of shape ``(n, n_bits)``; two classes.
    """

    n_bits: int = 30
    k: int = 3
    n_samples: int = 2000
    train_fraction: float = 0.5

    def __post_init__(self) -> None:
        if self.n_bits < 1:
            raise ValueError(f"n_bits must be ≥ 1, got {self.n_bits}")
        if not 1 <= self.k <= self.n_bits:
            raise ValueError(f"k must lie in 1…n_bits={self.n_bits}, got {self.k}")
        if not 2 <= self.n_samples <= 2**self.n_bits:
            raise ValueError(f"n_samples must lie in 2…2**n_bits={2**self.n_bits}, got {self.n_samples}")
        check_fraction(self.train_fraction)

    def build(self, seed: int = 0) -> Dataset:
        generator = torch.Generator().manual_seed(seed)
        bits = distinct_bit_strings(self.n_samples, self.n_bits, generator)
        labels = bits[:, : self.k].sum(dim=1) % 2
        n_train = max(1, min(self.n_samples - 1, round(self.train_fraction * self.n_samples)))
        return Dataset(bits[:n_train], labels[:n_train], bits[n_train:], labels[n_train:],
                       n_outputs=2, inputs="tokens", n_tokens=2)
