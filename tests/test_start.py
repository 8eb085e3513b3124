"""Starting a run from given weights: continuation equals one longer run, transplants keep the rest of
the initialisation, bad starts are refused before training, and the cache tells starts apart."""
import pytest
import torch

from grokbook import MLPConfig, ModularArithmetic, TrainConfig, build_model, train, train_ensemble
from grokbook.training import trained_state


def _config(steps, **kw):
    kw.setdefault("optimizer", "sgd")
    kw.setdefault("lr", 0.5)
    return TrainConfig(task=ModularArithmetic(p=7, train_fraction=0.6), model=MLPConfig(width=16), steps=steps,
                       weight_decay=0.0, device="cpu", dtype="float64", log_points=3, **kw)


def test_continuing_a_run_equals_one_longer_run():
    # Plain SGD has no optimizer state, so 6 steps then 4 more from the trained weights must equal 10 steps.
    whole = train(_config(10), progress=False)
    first = train(_config(6), progress=False)
    rest = train(_config(4), progress=False, start=trained_state(first))
    for name, value in trained_state(whole).items():
        torch.testing.assert_close(trained_state(rest)[name], value, rtol=1e-10, atol=1e-12)
    assert rest.history["train_loss"][0] == pytest.approx(first.history["train_loss"][-1], rel=1e-10)


def _initial(config):
    data = config.task.build(seed=config.split_seed)
    model = build_model(config.model, data, seed=config.seed).double()
    return {n: p.detach().clone() for n, p in model.named_parameters()}


def test_a_partial_start_replaces_only_the_named_parameters():
    # One step at a vanishing learning rate leaves the weights where they started (to 1e-12).
    fresh, other = _initial(_config(1)), _initial(_config(1, seed=5))
    name = sorted(fresh)[0]
    started = trained_state(train(_config(1, lr=1e-14), progress=False, start={name: other[name]}))
    torch.testing.assert_close(started[name], other[name])
    assert not torch.allclose(fresh[name], other[name])
    for n in fresh:
        if n != name:
            torch.testing.assert_close(started[n], fresh[n])


def test_ensemble_members_take_their_own_starts():
    a = trained_state(train(_config(3, seed=1), progress=False))
    runs = train_ensemble([_config(1, lr=1e-14), _config(1, lr=1e-14, seed=3)], progress=False, start=[a, None])
    fresh = _initial(_config(1, seed=3))
    for n in a:
        torch.testing.assert_close(trained_state(runs[0])[n], a[n])
        torch.testing.assert_close(trained_state(runs[1])[n], fresh[n])


def test_bad_starts_are_refused_before_training():
    state = _initial(_config(1))
    name = sorted(state)[0]
    with pytest.raises(ValueError, match="does not have"):
        train(_config(5), progress=False, start={"no_such_weight": state[name]})
    with pytest.raises(ValueError, match="shape"):
        train(_config(5), progress=False, start={name: state[name][:1]})
    with pytest.raises(ValueError, match="members"):
        train_ensemble([_config(5)], progress=False, start=[state, state])


def test_the_cache_keeps_starts_apart(tmp_path, monkeypatch):
    monkeypatch.setenv("GROKBOOK_CACHE_DIR", str(tmp_path))
    a = trained_state(train(_config(4, seed=1), progress=False))
    b = trained_state(train(_config(4, seed=2), progress=False))
    from_a = train(_config(2), progress=False, start=a)
    from_b = train(_config(2), progress=False, start=b)
    again = train(_config(2), progress=False, start=a)
    assert from_a.history["train_loss"][-1] != from_b.history["train_loss"][-1]
    assert again.history["train_loss"][-1] == from_a.history["train_loss"][-1]
