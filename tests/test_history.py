"""History's one crossing/lookup primitive against hand-computed answers."""
import numpy as np
import pytest

from grokbook.history import History, Run, collect, first_crossing, steps_to_grok, steps_to_memorize

STEPS = np.array([0, 1, 10, 100, 1000])
ACC = np.array([0.0, 0.2, 0.5, 0.96, 1.0])


def test_first_crossing_up_down_and_never():
    assert first_crossing(STEPS, ACC, 0.95) == 100
    assert first_crossing(STEPS, 1 - ACC, 0.5, below=True) == 10
    assert first_crossing(STEPS, ACC, 1.5) is None
    assert first_crossing(STEPS, np.array([np.nan, 0, 0, 1, 1.0]), 0.5) == 100


def test_interpolation_linear_and_log():
    assert first_crossing(STEPS, ACC, 0.35, interpolate=True) == pytest.approx(5.5)
    # halfway between ln 1 and ln 10 is √10
    assert first_crossing(STEPS, ACC, 0.35, interpolate=True, log=True) == pytest.approx(np.sqrt(10))


def test_shape_mismatch_is_refused():
    with pytest.raises(ValueError, match="same shape"):
        first_crossing(STEPS, ACC[:2], 0.5)


def test_history_lookups():
    h = History({"step": STEPS, "test_acc": ACC, "train_acc": np.ones(5)})
    assert h.first_step("test_acc", 0.1, after=50) == 100
    assert h.at("test_acc", 90) == 0.96 and h.at("test_acc", None) == 1.0
    assert list(h.window("test_acc", 1, 100)) == [0.2, 0.5, 0.96]
    assert steps_to_grok(h) == 100 and steps_to_memorize(h) == 0


def test_collect_reads_none_as_nan_and_reshapes():
    runs = [Run(None, History({"step": STEPS, "test_acc": ACC * s, "train_acc": ACC}), None, None)
            for s in (1.0, 0.5, 1.0, 0.5)]
    grid = collect(runs, "steps_to_grok", shape=(2, 2))
    assert grid.shape == (2, 2) and grid[0, 0] == 100 and np.isnan(grid[1, 1])
    assert list(collect(runs, lambda r: r.budget)) == [1000] * 4
