"""The run cache: off unless GROKBOOK_CACHE_DIR is set; a stored run comes back identical, weights included."""
import numpy as np
import torch

from grokbook import MLPConfig, ModularArithmetic, TrainConfig, train
from grokbook.training import cache

TINY = TrainConfig(task=ModularArithmetic(p=7, train_fraction=0.5), model=MLPConfig(width=8), steps=8,
                   log_points=4, device="cpu")


def test_nothing_is_written_without_a_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    train(TINY, progress=False)
    assert not list(tmp_path.iterdir()) and not cache.exists(cache.key([TINY], {}, False))


def test_a_stored_run_is_found_and_loaded_with_its_weights(tmp_path, monkeypatch):
    monkeypatch.setenv("GROKBOOK_CACHE_DIR", str(tmp_path))
    key = cache.key([TINY], {}, False)
    assert not cache.exists(key)
    first = train(TINY, progress=False)
    assert cache.exists(key) and [p.name for p in tmp_path.iterdir()] == [f"{key}.pt"]
    second = train(TINY, progress=False)
    for column in first.history.keys():
        np.testing.assert_array_equal(first.history[column], second.history[column])
    for p, q in zip(first.model.parameters(), second.model.parameters()):
        assert torch.equal(p, q)


def test_a_partial_and_a_closure_are_described_by_what_they_hold():
    import functools

    def scaled(ctx, factor):
        return factor

    assert cache.describe(functools.partial(scaled, factor=1)) != cache.describe(functools.partial(scaled, factor=2))
