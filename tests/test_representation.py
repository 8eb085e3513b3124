import numpy as np
import pytest
import torch

from grokbook import MLPConfig, ModularArithmetic, TrainConfig, train
from grokbook.diagnostics.representation import (embedding_scale, parallelogram_errors, parallelogram_index,
                                                 parallelograms, representation_diagnostic, ring_index)


def _brute_parallelograms(n, modulus=None):
    found = set()
    for i in range(n):
        for j in range(i, n):
            for m in range(n):
                for k in range(m, n):
                    s1, s2 = i + j, m + k
                    if modulus is not None:
                        s1, s2 = s1 % modulus, s2 % modulus
                    if s1 == s2 and (i, j) < (m, k):
                        found.add((i, j, m, k))
    return found


@pytest.mark.parametrize("n, modulus", [(5, None), (7, None), (5, 5), (7, 7), (6, 11)])
def test_parallelograms_match_brute_force(n, modulus):
    q = parallelograms(n, modulus)
    assert set(map(tuple, q.tolist())) == _brute_parallelograms(n, modulus)
    assert len(q) == len(_brute_parallelograms(n, modulus))  # each parallelogram once


def test_linear_layout_scores_one_at_any_scale_and_dimension():
    rng = np.random.default_rng(0)
    v, origin = rng.normal(size=5), rng.normal(size=5)
    line = origin + np.arange(12.0)[:, None] * v
    for scale in (1e-3, 1.0, 1e3):
        assert parallelogram_index(scale * line) == 1.0
        assert ring_index(scale * line) == 1.0
    assert np.allclose(parallelogram_errors(line), 0, atol=1e-9)


def test_random_points_score_near_zero():
    rng = np.random.default_rng(1)
    e = rng.normal(size=(15, 8))
    assert parallelogram_index(e, delta=0.05) < 0.01
    assert ring_index(e, delta=0.05) < 0.1


def test_circle_is_a_ring_but_not_a_parallelogram():
    p = 11
    k = np.arange(p)
    # two Fourier planes with different radii and phases: the layout networks learn for modular addition
    e = np.concatenate([np.stack([np.cos(2 * np.pi * 3 * k / p + 0.4), np.sin(2 * np.pi * 3 * k / p + 0.4)], 1),
                        0.5 * np.stack([np.cos(2 * np.pi * 5 * k / p), np.sin(2 * np.pi * 5 * k / p)], 1)], 1)
    assert ring_index(e, modulus=p) == 1.0
    assert parallelogram_index(e, modulus=p) < 0.05
    # scrambling the token order destroys the ring
    assert ring_index(e[np.random.default_rng(0).permutation(p)], modulus=p) < 0.5


def test_partial_structure_gives_the_expected_share():
    # a line with one token moved far away: parallelograms through that token open, the others stay closed
    e = np.arange(8.0)[:, None]
    moved = e.copy()
    moved[7] = 100.0
    q = parallelograms(8)
    untouched = np.mean([7 not in row for row in q.tolist()])
    assert parallelogram_index(moved, delta=0.05) == pytest.approx(untouched)


def test_embedding_scale_is_rms_distance_from_centroid():
    e = np.array([[1.0, 0.0], [-1.0, 0.0], [0.0, 1.0], [0.0, -1.0]])
    assert embedding_scale(e) == pytest.approx(1.0)
    assert embedding_scale(torch.tensor(3 * e)) == pytest.approx(3.0)


def test_accepts_a_shared_table_from_the_model():
    cfg = TrainConfig(task=ModularArithmetic(p=7, train_fraction=0.5), model=MLPConfig(width=16, embed_dim=3),
                      steps=3, device="cpu", log_points=2)
    run = train(cfg, progress=False, diagnostics={"rep": representation_diagnostic(modulus=7)})
    table = run.model.embeddings()
    assert table.shape == (1, 7, 3)
    assert 0.0 <= parallelogram_index(table, modulus=7) <= 1.0
    assert {"rep.rqi", "rep.ring"} <= set(run.history.keys())
    assert len(run.history["rep.rqi"]) == len(run.history["step"])


