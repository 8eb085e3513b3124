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
