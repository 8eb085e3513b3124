"""Live control panels: sliders and dropdowns wired to a training function and a figure.

Only core ipywidgets are used (Colab ships ipywidgets 7.7, Jupyter 8.x). A panel is drivable from code:
``panel.set(weight_decay=0.1); panel.run()`` retrains and redraws, which is how the tests exercise it.

Where the training runs (``mode``):

* ``"thread"`` (Jupyter): the Train button trains in a background thread; the kernel stays free, so Stop
  and the other controls respond at once.
* ``"blocking"`` (Colab, picked automatically there): Colab does not show widget updates sent from a
  background thread (googlecolab/colabtools#3373, open), so the Train button trains in its own click
  handler, on the kernel's main thread, where every update is shown. Stop still works: while training,
  the panel lets the kernel handle pending widget events (``jupyter-ui-poll``; ipykernel 6, as on Colab:
  on ipykernel 7 it is not used, as it breaks that kernel's shell loop), and Colab's own interrupt
  (■ or Ctrl+M I) stops the run the same way, keeping what was trained.

Drawing never holds training up: the figure is rendered to PNG on a renderer thread, always the latest
result, and the next render starts no sooner than ``max(min_redraw_s, 2 × duration of the last render)``
after the END of the last one, so rendering takes at most about a third of a core. The training loop only
publishes finished frames (a cheap widget update, on the training loop's own thread). The first frame is
drawn as soon as the first result arrives. Any error of a run (a setting that cannot run, a
``DivergenceError`` …) is shown in the panel's status and the buttons are reset.

In the HTML book no kernel runs: a panel then shows a one-line pointer to the launch button instead of
an empty area (see ``grokbook.htmlbook``).
"""
from __future__ import annotations

import contextlib
import html
import io
import math
import sys
import threading
import time
from typing import Any, Callable

import ipywidgets as widgets
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from grokbook.history import History
from grokbook.training import TrainConfig, setting, train, vary
from grokbook.htmlbook import in_html_book
from grokbook.twins import spec_kind

__all__ = ["ControlPanel", "make_control", "on_colab", "training_panel"]

Report = Callable[[Any], None]
RunFunction = Callable[[dict, Report, Callable[[], bool]], Any]
BOOK_POINTER = ("<p class='grokbook-panel-pointer'><b>Live panel:</b> it needs a running Python kernel. "
                "Open this chapter on Colab or Jupyter with the launch button (the rocket, top of the "
                "page) to retrain with your own settings; the slider figure above shows precomputed "
                "runs.</p>")


def _release_kernel(events: Any) -> None:
    """Give the kernel back its ``execute_request`` handler after polling inside a click handler.

    jupyter-ui-poll (1.1) holds back every cell run while it polls and releases them on IPython's
    ``post_run_cell`` event, which a widget's click handler never triggers: without this, after one
    Train click on Colab no cell would run again. Its own release hook does exactly the clean-up."""
    release = getattr(events, "_post_run_cell", None)
    if release is not None and type(events)._current is events:
        release()


def on_colab() -> bool:
    """Whether this kernel runs on Google Colab (its ``google.colab`` package is loaded there)."""
    return "google.colab" in sys.modules


def make_control(name: str, spec: Any, value: Any = None) -> widgets.Widget:
    """A widget from a spec: a list → dropdown; ``(lo, hi)`` → slider (integer if both are ints);
    ``(lo, hi, "log")`` → log-scale slider; ``bool`` → checkbox. ``value`` sets its start (clamped)."""
    style = {"description_width": "initial"}
    kind = spec_kind(name, spec)
    if kind == "bool":
        return widgets.Checkbox(value=spec if value is None else bool(value), description=name, style=style)
    if kind == "choice":
        return widgets.Dropdown(options=spec, value=value if value in spec else spec[0], description=name,
                                style=style)
    lo, hi = spec[0], spec[1]
    start = lo if value is None or (kind == "log" and not value > 0) else min(max(value, lo), hi)
    common = {"description": name, "style": style, "continuous_update": False}
    if kind == "log":
        low, high = math.log10(lo), math.log10(hi)
        return widgets.FloatLogSlider(value=start, base=10, min=low, max=high, step=(high - low) / 40, **common)
    if kind == "int":
        return widgets.IntSlider(value=int(start), min=lo, max=hi, **common)
    return widgets.FloatSlider(value=float(start), min=lo, max=hi, step=(hi - lo) / 100, **common)


