"""Singular-value spreads against matrices with known spectra, and Muon/EGD updates read back from runs."""
import numpy as np
import pytest

from grokbook import MLPConfig, ModularArithmetic, TrainConfig, train_ensemble, vary
from grokbook.diagnostics.updates import matrix_snapshot, singular_spread, singular_values, update_spreads


def test_spread_of_a_planted_spectrum():
    rng = np.random.default_rng(0)
    U, _ = np.linalg.qr(rng.normal(size=(6, 6)))
    V, _ = np.linalg.qr(rng.normal(size=(4, 4)))
    M = U[:, :4] @ np.diag([8.0, 4.0, 2.0, 1.0]) @ V.T
    np.testing.assert_allclose(singular_values(M), [8, 4, 2, 1])
    assert singular_spread(M) == pytest.approx(2.0)       # σ₁/σ₂ = 8/4 (q = 0.5 of r = 4)
    assert singular_spread(M, q=1.0) == pytest.approx(8.0)
    assert singular_spread(U[:, :4] @ V.T) == pytest.approx(1.0)


def test_bad_inputs_raise():
    with pytest.raises(ValueError, match="needs a matrix"):
        singular_values(np.ones(3))
    with pytest.raises(ValueError, match="q must lie"):
        singular_spread(np.eye(2), q=0.0)
    with pytest.raises(ValueError, match="snapshots"):
        update_spreads([np.eye(2)])
    with pytest.raises(ValueError, match="shrink"):
        update_spreads([np.eye(2)] * 2, shrink=0.0)


def test_egd_updates_are_orthogonal_and_adamw_updates_are_not():
    # Without weight decay EGD's step is −η UVᵀ exactly: spread 1; AdamW's is not.
    cfg = TrainConfig(task=ModularArithmetic(p=7, train_fraction=0.6), device="cpu", steps=4,
                      model=MLPConfig(width=16, depth=2, bias=False), weight_decay=0.0,
                      log_grid="linear", log_points=5, lr=1e-2)
    diag = {"W": matrix_snapshot("hidden_weights.0")}
    egd, = train_ensemble([vary(cfg, optimizer="egd")], diagnostics=diag, progress=False)
    adam, = train_ensemble([cfg], diagnostics=diag, progress=False)
    np.testing.assert_allclose(update_spreads(egd.history["W"]), 1.0, rtol=1e-4)
    assert update_spreads(adam.history["W"]).min() > 1.5
    # With weight decay the whole change is not orthogonal, the change less the decay still is.
    decayed, = train_ensemble([vary(cfg, optimizer="egd", weight_decay=20.0)], diagnostics=diag, progress=False)
    np.testing.assert_allclose(update_spreads(decayed.history["W"], shrink=1 - 1e-2 * 20.0), 1.0, rtol=1e-4)
    assert update_spreads(decayed.history["W"]).min() > 1.05
    with pytest.raises(ValueError, match="no parameter"):
        train_ensemble([cfg], diagnostics={"W": matrix_snapshot("nope")}, progress=False)
