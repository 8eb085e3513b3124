"""The sharpness against known Hessians: linear least squares (H = 2XᵀX/n), the full Hessian of a
small MLP computed by torch, a warm start, and the logged diagnostic on a tiny run."""
import numpy as np
import pytest
import torch
from torch import nn

from grokbook.diagnostics.flatness import sharpness_diagnostic, top_hessian_eigenvalue


def _squared(f, t):
    return (f - t).square().sum(-1)


def test_least_squares_sharpness_is_the_top_eigenvalue_of_2XtX_over_n():
    torch.manual_seed(0)
    x = torch.randn(50, 6, dtype=torch.float64) * torch.tensor([3.0, 1, 1, 0.5, 0.5, 0.2],
                                                             dtype=torch.float64)
    y = torch.randn(50, 1, dtype=torch.float64)
    model = nn.Linear(6, 1, bias=False).double()
    lam, v = top_hessian_eigenvalue(model, _squared, x, y, iters=500, tol=1e-12)
    H = 2 * (x.T @ x).numpy() / len(x)
    eig, vec = np.linalg.eigh(H)
    assert lam == pytest.approx(eig[-1], rel=1e-8)
    assert abs(float(v.numpy() @ vec[:, -1])) == pytest.approx(1.0, abs=1e-6)


def test_a_small_mlp_matches_torchs_full_hessian():
    torch.manual_seed(1)
    model = nn.Sequential(nn.Linear(3, 5), nn.Tanh(), nn.Linear(5, 2)).double()
    x, y = torch.randn(40, 3, dtype=torch.float64), torch.randn(40, 2, dtype=torch.float64)
    names = [n for n, _ in model.named_parameters()]
    shapes = [p.shape for p in model.parameters()]
    flat0 = torch.cat([p.detach().reshape(-1) for p in model.parameters()])

    def loss(flat):
        parts, i = {}, 0
        for n, s in zip(names, shapes):
            parts[n] = flat[i:i + s.numel()].view(s)
            i += s.numel()
        return _squared(torch.func.functional_call(model, parts, (x,)), y).mean()

    eig = np.linalg.eigvalsh(torch.autograd.functional.hessian(loss, flat0).numpy())
    top = eig[np.argmax(np.abs(eig))]
    lam, _ = top_hessian_eigenvalue(model, _squared, x, y, iters=2000, tol=1e-13)
    assert lam == pytest.approx(top, rel=1e-5)


def test_a_warm_start_at_the_eigenvector_needs_one_product():
    x = torch.diag(torch.tensor([3.0, 1.0, 0.5], dtype=torch.float64))
    model = nn.Linear(3, 1, bias=False).double()
    start = torch.tensor([1.0, 0.0, 0.0], dtype=torch.float64)
    lam, _ = top_hessian_eigenvalue(model, _squared, x, torch.zeros(3, 1, dtype=torch.float64),
                                    iters=1, start=start)
    assert lam == pytest.approx(2 * 9.0 / 3)       # H = 2 XᵀX / n = diag(6, 2/3, 1/6)


@pytest.mark.parametrize("call, match", [
    (lambda: top_hessian_eigenvalue(nn.Linear(2, 1), _squared, torch.ones(2, 2),
                                    torch.ones(2, 1), iters=0), "need iters"),
    (lambda: top_hessian_eigenvalue(nn.Linear(2, 1), _squared, torch.ones(2, 2),
                                    torch.ones(2, 1), start=torch.ones(5)), "start must have"),
    (lambda: top_hessian_eigenvalue(nn.Identity(), _squared, torch.ones(2, 2),
                                    torch.ones(2, 2)), "no parameters"),
    (lambda: sharpness_diagnostic(every=0), "every must be"),
])
def test_bad_inputs_say_what_is_wrong(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_the_sharpness_diagnostic_logs_every_nth_step():
    from grokbook import MLPConfig, ModularArithmetic, TrainConfig, train_ensemble, vary
    cfg = TrainConfig(task=ModularArithmetic(p=11, train_fraction=0.6),
                      model=MLPConfig(width=16, activation="quadratic", bias=False),
                      loss="mse_centered", steps=4, log_grid="linear", log_points=5,
                      device="cpu")
    runs = train_ensemble([cfg, vary(cfg, seed=1)], progress=False,
                          diagnostics={"hess": sharpness_diagnostic(every=2, iters=50,
                                                                    tol=1e-6)})
    h = runs[1].history
    assert np.isfinite(h["hess"][[0, 2, 4]]).all() and np.isnan(h["hess"][[1, 3]]).all()
    model, data = runs[1].model, runs[1].data
    lam, _ = top_hessian_eigenvalue(model, lambda f, t: ((f - (torch.nn.functional.one_hot(
        t, f.shape[-1]) - 1 / f.shape[-1])) ** 2).mean(-1), data.x_train, data.y_train,
        iters=300, tol=1e-9)
    assert h["hess"][4] == pytest.approx(lam, rel=1e-2)
