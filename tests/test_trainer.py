import copy

import numpy as np
import pytest
import torch

from grokbook import MLPConfig, ModularArithmetic, TrainConfig, TransformerConfig, grid, train, train_ensemble, vary
from grokbook.device import resolve_dtype
from grokbook.models import build_model
from grokbook.training import CenteredScaled, DivergenceError, History, log_steps, steps_to_grok, steps_to_memorize

TINY = TrainConfig(task=ModularArithmetic(p=11, train_fraction=0.5), model=MLPConfig(width=16), steps=30,
                   device="cpu", log_points=10)
# Gromov 2023's network (quadratic MLP, MSE, no weight decay) groks p=47 in ≈ 80 full-batch steps.
GROKS = TrainConfig(task=ModularArithmetic(p=47, train_fraction=0.5),
                    model=MLPConfig(width=256, activation="quadratic", bias=False),
                    loss="mse", lr=1e-2, weight_decay=0.0, steps=150, device="cpu", log_points=30)


def test_small_config_groks():
    run = train(GROKS, progress=False)
    assert run.history["train_acc"][-1] == 1.0
    assert run.history["test_acc"][-1] > 0.95
    assert run.steps_to_memorize is not None and run.steps_to_grok is not None
    assert run.steps_to_grok > 2 * run.steps_to_memorize  # a real delay, not simultaneous fitting


def test_same_seed_same_history_and_weights():
    a, b = train(TINY, progress=False), train(TINY, progress=False)
    for column in a.history.keys():
        assert np.array_equal(a.history[column], b.history[column]), column
    assert all(torch.equal(p, q) for p, q in zip(a.model.parameters(), b.model.parameters()))
    c = train(vary(TINY, seed=1), progress=False)
    assert not np.array_equal(a.history["train_loss"], c.history["train_loss"])


@pytest.mark.parametrize("base", [
    TINY,
    vary(TINY, batch_size=16, optimizer="adam"),
    vary(TINY, optimizer="sgd", momentum=0.9, lr=0.05),
    vary(TINY, orthogonal=True, loss="stablemax"),
    TrainConfig(task=ModularArithmetic(p=7, train_fraction=0.5, equals_token=True),
                model=TransformerConfig(d_model=8, n_heads=2, d_mlp=16), steps=10, device="cpu", log_points=5),
])
def test_ensemble_equals_separate_runs(base):
    configs = grid(base, seed=[0, 1], weight_decay=[0.0, 0.5]) + [vary(base, train_fraction=0.3, lr=base.lr * 2)]
    together = train_ensemble(configs, progress=False)
    for config, run in zip(configs, together):
        alone = train(config, progress=False)
        for column in ("train_loss", "test_loss", "train_acc", "test_acc", "weight_norm"):
            np.testing.assert_allclose(run.history[column], alone.history[column], rtol=1e-4, atol=1e-6)
        for p, q in zip(run.model.parameters(), alone.model.parameters()):
            torch.testing.assert_close(p, q, rtol=1e-4, atol=1e-6)


def test_ensemble_members_must_share_shapes():
    with pytest.raises(ValueError, match="differs from member 0 in 'width'"):
        train_ensemble([TINY, vary(TINY, width=32)], progress=False)
    with pytest.raises(ValueError, match="fixed_norm must be set for every"):
        train_ensemble([TINY, vary(TINY, fixed_norm=3.0)], progress=False)


def test_fixed_norm_holds_the_norm_on_the_sphere():
    runs = train_ensemble(grid(vary(TINY, steps=50), fixed_norm=[5.0, 20.0]), progress=False)
    for radius, run in zip([5.0, 20.0], runs):
        norms = run.history["weight_norm"][1:]
        assert np.max(np.abs(norms - radius)) / radius < 1e-5
        total = torch.sqrt(sum(p.detach().double().square().sum() for p in run.model.parameters()))
        assert abs(float(total) - radius) / radius < 1e-5


def test_output_scale_starts_at_zero_and_scales_the_learning_rate():
    config = vary(TINY, loss="mse", weight_decay=0.0, output_scale=10.0, steps=1)
    assert config.effective_lr == pytest.approx(config.lr / 100)
    model = build_model(config.model, TINY.task.build(0), seed=0)
    scaled = CenteredScaled(model, copy.deepcopy(model), alpha=10.0)
    x = TINY.task.build(0).x_test
    assert torch.count_nonzero(scaled(x)) == 0  # exactly zero, not merely small
    run = train(config, progress=False)
    # At step 0 the output is 0, so the MSE against one-hot targets is exactly 1/p.
    assert run.history["train_loss"][0] == pytest.approx(1 / 11, rel=1e-6)
    assert run.history["train_loss"][1] < run.history["train_loss"][0]


