"""Intrinsic dimension of a point cloud by TwoNN, and the representations a model gives its inputs.

TwoNN (Facco, d'Errico, Rodriguez & Laio 2017, "Estimating the intrinsic dimension of datasets by a
minimal neighborhood information", Scientific Reports 7:12140, arXiv 1803.06992) needs only each point's
two nearest neighbours. If the density is locally constant on a ``d``-dimensional manifold, the ratio
``μ = r₂ / r₁`` of the distances to the second and first neighbour follows a Pareto law,

    F(μ) = 1 − μ^(−d),    μ ≥ 1,

whatever the density is. Two estimators follow:

* ``fit`` (Facco et al.): sort the ``μ_i``, set ``F_emp(μ_(i)) = i / N``, discard the largest 10%
  (they come from the sparse tails), and fit the line ``−ln(1 − F_emp) = d · ln μ`` through the origin
  by least squares: ``d = Σ x_i y_i / Σ x_i²`` with ``x = ln μ``, ``y = −ln(1 − F_emp)``.
* ``mle``: the maximum-likelihood estimate of the Pareto exponent, ``d = N / Σ_i ln μ_i``.

Chapter 6 uses it on hidden activations during training, to test the prediction that the dimension
drops at grokking (Brown et al. 2022, arXiv 2211.13239, report a drop of the last layer's intrinsic
dimension).

Caveat: TwoNN assumes a locally *random* sample. On a regular lattice (``p`` evenly spaced points of a
circle) both neighbours are equally far, ``μ = 1`` for every point, and ``d`` diverges.
"""
from __future__ import annotations

import numpy as np
import torch
from torch import nn

from grokbook.models import activations
from grokbook.tasks import Dataset

METHODS = ("fit", "mle")
INPUTS = ("train", "test", "all")


def _as_points(points, name: str = "points") -> np.ndarray:
    if isinstance(points, torch.Tensor):
        points = points.detach().cpu().numpy()
    points = np.asarray(points, dtype=np.float64)
    if points.ndim != 2:
        raise ValueError(f"{name} must be a 2-D array (n_points, n_features), got shape {points.shape}")
    if not np.isfinite(points).all():
        raise ValueError(f"{name} must hold finite numbers only (no NaN or inf)")
    return points


def _two_nearest(points: np.ndarray, chunk: int = 1024) -> tuple[np.ndarray, np.ndarray]:
    """Distances from each point to its nearest and second-nearest other point (exact, chunked).

    Candidates come from ``‖x‖² − 2x·y + ‖y‖²`` (fast, but it cancels badly for close points); the
    distances to the four best candidates are then recomputed from the differences themselves."""
    x = torch.from_numpy(points)
    squared = x.square().sum(1)
    k = min(4, len(x) - 1)
    r1, r2 = np.empty(len(x)), np.empty(len(x))
    for start in range(0, len(x), chunk):
        block = x[start:start + chunk]
        rows = torch.arange(len(block))
        d2 = squared[start:start + chunk, None] - 2 * block @ x.T + squared[None]
        d2[rows, rows + start] = float("inf")
        candidates = torch.topk(d2, k, dim=1, largest=False).indices
        exact = (x[candidates] - block[:, None]).norm(dim=2).sort(dim=1).values.cpu().numpy()
        r1[start:start + chunk], r2[start:start + chunk] = exact[:, 0], exact[:, 1]
    return r1, r2


def twonn_ratios(points) -> np.ndarray:
    """``μ_i = r₂(i) / r₁(i)`` for every distinct point of ``points`` (shape ``(n, features)``).

    Exact duplicates are merged first (``r₁ = 0`` would make ``μ`` infinite); at least 3 distinct
    points are needed. Facco et al. 2017, arXiv 1803.06992.

    >>> twonn_ratios([[0.0], [1.0], [3.0]]).tolist()
    [3.0, 2.0, 1.5]
    """
    points = np.unique(_as_points(points), axis=0)
    if len(points) < 3:
        raise ValueError(f"points must hold at least 3 distinct points for TwoNN, got {len(points)}")
    r1, r2 = _two_nearest(points)
    return r2 / r1


