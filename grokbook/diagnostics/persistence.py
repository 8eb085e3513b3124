"""Persistent homology of a point cloud: persistence diagrams, Betti numbers of long-lived bars, Betti curves.

The Vietoris–Rips filtration joins two points by an edge once their distance is at most ``ε`` and fills
every simplex whose edges are all present. As ``ε`` grows, holes appear and fill in; a bar
``(birth, death)`` records the scales at which one homology class lives. ``H₀`` bars are connected
components (``n`` are born at ``ε = 0``, all but one die as they merge; the last lives for ever),
``H₁`` bars are loops. A circle gives one long ``H₁`` bar, from about the spacing of its points to about
``√3·R``; sampling noise gives short ones. Counting the bars that live at least ``min_persistence``
gives the Betti numbers ``β₀`` (components) and ``β₁`` (independent loops) of the shape the points were
drawn from (Edelsbrunner & Harer 2010, "Computational topology"; the stability theorem of
Cohen-Steiner, Edelsbrunner & Harer 2007 bounds how far noise moves the bars).

Computed with giotto-tda's ``VietorisRipsPersistence`` (Tauzin et al. 2021, JMLR 22(39), arXiv 2004.02551).
Chapter 6 uses it to test whether grokking turns the token embedding into a ring (Nanda, Chan, Lieberum,
Smith & Steinhardt 2023, arXiv 2301.05217; Liu et al. 2022, arXiv 2205.10343): ``β₁ ≈ 0`` before
grokking, ``β₁ = 1`` after.
Rips persistence costs grow fast with the number of points: clouds are subsampled to ``max_points``
(200) and only dimensions 0 and 1 are computed.

**Which loops are real.** A fixed threshold on bar length (``long_lived_betti``) finds loops in filled
disks and squares. ``significant_loops`` instead compares each ``H₁`` bar with a null model: the longest
``H₁`` bar of each of ``n`` clouds drawn without a loop (Gaussian clouds of the same size, mean and
covariance, ``gaussian_null``, or any clouds the caller draws, e.g. random tables projected the same way).
Lengths are divided by the cloud's RMS radius, so the test is scale-free. A bar counts when it is longer
than ``margin`` (1.5) × every null cloud's longest bar: with ``margin = 1`` a Monte Carlo test at level
``1/(n + 1)`` (Barnard 1963; Besag & Diggle 1977, Applied Statistics 26(3)); the margin absorbs what a
two-moment null misses (a uniform disk of 97 points beats its Gaussian null's longest bar in 4 of 20 draws,
by at most 1.25×; noisy circles beat it by more than 2×). For a token table projected on a frequency's
plane (``frequency_plane_test``) the null is random tables of the same shape projected the same way.
Fasy, Lecci, Rinaldo, Wasserman, Balakrishnan & Singh 2014 ("Confidence sets for persistence diagrams",
Annals of Statistics 42(6), arXiv 1303.7117) build a bootstrap band in the same spirit.

The frequency-plane ring test of a token table lives in ``grokbook.diagnostics.topology``.
"""
from __future__ import annotations

import numpy as np

from grokbook.diagnostics.geometry import _as_points

__all__ = ["HOMOLOGY_DIMENSIONS", "MIN_POINTS", "betti_curve", "betti_numbers", "cloud_diameter",
           "gaussian_null", "long_lived_betti", "loop_lengths", "loop_test", "null_loop_lengths",
           "persistence_diagram", "rms_radius", "significant_loops", "subsample"]

HOMOLOGY_DIMENSIONS = (0, 1)


# The fewest points on which a class of each dimension can exist: two points for two components, four
# for a loop (a Rips triangle is always filled in, a square is not).
MIN_POINTS = {0: 2, 1: 4}


def _check_dimensions(homology_dimensions) -> tuple[int, ...]:
    dims = tuple(sorted(set(int(d) for d in homology_dimensions)))
    if not dims or any(d not in HOMOLOGY_DIMENSIONS for d in dims):
        raise ValueError(f"homology_dimensions must be a non-empty subset of {HOMOLOGY_DIMENSIONS}, "
                         f"got {tuple(homology_dimensions)}")
    return dims


def subsample(points, max_points: int | None = 200, seed: int = 0) -> np.ndarray:
    """At most ``max_points`` rows of ``points`` drawn without replacement (``seed``), as float64."""
    points = _as_points(points)
    if max_points is not None and len(points) > max_points:
        points = points[np.random.default_rng(seed).choice(len(points), max_points, replace=False)]
    return points


def cloud_diameter(points) -> float:
    """The largest distance between two points, ``max_ij ‖x_i − x_j‖``."""
    points = _as_points(points)
    squared = (points**2).sum(1)
    d2 = squared[:, None] - 2 * points @ points.T + squared[None]
    return float(np.sqrt(max(d2.max(), 0.0)))