def test_diverging_loss_stops_with_the_step_and_advice():
    with pytest.raises(DivergenceError, match=r"at step \d+: lower the learning rate"):
        train(vary(TINY, optimizer="sgd", lr=1e30, loss="mse", steps=20), progress=False)


def test_stop_after_grok_ends_early():
    run = train(vary(GROKS, steps=1000, stop_after_grok=True), progress=False)
    assert run.history["step"][-1] < 1000
    assert run.history["test_acc"][-1] >= 0.95


def test_diagnostics_callback_and_should_stop():
    seen = []
    run = train(TINY, progress=False,
                diagnostics={"norm": lambda ctx: 1.0, "pair": lambda ctx: {"a": 1, "b": 2},
                             "vector": lambda ctx: np.arange(3) + ctx.step},
                callback=lambda step, histories: seen.append(step),
                should_stop=lambda: len(seen) >= 4)
    assert seen == list(run.history["step"]) and len(seen) == 4
    assert run.history["pair.b"].tolist() == [2] * 4
    assert run.history["vector"].shape == (4, 3)


def test_record_update_norm_matches_the_weights_moved():
    one = train(vary(TINY, steps=1), progress=False, record_update_norm=True)
    start = train(vary(TINY, steps=1, lr=1e-30), progress=False)  # same init, a negligible step
    moved = torch.sqrt(sum((p - q).detach().double().square().sum() for p, q in zip(one.model.parameters(), start.model.parameters())))
    assert one.history.per_step["update_norm"][0] == pytest.approx(float(moved), rel=1e-4)


def test_cache_reloads_identical_runs(tmp_path, monkeypatch):
    monkeypatch.setenv("GROKBOOK_CACHE_DIR", str(tmp_path))
    first = train(TINY, progress=False)
    assert len(list(tmp_path.glob("*.pt"))) == 1
    second = train(TINY, progress=False)
    assert np.array_equal(first.history["test_loss"], second.history["test_loss"])
    assert all(torch.equal(p, q) for p, q in zip(first.model.parameters(), second.model.parameters()))


def test_float64_runs_in_float64():
    run = train(vary(TINY, dtype="float64", steps=3), progress=False)
    assert all(p.dtype == torch.float64 for p in run.model.parameters())


def test_log_steps_grids():
    steps = log_steps(1000, 50, "log")
    assert steps[0] == 0 and steps[-1] == 1000 and np.all(np.diff(steps) > 0)
    assert np.array_equal(log_steps(100, 11, "linear"), np.arange(0, 101, 10))


def test_steps_to_memorize_and_grok_thresholds():
    h = History(columns={"step": np.array([0, 10, 20, 30]), "train_acc": np.array([0.0, 0.5, 0.995, 1.0]),
                         "test_acc": np.array([0.0, 0.0, 0.5, 0.96])})
    assert steps_to_memorize(h) == 20 and steps_to_grok(h) == 30
    assert steps_to_grok(h, threshold=0.99) is None


@pytest.mark.parametrize("changes, match", [
    (dict(loss="hinge"), "loss must be one of"), (dict(optimizer="lion"), "optimizer must be one of"),
    (dict(dtype="float16"), "dtype must be one of"), (dict(fixed_norm=0.0), r"fixed_norm \(the radius w\) must be > 0"),
    (dict(fixed_norm=-2.0), r"fixed_norm .* must be > 0"), (dict(output_scale=0.0), r"output_scale \(α\) must be > 0"),
    (dict(lr=0.0), "lr must be > 0"), (dict(steps=0), "steps must be ≥ 1"), (dict(batch_size=0), "batch_size"),
    (dict(weight_decay=-1.0), "weight_decay must be ≥ 0"), (dict(log_grid="cubic"), "log_grid"),
])
def test_bad_training_settings_raise(changes, match):
    with pytest.raises(ValueError, match=match):
        vary(TINY, **changes)


