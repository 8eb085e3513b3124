import pytest

from grokbook import gromov_config
from grokbook.training import TrainConfig


def test_gromov_config_is_the_papers_setup():
    cfg = gromov_config()
    assert isinstance(cfg, TrainConfig)
    assert (cfg.task.p, cfg.task.operation, cfg.task.train_fraction) == (97, "+", 0.3)
    m = cfg.model
    assert (m.width, m.activation, m.bias, m.parameterization) == (500, "quadratic", False, "gromov")
    assert (cfg.loss, cfg.optimizer, cfg.lr, cfg.betas, cfg.weight_decay, cfg.batch_size) == (
        "mse", "adamw", 1e-2, (0.9, 0.98), 0.0, None)


def test_gromov_config_changes_any_setting_by_name():
    cfg = gromov_config(p=31, width=64, lr=3e-2, operation="-")
    assert (cfg.task.p, cfg.model.width, cfg.lr, cfg.task.operation) == (31, 64, 3e-2, "-")
    assert cfg.model.parameterization == "gromov"
    with pytest.raises(ValueError, match="no setting called 'depthh'"):
        gromov_config(depthh=2)


def test_tian_config_is_xus_setup():
    from grokbook.training import tian_config
    cfg = tian_config()
    assert (cfg.task.p, cfg.task.train_fraction, cfg.model.width) == (71, 0.4, 2048)
    assert cfg.model.activation == "quadratic" and not cfg.model.bias and cfg.model.embed_dim is None
    assert (cfg.loss, cfg.optimizer, cfg.lr, cfg.weight_decay) == ("mse_centered", "adamw", 1e-3, 2e-4)
    assert cfg.batch_size is None and cfg.steps == 400 and cfg.log_grid == "linear"
    assert tian_config(activation="relu", width=64).model.activation == "relu"