@pytest.mark.parametrize("kwargs, match", [
    (dict(delta=0.0), "delta"),
    (dict(delta=-1.0), "delta"),
    (dict(modulus=3), "modulus"),
    (dict(modulus=1.5), "modulus"),
])
def test_bad_arguments_raise(kwargs, match):
    e = np.arange(6.0)[:, None]
    with pytest.raises(ValueError, match=match):
        parallelogram_index(e, **kwargs)
    with pytest.raises(ValueError, match=match):
        ring_index(e, **kwargs)


def test_bad_shapes_raise():
    with pytest.raises(ValueError, match="embeddings"):
        parallelogram_index(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="positions"):
        parallelogram_index(np.zeros((2, 5, 3)))
    with pytest.raises(ValueError, match="n "):
        parallelograms(1)
    with pytest.raises(ValueError, match="delta"):
        representation_diagnostic(delta=0)


# -- Fourier concentration --------------------------------------------------------------------------------

from grokbook.diagnostics.representation import frequency_concentration, random_concentration  # noqa: E402


def _sinusoid(p, k, phase=0.0):
    return np.cos(2 * np.pi * k * np.arange(p) / p + phase)


def test_concentration_is_one_for_pure_sinusoids_whatever_their_scale_and_offset():
    p = 13
    e = np.stack([3.0 * _sinusoid(p, 2, 0.3) + 5.0, 0.1 * _sinusoid(p, 6, 1.0), _sinusoid(p, 1)], 1)
    assert frequency_concentration(e) == pytest.approx(1.0)
    assert frequency_concentration(torch.tensor(e)[None].repeat(2, 1, 1)) == pytest.approx(1.0)


def test_concentration_of_two_equal_frequencies_per_column_is_one_half():
    p = 11
    e = np.stack([_sinusoid(p, 1) + _sinusoid(p, 4), _sinusoid(p, 2) - _sinusoid(p, 5, 0.5)], 1)
    assert frequency_concentration(e) == pytest.approx(0.5)


def test_concentration_weights_columns_by_their_power():
    p = 11
    pure, mixed = 2.0 * _sinusoid(p, 3), _sinusoid(p, 1) + _sinusoid(p, 2)   # powers 4 and 2 (×p/2)
    assert frequency_concentration(np.stack([pure, mixed], 1)) == pytest.approx((4 + 1) / (4 + 2))


def test_null_level_is_the_expected_share_of_the_largest_of_k_exponentials():
    p, k = 23, 11   # for Gaussian columns the K powers are i.i.d. exponential: E max / E sum = H_K / K
    harmonic = sum(1 / i for i in range(1, k + 1))
    assert random_concentration(p, 4000, samples=2) == pytest.approx(harmonic / k, abs=0.01)


def test_modular_parallelograms_close_only_for_a_constant_embedding():
    # RQI on Z_p is ≈ 0 by construction: a Fourier ring (the solution modular networks learn) scores 0
    p = 11
    ring = np.stack([_sinusoid(p, 3), _sinusoid(p, 3, -np.pi / 2)], 1)
    assert frequency_concentration(ring) == pytest.approx(1.0)
    assert parallelogram_index(ring, modulus=p, delta=0.1) == 0.0
    # a line closes exactly the parallelograms that do not wrap around p, and no others
    q = parallelograms(p, p)
    plain = np.mean(q[:, 0] + q[:, 1] == q[:, 2] + q[:, 3])
    line = parallelogram_index(np.arange(p, dtype=float)[:, None], modulus=p, delta=0.1)
    assert line == pytest.approx(plain) and line < 1


@pytest.mark.parametrize("bad, match", [(np.ones((5, 3)), "constant"), (np.ones((2, 3)), "shape"),
                                        (np.ones((2, 3, 4, 5)), "shape")])
def test_concentration_rejects_bad_tables(bad, match):
    with pytest.raises(ValueError, match=match):
        frequency_concentration(bad)
    with pytest.raises(ValueError, match="samples"):
        random_concentration(5, 2, samples=0)
