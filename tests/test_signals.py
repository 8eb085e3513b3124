"""The test-free signals against known answers: a Pareto sample's exponent, a planted weight spectrum,
neural collapse of planted class clusters, and the logged diagnostic on a tiny run."""
import numpy as np
import pytest
import torch

from grokbook.diagnostics.signals import (hill_exponent, signals_diagnostic, weight_alpha,
                                          within_class_variability)


@pytest.mark.parametrize("alpha", [2.0, 3.0, 5.0])
def test_hill_recovers_a_pareto_exponent(alpha):
    rng = np.random.default_rng(0)
    sample = rng.uniform(size=20_000) ** (-1 / (alpha - 1))         # p(x) ∝ x^(−α) on x ≥ 1
    assert hill_exponent(sample, k=20_000) == pytest.approx(alpha, rel=0.03)


def test_weight_alpha_reads_the_squared_singular_values():
    rng = np.random.default_rng(1)
    U = np.linalg.qr(rng.normal(size=(300, 200)))[0]
    V = np.linalg.qr(rng.normal(size=(200, 200)))[0]
    lam = rng.uniform(size=200) ** (-1 / 2.0)                       # eigenvalues with α = 3
    W = U @ np.diag(np.sqrt(lam)) @ V.T
    assert weight_alpha(torch.tensor(W)) == pytest.approx(hill_exponent(lam), rel=1e-6)
    table = torch.tensor(W.reshape(2, 150, 200))                     # a one-hot MLP's (2, p, K) table
    assert weight_alpha(table) == pytest.approx(weight_alpha(torch.tensor(W)), rel=1e-9)


def test_nc1_is_zero_when_collapsed_and_scale_free():
    rng = np.random.default_rng(2)
    means = rng.normal(size=(5, 8))
    y = np.repeat(np.arange(5), 20)
    assert within_class_variability(means[y], y, 5) == pytest.approx(0.0, abs=1e-12)
    noisy = means[y] + 0.3 * rng.normal(size=(100, 8))
    value = within_class_variability(noisy, y, 5)
    assert value > 0
    assert within_class_variability(7.0 * noisy, y, 5) == pytest.approx(value, rel=1e-9)
    assert within_class_variability(means[y] + 0.6 * (noisy - means[y]), y, 5) < value


def test_nc1_two_classes_in_one_dimension():
    # means ±1 (Σ_B = 1), within-class deviations ±s: NC1 = s² / 2
    s = 0.25
    x = np.array([[-1 - s], [-1 + s], [1 - s], [1 + s]])
    assert within_class_variability(x, np.array([0, 0, 1, 1]), 2) == pytest.approx(s**2 / 2)


@pytest.mark.parametrize("call, match", [
    (lambda: hill_exponent(np.array([1.0, 2.0])), "at least 3 positive"),
    (lambda: hill_exponent(np.arange(1.0, 10.0), k=2), "k must lie"),
    (lambda: within_class_variability(np.ones((4, 2)), np.zeros(3), 2), "features must be"),
    (lambda: within_class_variability(np.ones((4, 2)), np.zeros(4, int), 2), "at least 2 classes"),
    (lambda: signals_diagnostic(every=0), "every must be"),
])
def test_bad_inputs_say_what_is_wrong(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_the_signals_diagnostic_logs_every_nth_step():
    from grokbook import MLPConfig, ModularArithmetic, TrainConfig, train
    cfg = TrainConfig(task=ModularArithmetic(p=11, train_fraction=0.6),
                      model=MLPConfig(width=16, activation="quadratic", bias=False), loss="mse_centered",
                      steps=4, log_grid="linear", log_points=5, device="cpu")
    h = train(cfg, progress=False, diagnostics={"sig": signals_diagnostic(every=2, top=50)}).history
    assert np.isfinite(h["sig.alpha"][[0, 2, 4]]).all() and np.isnan(h["sig.alpha"][[1, 3]]).all()
    assert 0.0 <= h["sig.sign"][0] <= 1.0 and h["sig.nc1"][0] > 0


@pytest.mark.parametrize("n, d, C", [(300, 20, 5), (400, 120, 71), (60, 3, 4)])
def test_nc1_equals_the_definition_with_a_pseudo_inverse(n, d, C):
    # tr(Σ_W Σ_B⁺) / C formed literally (d × d matrices, numpy's pinv) against the low-rank route
    rng = np.random.default_rng(n)
    y = rng.integers(0, C, n)
    H = rng.normal(size=(n, d)) + 2.0 * rng.normal(size=(C, d))[y]
    present = [c for c in range(C) if np.any(y == c)]
    means = np.stack([H[y == c].mean(axis=0) for c in present])
    centred = H - means[np.searchsorted(present, y)]
    between = means - means.mean(axis=0)
    sigma_w, sigma_b = centred.T @ centred / n, between.T @ between / len(present)
    literal = np.trace(sigma_w @ np.linalg.pinv(sigma_b, rcond=1e-10, hermitian=True))
    assert within_class_variability(H, y, C) == pytest.approx(literal / len(present), rel=1e-8)
