"""Tangent-kernel diagnostics: oracles (linear models, yyᵀ, autograd), training integration, bad input."""
import copy
import math

import numpy as np
import pytest
import torch
from torch import nn

from grokbook import MLPConfig, TrainConfig, build_model, train, vary
from grokbook.diagnostics.kernels import (empirical_ntk, jacobian, kernel_change, kernel_regression,
                                          kernel_regression_error, kernel_target_alignment, ntk_diagnostic,
                                          parameter_distance)
from grokbook.training import CenteredScaled, History
from grokbook.tasks.polynomial import PolynomialRegression

torch.set_num_threads(1)


def _linear(d_in, d_out, bias=False, seed=0):
    torch.manual_seed(seed)
    return nn.Linear(d_in, d_out, bias=bias).double()


def test_ntk_of_linear_model_is_gram_matrix():
    x = torch.randn(6, 4, dtype=torch.float64)
    torch.testing.assert_close(empirical_ntk(_linear(4, 1), x), x @ x.T)
    # a bias adds a constant feature; C outputs sum C copies of the same kernel (traced NTK)
    torch.testing.assert_close(empirical_ntk(_linear(4, 1, bias=True), x), x @ x.T + 1)
    torch.testing.assert_close(empirical_ntk(_linear(4, 3), x), 3 * x @ x.T)
    x2 = torch.randn(2, 4, dtype=torch.float64)
    torch.testing.assert_close(empirical_ntk(_linear(4, 1), x, x2), x @ x2.T)


def test_ntk_matches_autograd_per_example():
    data = PolynomialRegression(dim=5, n_train=7, n_test=3).build(0).to("cpu", torch.float64)
    model = build_model(MLPConfig(width=9, activation="tanh"), data, seed=1).double()
    grads = []
    for xi in data.x_train:
        out = model(xi[None]).sum()
        grads.append(torch.cat([g.flatten() for g in torch.autograd.grad(out, list(model.parameters()))]))
    g = torch.stack(grads)
    torch.testing.assert_close(empirical_ntk(model, data.x_train), g @ g.T)
    assert jacobian(model, data.x_train).shape == (7, 1, g.shape[1])


def test_scaled_model_is_zero_at_init_and_has_alpha_squared_kernel():
    data = PolynomialRegression(dim=5, n_train=8, n_test=3).build(0).to("cpu", torch.float64)
    raw = build_model(MLPConfig(width=6), data, seed=0).double()
    alpha = 7.0
    scaled = CenteredScaled(raw, copy.deepcopy(raw), alpha)
    assert torch.equal(scaled(data.x_train), torch.zeros(8, 1, dtype=torch.float64))
    torch.testing.assert_close(empirical_ntk(scaled, data.x_train), alpha**2 * empirical_ntk(raw, data.x_train))
    assert parameter_distance(scaled) == 0.0


def test_alignment_oracles():
    y = torch.randn(10, dtype=torch.float64)
    assert kernel_target_alignment(torch.outer(y, y), y) == pytest.approx(1.0)
    assert kernel_target_alignment(-torch.outer(y, y), y) == pytest.approx(-1.0)
    # centred identity H: ⟨H, y_c y_cᵀ⟩ / (‖H‖ ‖y_c‖²) = 1/√(n−1)
    assert kernel_target_alignment(torch.eye(10, dtype=torch.float64), y) == pytest.approx(1 / math.sqrt(9))
    # centring removes constants, scaling does not matter
    K = torch.rand(10, 10, dtype=torch.float64)
    K = K @ K.T
    assert kernel_target_alignment(3 * K + 5, y) == pytest.approx(kernel_target_alignment(K, y))
    # class ids are one-hot encoded: the class-agreement kernel is perfectly aligned
    labels = torch.tensor([0, 1, 2, 1, 0, 2, 2])
    same = (labels[:, None] == labels[None]).double()
    assert kernel_target_alignment(same, labels) == pytest.approx(1.0)


