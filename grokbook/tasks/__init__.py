"""Data sets, generated on the fly: nothing is downloaded."""
from grokbook.tasks.base import Dataset, split_indices
from grokbook.tasks.modular import OPERATIONS, ModularArithmetic, is_prime
from grokbook.tasks.digits import Digits
from grokbook.tasks.parity import SparseParity
from grokbook.tasks.polynomial import PolynomialRegression

__all__ = ["Dataset", "Digits", "ModularArithmetic", "OPERATIONS", "PolynomialRegression", "SparseParity",
           "is_prime", "split_indices"]