def persistence_diagram(points, homology_dimensions=(0, 1), max_points: int | None = 200, seed: int = 0) -> np.ndarray:
    """The Vietoris–Rips persistence diagram of a point cloud, as rows ``(birth, death, dimension)``.

    ``points`` has shape ``(n, features)``; above ``max_points`` rows a random subset (``seed``) is used.
    Homology is not reduced: the component that never dies is the row ``(0, inf, 0)``. Zero-length bars
    (giotto-tda's padding) are dropped. Needs at least 2 points for dimension 0 and 4 for dimension 1.

    >>> t = np.linspace(0, 2 * np.pi, 24, endpoint=False)
    >>> dgm = persistence_diagram(np.c_[np.cos(t), np.sin(t)])
    >>> int((dgm[:, 2] == 1).sum())
    1
    """
    dims = _check_dimensions(homology_dimensions)
    if max_points is not None and max_points < MIN_POINTS[max(dims)]:
        raise ValueError(f"max_points must be ≥ {MIN_POINTS[max(dims)]} for homology dimension {max(dims)}, "
                         f"got {max_points}")
    points = subsample(points, max_points, seed)
    need = MIN_POINTS[max(dims)]
    if len(points) < need:
        raise ValueError(f"points must hold at least {need} points for homology dimension {max(dims)}, "
                         f"got {len(points)}")
    diagram = _quiet_rips(points, dims)
    return diagram[diagram[:, 1] > diagram[:, 0]]


def _check_diagram(diagram) -> np.ndarray:
    diagram = np.asarray(diagram, dtype=np.float64)
    if diagram.ndim != 2 or diagram.shape[1] != 3:
        raise ValueError(f"diagram must have shape (n_bars, 3) with rows (birth, death, dimension), got {diagram.shape}")
    return diagram


def betti_numbers(diagram, min_persistence: float) -> dict[int, int]:
    """``β_k`` = the number of dimension-``k`` bars with ``death − birth ≥ min_persistence`` (the bar that
    never dies counts), for k = 0 and 1."""
    diagram = _check_diagram(diagram)
    if not min_persistence >= 0:
        raise ValueError(f"min_persistence must be ≥ 0, got {min_persistence}")
    lifetime = diagram[:, 1] - diagram[:, 0]
    return {k: int(((diagram[:, 2] == k) & (lifetime >= min_persistence)).sum()) for k in HOMOLOGY_DIMENSIONS}


def long_lived_betti(points, threshold: float = 0.1, max_points: int | None = 200, seed: int = 0) -> dict[str, float]:
    """Betti numbers of the bars living at least ``threshold`` × the cloud's diameter.

    Scale-free, so clouds of different size (early and late in training) are compared with one rule.
    It has no null model: a filled disk of 97 points passes it in about half of all draws, so decide
    whether a loop is real with ``significant_loops`` / ``loop_test``.
    Returns ``{"b0", "b1", "diameter", "min_persistence"}``. On ``p`` points scattered in ``D ≫ 1``
    dimensions every point stays alone until ``ε`` is close to the diameter, so ``β₀`` is close to ``p``:
    the points are isolated.
    """
    if not 0 <= threshold <= 1:
        raise ValueError(f"threshold (a fraction of the cloud's diameter) must lie in [0, 1], got {threshold}")
    points = subsample(points, max_points, seed)
    diagram = persistence_diagram(points, max_points=None)
    diameter = cloud_diameter(points)
    betti = betti_numbers(diagram, threshold * diameter)
    return {"b0": betti[0], "b1": betti[1], "diameter": diameter, "min_persistence": threshold * diameter}


def betti_curve(diagram, dimension: int, epsilons) -> np.ndarray:
    """``β_k(ε)`` = the number of dimension-``k`` bars alive at scale ``ε`` (``birth ≤ ε < death``), for
    each ``ε`` in ``epsilons`` (giotto-tda's ``BettiCurve`` convention)."""
    diagram = _check_diagram(diagram)
    if dimension not in HOMOLOGY_DIMENSIONS:
        raise ValueError(f"dimension must be one of {HOMOLOGY_DIMENSIONS}, got {dimension}")
    eps = np.asarray(epsilons, dtype=np.float64)
    bars = diagram[diagram[:, 2] == dimension]
    alive = (bars[None, :, 0] <= eps[:, None]) & (eps[:, None] < bars[None, :, 1])
    return alive.sum(1)


