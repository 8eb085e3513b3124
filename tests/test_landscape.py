"""Oracle tests for the landscape diagnostics: pinv solutions, a quadratic path with a known barrier,
the balanced norm against a brute-force rescaling, and the tilt λ* of two known states."""
import numpy as np
import pytest
import torch

from grokbook import ModularArithmetic, get_loss
from grokbook.diagnostics import landscape as ls
from grokbook.models.planted import planted_mlp


def test_min_norm_interpolant_is_numpys_pinv_solution_and_interpolates():
    rng = np.random.default_rng(0)
    phi, y = rng.normal(size=(20, 50)), rng.normal(size=(20, 3))
    w = ls.min_norm_interpolant(phi, y)
    assert np.allclose(phi @ w, y, atol=1e-9)
    assert np.allclose(w, np.linalg.lstsq(phi, y, rcond=None)[0], atol=1e-9)
    null = np.linalg.svd(phi)[2][20:]          # any other interpolant adds a null-space component
    other = w + null[0][:, None] * 0.3
    assert np.allclose(phi @ other, y, atol=1e-9) and np.linalg.norm(other) > np.linalg.norm(w)


def test_min_norm_interpolant_refuses_bad_shapes():
    with pytest.raises(ValueError, match="2-D"):
        ls.min_norm_interpolant(np.ones(3), np.ones(3))
    with pytest.raises(ValueError, match="one row per feature row"):
        ls.min_norm_interpolant(np.ones((3, 2)), np.ones(4))


def test_quadratic_features_reproduce_the_planted_network():
    p = 7
    model = planted_mlp(p, [1, 2], dtype=torch.float64)
    x, _ = ModularArithmetic(p=p).table()
    phi = ls.quadratic_features(model.first, x)
    assert np.allclose(phi @ model.readout.detach().numpy(), model(x).detach().numpy(), atol=1e-9)
    with pytest.raises(ValueError, match="token tables"):
        ls.quadratic_features(model.first[0], x)


def test_balanced_norm_is_the_brute_force_minimum_and_invariant():
    g = torch.Generator().manual_seed(0)
    first = torch.randn(2, 5, 3, generator=g, dtype=torch.float64)
    readout = torch.randn(3, 5, generator=g, dtype=torch.float64)
    c = np.geomspace(0.05, 20, 20001)
    brute = 0.0
    for j in range(3):
        a, b = float(first[..., j].square().sum()), float(readout[j].square().sum())
        brute += np.min(c**2 * a + b / c**4)
    assert ls.balanced_norm(first, readout) == pytest.approx(np.sqrt(brute), rel=1e-6)
    scale = torch.tensor([0.5, 2.0, 3.0], dtype=torch.float64)   # per-unit rescaling that leaves the function unchanged
    assert ls.balanced_norm(first * scale, readout / scale[:, None] ** 2) == pytest.approx(
        ls.balanced_norm(first, readout), rel=1e-9)
    plain = float(torch.sqrt(first.square().sum() + readout.square().sum()))
    assert ls.balanced_norm(first, readout) <= plain + 1e-12
    with pytest.raises(ValueError, match="same width"):
        ls.balanced_norm(first, readout.T)


def test_quadratic_path_has_its_known_barrier():
    s = np.linspace(0, 1, 101)
    loss = 4 * s * (1 - s)                   # a bump of height 1 at s = 1/2
    norms = 9 * (1 - s) ** 2 + 1 * s**2      # ‖θ‖² from 9 (start) to 1 (end)
    untilted = ls.barrier(ls.path_energy(loss, norms, 0.0))
    assert untilted["height_from_start"] == pytest.approx(1.0) and untilted["peak"] == 0.5
    tilted = ls.path_energy(loss, norms, [0.0, 0.1])
    assert tilted.shape == (2, 101)
    b = ls.barrier(tilted[1])
    # F = 4s(1−s) + 0.1(9(1−s)² + s²): maximum where F' = 0, i.e. s* = (4 − 1.8)/(8 − 2)
    s_star = 2.2 / 6.0
    f = lambda t: 4 * t * (1 - t) + 0.1 * (9 * (1 - t) ** 2 + t**2)
    assert b["peak"] == pytest.approx(s_star, abs=0.01)
    assert b["height_from_start"] == pytest.approx(f(s_star) - f(0), abs=1e-3)
    assert b["height_from_end"] == pytest.approx(f(s_star) - f(1), abs=1e-3)
    assert b["lower"] == "end"
    with pytest.raises(ValueError, match="λ must be"):
        ls.path_energy(loss, norms, -1.0)
    with pytest.raises(ValueError, match="one shape"):
        ls.path_energy(loss, norms[:-1], 1.0)
    with pytest.raises(ValueError, match="finite 1-D"):
        ls.barrier(np.array([1.0]))


def test_crossing_lambda_swaps_the_minima():
    lam = ls.crossing_lambda(0.1, 0.4, 10.0, 4.0)
    assert lam == pytest.approx(0.05)
    f = lambda loss, n, l: loss + l * n
    assert f(0.1, 10, lam * 0.9) < f(0.4, 4, lam * 0.9) and f(0.1, 10, lam * 1.1) > f(0.4, 4, lam * 1.1)
    assert np.isnan(ls.crossing_lambda(0.1, 0.4, 4.0, 10.0))   # b is worse and larger: never lower
    assert np.isnan(ls.crossing_lambda(0.1, 0.4, 4.0, 4.0))


