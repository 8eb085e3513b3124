"""Tests for grokbook.diagnostics.noise: the tail-index estimator and SGD gradient noise."""
import numpy as np
import pytest
import torch

from grokbook import MLPConfig, ModularArithmetic, TrainConfig, train
from grokbook.diagnostics.noise import (gaussian_surrogate, gradient_noise, tail_index, tail_index_by_parameter,
                                        tail_index_by_row, tail_index_diagnostic)
from grokbook.escape import stable_noise
from grokbook.losses import get_loss


@pytest.mark.parametrize("alpha", [1.2, 1.5, 1.8])
def test_tail_index_recovers_the_samplers_alpha(alpha):
    x = stable_noise(alpha, 400_000, np.random.default_rng(int(alpha * 10)))
    assert tail_index(x) == pytest.approx(alpha, abs=0.1)


def test_tail_index_of_gaussian_and_cauchy():
    rng = np.random.default_rng(0)
    assert tail_index(rng.standard_normal(200_000)) == pytest.approx(2.0, abs=0.1)
    assert tail_index(rng.standard_cauchy(200_000)) == pytest.approx(1.0, abs=0.07)


def test_tail_index_is_scale_free_and_accepts_tensors():
    x = stable_noise(1.5, 100_000, np.random.default_rng(1))
    assert tail_index(1e-4 * x) == pytest.approx(tail_index(x), abs=1e-9)
    assert tail_index(torch.from_numpy(x)) == pytest.approx(tail_index(x))


def test_tail_index_drops_exact_zeros():
    x = stable_noise(1.5, 100_000, np.random.default_rng(2))
    padded = np.concatenate([x, np.zeros(50_000)])
    assert tail_index(padded, block=316, shuffle=False) == pytest.approx(tail_index(x, block=316, shuffle=False))


def test_shuffling_removes_the_bias_of_correlated_neighbours():
    x = stable_noise(1.5, 100_000, np.random.default_rng(3))
    paired = np.stack([x, -x], axis=1).ravel()  # neighbours cancel: every block sum is ~0
    assert tail_index(paired, shuffle=False) > 3.0
    assert tail_index(paired) == pytest.approx(1.5, abs=0.1)


def test_gaussian_surrogate_keeps_each_coordinates_scale():
    rng = np.random.default_rng(4)
    scales = np.exp(rng.normal(0, 1.5, 20_000))  # a wide spread of per-coordinate scales
    noise = scales * rng.standard_normal((16, 20_000))
    surrogate = gaussian_surrogate(noise, seed=1)
    assert surrogate.shape == noise.shape
    assert np.median(surrogate.std(0, ddof=1) / scales) == pytest.approx(1.0, abs=0.1)
    # pooled, a mixture of Gaussian scales looks heavy-tailed; one common scale does not
    assert tail_index(surrogate) < 1.7
    assert tail_index(gaussian_surrogate(rng.standard_normal((16, 20_000)))) == pytest.approx(2.0, abs=0.1)


def test_gaussian_surrogate_needs_two_rows():
    with pytest.raises(ValueError, match="noise"):
        gaussian_surrogate(np.ones((1, 10)))


@pytest.mark.parametrize("samples,block,match", [
    (np.ones(99), None, "at least 100"),
    (np.concatenate([np.zeros(500), np.ones(50)]), None, "at least 100"),
    (np.array([1.0, np.nan] * 100), None, "finite"),
    (np.random.default_rng(0).standard_normal(1000), 1, "block"),
    (np.random.default_rng(0).standard_normal(1000), 600, "block"),
])
def test_tail_index_bad_input(samples, block, match):
    with pytest.raises(ValueError, match=match):
        tail_index(samples, block=block)


def _small_run():
    cfg = TrainConfig(task=ModularArithmetic(p=11, train_fraction=0.5), model=MLPConfig(width=16), steps=3,
                      batch_size=8, device="cpu", log_points=2)
    return cfg, train(cfg, progress=False)


def test_gradient_noise_averages_to_zero_over_the_full_batch():
    _, run = _small_run()
    d, loss = run.data, get_loss("cross_entropy")
    n = len(d.y_train)
    noise = gradient_noise(run.model, d.x_train, d.y_train, loss, batch_size=n, n_batches=2)
    assert noise.abs().max() < 1e-5  # a "batch" of the whole training set has no noise
    small = gradient_noise(run.model, d.x_train, d.y_train, loss, batch_size=4, n_batches=3, seed=1)
    assert small.shape == (3, sum(p.numel() for p in run.model.parameters()))
    assert small.abs().max() > 1e-4


def test_noise_matches_a_hand_computed_minibatch_gradient():
    _, run = _small_run()
    d, loss = run.data, get_loss("cross_entropy")
    noise = gradient_noise(run.model, d.x_train, d.y_train, loss, batch_size=5, n_batches=1, seed=3)
    index = torch.randperm(len(d.y_train), generator=torch.Generator().manual_seed(3))[:5]
    params = list(run.model.parameters())
    full = torch.autograd.grad(loss(run.model(d.x_train), d.y_train).mean(), params)
    batch = torch.autograd.grad(loss(run.model(d.x_train[index]), d.y_train[index]).mean(), params)
    expected = torch.cat([(b - f).reshape(-1) for b, f in zip(batch, full)])
    assert torch.allclose(noise[0], expected, atol=1e-6)


