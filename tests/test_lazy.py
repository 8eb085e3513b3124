"""Lazy → rich dynamics: the linearised network against gradient descent, the core lazy oracle (a network
at large α follows its linearisation), timescales, feature-learning statistics, bad input."""
import math

import numpy as np
import pytest
import torch

from grokbook import MLPConfig, TrainConfig, train, vary
from grokbook.diagnostics.kernels import empirical_ntk, kernel_regression, ntk_diagnostic
from grokbook.diagnostics.lazy import (feature_time, fit_time, generalization_time, kernel_timescales,
                                       lazy_diagnostic, linearized_dynamics, linearized_history,
                                       linearized_losses, prediction_deviation, readout_time,
                                       teacher_overlap, timescales, top_eigenspace)
from grokbook.training import History
from grokbook.tasks.polynomial import PolynomialRegression

torch.set_num_threads(1)


def _gradient_descent(x, y, xt, yt, lr, steps, vectors):
    # plain GD on a linear model from w = 0, which is its own linearisation
    w = torch.zeros(x.shape[1], dtype=torch.float64, requires_grad=True)
    out = {"train_loss": [], "test_loss": [], "top_residual": [], "test_output": []}
    for t in range(max(steps) + 1):
        if t in steps:
            with torch.no_grad():
                r = x @ w - y
                out["train_loss"].append(r.square().mean().item())
                out["test_loss"].append(((xt @ w - yt) ** 2).mean().item())
                out["top_residual"].append(((vectors.T @ r).square().sum() / (vectors.T @ y).square().sum()).item())
                out["test_output"].append((xt @ w).numpy().copy())
        loss = ((x @ w - y) ** 2).mean()
        (g,) = torch.autograd.grad(loss, w)
        with torch.no_grad():
            w -= lr * g
    return out


def test_linearized_dynamics_equal_gradient_descent_on_a_linear_model():
    torch.manual_seed(1)
    x, xt = torch.randn(12, 5, dtype=torch.float64), torch.randn(7, 5, dtype=torch.float64)
    y, yt = torch.randn(12, dtype=torch.float64), torch.randn(7, dtype=torch.float64)
    lr, steps = 0.05, [0, 1, 5, 40]
    _, vectors = top_eigenspace(x @ x.T, 2)
    expected = _gradient_descent(x, y, xt, yt, lr, steps, vectors)
    out = linearized_dynamics(x @ x.T, xt @ x.T, y, yt, lr, np.array(steps), top_k=2)
    for name in ("train_loss", "test_loss", "top_residual"):
        np.testing.assert_allclose(out[name], expected[name], rtol=1e-9)
    np.testing.assert_allclose(out["test_output"], np.stack(expected["test_output"]), rtol=1e-9, atol=1e-12)
    losses = linearized_losses(x @ x.T, xt @ x.T, y, yt, lr, np.array(steps))
    np.testing.assert_allclose(losses["train_loss"], expected["train_loss"], rtol=1e-9)
    # at t → ∞ the test loss is that of kernel regression
    late = linearized_losses(x @ x.T, xt @ x.T, y, yt, lr, np.array([10**6]))["test_loss"][0]
    assert late == pytest.approx(float(((kernel_regression(x @ x.T, xt @ x.T, y)[:, 0] - yt) ** 2).mean()))


def test_top_eigenspace_and_kernel_timescales():
    kernel = torch.diag(torch.tensor([1.0, 4.0, 2.0], dtype=torch.float64))
    values, vectors = top_eigenspace(kernel, 2)
    assert values.tolist() == [4.0, 2.0]
    torch.testing.assert_close(vectors.abs(), torch.tensor([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]],
                                                             dtype=torch.float64))
    # P / (2 η λ): P = 3, η = 0.25
    np.testing.assert_allclose(kernel_timescales(kernel, 0.25, 2), [3 / (2 * 0.25 * 4), 3 / (2 * 0.25 * 2)])


def _poly_config(**changes):
    cfg = TrainConfig(task=PolynomialRegression(dim=6, n_train=30, n_test=40),
                      model=MLPConfig(width=32, activation="linear+quadratic", bias=False),
                      optimizer="sgd", lr=0.5, weight_decay=0.0, loss="mse", steps=300, log_points=12,
                      output_scale=1.0, device="cpu", dtype="float64")
    return vary(cfg, **changes)


def _deviation(history, twin, column):
    return float(np.max(np.abs(history[column] - twin[column]) / twin[column]))