def test_kernel_change_and_distance():
    K = torch.rand(5, 5) + torch.eye(5)
    assert kernel_change(K, K) == 0.0
    assert kernel_change(2 * K, K) == pytest.approx(1.0)
    a, b = _linear(3, 2), _linear(3, 2)
    with torch.no_grad():
        b.weight.copy_(a.weight)
        b.weight[0, 0] += 3.0
        b.weight[1, 2] -= 4.0
    assert parameter_distance(b, a) == pytest.approx(5.0)
    assert parameter_distance(b, a, relative=True) == pytest.approx(5.0 / a.weight.norm().item())


def test_kernel_regression_recovers_a_linear_target():
    torch.manual_seed(0)
    w = torch.randn(3, dtype=torch.float64)
    x, xt = torch.randn(20, 3, dtype=torch.float64), torch.randn(8, 3, dtype=torch.float64)
    pred = kernel_regression(x @ x.T, xt @ x.T, x @ w)  # singular (rank 3) Gram: pseudo-inverse
    torch.testing.assert_close(pred[:, 0], xt @ w)
    # ridge: f̂ = K_* (K + λI)⁻¹ y
    ridge = 0.5
    expected = xt @ x.T @ torch.linalg.solve(x @ x.T + ridge * torch.eye(20, dtype=torch.float64), x @ w)
    torch.testing.assert_close(kernel_regression(x @ x.T, xt @ x.T, x @ w, ridge)[:, 0], expected)
    err = kernel_regression_error(_linear(3, 1), x, x @ w, xt, xt @ w)
    assert err["test_loss"] < 1e-12 and math.isnan(err["test_acc"])


def test_kernel_regression_error_classification():
    # one-hot inputs: the linear kernel is the identity on distinct points; train points are classified
    x = torch.eye(6, dtype=torch.float64)
    labels = torch.tensor([0, 1, 2, 0, 1, 2])
    err = kernel_regression_error(_linear(6, 3), x, labels, x, labels)
    assert err["test_acc"] == 1.0 and err["test_loss"] < 1e-12


def _poly_config(**changes):
    cfg = TrainConfig(task=PolynomialRegression(dim=6, n_train=30, n_test=40), model=MLPConfig(width=16, bias=False),
                      optimizer="sgd", lr=0.5, weight_decay=0.0, loss="mse", steps=60, log_points=6,
                      output_scale=1.0, device="cpu")
    return vary(cfg, **changes)


def test_diagnostic_during_training_lazy_vs_rich():
    runs = {a: train(_poly_config(output_scale=a), diagnostics={"ntk": ntk_diagnostic(16)}, progress=False)
            for a in (1.0, 30.0)}
    for run in runs.values():
        h = run.history
        assert h["ntk.kernel_change"][0] == 0.0 and h["ntk.distance"][0] == 0.0
        assert -1 <= h["ntk.alignment"][-1] <= 1
    # larger α: same loss decrease, far smaller movement of weights and kernel (laziness)
    lazy, rich = runs[30.0].history, runs[1.0].history
    assert lazy["ntk.kernel_change"][-1] < 0.2 * rich["ntk.kernel_change"][-1]
    assert lazy["ntk.distance"][-1] < 0.2 * rich["ntk.distance"][-1]
    assert lazy["train_loss"][-1] < 0.9 * lazy["train_loss"][0]


@pytest.mark.parametrize("alpha", [0.0, -1.0])
def test_output_scale_must_be_positive(alpha):
    with pytest.raises(ValueError, match="output_scale"):
        TrainConfig(output_scale=alpha)


def test_probe_larger_than_data_fails_before_training():
    with pytest.raises(ValueError, match="probe_size=31 exceeds the train set"):
        train(_poly_config(), diagnostics={"ntk": ntk_diagnostic(31)}, progress=False)