def test_diagnostic_logs_alpha_during_training():
    cfg = TrainConfig(task=ModularArithmetic(p=11, train_fraction=0.5), model=MLPConfig(width=16), steps=4,
                      batch_size=8, device="cpu", log_points=3)
    run = train(cfg, diagnostics={"alpha": tail_index_diagnostic(n_batches=2)}, progress=False)
    alpha = run.history["alpha"]
    assert len(alpha) == len(run.history) and np.all((alpha > 0.3) & (alpha < 3.0))


def test_diagnostic_needs_a_batch_size_on_full_batch_runs():
    cfg = TrainConfig(task=ModularArithmetic(p=11, train_fraction=0.5), model=MLPConfig(width=16), steps=2,
                      device="cpu", log_points=2)
    with pytest.raises(ValueError, match="batch_size"):
        train(cfg, diagnostics={"alpha": tail_index_diagnostic()}, progress=False)


def test_diagnostic_every_skips_steps():
    cfg = TrainConfig(task=ModularArithmetic(p=11, train_fraction=0.5), model=MLPConfig(width=16), steps=4,
                      batch_size=8, device="cpu", log_grid="linear", log_points=5)
    run = train(cfg, diagnostics={"alpha": tail_index_diagnostic(n_batches=2, every=2)}, progress=False)
    measured = np.isfinite(run.history["alpha"])
    assert measured.tolist() == [s % 2 == 0 for s in run.history["step"]]


def test_bad_diagnostic_every():
    with pytest.raises(ValueError, match="every"):
        tail_index_diagnostic(every=0)


@pytest.mark.parametrize("kwargs,match", [({"batch_size": 0}, "batch_size"), ({"n_batches": 0}, "n_batches")])
def test_bad_noise_settings(kwargs, match):
    with pytest.raises(ValueError, match=match):
        tail_index_diagnostic(**kwargs)
    _, run = _small_run()
    d = run.data
    settings = {"batch_size": 4, "n_batches": 1, **kwargs}
    with pytest.raises(ValueError, match=match):
        gradient_noise(run.model, d.x_train, d.y_train, get_loss("cross_entropy"), **settings)


@pytest.mark.parametrize("nu,low,high", [(3, 1.6, 1.9), (4, 1.75, 1.95), (30, 1.93, 2.1)])
def test_tail_index_on_student_t_reads_below_two_although_the_variance_is_finite(nu, low, high):
    # Student-t has finite variance for ν > 2, yet at 200 000 samples the stable-law estimator reads
    # it below 2: α̂ < 2 is not evidence of infinite variance (ν = 4 reads ≈ 1.9).
    x = np.random.default_rng(nu).standard_t(nu, 200_000)
    assert low < tail_index(x) < high


def _planted_noise(model, rng):
    """Noise whose first parameter is Cauchy (α = 1) and every other one Gaussian (α = 2)."""
    parts = []
    for i, p in enumerate(model.parameters()):
        n = 400 * p.numel()
        parts.append((rng.standard_cauchy(n) if i == 0 else rng.standard_normal(n)).reshape(400, -1))
    return np.concatenate(parts, axis=1)


def test_tail_index_by_parameter_and_by_row_find_the_planted_tails():
    _, run = _small_run()
    model = run.model
    noise = _planted_noise(model, np.random.default_rng(5))
    names = [n for n, _ in model.named_parameters()]
    by_layer = tail_index_by_parameter(noise, model)
    assert list(by_layer) == names
    assert by_layer[names[0]] == pytest.approx(1.0, abs=0.15)
    assert [round(by_layer[n], 1) for n in names[1:]] == pytest.approx([2.0] * (len(names) - 1), abs=0.2)
    first = dict(model.named_parameters())[names[0]]
    rows = tail_index_by_row(noise, model, names[0])
    assert rows.shape == (int(np.prod(first.shape[:-1])),)
    assert np.nanmedian(rows) == pytest.approx(1.0, abs=0.3)


def test_tail_index_by_row_separates_a_heavy_row():
    _, run = _small_run()
    model = run.model
    name, first = next(iter(model.named_parameters()))
    rng = np.random.default_rng(6)
    noise = rng.standard_normal((400, sum(p.numel() for p in model.parameters())))
    noise[:, 3 * first.shape[-1]: 4 * first.shape[-1]] = rng.standard_cauchy((400, first.shape[-1]))  # row 3
    rows = tail_index_by_row(noise, model, name)
    assert rows[3] == pytest.approx(1.0, abs=0.2)
    assert np.all(np.abs(np.delete(rows, 3) - 2.0) < 0.3)


def test_tail_index_by_parameter_bad_input():
    _, run = _small_run()
    with pytest.raises(ValueError, match="noise"):
        tail_index_by_parameter(np.ones((2, 5)), run.model)
    n = sum(p.numel() for p in run.model.parameters())
    with pytest.raises(ValueError, match="no trainable parameter"):
        tail_index_by_row(np.ones((2, n)), run.model, "nope")
