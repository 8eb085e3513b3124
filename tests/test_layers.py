"""The package's layer order: a module imports only its own layer or the ones below it.

leaf (device, history, claims, seeds) → tasks, losses → models, optim → training → diagnostics, escape
→ plots → widgets. Plots and diagnostics may read a run's History without loading the trainer.
"""
import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "grokbook"
LAYERS = {"device": 0, "history": 0, "claims": 0, "seeds": 0, "scale": 0, "htmlbook": 0, "tasks": 1, "losses": 1,
          "models": 2, "optim": 2, "accelerate": 2,
          "training": 3, "diagnostics": 4, "escape": 4, "plots": 5, "twins": 5, "widgets": 6}
MODULES = sorted(p for p in PACKAGE.rglob("*.py") if p.name != "__init__.py" or p.parent != PACKAGE)


def _layer(dotted: str) -> int | None:
    parts = dotted.split(".")
    return LAYERS.get(parts[1]) if len(parts) > 1 and parts[0] == "grokbook" else None


def _imports(path: Path) -> list[str]:
    names = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.append(node.module)
        elif isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
    return names


def test_every_module_has_a_layer():
    for path in MODULES:
        top = path.relative_to(PACKAGE).parts[0].removesuffix(".py")
        assert top in LAYERS, f"grokbook/{top} has no place in the layer order: add it to LAYERS"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_module_imports_a_layer_above_its_own(path):
    own = LAYERS[path.relative_to(PACKAGE).parts[0].removesuffix(".py")]
    above = [name for name in _imports(path) if (layer := _layer(name)) is not None and layer > own]
    assert not above, f"{path.relative_to(PACKAGE)} (layer {own}) imports {above} from a higher layer"