def test_straight_path_and_path_losses_match_direct_evaluation():
    p = 7
    a, b = planted_mlp(p, [1], dtype=torch.float64), planted_mlp(p, [2], dtype=torch.float64)
    ta, tb = ls.parameter_vector(a), ls.parameter_vector(b)
    path = ls.straight_path(ta, tb, 5)
    assert torch.allclose(path[0], ta) and torch.allclose(path[-1], tb)
    assert torch.allclose(path[2], (ta + tb) / 2)
    x, y = ModularArithmetic(p=p).table()
    loss = get_loss("cross_entropy")
    losses = ls.path_losses(a, path, x, y, loss)
    with torch.no_grad():
        ends = float(loss(a(x), y).mean()), float(loss(b(x), y).mean())
    assert losses[0] == pytest.approx(ends[0])
    assert losses[-1] == pytest.approx(ends[1])
    assert torch.allclose(ls.parameter_vector(a), ta)          # the model was left unchanged
    with pytest.raises(ValueError, match="flat parameter vectors"):
        ls.path_losses(a, path[:, :-1], x, y, loss)
    with pytest.raises(ValueError, match="n_points"):
        ls.straight_path(ta, tb, 1)


def test_lazy_memorizer_interpolates_and_is_bounded_by_the_class_generalizer():
    task = ModularArithmetic(p=7, train_fraction=0.5)
    out = ls.lazy_memorizer(task, width=98, seed=0)
    assert out["n_train"] == 24 and out["train_residual"] < 1e-8
    assert out["readout_norm"] <= out["full_table_norm"] + 1e-9   # the generalizer also fits the train pairs
    assert 0 <= out["test_acc"] <= 1 and out["balanced_norm"] > 0


def test_planted_generalizer_is_perfect_and_its_scale_is_least_squares():
    out = ls.planted_generalizer(7, [1, 2, 3])
    assert out["accuracy"] == 1.0
    # all (p−1)/2 frequencies: logits s·(pδ − 1)/2; the best s leaves a known error per entry
    p = 7
    g = np.where(np.eye(p, dtype=bool), (p - 1) / 2, -0.5)
    s = (g * np.eye(p)).sum() / (g * g).sum()
    assert out["mse"] == pytest.approx(((s * g - np.eye(p)) ** 2).mean(), rel=1e-9)


def test_balanced_norm_diagnostic_reads_the_model():
    from types import SimpleNamespace
    model = planted_mlp(7, [1])
    assert ls.balanced_norm_diagnostic()(SimpleNamespace(model=model)) == pytest.approx(
        ls.balanced_norm(model.first, model.readout))


def test_tilt_analysis_agrees_with_its_parts():
    p = 7
    mem, gen = planted_mlp(p, [1, 2], scale=1.0), planted_mlp(p, [2, 3], scale=0.5)
    x, y = ModularArithmetic(p=p).table()
    loss = get_loss("mse")
    tilts = np.geomspace(1e-6, 10, 200)
    out = ls.tilt_analysis(mem, gen, x, y, loss, tilts, n_points=21)
    path = ls.straight_path(ls.parameter_vector(mem), ls.parameter_vector(gen), 21)
    assert np.allclose(out["L"], ls.path_losses(gen, path, x, y, loss))
    assert out["F0"] == pytest.approx(1 / p)          # all-zero logits against one-hot targets
    if np.isfinite(out["spinodal"]):
        k = int(np.searchsorted(tilts, out["spinodal"]))
        e = ls.path_energy(out["L"], out["n2"], tilts)
        assert ls.barrier(e[k])["height_from_start"] <= 1e-12
        assert k == 0 or ls.barrier(e[k - 1])["height_from_start"] > 1e-12
    with pytest.raises(ValueError, match="increasing"):
        ls.tilt_analysis(mem, gen, x, y, loss, np.array([1.0, 0.5]))


def test_trained_path_ends_where_the_trained_model_is():
    # Oracle: the last logged point of the trained path is the loss and squared norm of the final model.
    from grokbook import MLPConfig, TrainConfig, train
    config = TrainConfig(task=ModularArithmetic(p=7, train_fraction=0.6),
                         model=MLPConfig(width=8, activation="quadratic", bias=False), loss="mse",
                         steps=20, log_points=5, log_grid="linear", device="cpu", dtype="float64")
    run = train(config, progress=False)
    steps, losses, n2 = ls.trained_path(run.history, start=5)
    theta = ls.parameter_vector(run.model)
    assert steps[0] >= 5 and steps[-1] == run.history["step"][-1]
    assert losses[-1] == pytest.approx(ls.path_losses(run.model, theta[None], run.data.x_train,
                                                      run.data.y_train, get_loss("mse"))[0], rel=1e-9)
    assert n2[-1] == pytest.approx(float(theta.square().sum()), rel=1e-9)
    with pytest.raises(ValueError, match="at least 2 logged steps"):
        ls.trained_path(run.history, start=19.5)
