"""Hysteresis: end states read from known histories, and windows of known ladders (one interval, a gap,
none, open at the top), bad input refused."""
import math

import numpy as np
import pytest

from grokbook.diagnostics.hysteresis import end_state, hysteresis_window
from grokbook.history import History


def _history(train, test):
    return History({"step": np.array([0, 10]), "train_acc": np.array([0.0, train]),
                    "test_acc": np.array([0.0, test])})


@pytest.mark.parametrize("train, test, state", [(1.0, 1.0, "generalized"), (1.0, 0.04, "memorized"),
                                                (0.3, 0.05, "unfit"), (1.0, 0.7, "between"),
                                                (0.98, 0.96, "generalized")])
def test_end_state_reads_the_last_logged_accuracies(train, test, state):
    assert end_state(_history(train, test)) == state


def test_end_state_refuses_inconsistent_thresholds():
    with pytest.raises(ValueError, match="chance"):
        end_state(_history(1.0, 1.0), chance=0.99, grok=0.9)


G, M, U = "generalized", "memorized", "unfit"


def test_a_window_from_the_bottom_rung_to_an_edge():
    w = hysteresis_window([0.0, 0.1, 0.4, 1.6], [M, M, M, G], [G, G, G, G])
    assert w["disagree"].tolist() == [True, True, True, False]
    assert (w["low"], w["high"], w["edge"], w["gaps"]) == (0.0, 0.4, 1.6, 0)


def test_a_window_with_a_gap_and_one_open_at_the_top():
    w = hysteresis_window([1, 2, 3, 4], [G, M, G, M], [G, G, G, U])
    assert (w["low"], w["high"], w["gaps"]) == (2.0, 4.0, 1) and math.isinf(w["edge"])


def test_no_window_when_the_branches_always_agree():
    w = hysteresis_window([1, 2], [G, G], [G, G])
    assert not w["disagree"].any() and math.isnan(w["low"]) and math.isnan(w["high"])


def test_hysteresis_window_refuses_bad_ladders_and_states():
    with pytest.raises(ValueError, match="increasing"):
        hysteresis_window([1, 1], [G, G], [G, G])
    with pytest.raises(ValueError, match="one state per rung"):
        hysteresis_window([1, 2], [G], [G, G])
    with pytest.raises(ValueError, match="unknown state"):
        hysteresis_window([1], ["grokked"], [G])
