"""Host/device hygiene, checked without a GPU: the package never turns a tensor into numpy before moving
it to the CPU (on CUDA that raises, as chapter 5's diagnostics once did), and the trainer's runs and the
diagnostics that read them run on every device this machine has (CPU always; CUDA and MPS when present)."""
import ast
from pathlib import Path

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
