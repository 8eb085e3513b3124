"""One row per modular-addition run: the random-frequency control, the key share of a table with a
known spectrum, and the summary of a run with planted key frequencies vs one without any."""
import math

import numpy as np
import pytest
import torch

from grokbook import ModularArithmetic, TrainConfig, TransformerConfig, train
from grokbook.diagnostics import fourier as fo
from grokbook.diagnostics.circuit_summary import circuit_summary, key_energy_share, random_frequencies

torch.set_num_threads(1)
P = 11


def _circle_rows(p, ks, d):
    a = torch.arange(p, dtype=torch.float64)
    columns = [f(2 * math.pi * k * a / p) for k in ks for f in (torch.cos, torch.sin)]
    table = torch.stack(columns, 1)
    return torch.nn.functional.pad(table, (0, d - table.shape[1]))


def test_random_frequencies_avoid_the_keys_and_match_their_number():
    rng = np.random.default_rng(0)
    for _ in range(20):
        drawn = random_frequencies([2, 5], P, rng)
        assert len(drawn) == 2 and not set(drawn) & {2, 5} and drawn == sorted(drawn)
        assert all(1 <= k <= 5 for k in drawn)
    assert random_frequencies([], P, rng) == []
    with pytest.raises(ValueError, match="other frequencies"):
        random_frequencies([1, 2, 3], P, rng)


def test_key_energy_share_of_a_table_with_a_known_spectrum():
    table = _circle_rows(P, [3], 4) + 0.5 * _circle_rows(P, [1], 4).roll(2, 1)
    assert key_energy_share(table, [3]) == pytest.approx(1 / 1.25)   # 1 against 0.5²
    assert key_energy_share(table, [1, 3]) == pytest.approx(1.0)
    assert key_energy_share(table, [2]) == pytest.approx(0.0, abs=1e-12)
    assert key_energy_share(table, []) == 0.0
    with pytest.raises(ValueError, match="no non-constant"):
        key_energy_share(torch.ones(P, 3), [1])


@pytest.fixture(scope="module")
def run():
    task = ModularArithmetic(p=P, train_fraction=0.5, equals_token=True)
    cfg = TrainConfig(task=task, model=TransformerConfig(d_model=16, n_heads=2, d_mlp=32), steps=30,
                      log_points=6, device="cpu")
    return train(cfg, progress=False, diagnostics={"fourier": fo.fourier_snapshot()})


def test_a_run_without_key_frequencies_gets_nan_not_an_error(run):
    assert fo.key_frequencies(run.model, P) == []          # 30 steps: no circuit yet
    row = circuit_summary(run, np.random.default_rng(0))
    assert row["keys"] == [] and row["t_circuit"] is None
    assert all(math.isnan(row[k]) for k in ("kept_loss", "random_loss", "r2", "wl_share"))
    assert 0 <= row["tuned"] <= 1 and row["own_loss"] > 0


def test_a_run_with_planted_key_frequencies(run):
    with torch.no_grad():                                  # plant a circuit's embedding
        run.model.W_E[:P] = 3 * _circle_rows(P, [2, 4], 16).float()
    row = circuit_summary(run, np.random.default_rng(1))
    assert row["keys"] == [2, 4]
    assert row["kept_loss"] == pytest.approx(row["own_loss"], abs=1e-4)   # nothing else to drop
    assert row["random_loss"] != pytest.approx(row["own_loss"], abs=1e-3)
    assert 0 <= row["r2_random"] <= 1 and 0 <= row["wl_share"] <= 1
    assert row["t_circuit"] is not None
    with pytest.raises(ValueError, match="fourier_snapshot"):
        circuit_summary(run, np.random.default_rng(0), column="other")
