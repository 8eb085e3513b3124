"""Modular arithmetic tables ``c = a ∘ b mod p`` (Power et al. 2022, arXiv 2201.02177)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch

from grokbook.tasks.base import Dataset, check_fraction, split_indices

__all__ = ["OPERATIONS", "is_prime", "ModularArithmetic"]


def _divide(a: torch.Tensor, b: torch.Tensor, p: int) -> torch.Tensor:
    # a / b = a · b^(p-2) mod p by Fermat's little theorem, valid because p is prime and b ≠ 0.
    inverse = torch.tensor([pow(int(v), p - 2, p) for v in range(p)], dtype=torch.long)
    return a * inverse[b] % p


OPERATIONS: dict[str, Callable[[torch.Tensor, torch.Tensor, int], torch.Tensor]] = {
    "+": lambda a, b, p: (a + b) % p,
    "-": lambda a, b, p: (a - b) % p,
    "*": lambda a, b, p: (a * b) % p,
    "/": _divide,
    "x^2+y^2": lambda a, b, p: (a * a + b * b) % p,
    "x^2+xy+y^2": lambda a, b, p: (a * a + a * b + b * b) % p,
    "x^3+xy": lambda a, b, p: (a * a * a + a * b) % p,
    # Power et al. 2022: the one operation of their study that never generalized
    "x^3+xy^2+y": lambda a, b, p: (a * a * a + a * b * b + b) % p,
}


def is_prime(n: int) -> bool:
    """True when ``n`` is a prime number (trial division; ``n`` is small here)."""
    return n >= 2 and all(n % d for d in range(2, int(n**0.5) + 1))


@dataclass(frozen=True, kw_only=True)
class ModularArithmetic:
    """All pairs ``(a, b)`` in ``Z_p × Z_p`` labelled ``a ∘ b mod p``; a fraction of them is for training.

    Division ranges over ``b ≠ 0`` and needs a prime ``p`` (every non-zero ``b`` then has an inverse).
    Inputs are the tokens ``(a, b)``; with ``equals_token=True`` a third token ``p`` (the "=" sign) is
    appended, the context ``a b =`` of Nanda et al. 2023.

    >>> data = ModularArithmetic(p=5, operation="+", train_fraction=0.5).build(seed=0)
    >>> data.x_train.shape[1], data.n_outputs
    (2, 5)
    """

    p: int = 97
    operation: str = "+"
    train_fraction: float = 0.3
    equals_token: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.p, int) or self.p < 2:
            raise ValueError(f"p (the modulus) must be an integer ≥ 2, got {self.p!r}")
        if self.operation not in OPERATIONS:
            raise ValueError(f"operation must be one of {list(OPERATIONS)}, got {self.operation!r}")
        if self.operation == "/" and not is_prime(self.p):
            raise ValueError(f"operation '/' needs a prime modulus p (so every b ≠ 0 has an inverse), got p={self.p}")
        check_fraction(self.train_fraction)

    def table(self) -> tuple[torch.Tensor, torch.Tensor]:
        """Every pair, as tokens of shape ``(n_pairs, 2 or 3)``, and its label ``a ∘ b mod p``."""
        a, b = torch.cartesian_prod(torch.arange(self.p), torch.arange(self.p)).T
        if self.operation == "/":
            a, b = a[b != 0], b[b != 0]
        labels = OPERATIONS[self.operation](a, b, self.p)
        columns = [a, b] + ([torch.full_like(a, self.p)] if self.equals_token else [])
        return torch.stack(columns, dim=1), labels

    def build(self, seed: int = 0) -> Dataset:
        """Split the table with ``seed``: deterministic, disjoint, ``round(fraction · n_pairs)`` to train."""
        x, y = self.table()
        train, test = split_indices(len(y), self.train_fraction, seed)
        n_tokens = self.p + 1 if self.equals_token else self.p
        return Dataset(x[train], y[train], x[test], y[test], n_outputs=self.p, inputs="tokens", n_tokens=n_tokens)