def test_a_network_at_large_alpha_follows_its_linearisation():
    # The core lazy oracle: f = α (f_θ − f_θ₀) trained with lr/α² is, as α → ∞, gradient descent on the
    # linearised network with kernel α² K_θ₀ and step lr/α² — the same curves for every α. This tests the
    # output scale, the effective learning rate and the kept θ₀ end to end, against a closed form.
    runs = {a: train(_poly_config(output_scale=a), progress=False) for a in (1.0, 100.0, 1000.0)}
    twins = {a: linearized_history(run) for a, run in runs.items()}
    np.testing.assert_allclose(twins[1.0]["train_loss"], twins[1000.0]["train_loss"], rtol=1e-8)
    deviation = {(a, column): _deviation(runs[a].history, twins[a], column)
                 for a in runs for column in ("train_loss", "test_loss")}
    for column in ("train_loss", "test_loss"):
        assert deviation[1000.0, column] < 1e-2
        # the distance to the linearisation shrinks like 1/α (Chizat et al. 2019): ×10 in α, ÷10 in error
        assert deviation[1000.0, column] < 0.2 * deviation[100.0, column]
    # the same plumbing at α = 1 is not lazy: features move and the curves part (the test can fail)
    assert deviation[1.0, "train_loss"] > 0.1
    end = runs[1000.0].model(runs[1000.0].data.x_test).detach().numpy()
    assert prediction_deviation(end, twins[1000.0]["lazy.test_output"][-1]) < 1e-2


def test_lazy_diagnostic_during_training():
    task = PolynomialRegression(dim=6, n_train=30, n_test=40)
    runs = {a: train(_poly_config(output_scale=a), progress=False,
                     diagnostics={"ntk": ntk_diagnostic(16), "lazy": lazy_diagnostic(6, task.teacher())})
            for a in (1.0, 100.0)}
    for a, run in runs.items():
        h = run.history
        assert h["lazy.top_residual"][0] == pytest.approx(1.0) and h["lazy.top_residual"][-1] < 0.5
        assert h["lazy.test_output"].shape == (len(h), 40)
        np.testing.assert_allclose(h["lazy.test_output"][0], 0.0, atol=1e-12)  # f₀ = 0
        twin = linearized_history(run, top_k=6)
        if a == 100.0:  # lazy: the top-eigenspace residual follows the closed form
            np.testing.assert_allclose(h["lazy.top_residual"], twin["lazy.top_residual"], rtol=0.02, atol=1e-4)
    # rich training turns the first layer towards β; lazy training leaves it where it started
    rich, lazy = runs[1.0].history["lazy.teacher_overlap"], runs[100.0].history["lazy.teacher_overlap"]
    assert rich[-1] > 1.5 * rich[0]
    assert lazy[-1] == pytest.approx(lazy[0], rel=0.02)


def test_teacher_overlap_oracles():
    g = torch.Generator().manual_seed(0)
    beta = torch.randn(50, generator=g)
    random = torch.randn(50, 4000, generator=g)
    assert teacher_overlap(random, beta) == pytest.approx(1 / 50, rel=0.1)
    aligned = torch.outer(beta, torch.randn(7, generator=g))
    assert teacher_overlap(aligned, 3 * beta) == pytest.approx(1.0)
    orthogonal = torch.outer(torch.tensor([1.0, 0.0]), torch.ones(3))
    assert teacher_overlap(orthogonal, torch.tensor([0.0, 1.0])) == 0.0


def test_prediction_deviation_rejects_every_constant():
    reference = np.array([0.0, 1.0, 5.0, 2.0])
    for c in (0.0, reference.mean(), 10.0):
        assert prediction_deviation(np.full(4, c), reference) >= 1.0
    assert prediction_deviation(reference + 0.01, reference) < 0.01


def test_times_use_log_interpolation():
    steps = np.array([0, 1, 10, 100, 1000])
    h = History(columns={"step": steps, "train_loss": np.array([2.0, 1.5, 0.5, 0.1, 0.0]),
                         "test_loss": np.array([1.0, 1.2, 0.8, 0.3, 0.2]),
                         "lazy.top_residual": np.array([1.0, 0.8, 0.2, 0.05, 0.0]),
                         "ntk.kernel_change": np.array([0.0, 0.01, 0.05, 0.1, 1.0]),
                         "ntk.alignment": np.array([0.1, 0.1, 0.1, 0.3, 0.3])})
    log_between = lambda lo, hi, f: 10 ** (np.log10(lo) + f * (np.log10(hi) - np.log10(lo)))
    assert readout_time(h) == pytest.approx(log_between(1, 10, (0.5 - 0.8) / (0.2 - 0.8)))
    assert readout_time(h, fraction=0.1) == pytest.approx(log_between(10, 100, (0.1 - 0.2) / (0.05 - 0.2)))
    assert fit_time(h) == pytest.approx(log_between(1, 10, (1.0 - 1.5) / (0.5 - 1.5)))
    assert feature_time(h) == pytest.approx(100.0)
    assert generalization_time(h) == pytest.approx(log_between(10, 100, (0.5 - 0.8) / (0.3 - 0.8)))
    out = timescales(h)
    assert out["ratio"] == pytest.approx(100.0 / out["tau_readout"])
    assert out["t_align"] == pytest.approx(10 ** 1.5)  # halfway from 0.1 to 0.3, between steps 10 and 100
    assert math.isnan(feature_time(h, threshold=2.0))  # never reached
    with pytest.raises(ValueError, match="ntk.alignment"):
        timescales(History(columns={k: v for k, v in h.columns.items() if k != "ntk.alignment"}))


