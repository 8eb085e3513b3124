import numpy as np
import pytest
import torch

from grokbook import MLPConfig, ModularArithmetic, TrainConfig, build_model
from grokbook.diagnostics.geometry import (embedding_diagnostic, representation, representation_diagnostic,
                                           twonn_diagnostic, twonn_dimension, twonn_ratios)


def _circle(n, dim, seed):
    rng = np.random.default_rng(seed)
    t = rng.uniform(0, 2 * np.pi, n)
    x = np.c_[np.cos(t), np.sin(t), np.zeros((n, dim - 2))]
    return x @ np.linalg.qr(rng.normal(size=(dim, dim)))[0]


@pytest.mark.parametrize("method", ["fit", "mle"])
@pytest.mark.parametrize("seed", [0, 1])
def test_circle_in_r50_is_one_dimensional(method, seed):
    assert twonn_dimension(_circle(1000, 50, seed), method=method) == pytest.approx(1.0, abs=0.15)


@pytest.mark.parametrize("method", ["fit", "mle"])
@pytest.mark.parametrize("seed", [0, 1])
def test_gaussian_blob_is_three_dimensional(method, seed):
    points = np.random.default_rng(seed).normal(size=(1500, 3))
    assert twonn_dimension(points, method=method) == pytest.approx(3.0, abs=0.4)


def test_dimension_is_invariant_to_rotation_and_scale():
    x = np.random.default_rng(0).normal(size=(500, 5))
    q = np.linalg.qr(np.random.default_rng(1).normal(size=(5, 5)))[0]
    assert twonn_dimension(7.0 * x @ q) == pytest.approx(twonn_dimension(x), rel=1e-6)


def test_ratios_by_hand_and_duplicates_merged():
    assert twonn_ratios([[0.0], [1.0], [3.0]]).tolist() == [3.0, 2.0, 1.5]
    assert len(twonn_ratios([[0.0], [0.0], [1.0], [3.0]])) == 3


def test_regular_lattice_diverges():
    t = np.arange(97) * 2 * np.pi / 97
    assert twonn_dimension(np.c_[np.cos(t), np.sin(t)], method="mle") == float("inf")


def test_representation_and_diagnostics_shapes():
    data = ModularArithmetic(p=7, train_fraction=0.5).build(seed=0)
    model = build_model(MLPConfig(width=16), data, seed=0)
    assert representation(model, data, "hidden", "all").shape == (49, 16)
    assert representation(model, data, "hidden", "train").shape == (data.n_train, 16)

    class Context:
        pass

    ctx = Context()
    ctx.model, ctx.data = model, data
    assert np.isfinite(twonn_diagnostic(max_points=40)(ctx))
    assert representation_diagnostic(max_points=10)(ctx).shape == (10, 16)
    assert embedding_diagnostic(position=1)(ctx).shape == (7, 16)


@pytest.mark.parametrize("kwargs, match", [
    (dict(method="pca"), "method"), (dict(discard_fraction=1.0), "discard_fraction"), (dict(max_points=2), "max_points")])
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        twonn_dimension(np.random.default_rng(0).normal(size=(20, 2)), **kwargs)


def test_bad_points():
    with pytest.raises(ValueError, match="points"):
        twonn_dimension(np.zeros(5))
    with pytest.raises(ValueError, match="at least 3 distinct"):
        twonn_ratios([[0.0], [0.0], [1.0]])
    with pytest.raises(ValueError, match="inputs"):
        twonn_diagnostic(inputs="val")
    data = ModularArithmetic(p=5, train_fraction=0.5).build(seed=0)
    with pytest.raises(ValueError, match="activation"):
        representation(build_model(MLPConfig(width=4), data), data, "nope")


def test_bottleneck_rank_bounds():
    with pytest.raises(ValueError, match="bottleneck_rank"):
        MLPConfig(width=8, bottleneck_rank=0)
    with pytest.raises(ValueError, match="bottleneck_rank"):
        MLPConfig(width=8, bottleneck_rank=9)
    data = ModularArithmetic(p=5, train_fraction=0.5).build(seed=0)
    model = build_model(MLPConfig(width=8, bottleneck_rank=2, bias=False), data)  # a readout bias adds 1 to the rank
    logits = model(torch.cartesian_prod(torch.arange(5), torch.arange(5)))
    assert torch.linalg.matrix_rank(logits.detach()) <= 2


# -- above d = 3, calibration, class centroids -----------------------------------------------------------------
from grokbook.diagnostics.geometry import centroid_diagnostic, class_centroids, twonn_calibration  # noqa: E402
from grokbook.models.planted import planted_mlp  # noqa: E402


@pytest.mark.parametrize("dim", [6, 10])
def test_gaussian_above_three_dimensions(dim):
    """Enough points for the dimension: TwoNN within 10% of the truth (fit and MLE)."""
    points = np.random.default_rng(dim).normal(size=(4000, dim))
    assert twonn_dimension(points) == pytest.approx(dim, rel=0.1)
    assert twonn_dimension(points, method="mle") == pytest.approx(dim, rel=0.1)


def test_hypercube_slab_in_high_ambient_dimension():
    """A uniform 5-D cube rotated into R^40 reads 5, whatever the ambient dimension."""
    rng = np.random.default_rng(0)
    rotation = np.linalg.qr(rng.normal(size=(40, 40)))[0]
    cube = np.c_[rng.uniform(size=(3000, 5)), np.zeros((3000, 35))] @ rotation
    assert twonn_dimension(cube) == pytest.approx(5.0, rel=0.1)


def test_calibration_saturates_with_few_points():
    """At N = 300 the estimate falls far below the truth in high dimension (Facco et al. 2017, Fig. 2)."""
    readings = twonn_calibration([2, 10, 160], 300)
    assert readings[0] == pytest.approx(2.0, rel=0.15)
    assert readings[1] == pytest.approx(10.0, rel=0.25)
    assert readings[2] < 0.5 * 160
    assert np.all(np.diff(readings) > 0)
    with pytest.raises(ValueError, match="dims"):
        twonn_calibration([0], 100)
    with pytest.raises(ValueError, match="n_points"):
        twonn_calibration([2], 2)


def test_class_centroids_by_hand_and_errors():
    assert class_centroids([[0.0, 1.0], [2.0, 3.0], [5.0, 5.0]], [1, 1, 0], 2).tolist() == [[5.0, 5.0], [1.0, 2.0]]
    with pytest.raises(ValueError, match="one per point"):
        class_centroids([[0.0], [1.0]], [0], 2)
    with pytest.raises(ValueError, match="lie in"):
        class_centroids([[0.0], [1.0]], [0, 2], 2)
    with pytest.raises(ValueError, match="empty"):
        class_centroids([[0.0], [1.0]], [0, 0], 2)


def test_planted_centroids_are_one_plus_cosine():
    """Gromov's solution: averaged over the pairs with a + b = c, hidden unit j of frequency σ reads
    A²(1 + cos(w c + φ₁ⱼ + φ₂ⱼ)) (the cross term's other half averages to 0): a ring per frequency."""
    p, M = 13, 8
    model = planted_mlp(p, [2], dtype=torch.float64)
    data = ModularArithmetic(p=p, train_fraction=0.5).build(seed=0)

    class Context:
        pass

    ctx = Context()
    ctx.model, ctx.data = model, data
    centroids = centroid_diagnostic("hidden")(ctx)
    c, j = np.arange(p)[:, None], np.arange(M)[None]
    expected = 1 + np.cos(2 * np.pi * 2 * c / p + 2 * np.pi * j / M + 4 * np.pi * j / M)
    assert np.allclose(centroids, expected, atol=1e-5)