def _quiet_rips(points: np.ndarray, dims: tuple[int, ...]) -> np.ndarray:
    """giotto-tda's diagram; its FutureWarnings (scikit-learn API changes) are silenced here only."""
    import warnings

    from gtda.homology import VietorisRipsPersistence

    rips = VietorisRipsPersistence(homology_dimensions=dims, reduced_homology=False, n_jobs=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        return rips.fit_transform(points[None])[0]


def rms_radius(points) -> float:
    """``(mean_i ‖x_i − x̄‖²)^½``: the scale by which ``loop_lengths`` divides.

    >>> rms_radius([[1.0, 0.0], [-1.0, 0.0]])
    1.0
    """
    points = _as_points(points)
    return float(np.sqrt(((points - points.mean(0)) ** 2).sum(1).mean()))


def loop_lengths(points, max_points: int | None = 200, seed: int = 0) -> np.ndarray:
    """Lifetimes ``death − birth`` of the ``H₁`` bars divided by the cloud's RMS radius, longest first.

    A circle of radius R sampled densely gives one bar of about ``√3`` (it is born at the spacing of the
    points and dies at ``√3·R``, when the inscribed equilateral triangles fill it); noise gives short bars.

    >>> t = np.linspace(0, 2 * np.pi, 60, endpoint=False)
    >>> round(float(loop_lengths(np.c_[np.cos(t), np.sin(t)])[0]), 1)
    1.6
    """
    points = subsample(points, max_points, seed)
    if len(points) < MIN_POINTS[1]:
        raise ValueError(f"points must hold at least {MIN_POINTS[1]} points for a loop, got {len(points)}")
    radius = rms_radius(points)
    if radius == 0:
        raise ValueError("points must not all coincide (the RMS radius is 0)")
    diagram = _quiet_rips(points, (1,))
    life = diagram[:, 1] - diagram[:, 0]
    return np.sort(life[life > 0])[::-1] / radius


def gaussian_null(points, n_draws: int = 39, seed: int = 0) -> list[np.ndarray]:
    """``n_draws`` Gaussian clouds with the size, mean and covariance of ``points``: clouds with the same
    spread and no hole (a Gaussian's support is convex), the null model of ``significant_loops``.

    Drawn as ``x̄ + Z Σ^½`` with ``Σ^½`` from the SVD of the centred points (rank ≤ n, so it is cheap in
    high dimension).

    >>> len(gaussian_null(np.eye(5), n_draws=3))
    3
    """
    points = _as_points(points)
    if n_draws < 1:
        raise ValueError(f"n_draws must be ≥ 1, got {n_draws}")
    centred = points - points.mean(0)
    _, s, vt = np.linalg.svd(centred, full_matrices=False)
    root = (s[:, None] / np.sqrt(max(len(points) - 1, 1))) * vt           # (rank, features)
    rng = np.random.default_rng(seed)
    return [points.mean(0) + rng.standard_normal((len(points), len(s))) @ root for _ in range(n_draws)]


def null_loop_lengths(null_clouds, max_points: int | None = 200) -> np.ndarray:
    """The longest (relative) ``H₁`` bar of each null cloud; 0 for a cloud without any loop."""
    out = []
    for cloud in null_clouds:
        lengths = loop_lengths(cloud, max_points)
        out.append(float(lengths[0]) if len(lengths) else 0.0)
    if not out:
        raise ValueError("null_clouds must hold at least one cloud")
    return np.asarray(out)


def significant_loops(points, null_lengths, margin: float = 1.5, max_points: int | None = 200, seed: int = 0
                      ) -> dict[str, float]:
    """``β₁`` against a null: the number of ``H₁`` bars longer than ``margin`` × the longest bar of every
    null cloud (lengths relative to the RMS radius, ``loop_lengths``).

    ``null_lengths`` is ``null_loop_lengths(clouds)`` (e.g. of ``gaussian_null(points)``); with ``n`` null
    clouds and ``margin = 1`` a loopless cloud drawn like them passes with probability ``1/(n + 1)`` (a
    Monte Carlo test; Besag & Diggle 1977). Returns ``{"b1", "longest", "null_max", "ratio"}``
    (``ratio`` = longest / null_max: a loop needs ``ratio > margin``).

    >>> t = np.random.default_rng(0).uniform(0, 2 * np.pi, 80)
    >>> ring = np.c_[np.cos(t), np.sin(t)]
    >>> significant_loops(ring, null_loop_lengths(gaussian_null(ring, 19)))["b1"]
    1
    """
    null = np.asarray(null_lengths, dtype=np.float64).ravel()
    if not len(null) or not np.isfinite(null).all() or (null < 0).any():
        raise ValueError("null_lengths must be a non-empty array of finite lengths ≥ 0")
    if not margin >= 1:
        raise ValueError(f"margin must be ≥ 1 (a loop must beat the null), got {margin}")
    lengths = loop_lengths(points, max_points, seed)
    longest = float(lengths[0]) if len(lengths) else 0.0
    top = float(null.max())
    return {"b1": int((lengths > margin * top).sum()), "longest": longest, "null_max": top,
            "ratio": longest / top if top > 0 else float("inf")}


def loop_test(points, n_draws: int = 19, margin: float = 1.5, max_points: int | None = 200, seed: int = 0
              ) -> dict[str, float]:
    """``significant_loops`` of ``points`` against ``n_draws`` Gaussian clouds of the same size, mean and
    covariance (``gaussian_null``).

    >>> loop_test(np.random.default_rng(0).uniform(size=(150, 2)))["b1"]
    0
    """
    null = null_loop_lengths(gaussian_null(subsample(points, max_points, seed), n_draws, seed), max_points)
    return significant_loops(points, null, margin, max_points, seed)