def twonn_dimension(points, method: str = "fit", discard_fraction: float = 0.1, max_points: int | None = None,
                    seed: int = 0) -> float:
    """Intrinsic dimension of a point cloud by TwoNN (Facco et al. 2017, arXiv 1803.06992).

    ``method="fit"``: least-squares slope of ``−ln(1 − F_emp(μ))`` against ``ln μ`` through the origin,
    after dropping the largest ``discard_fraction`` of the ratios. ``method="mle"``: ``d = N / Σ ln μ_i``
    (``discard_fraction`` is not used). ``max_points`` draws that many points at random (``seed``) first,
    which keeps the cost of the exact neighbour search ``O(n²)`` bounded. Returns ``inf`` when every
    ``μ`` equals 1 (a regular lattice: the estimate diverges).

    >>> rng = np.random.default_rng(0)
    >>> round(twonn_dimension(rng.normal(size=(2000, 3))), 1)
    3.0
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {list(METHODS)}, got {method!r}")
    if not 0.0 <= discard_fraction < 1.0:
        raise ValueError(f"discard_fraction must lie in [0, 1), got {discard_fraction}")
    if max_points is not None and max_points < 3:
        raise ValueError(f"max_points must be ≥ 3 or None, got {max_points}")
    points = _as_points(points)
    if max_points is not None and len(points) > max_points:
        points = points[np.random.default_rng(seed).choice(len(points), max_points, replace=False)]
    mu = twonn_ratios(points)
    log_mu = np.where(mu > 1.0 + 1e-9, np.log(mu), 0.0)  # equal neighbour distances up to rounding: ln μ = 0
    if method == "mle":
        total = log_mu.sum()
        return float(len(log_mu) / total) if total > 0 else float("inf")
    log_mu = np.sort(log_mu)
    n = len(log_mu)
    keep = max(2, int(np.floor(n * (1.0 - discard_fraction))))
    x = log_mu[:keep]
    empirical = np.arange(1, keep + 1) / (n if keep < n else n + 1)  # F_emp = i/N, kept below 1
    y = -np.log(1.0 - empirical)
    denominator = float(x @ x)
    return float(x @ y / denominator) if denominator > 0 else float("inf")


def inputs_of(data: Dataset, inputs: str = "all") -> torch.Tensor:
    """The training inputs, the test inputs or all of them (train first) of ``data``."""
    if inputs not in INPUTS:
        raise ValueError(f"inputs must be one of {list(INPUTS)}, got {inputs!r}")
    if inputs == "train":
        return data.x_train
    if inputs == "test":
        return data.x_test
    return torch.cat([data.x_train, data.x_test])


def representation(model: nn.Module, data: Dataset, activation: str = "hidden", inputs: str = "all") -> np.ndarray:
    """The named activation of ``model`` on ``data``'s inputs as an ``(n, features)`` array.

    ``activation`` is any name ``grokbook.models.activations`` returns (``hidden``, ``preactivation``,
    ``logits``, …); an activation with more axes is flattened after the first.
    """
    x = inputs_of(data, inputs)
    cache = activations(model, x)
    if activation not in cache:
        raise ValueError(f"activation must be one of {sorted(cache)}, got {activation!r}")
    return cache[activation].flatten(1).double().cpu().numpy()


def twonn_diagnostic(activation: str = "hidden", inputs: str = "all", method: str = "fit",
                     max_points: int | None = 1000, seed: int = 0):
    """A training diagnostic (``train(cfg, diagnostics={"id": twonn_diagnostic()})``) that logs the TwoNN
    dimension of ``activation`` on ``inputs`` at every logged step. The same ``max_points`` subset is
    drawn at every step (fixed ``seed``), so the curve follows one set of inputs through training."""
    if inputs not in INPUTS:
        raise ValueError(f"inputs must be one of {list(INPUTS)}, got {inputs!r}")
    if method not in METHODS:
        raise ValueError(f"method must be one of {list(METHODS)}, got {method!r}")

    def diagnostic(context) -> float:
        points = representation(context.model, context.data, activation, inputs)
        return twonn_dimension(points, method=method, max_points=max_points, seed=seed)

    return diagnostic


def twonn_calibration(dims, n_points: int, seed: int = 0, method: str = "fit") -> np.ndarray:
    """What TwoNN reads on isotropic Gaussian clouds of true dimension ``dims`` at sample size ``n_points``.

    TwoNN saturates: with few points in many dimensions, neighbour ratios crowd towards 1 and the estimate
    falls below the truth (Facco et al. 2017, arXiv 1803.06992, Fig. 2). A reading is only comparable with
    the calibration curve at the same ``n_points``: a reading near the curve's top is the estimator's ceiling.

    >>> twonn_calibration([2], 2000).round(0).tolist()
    [2.0]
    """
    dims = [int(d) for d in np.atleast_1d(dims)]
    if not dims or min(dims) < 1:
        raise ValueError(f"dims must be positive integers, got {dims}")
    if n_points < 3:
        raise ValueError(f"n_points must be ≥ 3, got {n_points}")
    rng = np.random.default_rng(seed)
    return np.array([twonn_dimension(rng.standard_normal((n_points, d)), method=method) for d in dims])


def gaussian_equivalent_dimension(readings, dims, calibration) -> np.ndarray:
    """The true dimension of the Gaussian cloud that would give each TwoNN reading, read off the
    calibration curve ``calibration = twonn_calibration(dims, N)`` at the same N (log-log interpolation;
    readings beyond the curve's ends are clipped to them, so widen ``dims`` to cover them).

    >>> gaussian_equivalent_dimension([10.0], [5, 20], [5.0, 10.0]).round(1).tolist()
    [20.0]
    """
    dims, calibration = np.asarray(dims, dtype=float), np.asarray(calibration, dtype=float)
    if dims.shape != calibration.shape or np.any(np.diff(calibration) <= 0):
        raise ValueError("calibration must rise with dims (one reading per dimension)")
    log = np.interp(np.log(np.asarray(readings, dtype=float)), np.log(calibration), np.log(dims))
    return np.exp(log)


def class_centroids(points, labels, n_classes: int) -> np.ndarray:
    """The mean of ``points`` (shape ``(n, features)``) over each class ``c = 0 … n_classes − 1`` of
    ``labels``: ``m_c = mean_{i: y_i = c} x_i``, shape ``(n_classes, features)``.

    For ``a + b mod p`` with ``labels = a + b mod p`` this is the cloud in which ``Z_p`` itself should
    appear: Gromov's solution (arXiv 2301.02679) gives hidden unit ``j`` the centroid ``1 + cos(w c + φⱼ)``,
    a ring per frequency.

    >>> class_centroids([[0.0], [2.0], [5.0]], [0, 0, 1], 2).tolist()
    [[1.0], [5.0]]
    """
    points = _as_points(points)
    labels = np.asarray(labels.detach().cpu() if isinstance(labels, torch.Tensor) else labels).astype(int)
    if labels.shape != (len(points),):
        raise ValueError(f"labels must have shape ({len(points)},), one per point, got {labels.shape}")
    if labels.min() < 0 or labels.max() >= n_classes:
        raise ValueError(f"labels must lie in 0…{n_classes - 1} (n_classes={n_classes})")
    counts = np.bincount(labels, minlength=n_classes)
    if (counts == 0).any():
        raise ValueError(f"every class needs at least one point; empty: {np.flatnonzero(counts == 0).tolist()}")
    sums = torch.zeros((n_classes, points.shape[1]), dtype=torch.float64)
    sums.index_add_(0, torch.from_numpy(labels), torch.from_numpy(points))  # np.add.at is ~50× slower
    return sums.cpu().numpy() / counts[:, None]


def model_centroids(model: nn.Module, data: Dataset, activation: str = "hidden", inputs: str = "all"
                    ) -> np.ndarray:
    """``class_centroids`` of ``model``'s named ``activation`` on ``data``'s ``inputs``, one row per answer
    (the labels of those inputs), shape ``(n_outputs, features)``."""
    points = representation(model, data, activation, inputs)
    labels = {"train": data.y_train, "test": data.y_test}.get(inputs)
    labels = torch.cat([data.y_train, data.y_test]) if labels is None else labels
    return class_centroids(points, labels, data.n_outputs)


def centroid_diagnostic(activation: str = "hidden", inputs: str = "all"):
    """A training diagnostic storing the class-centroid cloud (``model_centroids``) of ``activation`` over
    ``inputs``, one row per answer class, at every logged step: shape ``(n_outputs, features)``."""
    if inputs not in INPUTS:
        raise ValueError(f"inputs must be one of {list(INPUTS)}, got {inputs!r}")

    def diagnostic(context) -> np.ndarray:
        return model_centroids(context.model, context.data, activation, inputs).astype(np.float32)

    return diagnostic


def activation_snapshot(activation: str = "hidden", inputs: str = "all", max_points: int | None = 200,
                        seed: int = 0):
    """A training diagnostic that stores the named activation of a fixed random subset of ``max_points``
    inputs (``seed``) at every logged step, as an array ``(max_points, features)``: snapshots to analyse
    after training (topology, dimension) without retraining."""
    if inputs not in INPUTS:
        raise ValueError(f"inputs must be one of {list(INPUTS)}, got {inputs!r}")
    if max_points is not None and max_points < 1:
        raise ValueError(f"max_points must be ≥ 1 or None, got {max_points}")

    def diagnostic(context) -> np.ndarray:
        points = representation(context.model, context.data, activation, inputs)
        if max_points is not None and len(points) > max_points:
            points = points[np.sort(np.random.default_rng(seed).choice(len(points), max_points, replace=False))]
        return points.astype(np.float32)

    return diagnostic


# The older name (tests and chapter 6 import it): the same factory. grokbook.diagnostics.representation's
# representation_diagnostic is a different one (the ring and parallelogram indices).
representation_diagnostic = activation_snapshot


def embedding_diagnostic(position: int = 0, n_tokens: int | None = None):
    """A training diagnostic that stores the token embedding table of input ``position`` (rows 0 …
    ``n_tokens``−1, all tokens if None) at every logged step, shape ``(n_tokens, dim)``. The MLP without
    ``embed_dim`` has one table per position; the transformer one shared table (``position=0``)."""
    if position < 0:
        raise ValueError(f"position must be ≥ 0, got {position}")
    if n_tokens is not None and n_tokens < 1:
        raise ValueError(f"n_tokens must be ≥ 1 or None, got {n_tokens}")

    def diagnostic(context) -> np.ndarray:
        tables = context.model.embeddings().detach()
        if position >= tables.shape[0]:
            raise ValueError(f"position must be < {tables.shape[0]} (this model's embedding tables), got {position}")
        return tables[position, :n_tokens].double().cpu().numpy()

    return diagnostic


__all__ = ["INPUTS", "METHODS", "activation_snapshot", "centroid_diagnostic", "class_centroids", "embedding_diagnostic",
           "gaussian_equivalent_dimension", "inputs_of", "model_centroids", "representation",
           "twonn_calibration", "twonn_diagnostic", "twonn_dimension",
           "twonn_ratios"]
