"""Training: one config in, one run out; K configs in, K runs out of one vectorised loop."""
from grokbook.history import (GROK_THRESHOLD, MEMORIZE_THRESHOLD, History, Run, collect, steps_to_grok,
                              steps_to_memorize)
from grokbook.models import CenteredScaled
from grokbook.training.config import TrainConfig, grid, setting, vary
from grokbook.training.presets import gromov_config, tian_config
from grokbook.training.start import trained_state
from grokbook.training.sweep import SweepResult, group_configs, run_sweep
from grokbook.training.trainer import (DivergenceError, LogContext, check_ensemble, log_steps, train,
                                       train_ensemble)

__all__ = ["CenteredScaled", "DivergenceError", "GROK_THRESHOLD", "History", "LogContext", "MEMORIZE_THRESHOLD",
           "Run", "SweepResult", "TrainConfig", "check_ensemble", "collect", "gromov_config", "grid", "tian_config",
           "group_configs", "log_steps", "run_sweep", "setting", "steps_to_grok", "steps_to_memorize", "train",
           "train_ensemble", "trained_state", "vary"]
