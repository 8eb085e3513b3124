import numpy as np
import pytest

from grokbook.diagnostics.topology import (betti_curve, betti_numbers, long_lived_betti, persistence_diagram)


def _circle(n, centre=(0.0, 0.0), noise=0.05, seed=0):
    rng = np.random.default_rng(seed)
    t = rng.uniform(0, 2 * np.pi, n)
    return np.c_[centre[0] + np.cos(t), centre[1] + np.sin(t)] + noise * rng.normal(size=(n, 2))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_noisy_circle_has_one_loop(seed):
    betti = long_lived_betti(_circle(150, seed=seed))
    assert (betti["b0"], betti["b1"]) == (1, 1)


def test_two_circles_have_two_loops_and_two_components():
    betti = long_lived_betti(np.r_[_circle(100, seed=0), _circle(100, (3.0, 0.0), seed=1)])
    assert (betti["b0"], betti["b1"]) == (2, 2)


def test_blob_has_no_loop_and_high_dim_cloud_is_isolated_points():
    assert long_lived_betti(np.random.default_rng(0).uniform(size=(150, 2)))["b1"] == 0
    assert long_lived_betti(np.random.default_rng(0).normal(size=(60, 500)))["b0"] == 60


def test_diagram_has_one_infinite_component():
    dgm = persistence_diagram(_circle(50))
    assert np.isinf(dgm[:, 1]).sum() == 1 and dgm[np.isinf(dgm[:, 1]), 2] == 0


def test_betti_curve_matches_giotto():
    from gtda.diagrams import BettiCurve

    from gtda.homology import VietorisRipsPersistence
    points = _circle(60)
    gdgm = VietorisRipsPersistence(homology_dimensions=(0, 1)).fit_transform(points[None])
    curve = BettiCurve(n_bins=30).fit(gdgm)
    ours = persistence_diagram(points)
    for k in (1,):
        eps = curve.samplings_[k]
        assert np.array_equal(betti_curve(ours, k, eps), curve.transform(gdgm)[0, k])


def test_betti_numbers_by_hand():
    dgm = np.array([[0, np.inf, 0], [0, 0.5, 0], [0, 3.0, 0], [1.0, 1.2, 1], [1.0, 4.0, 1]])
    assert betti_numbers(dgm, 1.0) == {0: 2, 1: 1}
    assert betti_curve(dgm, 1, [0.5, 1.1, 2.0]).tolist() == [0, 2, 1]


def test_bad_inputs():
    with pytest.raises(ValueError, match="at least 4 points"):
        persistence_diagram(np.zeros((3, 2)) + np.arange(3)[:, None])
    with pytest.raises(ValueError, match="homology_dimensions"):
        persistence_diagram(_circle(10), homology_dimensions=(2,))
    with pytest.raises(ValueError, match="max_points"):
        persistence_diagram(_circle(10), max_points=3)
    with pytest.raises(ValueError, match="threshold"):
        long_lived_betti(_circle(10), threshold=1.5)
    with pytest.raises(ValueError, match="min_persistence"):
        betti_numbers(np.zeros((1, 3)), -1.0)
    with pytest.raises(ValueError, match="diagram"):
        betti_curve(np.zeros((2, 2)), 0, [0.0])
    with pytest.raises(ValueError, match="dimension"):
        betti_curve(np.zeros((2, 3)), 2, [0.0])


# -- loops against a null model ------------------------------------------------------------------------------
from grokbook.diagnostics.topology import (frequency_plane, frequency_plane_test, gaussian_null,  # noqa: E402
                                           loop_lengths, loop_test, null_loop_lengths, rms_radius,
                                           significant_loops, strongest_frequency)
from grokbook.models.planted import planted_mlp  # noqa: E402


def _disk(n, seed):
    rng = np.random.default_rng(seed)
    r, t = np.sqrt(rng.uniform(size=n)), rng.uniform(0, 2 * np.pi, n)
    return np.c_[r * np.cos(t), r * np.sin(t)]


