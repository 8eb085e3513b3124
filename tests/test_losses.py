"""Per-sample losses against their formulas, StableMax's gradients at extreme logits, and bad names."""
import math

import pytest
import torch

from grokbook import MLPConfig, ModularArithmetic, TrainConfig, get_loss, mean_squared_error, stablemax_cross_entropy
from grokbook.losses import LOSSES, accuracy, cross_entropy, stablemax_log_s


def s_reference(x: float) -> float:
    """StableMax's s(x) straight from Prieto et al. 2025, eq. 7."""
    return x + 1 if x >= 0 else 1 / (1 - x)


def test_stablemax_matches_its_formula():
    torch.manual_seed(0)
    z = torch.randn(6, 5, dtype=torch.float64) * 4
    z[0] = torch.tensor([0.0, -1.0, 2.0, -3.5, 10.0])
    y = torch.tensor([0, 1, 2, 3, 4, 0])
    got = stablemax_cross_entropy(z, y)
    for i in range(len(z)):
        s = [s_reference(v) for v in z[i].tolist()]
        assert got[i].item() == pytest.approx(-math.log(s[y[i]] / sum(s)), rel=1e-12)
    assert got.shape == (6,)


def test_stablemax_log_s_values_and_continuity():
    x = torch.tensor([-3.0, -1e-12, 0.0, 1e-12, 4.0], dtype=torch.float64)
    expected = torch.tensor([math.log(1 / 4), math.log(1 / (1 + 1e-12)), 0.0, math.log1p(1e-12), math.log(5)],
                            dtype=torch.float64)
    torch.testing.assert_close(stablemax_log_s(x), expected)


def test_stablemax_gradient_matches_the_direct_formula():
    torch.manual_seed(1)
    z = (torch.randn(5, 7, dtype=torch.float64) * 3).requires_grad_()
    y = torch.tensor([0, 2, 4, 6, 1])
    g_ours = torch.autograd.grad(stablemax_cross_entropy(z, y).sum(), z)[0]
    s = torch.where(z >= 0, z + 1, 1 / (1 - z))
    direct = -torch.log(s.gather(1, y[:, None]).squeeze(1) / s.sum(1))
    g_direct = torch.autograd.grad(direct.sum(), z)[0]
    torch.testing.assert_close(g_ours, g_direct)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_stablemax_finite_at_extreme_logits(dtype):
    z = torch.tensor([[1e4, -1e4, 0.0], [-1e4, -1e4, 1e4], [1e4, 1e4, -1e4]], dtype=dtype, requires_grad=True)
    y = torch.tensor([0, 0, 2])
    loss = stablemax_cross_entropy(z, y)
    (grad,) = torch.autograd.grad(loss.sum(), z)
    assert torch.isfinite(loss).all() and torch.isfinite(grad).all()
    # sample 0 is right but not certain: s = (10001, 1/10001, 1) → a small, non-zero loss
    assert 0 < loss[0].item() < 1e-3
    # sample 1 is confidently wrong: the loss is large (log 10001² ≈ 18.4) and the gradient non-zero
    assert loss[1].item() == pytest.approx(math.log(10001 * (10001 + 2 / 10001)), rel=1e-4)
    assert grad[1].abs().sum() > 0


def test_softmax_collapses_where_stablemax_does_not():
    z = torch.tensor([[40.0, 0.0, 0.0]], requires_grad=True)
    y = torch.tensor([0])
    ce, (g_ce,) = cross_entropy(z, y), torch.autograd.grad(cross_entropy(z, y).sum(), z)
    assert ce.item() == 0.0 and g_ce[0, 0].item() == 0.0  # float32 softmax rounds to exactly 1
    sm = stablemax_cross_entropy(z, y)
    (g_sm,) = torch.autograd.grad(sm.sum(), z)
    assert sm.item() > 0 and g_sm[0, 0].item() < 0


def test_cross_entropy_matches_log_softmax():
    torch.manual_seed(2)
    z, y = torch.randn(4, 6, dtype=torch.float64), torch.tensor([0, 5, 3, 1])
    expected = torch.logsumexp(z, 1) - z[torch.arange(4), y]
    torch.testing.assert_close(cross_entropy(z, y), expected)


def test_mean_squared_error_one_hot_and_real_targets():
    out = torch.tensor([[0.5, 0.2, -0.1]])
    assert mean_squared_error(out, torch.tensor([1])).item() == pytest.approx((0.25 + 0.64 + 0.01) / 3)
    assert mean_squared_error(torch.tensor([[2.0]]), torch.tensor([0.5])).item() == pytest.approx(2.25)


def test_accuracy():
    out = torch.tensor([[0.1, 0.9], [0.8, 0.2], [0.3, 0.7]])
    assert accuracy(out, torch.tensor([1, 1, 1])).tolist() == [1.0, 0.0, 1.0]
    assert torch.isnan(accuracy(out, torch.tensor([0.5, 0.1, 0.2]))).all()


def test_get_loss_by_name():
    assert get_loss("stablemax") is stablemax_cross_entropy
    assert set(LOSSES) == {"cross_entropy", "stablemax", "mse", "mse_centered"}


@pytest.mark.parametrize("name", ["softmax", "StableMax", ""])
def test_unknown_loss_name(name):
    with pytest.raises(ValueError, match=r"loss must be one of \['cross_entropy', 'stablemax', 'mse', 'mse_centered'\]"):
        get_loss(name)
    with pytest.raises(ValueError, match="loss must be one of"):  # refused by the config, before any training
        TrainConfig(task=ModularArithmetic(p=5), model=MLPConfig(width=4), loss=name)


def test_stablemax_zero_loss_only_when_the_probability_rounds_to_one():
    """Others/top ≈ 2e-7 lies above float32's u = 6e-8: p_y < 1, so the loss must not be 0 (a loss
    computed as logsumexp(log s) − log s_y would round it away at the scale of log s_y ≈ 11.5)."""
    s_other = 0.01  # s(z) = 1/(1 − z) = 0.01 at z = −99
    z = torch.tensor([[1e5, -99.0, -99.0]])
    loss = stablemax_cross_entropy(z, torch.tensor([0]))
    assert loss.item() == pytest.approx(math.log1p(2 * s_other / (1e5 + 1)), rel=0.3)
    assert loss.item() > 0
    far = torch.tensor([[1e5, -1e5, -1e5]])  # others/top ≈ 2e-10 < u: exactly 0 in float32, not in float64
    assert stablemax_cross_entropy(far, torch.tensor([0])).item() == 0.0
    assert stablemax_cross_entropy(far.double(), torch.tensor([0])).item() > 0


def test_centered_mse_is_mse_against_zero_mean_one_hot_targets():
    from grokbook.losses import centered_mean_squared_error
    torch.manual_seed(3)
    f = torch.randn(4, 5, dtype=torch.float64)
    y = torch.tensor([0, 3, 4, 1])
    target = torch.eye(5, dtype=torch.float64)[y] - 0.2
    assert target.sum(dim=1).abs().max() < 1e-12              # zero-mean rows
    torch.testing.assert_close(centered_mean_squared_error(f, y), (f - target).square().mean(dim=1))
    # the zero output already has the loss of the plain MSE minus the mean's share
    zero = centered_mean_squared_error(torch.zeros(1, 5, dtype=torch.float64), y[:1])
    assert zero.item() == pytest.approx((0.8**2 + 4 * 0.2**2) / 5)
    assert get_loss("mse_centered") is centered_mean_squared_error
    with pytest.raises(ValueError, match="class ids"):
        centered_mean_squared_error(f, torch.rand(4))
