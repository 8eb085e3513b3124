"""Live control panels: sliders and dropdowns wired to a training function and a figure.

Only core ipywidgets are used (Colab ships ipywidgets 7.7, Jupyter 8.x). A panel is drivable from code:
``panel.set(weight_decay=0.1); panel.run()`` retrains and redraws, which is how the tests exercise it.
In a notebook the Train button runs in a background thread, so the Stop button stays responsive and the
figure streams while training runs.
"""
from __future__ import annotations

import dataclasses
import io
import math
import threading
import time
from typing import Any, Callable

import ipywidgets as widgets
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from grokbook.training import TrainConfig, train, vary
from grokbook.history import History

Report = Callable[[Any], None]
RunFunction = Callable[[dict, Report, Callable[[], bool]], Any]


def _lookup(config: Any, name: str) -> Any:
    for part in (config, getattr(config, "task", None), getattr(config, "model", None)):
        if part is not None and dataclasses.is_dataclass(part) and name in {f.name for f in dataclasses.fields(part)}:
            return getattr(part, name)
    return None


def make_control(name: str, spec: Any, value: Any = None) -> widgets.Widget:
    """A widget from a spec: a list → dropdown; ``(lo, hi)`` → slider (integer if both are ints);
    ``(lo, hi, "log")`` → log-scale slider; ``bool`` → checkbox. ``value`` sets its start."""
    style = {"description_width": "initial"}
    if isinstance(spec, bool):
        return widgets.Checkbox(value=spec if value is None else bool(value), description=name, style=style)
    if isinstance(spec, list):
        return widgets.Dropdown(options=spec, value=value if value in spec else spec[0], description=name, style=style)
    if isinstance(spec, tuple) and len(spec) == 3 and spec[2] == "log":
        lo, hi = math.log10(spec[0]), math.log10(spec[1])
        start = spec[0] if value is None or not value > 0 else min(max(value, spec[0]), spec[1])
        return widgets.FloatLogSlider(value=start, base=10, min=lo, max=hi, step=(hi - lo) / 40,
                                      description=name, style=style, continuous_update=False)
    if isinstance(spec, tuple) and len(spec) == 2:
        lo, hi = spec
        start = lo if value is None else min(max(value, lo), hi)
        if isinstance(lo, int) and isinstance(hi, int):
            return widgets.IntSlider(value=int(start), min=lo, max=hi, description=name, style=style,
                                     continuous_update=False)
        return widgets.FloatSlider(value=float(start), min=lo, max=hi, step=(hi - lo) / 100, description=name,
                                   style=style, continuous_update=False)
    raise ValueError(f"control {name!r}: spec must be a list, (lo, hi), (lo, hi, 'log') or a bool, got {spec!r}")


class ControlPanel:
    """Controls, Train and Stop buttons, a status line and a figure that redraws as results stream in.

    ``run(values, report, should_stop)`` does the work: it receives the controls' values, calls
    ``report(partial)`` whenever there is something to draw and polls ``should_stop()``; it returns the
    final result. ``plot(result, figure)`` draws a (partial or final) result on a matplotlib figure.
    """

    def __init__(self, controls: dict[str, Any], run: RunFunction, plot: Callable[[Any, Figure], Any], *,
                 initial: dict[str, Any] | None = None, title: str = "", figsize: tuple[float, float] = (11, 3.6),
                 min_redraw_s: float = 0.5) -> None:
        initial = initial or {}
        self.controls = {name: make_control(name, spec, initial.get(name)) for name, spec in controls.items()}
        self._run, self._plot = run, plot
        self.figure = Figure(figsize=figsize)
        FigureCanvasAgg(self.figure)
        self.image = widgets.Image(format="png")
        self.status = widgets.HTML(value=f"<b>{title}</b> set the controls, then press Train")
        self.train_button = widgets.Button(description="Train", button_style="success", icon="play")
        self.stop_button = widgets.Button(description="Stop", button_style="danger", icon="stop", disabled=True)
        self.train_button.on_click(lambda _: self.run(blocking=False))
        self.stop_button.on_click(lambda _: self.stop())
        self.result: Any = None
        self.redraws = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._min_redraw_s, self._last_draw = min_redraw_s, 0.0
        buttons = widgets.HBox([self.train_button, self.stop_button])
        self.widget = widgets.VBox([widgets.HBox(list(self.controls.values()), layout=widgets.Layout(flex_flow="row wrap")),
                                    buttons, self.status, self.image])

    @property
    def values(self) -> dict[str, Any]:
        return {name: control.value for name, control in self.controls.items()}

    def set(self, **values: Any) -> "ControlPanel":
        """Set controls by name (as a user would move them); unknown names raise ``ValueError``."""
        for name, value in values.items():
            if name not in self.controls:
                raise ValueError(f"no control called {name!r}; controls are {list(self.controls)}")
            self.controls[name].value = value
        return self

    def stop(self) -> None:
        """Ask the running job to stop at its next report."""
        self._stop.set()

    def run(self, blocking: bool = True) -> Any:
        """Run with the current values; ``blocking=False`` runs in a thread (the Train button does)."""
        if self._thread is not None and self._thread.is_alive():
            self.status.value = "already running: press Stop first"
            return None
        self._stop.clear()
        if blocking:
            return self._execute(raise_errors=True)
        self._thread = threading.Thread(target=self._execute, daemon=True)
        self._thread.start()
        return None

    def _draw(self, result: Any, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._last_draw < self._min_redraw_s:
            return
        self._last_draw = now
        self.figure.clear()
        self._plot(result, self.figure)
        buffer = io.BytesIO()
        self.figure.savefig(buffer, format="png", dpi=80)
        self.image.value = buffer.getvalue()
        self.redraws += 1

    def _execute(self, raise_errors: bool = False) -> Any:
        self.train_button.disabled, self.stop_button.disabled = True, False
        self.status.value = "running…"
        started = time.monotonic()
        try:
            self.result = self._run(self.values, self._draw, self._stop.is_set)
            self._draw(self.result, force=True)
            stopped = " (stopped)" if self._stop.is_set() else ""
            self.status.value = f"done in {time.monotonic() - started:.1f} s{stopped}"
        except ValueError as error:  # a setting that cannot run: say why, keep the panel usable
            self.status.value = f"<span style='color:#b00'>cannot run: {error}</span>"
            if raise_errors:
                raise
        finally:
            self.train_button.disabled, self.stop_button.disabled = False, True
        return self.result

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)


def training_panel(config: TrainConfig, controls: dict[str, Any], *, plot: Callable[[History, Figure], Any] | None = None,
                   diagnostics: dict | None = None, title: str = "") -> ControlPanel:
    """A panel that retrains ``vary(config, **controls)`` and streams the training curves (or ``plot``).

    >>> panel = training_panel(TrainConfig(), {"weight_decay": (0.0, 2.0), "lr": (1e-4, 1e-1, "log")})
    """
    from grokbook.plots import plot_curves

    draw = plot if plot is not None else (lambda history, fig: plot_curves(history, fig=fig))

    def run(values: dict, report: Report, should_stop: Callable[[], bool]) -> History:
        cfg = vary(config, **values)
        return train(cfg, diagnostics=diagnostics, progress=False, should_stop=should_stop,
                     callback=lambda step, histories: report(histories[0])).history

    initial = {name: _lookup(config, name) for name in controls}
    return ControlPanel(controls, run, draw, initial=initial, title=title)
