import numpy as np
import pytest
import torch

from grokbook import MLPConfig, ModularArithmetic, build_model
from grokbook.diagnostics.bottleneck import censored_steps, predicted_classes, tune_per_group
from grokbook.history import History, Run
from grokbook.models.planted import planted_mlp
from grokbook.training import TrainConfig, vary

P = 11
DATA = ModularArithmetic(p=P, train_fraction=0.5).build(seed=0)


@pytest.mark.parametrize("seed", range(5))
def test_rank_one_predicts_at_most_two_answers(seed):
    model = build_model(MLPConfig(width=16, activation="quadratic", bias=False, bottleneck_rank=1), DATA,
                        seed=seed)
    with torch.no_grad():
        for p in model.parameters():
            p.normal_()
    assert predicted_classes(model, DATA) <= 2


def test_rank_two_can_predict_every_answer():
    model = build_model(MLPConfig(width=16, activation="quadratic", bias=False, bottleneck_rank=2), DATA,
                        seed=0)
    planted = planted_mlp(P, [3])  # width 8: its first layer, its readout through rank 2
    assert predicted_classes(planted, DATA) == P  # the known solution reaches every answer
    with torch.no_grad():
        model.first.zero_()
        model.first[..., :8] = planted.first
        readout = planted.readout.detach().double()  # (8, P) = Σ of cos(w(… − c)) terms
        u, s, vt = torch.linalg.svd(readout, full_matrices=False)
        assert (s[2:] < 1e-6 * s[0]).all()  # the planted readout has rank 2: the claim of the module
        model.bottleneck.zero_()
        model.bottleneck[:8] = (u[:, :2] * s[:2]).float()
        model.readout.copy_(vt[:2].float())
    assert predicted_classes(model, DATA) == P


def _run(lr, seed, t_grok, t_mem=5, budget=100, test=0.0):
    steps = np.array([0, t_mem, budget]) if t_grok is None else np.array([0, t_mem, t_grok, budget])
    n = len(steps)
    train = np.array([0.0] + [1.0] * (n - 1))
    test_acc = np.zeros(n)
    if t_grok is not None:
        test_acc[2:] = 1.0
    else:
        test_acc[-1] = test
    h = History({"step": steps, "train_acc": train, "test_acc": test_acc,
                 "train_loss": np.ones(n), "test_loss": np.ones(n)})
    cfg = vary(TrainConfig(task=ModularArithmetic(p=5), model=MLPConfig(width=4)), lr=lr, seed=seed)
    return Run(cfg, h, None, None)


def test_censored_steps_counts_a_run_that_never_grokked_as_budget_plus_one():
    assert censored_steps(_run(0.1, 0, 40)) == 40
    assert censored_steps(_run(0.1, 0, None)) == 101


def test_tune_prefers_grokking_then_speed_then_test_accuracy():
    runs = [_run(0.1, s, None, test=0.5) for s in (0, 1)] + [_run(0.3, s, 60) for s in (0, 1)]
    runs += [_run(1.0, 0, 30), _run(1.0, 1, None)]
    tuned = tune_per_group(runs, group=lambda c: "all")
    assert tuned["all"]["best"] == 0.3  # both grokked beats one fast and one never
    faster = [_run(0.3, s, 60) for s in (0, 1)] + [_run(1.0, s, 20) for s in (0, 1)]
    assert tune_per_group(faster, group=lambda c: "all")["all"]["best"] == 1.0
    none = [_run(0.1, s, None, test=0.2) for s in (0, 1)] + [_run(0.3, s, None, test=0.7) for s in (0, 1)]
    best = tune_per_group(none, group=lambda c: "all")["all"]
    assert best["best"] == 0.3 and len(best["runs"]) == 2


def test_tune_groups_separately():
    runs = [_run(0.1, 0, 10), _run(0.3, 0, 50)]
    groups = tune_per_group(runs, group=lambda c: c.lr)
    assert {g: v["best"] for g, v in groups.items()} == {0.1: 0.1, 0.3: 0.3}
    with pytest.raises(ValueError, match="at least one"):
        tune_per_group([], group=lambda c: 0)