@pytest.mark.parametrize("call, message", [
    (lambda: ntk_diagnostic(1), "probe_size must be an integer"),
    (lambda: ntk_diagnostic(8, split="val"), "split must be"),
    (lambda: kernel_change(torch.eye(3), torch.eye(4)), "same shape"),
    (lambda: kernel_change(torch.eye(3), torch.zeros(3, 3)), "initial kernel is zero"),
    (lambda: kernel_target_alignment(torch.eye(3), torch.ones(4)), "one entry per kernel row"),
    (lambda: kernel_target_alignment(torch.ones(3, 4), torch.ones(3)), "square"),
    (lambda: kernel_target_alignment(torch.eye(3), torch.ones(3)), "undefined"),
    (lambda: kernel_regression(torch.eye(3), torch.ones(2, 3), torch.ones(3), ridge=-1.0), "ridge must be"),
    (lambda: kernel_regression(torch.eye(3), torch.ones(2, 4), torch.ones(3)), "k_cross"),
    (lambda: parameter_distance(nn.Linear(2, 2)), "initial is needed"),
    (lambda: parameter_distance(nn.Linear(2, 2), nn.Linear(2, 2, bias=False)), "same parameter names"),
])
def test_bad_input(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def _synthetic_history(scale):
    steps = np.array([0, 1, 10, 100, 1000])
    return History(columns={"step": steps, "train_loss": np.array([1.0, 0.9, 0.5, 0.1, 0.01]) * scale,
                            "test_loss": np.array([1.0, 1.1, 1.0, 0.5, 0.1]) * scale,
                            "ntk.kernel_change": np.array([0.0, 1e-3, 1e-2, 0.1, 1.0]),
                            "ntk.alignment": np.array([0.1, 0.1, 0.12, 0.2, 0.3])})


def test_plots_draw_labelled_panels():
    import matplotlib
    matplotlib.use("Agg")
    from matplotlib.figure import Figure
    from grokbook.plots.kernels import plot_kernel_panel, plot_lazy_rich, plot_timescales

    lazy = {"step": np.array([0, 1, 10]), "train_loss": np.ones(3), "test_loss": np.ones(3)}
    fig = plot_lazy_rich([_synthetic_history(1), _synthetic_history(2)], ["α = 1", "α = 2"], lazy=lazy,
                         kernel_loss=0.9, fig=Figure())
    axes = fig.get_axes()
    assert len(axes) == 3 and all(ax.get_xlabel() == "optimisation step" for ax in axes)
    assert "kernel change" in axes[1].get_ylabel() and "alignment" in axes[2].get_ylabel()
    assert len(axes[0].get_lines()) == 2 * 2 + 2 + 1  # train+test per run, linearised pair, K₀ line
    assert len(plot_kernel_panel(_synthetic_history(1), Figure()).get_axes()) == 3
    # an exact power law τ = 5 α² must be reported with exponent 2.00
    ax = plot_timescales([1, 3, 10], [7, 7, 7], [5, 45, 500], ax=Figure().gca())
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["τ_readout ∝ α^0.00", "τ_features ∝ α^2.00"]
    # other names and extra series; an inf (never reached) point is left out of the fit
    ax = plot_timescales([1, 3, 10], [7, 7, 7], [5, 45, 500], ax=Figure().gca(), labels=("t_fit", "τ_f"),
                         extra={"t_gen": [2, 6, np.inf]})
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["t_fit ∝ α^0.00", "τ_f ∝ α^2.00", "t_gen ∝ α^1.00"]


def test_widget_retrains_with_kernel_diagnostics():
    from grokbook.plots.kernels import plot_kernel_panel
    from grokbook.widgets import training_panel

    panel = training_panel(_poly_config(steps=10), {"output_scale": (1.0, 100.0, "log"), "width": [8, 16],
                                                   "n_train": (10, 40)},
                           plot=plot_kernel_panel, diagnostics={"ntk": ntk_diagnostic(8)})
    history = panel.set(output_scale=10.0, width=8, n_train=20).run()
    assert history["step"][-1] == 10 and "ntk.kernel_change" in history and panel.redraws >= 1


class _Square(torch.autograd.Function):
    # old-style Function (no setup_context): torch.func cannot transform it
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return 2 * x * grad


class _SquareModel(nn.Module):
    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.tensor([0.5, -1.0, 2.0], dtype=torch.float64))

    def forward(self, x):
        return _Square.apply(x * self.w)  # f_c(x) = (w_c x_c)², ∂f_c/∂w_c = 2 w_c x_c²


def test_ntk_falls_back_to_plain_autograd_for_custom_functions():
    x = torch.randn(4, 3, dtype=torch.float64)
    model = _SquareModel()
    grads = 2 * model.w.detach() * x**2            # (n, C): output c depends on w_c only
    expected = grads @ grads.T                      # traced over outputs
    torch.testing.assert_close(empirical_ntk(model, x), expected)
