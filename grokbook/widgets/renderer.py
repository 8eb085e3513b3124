"""Rendering a panel's figure off the training loop: the latest result only, at an adaptive rate.

The renderer draws on its own thread, one render at a time, and starts the next no sooner than
``max(min_interval_s, 2 × duration of the last render)`` after the END of the last one, so drawing takes
at most about a third of a core and never holds training up; results that arrive meanwhile replace each
other (only the newest is drawn). A live frame reuses the layout that ``Figure.tight_layout`` computed for
the first frame of the run (``tight_layout`` is about half of a render's cost, and the frames of one run
differ only in their curves); the final frame is laid out afresh.
"""
from __future__ import annotations

import contextlib
import io
import threading
import time
from typing import Any, Callable, Iterator

from matplotlib.figure import Figure

__all__ = ["Renderer"]


class Renderer:
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
        self.layout: dict[str, float] | None = None  # the run's first tight layout, reused by live frames

    def render(self, result: Any, live: bool = False) -> bytes:
        """Draw ``result`` now, on the calling thread (the final frame; ``live``: a frame of a running
        job, which reuses the run's first tight layout)."""
        with self._figure_lock:
            started = time.monotonic()
            self._figure.clear()
            with self._layout(reuse=live):
                self._plot(result, self._figure)
            buffer = io.BytesIO()
            self._figure.savefig(buffer, format="png", dpi=72)
            self.last_render_s = time.monotonic() - started
            self.renders += 1
            return buffer.getvalue()

    @contextlib.contextmanager
    def _layout(self, reuse: bool) -> Iterator[None]:
        """While the plot draws, ``figure.tight_layout()`` applies the stored layout (``reuse``, once
        there is one) or computes the layout and stores it."""
        figure, tight_layout = self._figure, self._figure.tight_layout
        keys = ("left", "right", "bottom", "top", "wspace", "hspace")

        def cached(*args: Any, **kwargs: Any) -> None:
            if reuse and self.layout is not None:
                figure.subplots_adjust(**self.layout)
                return
            tight_layout(*args, **kwargs)
            self.layout = {key: getattr(figure.subplotpars, key) for key in keys}

        figure.tight_layout = cached
        try:
            yield
        finally:
            del figure.tight_layout

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
                frame = self.render(result, live=True)
            except Exception as error:  # shown by the panel when the run ends
                self.error = error
                return
            with self._wake:
                self._frame = frame
                rest = max(self._min_interval_s, 2 * self.last_render_s)
                self._wake.wait_for(lambda: self._closed, timeout=rest)
