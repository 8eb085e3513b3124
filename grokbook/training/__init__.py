"""Training: one config in, one run out; K configs in, K runs out of one vectorised loop."""
from grokbook.training.config import TrainConfig, grid, vary
from grokbook.history import (GROK_THRESHOLD, MEMORIZE_THRESHOLD, History, Run, collect, steps_to_grok,
                                       steps_to_memorize)
from grokbook.training.presets import gromov_config
from grokbook.training.trainer import (CenteredScaled, DivergenceError, LogContext, check_ensemble, log_steps,
                                       train, train_ensemble)

__all__ = ["CenteredScaled", "DivergenceError", "GROK_THRESHOLD", "History", "LogContext", "MEMORIZE_THRESHOLD",
           "Run", "TrainConfig", "check_ensemble", "gromov_config", "grid", "log_steps", "steps_to_grok", "steps_to_memorize",
           "train", "train_ensemble", "vary"]
