"""grokbook: models, trainers and diagnostics for an executable book on grokking."""
__version__ = "0.1.0"

from grokbook.claims import ClaimContradicted, Verdict, report
from grokbook.device import describe_device, pick_device
from grokbook.history import collect, first_crossing
from grokbook.losses import get_loss, mean_squared_error, stablemax_cross_entropy
from grokbook.models import MLP, MLPConfig, Transformer, TransformerConfig, activations, build_model
from grokbook.optim import OrthogonalGrad, orthogonal_component
from grokbook.scale import budget, paper_scale, smoke_run
from grokbook.seeds import seed, seed_offset, seeds
from grokbook.tasks import Dataset, ModularArithmetic, SparseParity
from grokbook.training import (DivergenceError, History, Run, TrainConfig, grid, gromov_config, steps_to_grok,
                               steps_to_memorize, train, train_ensemble, vary)

__all__ = ["ClaimContradicted", "Verdict", "collect", "first_crossing", "report", "seed", "seed_offset", "seeds",
           "budget", "paper_scale", "smoke_run",
           "Dataset", "DivergenceError", "History", "MLP", "MLPConfig", "ModularArithmetic", "OrthogonalGrad",
           "Run", "SparseParity", "TrainConfig", "Transformer", "TransformerConfig", "activations", "build_model",
           "describe_device", "get_loss", "grid", "gromov_config", "mean_squared_error", "orthogonal_component", "pick_device",
           "stablemax_cross_entropy", "steps_to_grok", "steps_to_memorize", "train", "train_ensemble", "vary"]