class _Renderer:
    """Renders results to PNG bytes on its own thread: only the latest result, one render at a time, the
    next no sooner than ``max(min_interval_s, 2 × last render's duration)`` after the end of the last."""

    def __init__(self, plot: Callable[[Any, Figure], Any], figure: Figure, min_interval_s: float) -> None:
        self._plot, self._figure, self._min_interval_s = plot, figure, min_interval_s
        self._wake = threading.Condition()
        self._figure_lock = threading.Lock()
        self._pending: tuple[Any] | None = None
        self._frame: bytes | None = None
        self._closed = False
        self._thread: threading.Thread | None = None
        self.error: BaseException | None = None
        self.renders = 0
        self.last_render_s = 0.0

    def render(self, result: Any) -> bytes:
        """Draw ``result`` now, on the calling thread (the final frame)."""
        with self._figure_lock:
            started = time.monotonic()
            self._figure.clear()
            self._plot(result, self._figure)
            buffer = io.BytesIO()
            self._figure.savefig(buffer, format="png", dpi=72)
            self.last_render_s = time.monotonic() - started
            self.renders += 1
            return buffer.getvalue()

    def submit(self, result: Any) -> None:
        with self._wake:
            self._pending = (result,)
            self._wake.notify()
            if self._thread is None or not self._thread.is_alive():
                self._closed = False
                self._thread = threading.Thread(target=self._loop, daemon=True, name="grokbook-render")
                self._thread.start()

    def take(self) -> bytes | None:
        """The newest finished frame not yet taken, or None."""
        with self._wake:
            frame, self._frame = self._frame, None
            return frame

    def close(self) -> None:
        """Stop the thread after the render in progress (pending results are dropped)."""
        with self._wake:
            self._closed, self._pending = True, None
            self._wake.notify()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join()

    def _loop(self) -> None:
        while True:
            with self._wake:
                while self._pending is None and not self._closed:
                    self._wake.wait()
                if self._closed:
                    return
                (result,), self._pending = self._pending, None
            try:
                frame = self.render(result)
            except Exception as error:  # shown by the panel when the run ends
                self.error = error
                return
            with self._wake:
                self._frame = frame
                rest = max(self._min_interval_s, 2 * self.last_render_s)
                self._wake.wait_for(lambda: self._closed, timeout=rest)