@pytest.mark.parametrize("seed", range(20))
def test_blob_has_no_loop_against_its_gaussian_null(seed):
    """A filled disk (97 points) and a filled square (150) have no hole: 20 of 20 draws (the old 10%-of-the-
    diameter rule found a loop in 10 of 20 disks)."""
    assert loop_test(_disk(97, seed), seed=seed)["b1"] == 0
    assert loop_test(np.random.default_rng(seed).uniform(size=(150, 2)), seed=seed)["b1"] == 0


@pytest.mark.parametrize("seed", range(5))
def test_noisy_circle_and_two_circles_beat_the_null(seed):
    assert loop_test(_circle(97, noise=0.1, seed=seed), seed=seed)["b1"] == 1
    two = np.r_[_circle(80, seed=seed), _circle(80, (3.0, 0.0), seed=seed + 100)]
    assert loop_test(two, seed=seed)["b1"] == 2


def test_gaussian_null_matches_mean_and_covariance():
    rng = np.random.default_rng(0)
    points = rng.normal(size=(4000, 3)) @ np.array([[2.0, 0, 0], [1.0, 1.0, 0], [0, 0, 0.1]]) + 5.0
    null = gaussian_null(points, n_draws=1, seed=1)[0]
    assert null.shape == points.shape
    assert np.allclose(null.mean(0), points.mean(0), atol=0.1)
    assert np.allclose(np.cov(null.T), np.cov(points.T), atol=0.15)


def test_loop_lengths_of_a_dense_circle_are_scale_free():
    t = np.linspace(0, 2 * np.pi, 60, endpoint=False)
    ring = np.c_[np.cos(t), np.sin(t)]
    assert rms_radius(3 * ring) == pytest.approx(3.0)
    # born at the spacing 2 sin(π/60), dies at √3 (inscribed triangles): lifetime ≈ √3 − 0.105
    assert loop_lengths(ring)[0] == pytest.approx(np.sqrt(3) - 2 * np.sin(np.pi / 60), abs=0.02)
    assert loop_lengths(7 * ring)[0] == pytest.approx(loop_lengths(ring)[0])


def test_significant_loops_by_hand():
    t = np.linspace(0, 2 * np.pi, 40, endpoint=False)
    ring = np.c_[np.cos(t), np.sin(t)]
    longest = loop_lengths(ring)[0]
    assert significant_loops(ring, [longest / 1.4])["b1"] == 0     # beats the null by 1.4 < 1.5
    assert significant_loops(ring, [longest / 1.6])["b1"] == 1
    assert significant_loops(ring, [longest / 1.4], margin=1.0)["ratio"] == pytest.approx(1.4)


def test_planted_solution_frequency_planes_are_rings_and_others_are_not():
    """The answer key (Gromov's network written by hand): each used frequency's plane of its token table
    is an exact ring; the strongest frequency is one of the used ones."""
    table = planted_mlp(31, [3, 7]).first[0].detach().double().numpy()           # (p, width)
    assert strongest_frequency(table) in (3, 7)
    for k in (3, 7):
        plane = frequency_plane(table, k)
        radius = np.linalg.norm(plane - plane.mean(0), axis=1)
        assert np.allclose(radius, radius.mean(), rtol=1e-6)
        assert frequency_plane_test(table, k)["b1"] == 1


def test_random_table_plane_is_not_a_ring():
    """A random table projected on its own frequency plane looks like a noisy ring: the null tables
    reproduce it, so no loop is found (5 draws)."""
    for seed in range(5):
        table = np.random.default_rng(seed).normal(size=(31, 64))
        assert frequency_plane_test(table, seed=seed)["b1"] == 0


def test_null_and_loop_bad_inputs():
    with pytest.raises(ValueError, match="n_draws"):
        gaussian_null(_circle(10), n_draws=0)
    with pytest.raises(ValueError, match="null_lengths"):
        significant_loops(_circle(10), [])
    with pytest.raises(ValueError, match="margin"):
        significant_loops(_circle(10), [0.1], margin=0.5)
    with pytest.raises(ValueError, match="at least 4 points"):
        loop_lengths(_circle(3))
    with pytest.raises(ValueError, match="coincide"):
        loop_lengths(np.ones((5, 2)))
    with pytest.raises(ValueError, match="null_clouds"):
        null_loop_lengths([])
