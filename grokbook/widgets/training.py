"""``training_panel``: a ``ControlPanel`` that retrains a ``TrainConfig`` and streams its curves."""
from __future__ import annotations

from typing import Any, Callable

from matplotlib.figure import Figure

from grokbook.history import History
from grokbook.training import TrainConfig, setting, train, vary
from grokbook.widgets.panel import ControlPanel, Report

__all__ = ["training_panel"]


def training_panel(config: TrainConfig, controls: dict[str, Any], *,
                   plot: Callable[[History, Figure], Any] | None = None, diagnostics: dict | None = None,
                   title: str = "", mode: str = "auto",
                   derive: Callable[[dict], dict] | None = None) -> ControlPanel:
    """A panel that retrains ``vary(config, **controls)`` and streams the training curves (or ``plot``).

    ``controls`` is the parameter specification that the chapter's static twin shares
    (:func:`grokbook.twins.static_twin`); the panel starts from ``config``'s values. ``derive(values)``
    returns further settings computed from the controls' values (e.g. a learning rate that moves with the
    output scale, ``{"lr": values["lr"] * values["output_scale"] ** 2}``); they override the controls'.

    >>> panel = training_panel(TrainConfig(), {"weight_decay": (0.0, 2.0), "lr": (1e-4, 1e-1, "log")})
    """
    from grokbook.plots import plot_curves

    draw = plot if plot is not None else (lambda history, fig: plot_curves(history, fig=fig))

    def run(values: dict, report: Report, should_stop: Callable[[], bool]) -> History:
        cfg = vary(config, **{**values, **(derive(values) if derive is not None else {})})
        return train(cfg, diagnostics=diagnostics, progress=False, should_stop=should_stop,
                     callback=lambda step, histories: report(History(dict(histories[0].columns)))).history

    initial = {name: setting(config, name) for name in controls}
    return ControlPanel(controls, run, draw, initial=initial, title=title, mode=mode)