@pytest.mark.parametrize("call, message", [
    (lambda: top_eigenspace(torch.eye(3), 4), "k must be an integer"),
    (lambda: top_eigenspace(torch.ones(2, 3), 1), "square"),
    (lambda: kernel_timescales(torch.eye(2), 0.0, 1), "lr must be"),
    (lambda: linearized_dynamics(torch.eye(2), torch.ones(1, 2), torch.ones(2), torch.ones(1), 0.0, [1]),
     "lr must be"),
    (lambda: linearized_dynamics(torch.eye(2), torch.ones(1, 2), torch.ones(2), torch.ones(1), 5.0, [1]),
     "stability"),
    (lambda: linearized_dynamics(torch.eye(2), torch.ones(1, 3), torch.ones(2), torch.ones(1), 0.1, [1]),
     "k_cross"),
    (lambda: linearized_dynamics(torch.eye(2), torch.ones(1, 2), torch.tensor([0, 1]), torch.ones(1), 0.1,
                                 [1]), "one real target"),
    (lambda: linearized_dynamics(torch.eye(2), torch.ones(1, 2), torch.ones(2), torch.ones(1), 0.1, [1],
                                 top_k=3), "top_k must be"),
    (lambda: linearized_history(train(_poly_config(steps=2, output_scale=None), progress=False)),
     "output-scaled run"),
    (lambda: prediction_deviation(np.ones(3), np.ones(3)), "constant"),
    (lambda: prediction_deviation(np.ones(2), np.arange(3.0)), "same size"),
    (lambda: teacher_overlap(torch.ones(3, 2), torch.ones(2)), "weight must be"),
    (lambda: teacher_overlap(torch.ones(2, 2), torch.zeros(2)), "non-zero"),
    (lambda: lazy_diagnostic(0), "top_k must be"),
    (lambda: readout_time(History(columns={"step": np.arange(3)})), "no column"),
    (lambda: fit_time(History(columns={"step": np.arange(3), "train_loss": np.ones(3)}), 1.5), "fraction"),
    (lambda: generalization_time(History(columns={"step": np.arange(3)}), 0.0), "fraction"),
    (lambda: feature_time(History(columns={"step": np.arange(3)}), threshold=0), "threshold must be"),
    (lambda: feature_time(History(columns={"step": np.arange(3)})), "no column"),
])
def test_bad_input(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_kernel_baseline_recovers_a_quadratic_from_enough_data():
    # K₀ of φ(z) = z + z²/2 spans every linear and quadratic function of x (readout and first-layer
    # gradients), so with P above their number, D + D(D+1)/2, kernel regression recovers y = (β·x)²/2
    from grokbook.diagnostics.lazy import kernel_baseline

    model = MLPConfig(width=32, activation="linear+quadratic", bias=False)
    enough = kernel_baseline(PolynomialRegression(dim=4, n_train=40, n_test=50), model, seed=0)
    scarce = kernel_baseline(PolynomialRegression(dim=4, n_train=8, n_test=50), model, seed=0)
    assert enough["k0_loss"] < 1e-3 * enough["mean_loss"]
    assert scarce["k0_loss"] > 0.05 * scarce["mean_loss"]
    data = PolynomialRegression(dim=4, n_train=40, n_test=50).build(0)
    assert enough["zero_loss"] == pytest.approx(data.y_test.double().square().mean().item())
    assert enough["mean_loss"] == pytest.approx(
        (data.y_test.double() - data.y_train.double().mean()).square().mean().item())
    assert enough["identity_alignment"] == pytest.approx(1 / math.sqrt(39))
    with pytest.raises(ValueError, match="regression task"):
        from grokbook import ModularArithmetic
        kernel_baseline(ModularArithmetic(p=5, train_fraction=0.5), MLPConfig(width=4), seed=0)


def test_lazy_summary_of_a_lazy_and_a_rich_run():
    from grokbook.diagnostics.lazy import lazy_summary

    task = PolynomialRegression(dim=6, n_train=30, n_test=40)
    diagnostics = {"ntk": ntk_diagnostic(16), "lazy": lazy_diagnostic(6, task.teacher())}
    rows = {a: lazy_summary(train(_poly_config(output_scale=a), progress=False, diagnostics=diagnostics), 6)
            for a in (1.0, 100.0)}
    lazy, rich = rows[100.0], rows[1.0]
    assert lazy["tau_readout"] == pytest.approx(lazy["lin_tau_readout"], rel=0.02)
    assert lazy["deviation"] < 0.05 and math.isnan(lazy["tau_features"])  # never left the kernel
    assert rich["tau_features"] < rich["t_fit"]  # a rich start: the kernel moves first
    assert rich["overlap_end"] > rich["overlap_start"]
    assert lazy["alignment_start"] == pytest.approx(rich["alignment_start"])  # same θ₀, same K₀
