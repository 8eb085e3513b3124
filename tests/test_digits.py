import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits

from grokbook import MLPConfig, TrainConfig, build_model, train, train_ensemble, vary
from grokbook.diagnostics.norms import weight_norm
from grokbook.tasks.digits import N_IMAGES, Digits


def test_shapes_and_split():
    data = Digits(n_train=1000).build(seed=0)
    assert data.x_train.shape == (1000, 64) and data.x_test.shape == (N_IMAGES - 1000, 64)
    assert data.inputs == "dense" and data.n_tokens == 0 and data.n_outputs == 10
    assert data.y_train.dtype == torch.long and set(data.y_train.tolist()) == set(range(10))


def test_rows_are_sklearn_images_standardised_with_training_statistics():
    bunch = load_digits()
    raw = Digits(n_train=500, standardize=False).build(seed=3)
    std = Digits(n_train=500).build(seed=3)
    # every raw row is an image of the bundled data set with its own label, and train/test are disjoint
    lookup = {tuple(row): label for row, label in zip(bunch.data.astype(np.float32), bunch.target)}
    for x, y in ((raw.x_train, raw.y_train), (raw.x_test, raw.y_test)):
        for row, label in zip(x.numpy()[:50], y.tolist()):
            assert lookup[tuple(row)] == label
    assert len(raw.y_train) + len(raw.y_test) == N_IMAGES
    mean = raw.x_train.mean(0)
    pooled = (raw.x_train - mean).square().mean().sqrt()  # one σ over all training pixels
    torch.testing.assert_close(std.x_train, (raw.x_train - mean) / pooled)
    torch.testing.assert_close(std.x_test, (raw.x_test - mean) / pooled)  # test set: training statistics only
    assert torch.allclose(std.x_train.mean(0), torch.zeros(64), atol=1e-5)
    assert float(std.x_train.square().mean()) == pytest.approx(1.0, rel=1e-5)


def test_no_feature_blows_up_on_the_test_set():
    # per-pixel σ as small as 0.03 on the blank border sent rare test pixels to |x| ≈ 80; pooled σ keeps
    # every feature within (16 grey levels) / σ of the mean
    for seed in range(3):
        raw, std = Digits(n_train=1000, standardize=False).build(seed), Digits(n_train=1000).build(seed)
        pooled = (raw.x_train - raw.x_train.mean(0)).square().mean().sqrt()
        assert float(std.x_test.abs().max()) <= 16.0 / float(pooled) + 1e-4
        assert float(std.x_test.abs().max()) < 5.0


def test_train_fraction_is_a_field_that_vary_and_ensembles_change():
    assert Digits(n_train=1000).train_fraction == pytest.approx(1000 / N_IMAGES)
    assert Digits(n_train=1000).images_train == 1000 and Digits().images_train == 1000
    assert Digits(train_fraction=0.25).images_train == round(0.25 * N_IMAGES)
    cfg = TrainConfig(task=Digits(n_train=1000), model=MLPConfig(width=8), loss="mse", steps=2,
                      log_points=2, device="cpu")
    small = vary(cfg, train_fraction=0.25)
    assert small.task.images_train == round(0.25 * N_IMAGES) and small.task.standardize
    runs = train_ensemble([cfg, small], progress=False)
    assert [r.data.n_train for r in runs] == [1000, round(0.25 * N_IMAGES)]


@pytest.mark.parametrize("fraction", [0.0, 1.0, -0.1, 1e-5])
def test_bad_train_fraction_raises(fraction):
    with pytest.raises(ValueError, match="train_fraction"):
        Digits(train_fraction=fraction)


def test_seed_fixes_the_split():
    a, b, c = Digits().build(seed=1), Digits().build(seed=1), Digits().build(seed=2)
    assert torch.equal(a.x_train, b.x_train) and not torch.equal(a.y_train, c.y_train)


@pytest.mark.parametrize("n_train", [0, N_IMAGES, 1.5, -3])
def test_bad_n_train_raises(n_train):
    with pytest.raises(ValueError, match="n_train"):
        Digits(n_train=n_train)


def test_init_scale_multiplies_every_dense_weight():
    data = Digits(n_train=100).build(seed=0)
    small = build_model(MLPConfig(width=32, depth=2), data, seed=5)
    large = build_model(MLPConfig(width=32, depth=2, init_scale=8.0), data, seed=5)
    for (name, p), (_, q) in zip(small.named_parameters(), large.named_parameters()):
        torch.testing.assert_close(q, 8.0 * p, msg=name)
    assert weight_norm(large) == pytest.approx(8.0 * weight_norm(small), rel=1e-6)


def test_dense_mlp_learns_digits_and_ensemble_matches_single_run():
    cfg = TrainConfig(task=Digits(n_train=500), model=MLPConfig(width=32), loss="mse", lr=1e-2,
                      weight_decay=0.0, steps=150, device="cpu", log_points=5)
    single = train(cfg, progress=False)
    assert single.history["test_acc"][-1] > 0.85  # a real classifier, far above chance (0.1)
    pair = train_ensemble([cfg, vary(cfg, init_scale=4.0)], progress=False)
    np.testing.assert_allclose(pair[0].history["test_loss"], single.history["test_loss"], rtol=1e-4)
    x = single.data.x_test[:5]
    torch.testing.assert_close(pair[0].model(x), single.model(x), rtol=1e-4, atol=1e-5)
