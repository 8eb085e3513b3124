"""The 8×8 handwritten digits that ship with scikit-learn: an offline stand-in for Omnigrok's MNIST.

Liu, Michaud & Tegmark 2023 ("Omnigrok", arXiv 2210.01117) make an MLP grok MNIST by training on 1000
images from a large initialisation (every weight × 8) with MSE and a small weight decay. Nothing may be
downloaded here, so the same recipe runs on scikit-learn's bundled ``load_digits`` (Alpaydin & Kaynak
1998, UCI): 1797 images of 8×8 pixels with 16 grey levels, ten classes.
"""
from __future__ import annotations

from dataclasses import InitVar, dataclass

import torch

from grokbook.tasks.base import Dataset, check_fraction, split_indices

__all__ = ["N_IMAGES", "N_PIXELS", "Digits"]

N_IMAGES = 1797
N_PIXELS = 64


@dataclass(frozen=True, kw_only=True)
class Digits:
    """scikit-learn's 8×8 digits as dense features: a ``train_fraction`` of the images to train on, the
    rest to test. ``Digits(n_train=1000)`` sets the fraction from a count (``1000 / 1797``, Omnigrok's
    1000 training images); ``images_train`` reads the count back. ``train_fraction`` is a field, so
    ``vary(cfg, train_fraction=0.3)`` and ensembles over it work as for the algorithmic tasks.

    Features are centred per pixel and scaled by one number, both from the training set only (no test
    information leaks in): ``x' = (x − μ_train) / σ_train``, ``μ_train`` the per-pixel mean and
    ``σ_train`` the pooled standard deviation of all training pixels. A per-pixel σ would divide the
    nearly blank border pixels by σ as small as 0.03 and send their rare test values to ``|x'| ≈ 80``;
    with the pooled σ every feature keeps the pixels' relative scale (``|x'| ≤ 16 / σ_train``).
    Targets are class ids 0…9; the MSE loss turns them into one-hot vectors as Omnigrok does.

    >>> data = Digits(n_train=1000).build(seed=0)
    >>> data.x_train.shape, data.x_test.shape, data.n_outputs, data.inputs
    (torch.Size([1000, 64]), torch.Size([797, 64]), 10, 'dense')
    >>> Digits(train_fraction=0.5).images_train
    898
    """

    train_fraction: float = 1000 / N_IMAGES
    standardize: bool = True
    n_train: InitVar[int | None] = None

    def __post_init__(self, n_train: int | None) -> None:
        if n_train is not None:
            if not isinstance(n_train, int) or not 1 <= n_train <= N_IMAGES - 1:
                raise ValueError(f"n_train must be an integer in 1…{N_IMAGES - 1} (the data set has "
                                 f"{N_IMAGES} images and at least one is kept for testing), got {n_train!r}")
            object.__setattr__(self, "train_fraction", n_train / N_IMAGES)
        check_fraction(self.train_fraction)
        if not 1 <= round(self.train_fraction * N_IMAGES) <= N_IMAGES - 1:
            raise ValueError(f"train_fraction={self.train_fraction} leaves no image to train on or to test "
                             f"on (the data set has {N_IMAGES} images)")

    @property
    def images_train(self) -> int:
        """The number of training images, ``round(train_fraction · 1797)``."""
        return round(self.train_fraction * N_IMAGES)

    def build(self, seed: int = 0) -> Dataset:
        """Shuffle the images with ``seed`` and split them: ``images_train`` to train, the rest to test."""
        from sklearn.datasets import load_digits  # bundled with scikit-learn: read from disk, never downloaded

        bunch = load_digits()
        x = torch.tensor(bunch.data, dtype=torch.float32)
        y = torch.tensor(bunch.target, dtype=torch.long)
        train, test = split_indices(len(y), self.train_fraction, seed)
        x_train, x_test = x[train], x[test]
        if self.standardize:
            mean = x_train.mean(0)
            scale = (x_train - mean).square().mean().sqrt()  # pooled over pixels: one σ for all features
            x_train, x_test = (x_train - mean) / scale, (x_test - mean) / scale
        return Dataset(x_train, y[train], x_test, y[test], n_outputs=10, inputs="dense", n_tokens=0)
