"""The lock-in diagnostics on planted answers: a known update spectrum, a rank change at a known step,
and hand-built features whose repulsion signs are known."""
import numpy as np
import pytest

from grokbook.diagnostics.spectral import (eigengap, repulsion_matrix, sign_match, slope_detector,
                                           update_spectrum)


def planted_updates(steps=120, change=70, seed=0):
    """Weights whose per-step update is rank 1 before ``change`` and rank 2 after, plus small noise."""
    rng = np.random.default_rng(seed)
    u, v = np.linalg.qr(rng.normal(size=(20, 3)))[0], np.linalg.qr(rng.normal(size=(15, 3)))[0]
    W, weights = np.zeros((20, 15)), []
    for t in range(steps):
        second = 0.0 if t < change else min(1.0, 0.02 * np.exp(0.15 * (t - change)))
        W = W + np.outer(u[:, 0], v[:, 0]) + second * np.outer(u[:, 1], v[:, 1]) + 1e-4 * rng.normal(size=W.shape)
        weights.append(W.copy())
    return np.arange(steps), weights


def test_update_spectrum_reads_the_planted_singular_values():
    rng = np.random.default_rng(1)
    U, _ = np.linalg.qr(rng.normal(size=(6, 6)))
    V, _ = np.linalg.qr(rng.normal(size=(5, 5)))
    step = U[:, :3] @ np.diag([5.0, 2.0, 0.5]) @ V[:, :3].T
    spectra = update_spectrum([np.zeros((6, 5)), step, 3 * step], lag=1, k=3)
    np.testing.assert_allclose(spectra, [[5.0, 2.0, 0.5], [10.0, 4.0, 1.0]], atol=1e-10)
    np.testing.assert_allclose(eigengap(spectra), [4.0, 4.0])


def test_the_detector_fires_just_after_the_rank_changes_and_not_without_it():
    steps, weights = planted_updates(change=70)
    gap = eigengap(update_spectrum(weights, k=3))
    fired = slope_detector(steps[1:], gap, window=5, threshold=0.05, level=10.0)
    assert fired is not None and 70 <= fired <= 100
    _, flat = planted_updates(change=10_000)  # the second direction never switches on: a rank-1 control
    assert slope_detector(steps[1:], eigengap(update_spectrum(flat, k=3)), window=5, threshold=0.05,
                          level=10.0) is None


def test_repulsion_signs_follow_similarity():
    # columns 0 and 1 nearly parallel (similar: repel, B < 0); column 2 anti-aligned with 0 (B > 0)
    rng = np.random.default_rng(2)
    a, b = rng.normal(size=50), rng.normal(size=50)
    F = np.stack([a, a + 0.1 * b, -a + 0.2 * b, b], axis=1)
    B = repulsion_matrix(F, eta=0.1)
    assert B[0, 1] < 0 and B[0, 2] > 0
    np.testing.assert_allclose(B @ (F.T @ F + 0.1 * np.eye(4)), np.eye(4), atol=1e-8)
    assert sign_match(F, eta=0.1, top=1) == 1.0


def test_the_sign_rule_is_met_by_random_features_too_so_it_needs_a_null():
    # First order: B_jl ≈ −G_jl / (G_jj G_ll); the top-similarity pairs of random columns match the rule.
    F = np.random.default_rng(3).normal(size=(400, 60))
    assert sign_match(F, eta=1.0, top=200) >= 0.95
    # ...while over all 1770 pairs only about half do: the rule is about the most similar pairs.
    assert 0.4 < sign_match(F, eta=1.0, top=1770) < 0.6