class ControlPanel:
    """Controls, Train and Stop buttons, a status line and a figure that redraws as results stream in.

    ``run(values, report, should_stop)`` does the work: it receives the controls' values, calls
    ``report(partial)`` whenever there is something to draw and polls ``should_stop()``; it returns the
    final result. ``plot(result, figure)`` draws a (partial or final) result on a matplotlib figure.
    ``mode`` is ``"thread"``, ``"blocking"`` or ``"auto"`` (blocking on Colab, else thread).
    """

    def __init__(self, controls: dict[str, Any], run: RunFunction, plot: Callable[[Any, Figure], Any], *,
                 initial: dict[str, Any] | None = None, title: str = "",
                 figsize: tuple[float, float] = (11, 3.6), min_redraw_s: float = 0.5,
                 mode: str = "auto") -> None:
        if mode not in ("auto", "thread", "blocking"):
            raise ValueError(f"mode must be 'auto', 'thread' or 'blocking', got {mode!r}")
        initial = initial or {}
        self.controls = {name: make_control(name, spec, initial.get(name)) for name, spec in controls.items()}
        self.mode = ("blocking" if on_colab() else "thread") if mode == "auto" else mode
        self._run = run
        self.figure = Figure(figsize=figsize)
        FigureCanvasAgg(self.figure)
        self._renderer = _Renderer(plot, self.figure, min_redraw_s)
        self.image = widgets.Image(format="png")
        self.status = widgets.HTML(value=f"<b>{html.escape(title)}</b> set the controls, then press Train")
        self.train_button = widgets.Button(description="Train", button_style="success", icon="play")
        self.stop_button = widgets.Button(description="Stop", button_style="danger", icon="stop",
                                          disabled=True)
        self.train_button.on_click(lambda _: self.run(blocking=self.mode == "blocking", raise_errors=False))
        self.stop_button.on_click(lambda _: self.stop())
        self.result: Any = None
        self.error: BaseException | None = None
        self.first_frame_s: float | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._poll: Callable[[int], Any] | None = None
        self._started = 0.0
        self._latest: Any = None
        buttons = widgets.HBox([self.train_button, self.stop_button])
        row = widgets.HBox(list(self.controls.values()), layout=widgets.Layout(flex_flow="row wrap"))
        self.widget = widgets.VBox([row, buttons, self.status, self.image])

    @property
    def values(self) -> dict[str, Any]:
        return {name: control.value for name, control in self.controls.items()}

    @property
    def redraws(self) -> int:
        """Frames drawn so far (live and final)."""
        return self._renderer.renders

    @property
    def running(self) -> bool:
        return self.train_button.disabled

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

    def run(self, blocking: bool = True, raise_errors: bool = True) -> Any:
        """Run with the current values. ``blocking=False`` trains in a thread (the Train button in
        Jupyter); blocking runs on the caller's thread (code, and the Train button on Colab). With
        ``raise_errors`` a failed run raises after the panel has shown the error."""
        if self.running:
            self.status.value = "already running: press Stop first"
            return None
        self._stop.clear()
        self.train_button.disabled, self.stop_button.disabled = True, False
        if blocking:
            return self._execute(raise_errors)
        self._thread = threading.Thread(target=self._execute, args=(False,), daemon=True)
        self._thread.start()
        return None

    def _publish(self) -> None:
        frame = self._renderer.take()
        if frame is not None:
            self.image.value = frame
            if self.first_frame_s is None:
                self.first_frame_s = time.monotonic() - self._started

    def _report(self, result: Any) -> None:
        """Called by the training loop: hand the result to the renderer, show a finished frame, and (in a
        blocking run inside a kernel) let the kernel handle a Stop click."""
        self._latest = result
        self._publish()
        self._renderer.submit(result)
        if self._poll is not None:
            self._poll(20)

    def _should_stop(self) -> bool:
        return self._stop.is_set()

    def _execute(self, raise_errors: bool) -> Any:
        self.status.value = "running…"
        self.error, self.first_frame_s, self._latest = None, None, None
        self._renderer.error = None
        self._started = time.monotonic()
        stopped = False
        try:
            with self._ui_events():
                result = self._run(self.values, self._report, self._should_stop)
        except KeyboardInterrupt:  # Colab's interrupt during a blocking run: a Stop
            result, stopped = self._latest, True
        except Exception as error:  # a setting that cannot run, a divergence …: say why, stay usable
            self._renderer.close()
            self.error = error
            self.status.value = (f"<span style='color:#b00'>cannot run: {type(error).__name__}: "
                                 f"{html.escape(str(error))}</span>")
            self.train_button.disabled, self.stop_button.disabled = False, True
            if raise_errors:
                raise
            return None
        self._renderer.close()
        try:
            if self._renderer.error is not None:
                raise self._renderer.error
            if result is not None:
                self.image.value = self._renderer.render(result)
                self.first_frame_s = self.first_frame_s or time.monotonic() - self._started
            self.result = result
            stopped = stopped or self._stop.is_set()
            self.status.value = (f"done in {time.monotonic() - self._started:.1f} s"
                                 + (" (stopped)" if stopped else ""))
        except Exception as error:
            self.error = error
            self.status.value = (f"<span style='color:#b00'>cannot draw: {type(error).__name__}: "
                                 f"{html.escape(str(error))}</span>")
            if raise_errors:
                raise
        finally:
            self.train_button.disabled, self.stop_button.disabled = False, True
        return self.result

    @contextlib.contextmanager
    def _ui_events(self):
        """In a blocking run inside a kernel, process widget events (Stop) between reports."""
        shell = _kernel_shell() if threading.current_thread() is threading.main_thread() else None
        if shell is None:
            yield
            return
        try:
            import ipykernel

            if int(ipykernel.__version__.split(".")[0]) >= 7:  # jupyter-ui-poll 1.1 breaks its shell loop
                raise ImportError("no event polling on ipykernel >= 7")
            from jupyter_ui_poll import ui_events

            events = ui_events()
            self._poll = events.__enter__()
        except Exception:  # no jupyter-ui-poll, or a kernel it cannot drive: Stop is the interrupt
            yield
            return
        try:
            yield
        finally:
            self._poll = None
            events.__exit__(None, None, None)
            _release_kernel(events)

    def _ipython_display_(self) -> None:
        from IPython.display import HTML, display

        display(HTML(BOOK_POINTER) if in_html_book() else self.widget)


def _kernel_shell():
    """The IPython shell when running inside a Jupyter kernel, else None."""
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    shell = get_ipython()
    return shell if shell is not None and getattr(shell, "kernel", None) is not None else None


def training_panel(config: TrainConfig, controls: dict[str, Any], *,
                   plot: Callable[[History, Figure], Any] | None = None, diagnostics: dict | None = None,
                   title: str = "", mode: str = "auto") -> ControlPanel:
    """A panel that retrains ``vary(config, **controls)`` and streams the training curves (or ``plot``).

    ``controls`` is the parameter specification that the chapter's static twin shares
    (:func:`grokbook.twins.static_twin`); the panel starts from ``config``'s values.

    >>> panel = training_panel(TrainConfig(), {"weight_decay": (0.0, 2.0), "lr": (1e-4, 1e-1, "log")})
    """
    from grokbook.plots import plot_curves

    draw = plot if plot is not None else (lambda history, fig: plot_curves(history, fig=fig))

    def run(values: dict, report: Report, should_stop: Callable[[], bool]) -> History:
        cfg = vary(config, **values)
        return train(cfg, diagnostics=diagnostics, progress=False, should_stop=should_stop,
                     callback=lambda step, histories: report(History(dict(histories[0].columns)))).history

    initial = {name: setting(config, name) for name in controls}
    return ControlPanel(controls, run, draw, initial=initial, title=title, mode=mode)