def test_bad_settings_raise_before_training():
    with pytest.raises(ValueError, match="batch_size=1000 exceeds the smallest training set"):
        train(vary(TINY, batch_size=1000), progress=False)
    with pytest.raises(ValueError, match="no setting called 'widht'"):
        vary(TINY, widht=3)


def test_float64_is_refused_on_mps():
    with pytest.raises(ValueError, match="float64.*not supported on device 'mps'"):
        resolve_dtype("float64", torch.device("mps"))


def test_cache_key_tells_diagnostics_with_different_settings_apart():
    from grokbook.training import cache

    def make(scale):
        return lambda ctx: scale

    assert cache.key([TINY], {"d": make(1)}, False) == cache.key([TINY], {"d": make(1)}, False)
    assert cache.key([TINY], {"d": make(1)}, False) != cache.key([TINY], {"d": make(2)}, False)
    assert cache.key([TINY], {}, False) != cache.key([vary(TINY, seed=1)], {}, False)


def test_loss_dtype_casts_the_logits_before_the_loss():
    """loss_dtype (Prieto et al.'s softmax precision): the model stays in float32, the loss is taken
    in float64, so a logit lead of 30 that rounds a float32 loss to 0 leaves a float64 loss > 0."""
    seen = {}

    def probe(ctx):
        z = torch.zeros(1, 11)
        z[0, 0] = 30.0
        seen[ctx.config.loss_dtype] = ctx.loss_fn(z, torch.tensor([0]))
        return 0.0

    for loss_dtype in (None, "float64", "float16"):
        run = train(vary(TINY, steps=2, loss_dtype=loss_dtype), diagnostics={"probe": probe}, progress=False)
        assert next(run.model.parameters()).dtype == torch.float32
    assert seen[None].dtype == torch.float32 and seen[None].item() == 0.0
    assert seen["float64"].dtype == torch.float64 and seen["float64"].item() > 0.0
    assert seen["float16"].dtype == torch.float16 and seen["float16"].item() == 0.0
    with pytest.raises(ValueError, match="loss_dtype must be one of"):
        vary(TINY, loss_dtype="float8")


def test_record_update_norm_also_records_the_radial_share():
    """cos(Δθ, θ) of the first step, against the weights moved, recomputed by hand."""
    one = train(vary(TINY, steps=1), progress=False, record_update_norm=True)
    start = train(vary(TINY, steps=1, lr=1e-30), progress=False)
    delta = torch.cat([(p - q).detach().double().flatten() for p, q in zip(one.model.parameters(),
                                                                          start.model.parameters())])
    theta = torch.cat([q.detach().double().flatten() for q in start.model.parameters()])
    expected = float(delta @ theta / (delta.norm() * theta.norm()))
    assert one.history.per_step["update_cos"][0] == pytest.approx(expected, abs=1e-3)


def test_a_diverging_member_is_frozen_and_the_others_train_on_unchanged():
    # Member 1's learning rate blows its loss up; with on_divergence="freeze" members 0 and 2 must end
    # exactly where they end when trained without it.
    sane = [vary(TINY, optimizer="sgd", loss="mse", lr=lr, seed=s, steps=20) for lr, s in ((0.5, 0), (0.3, 2))]
    wild = vary(TINY, optimizer="sgd", loss="mse", lr=1e30, seed=1, steps=20)
    alone = train_ensemble(sane, progress=False)
    runs = train_ensemble([sane[0], wild, sane[1]], progress=False, on_divergence="freeze")
    for a, b in zip(alone, (runs[0], runs[2])):
        assert b.history.diverged_at is None
        np.testing.assert_allclose(b.history["train_loss"], a.history["train_loss"], rtol=1e-5)
    frozen = runs[1].history
    assert frozen.diverged_at is not None and frozen["step"][-1] <= frozen.diverged_at < 20
    assert len(runs[0].history) > len(frozen)
    assert runs[1].budget == 20 and "diverged at step" in runs[1].summary()  # censored at its full budget
    with pytest.raises(DivergenceError, match=r"member 1 of 3.*on_divergence='freeze'"):
        train_ensemble([sane[0], wild, sane[1]], progress=False)
    with pytest.raises(DivergenceError, match="at step"):  # every member diverged: nothing left to train
        train_ensemble([wild, vary(wild, seed=4)], progress=False, on_divergence="freeze")
    with pytest.raises(ValueError, match="on_divergence"):
        train(TINY, progress=False, on_divergence="ignore")
