import math

import numpy as np
import pytest
import torch

from grokbook import MLPConfig, ModularArithmetic, TrainConfig, build_model, train, vary
from grokbook.diagnostics.norms import decay_time, initial_norm, layer_norms, norm_milestones, weight_norm
from grokbook.history import History, Run

CFG = TrainConfig(task=ModularArithmetic(p=7, train_fraction=0.5),
                  model=MLPConfig(width=16, activation="quadratic", bias=False), loss="mse", lr=1e-2,
                  weight_decay=0.0, steps=40, log_points=8, device="cpu")


def test_weight_norm_is_the_root_of_the_summed_squares_of_the_layer_norms():
    model = build_model(CFG.model, CFG.task.build(0), seed=3)
    assert weight_norm(model) == pytest.approx(math.sqrt(sum(v * v for v in layer_norms(model).values())))


def test_initial_norm_is_the_norm_the_run_starts_from_and_scales_with_alpha():
    w = initial_norm(CFG)
    assert w == pytest.approx(weight_norm(build_model(CFG.model, CFG.task.build(CFG.split_seed), CFG.seed)))
    assert initial_norm(vary(CFG, init_scale=8.0)) == pytest.approx(8 * w, rel=1e-6)
    assert train(CFG, progress=False).history.at("weight_norm", 0) == pytest.approx(w, rel=1e-5)


def test_held_run_stays_on_its_sphere():
    cfg = vary(CFG, init_scale=2.0)
    run = train(vary(cfg, fixed_norm=initial_norm(cfg)), progress=False)
    np.testing.assert_allclose(run.history["weight_norm"], initial_norm(cfg), rtol=1e-5)


@pytest.mark.parametrize("start, target, lr, wd", [(56.5, 16.0, 1e-2, 0.3), (8.0, 1.0, 1e-2, 1.0),
                                                    (30.0, 29.0, 1e-3, 0.1)])
def test_decay_time_matches_repeated_decoupled_decay(start, target, lr, wd):
    theta, steps = torch.full((10,), start / math.sqrt(10), dtype=torch.float64), 0
    while float(theta.norm()) > target:
        theta = theta * (1 - lr * wd)   # AdamW's decay step with a zero gradient
        steps += 1
    assert math.ceil(decay_time(start, target, lr, wd)) == steps
    assert decay_time(start, target, lr, wd) == pytest.approx(math.log(start / target) / (lr * wd), rel=lr * wd)


def test_decay_time_edge_cases():
    assert decay_time(5.0, 10.0, 1e-2, 0.3) == 0.0
    assert decay_time(10.0, 5.0, 1e-2, 0.0) == math.inf
    with pytest.raises(ValueError, match="norms must be > 0"):
        decay_time(0.0, 1.0, 1e-2, 1.0)
    with pytest.raises(ValueError, match="lr·weight_decay < 1"):
        decay_time(2.0, 1.0, 1.0, 1.0)
    with pytest.raises(ValueError, match="lr > 0"):
        decay_time(2.0, 1.0, -1e-2, 1.0)


def test_norm_milestones_read_the_norm_at_t_mem_and_t_grok():
    h = History({"step": np.array([0, 5, 10, 20]), "train_acc": np.array([0.1, 0.995, 1.0, 1.0]),
                 "test_acc": np.array([0.0, 0.1, 0.96, 1.0]), "weight_norm": np.array([9.0, 7.0, 6.0, 5.5])})
    assert norm_milestones(Run(None, h, None, None)) == {"start": 9.0, "mem": 7.0, "grok": 6.0, "end": 5.5}
