"""TrainConfig: frozen, validated on construction; vary and grid find each setting where it lives."""
import dataclasses

import pytest

from grokbook import MLPConfig, ModularArithmetic, TrainConfig, TransformerConfig, grid, vary

BASE = TrainConfig(task=ModularArithmetic(p=7), model=MLPConfig(width=8), steps=10, device="cpu")


def test_configs_are_frozen_and_hashable():
    with pytest.raises(dataclasses.FrozenInstanceError):
        BASE.lr = 1.0
    assert len({BASE, vary(BASE, lr=BASE.lr), vary(BASE, lr=2.0)}) == 2


def test_vary_reaches_run_task_and_model_settings():
    changed = vary(BASE, weight_decay=0.1, train_fraction=0.5, width=16, operation="-")
    assert (changed.weight_decay, changed.task.train_fraction, changed.model.width, changed.task.operation) == (
        0.1, 0.5, 16, "-")
    assert (BASE.model.width, BASE.task.operation) == (8, "+")  # the original is untouched


def test_vary_names_an_unknown_setting_and_where_it_looked():
    with pytest.raises(ValueError, match=r"no setting called 'widht' in TrainConfig, ModularArithmetic or MLPConfig"):
        vary(BASE, widht=3)


def test_grid_is_the_cartesian_product_with_the_last_axis_fastest():
    configs = grid(BASE, lr=[1e-3, 1e-2], seed=[0, 1, 2])
    assert [(c.lr, c.seed) for c in configs] == [(1e-3, 0), (1e-3, 1), (1e-3, 2), (1e-2, 0), (1e-2, 1), (1e-2, 2)]


def test_effective_lr_is_divided_by_the_output_scale_squared():
    assert vary(BASE, lr=0.1, output_scale=10.0).effective_lr == pytest.approx(1e-3)
    assert BASE.effective_lr == BASE.lr


def test_split_seed_defaults_to_the_seed():
    assert vary(BASE, seed=3).split_seed == 3 and vary(BASE, seed=3, data_seed=5).split_seed == 5


@pytest.mark.parametrize("changes, match", [
    (dict(model="mlp"), "model must be an MLPConfig or TransformerConfig"),
    (dict(task=3), "task must be a task config"),
    (dict(betas=(0.9, 1.0)), r"betas must lie in \[0, 1\)"),
    (dict(log_points=1), "log_points must be ≥ 2"),
])
def test_bad_settings_are_refused_with_what_and_why(changes, match):
    with pytest.raises(ValueError, match=match):
        dataclasses.replace(BASE, **changes)


def test_transformer_configs_are_accepted():
    assert isinstance(vary(BASE, model=TransformerConfig(d_model=8, n_heads=2, d_mlp=16)).model, TransformerConfig)
