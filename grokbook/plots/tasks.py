"""What a task looks like: the operation table with the training pairs marked."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes

from grokbook.tasks import Dataset, ModularArithmetic

__all__ = ["plot_table", "plot_task_table"]


def plot_task_table(task: ModularArithmetic, data: Dataset, ax: Axes | None = None) -> Axes:
    """The table ``c = a ∘ b mod p`` as an image (colour = c), test cells greyed out: what the model
    sees is only the bright part."""
    ax = ax if ax is not None else plt.figure(figsize=(4.2, 4)).gca()
    p = task.p
    table = np.full((p, p), np.nan)
    train = np.zeros((p, p), dtype=bool)
    x, y = task.table()
    x, y = x.cpu().numpy(), y.cpu().numpy()
    table[x[:, 0], x[:, 1]] = y
    xt = data.x_train.cpu().numpy()
    train[xt[:, 0], xt[:, 1]] = True
    ax.imshow(np.where(train, table, np.nan), cmap="twilight", origin="lower", interpolation="nearest")
    ax.imshow(np.where(train, np.nan, 0.0), cmap="Greys", vmin=-1, vmax=3, origin="lower", interpolation="nearest")
    ax.set_xlabel("b")
    ax.set_ylabel("a")
    ax.set_title(f"a {task.operation} b mod {p}: {len(data.y_train)} training pairs (coloured), "
                 f"{len(data.y_test)} held out (grey)", fontsize=9)
    return ax


# The name chapter 1 imports from grokbook.plots: the same function.
plot_table = plot_task_table