@pytest.mark.parametrize("call, match", [
    (lambda: update_spectrum(np.zeros((3, 4))), "sequence of matrices"),
    (lambda: update_spectrum([np.zeros((3, 4))] * 2, lag=2), "lag must lie"),
    (lambda: eigengap(np.ones((2, 3)), i=3, j=2), "1 ≤ i < j"),
    (lambda: slope_detector(np.arange(3), np.ones(3), window=1, threshold=0.1), "window must be ≥ 2"),
    (lambda: repulsion_matrix(np.ones((3, 2)), eta=0.0), "eta must be > 0"),
    (lambda: sign_match(np.ones((3, 2)), eta=1.0, top=5), "top must lie"),
])
def test_bad_inputs_say_what_is_wrong(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_the_logged_update_spectrum_matches_the_weights_moved_between_logs():
    import torch

    from grokbook import MLPConfig, ModularArithmetic, TrainConfig, grid, train_ensemble
    from grokbook.diagnostics.spectral import update_spectrum_diagnostic

    configs = grid(TrainConfig(task=ModularArithmetic(p=7, train_fraction=0.6), model=MLPConfig(width=8),
                               steps=6, log_grid="linear", log_points=4, device="cpu"), seed=[0, 1])
    snapshots = {0: [], 1: []}

    def keep(context):
        snapshots[context.member].append(context.model.first.detach().reshape(-1, 8).clone())
        return 0.0

    runs = train_ensemble(configs, progress=False, diagnostics={"update": update_spectrum_diagnostic(k=2),
                                                               "keep": keep})
    for member, run in enumerate(runs):
        W = snapshots[member]
        expected = torch.linalg.svdvals((W[2] - W[1]).double())[:2].numpy()
        np.testing.assert_allclose([run.history["update.s1"][2], run.history["update.s2"][2]], expected,
                                   rtol=1e-5)
        assert np.isnan(run.history["update.s1"][0])


def test_the_trajectory_spectrum_reads_a_planted_plane_of_updates():
    """Updates drawn inside a 2-D plane (plus tiny noise) have σ₂/σ₃ ≫ 1; isotropic ones do not."""
    from grokbook.diagnostics.spectral import trajectory_spectrum
    rng = np.random.default_rng(4)
    plane = np.linalg.qr(rng.normal(size=(300, 2)))[0].T            # two orthonormal directions
    coef = rng.normal(size=(12, 2)) * [3.0, 1.0]
    planar = coef @ plane + 1e-6 * rng.normal(size=(12, 300))
    s = trajectory_spectrum(planar, k=4)
    np.testing.assert_allclose(s[:2], np.linalg.svd(coef, compute_uv=False), rtol=1e-4)
    assert eigengap(s[None])[0] > 1e4
    assert eigengap(trajectory_spectrum(rng.normal(size=(12, 300)), k=4)[None])[0] < 1.5
    with pytest.raises(ValueError, match="non-empty"):
        trajectory_spectrum([])


def test_the_lockin_diagnostic_logs_the_window_of_updates_between_logs():
    from grokbook import MLPConfig, ModularArithmetic, TrainConfig, grid, train_ensemble
    from grokbook.diagnostics.spectral import lockin_diagnostic, trajectory_spectrum

    configs = grid(TrainConfig(task=ModularArithmetic(p=7, train_fraction=0.6), model=MLPConfig(width=8),
                               steps=8, log_grid="linear", log_points=9, device="cpu"), seed=[0, 1])
    snapshots = {0: [], 1: []}

    def keep(context):
        snapshots[context.member].append(context.model.first.detach().double().numpy().ravel().copy())
        return 0.0

    runs = train_ensemble(configs, progress=False,
                          diagnostics={"keep": keep, "lockin": lockin_diagnostic(window=4, k=3)})
    for member, run in enumerate(runs):
        W = snapshots[member]
        expected = trajectory_spectrum([W[i] - W[i - 1] for i in range(5, 9)], k=3)
        got = [run.history[f"lockin.s{i}"][8] for i in (1, 2, 3)]
        np.testing.assert_allclose(got, expected, rtol=1e-6)
        assert run.history["lockin.gap"][8] == pytest.approx(expected[1] / expected[2])
        assert np.isnan(run.history["lockin.gap"][3]) and np.isfinite(run.history["lockin.gap"][4])
    with pytest.raises(ValueError, match="window ≥ 3"):
        lockin_diagnostic(window=2)


def test_the_random_null_of_the_sign_rule_is_near_one_on_top_pairs():
    from grokbook.diagnostics.spectral import random_sign_match
    assert random_sign_match((400, 60), eta=1.0, top=200, seed=3) >= 0.95
    assert random_sign_match((400, 60), eta=1.0, top=200, seed=3) == random_sign_match(
        (400, 60), eta=1.0, top=200, seed=3)
