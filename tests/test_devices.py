"""Host/device hygiene, checked without a GPU: the package never turns a tensor into numpy before moving
it to the CPU (on CUDA that raises, as chapter 5's diagnostics once did), and the trainer's runs and the
diagnostics that read them run on every device this machine has (CPU always; CUDA and MPS when present)."""
import ast
from pathlib import Path

import numpy as np
import pytest
import torch

PACKAGE = Path(__file__).resolve().parents[1] / "grokbook"
DEVICES = ["cpu"] + (["cuda"] if torch.cuda.is_available() else []) + (
    ["mps"] if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available() else [])


def _moved_to_cpu(receiver: ast.AST) -> bool:
    """Whether the chain a.b().c() that ``.numpy()`` is called on passes through ``.cpu()`` or ``.to("cpu")``."""
    node = receiver
    while isinstance(node, (ast.Call, ast.Attribute, ast.Subscript)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            if node.func.attr == "cpu":
                return True
            if node.func.attr == "to" and any(isinstance(a, ast.Constant) and a.value == "cpu" for a in node.args):
                return True
        node = node.func if isinstance(node, ast.Call) else node.value
    return False


def unmoved_numpy_calls(source: str) -> list[int]:
    """Line numbers of ``x.numpy()`` calls whose receiver was not moved to the CPU in the same expression."""
    return [node.lineno for node in ast.walk(ast.parse(source))
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "numpy"
            and not node.args and not _moved_to_cpu(node.func.value)]


def test_the_scan_flags_unmoved_tensors_only():
    assert unmoved_numpy_calls("t.numpy()\nt.detach().numpy()") == [1, 2]
    assert unmoved_numpy_calls("t.cpu().numpy()\nt.detach().cpu().double().numpy()\nt.to('cpu').numpy()") == []


@pytest.mark.parametrize("path", sorted(PACKAGE.rglob("*.py")), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_numpy_call_on_a_tensor_not_moved_to_the_cpu(path):
    lines = unmoved_numpy_calls(path.read_text())
    assert not lines, f"{path.relative_to(PACKAGE)} calls .numpy() without .cpu() on lines {lines}"


@pytest.mark.parametrize("device", DEVICES)
def test_a_run_and_its_histories_live_on_the_requested_device(device):
    from grokbook import MLPConfig, ModularArithmetic, TrainConfig, train

    run = train(TrainConfig(task=ModularArithmetic(p=7, train_fraction=0.5), model=MLPConfig(width=8),
                            steps=5, log_points=3, device=device), progress=False)
    assert next(run.model.parameters()).device.type == device
    assert run.data.x_train.device.type == device
    assert run.history["train_acc"].dtype.kind == "f"  # histories are numpy, on the host


@pytest.mark.parametrize("device", DEVICES)
def test_every_diagnostic_family_runs_during_training_on_the_device(device):
    """One short run per model kind with a diagnostic of every family attached: on a GPU this catches a
    diagnostic that mixes host and device tensors (as chapter 5's Fourier tables once did)."""
    from grokbook import MLPConfig, ModularArithmetic, TrainConfig, TransformerConfig, train
    from grokbook.diagnostics import (attention, collapse, geometry, kernels, noise, representation,
                                      spectral)

    task = ModularArithmetic(p=7, train_fraction=0.6)
    mlp = {"ntk": kernels.ntk_diagnostic(probe_size=8), "twonn": geometry.twonn_diagnostic(),
           "centroids": geometry.centroid_diagnostic(),
           "tail": noise.tail_index_diagnostic(batch_size=4, n_batches=2),
           "spectrum": spectral.update_spectrum_diagnostic(), **collapse.collapse_diagnostics()}
    run = train(TrainConfig(task=task, model=MLPConfig(width=16), steps=6, log_points=3,
                            device=device), diagnostics=mlp, progress=False)
    assert all(len(run.history[name]) == len(run.history["step"])
               for name in ("ntk.kernel_change", "twonn", "tail", "spectrum.s1", "collapse.fraction"))
    transformer = {"entropy": attention.attention_entropy_diagnostic(),
                   "embedding": geometry.embedding_diagnostic(),
                   "rqi": representation.representation_diagnostic()}
    run = train(TrainConfig(task=ModularArithmetic(p=7, train_fraction=0.6, equals_token=True),
                            model=TransformerConfig(d_model=16, n_heads=2, d_mlp=32), steps=4,
                            log_points=2, device=device), diagnostics=transformer, progress=False)
    assert np.isfinite(np.asarray(run.history["entropy.mean"], dtype=float)).all()
