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

One module a job: ``controls`` (widgets from specifications), ``renderer`` (drawing off the training
loop), ``panel`` (``ControlPanel``) and ``training`` (``training_panel``); every name is importable from
here.
"""
from __future__ import annotations

from grokbook.widgets.controls import make_control, on_colab
from grokbook.widgets.panel import ControlPanel
from grokbook.widgets.training import training_panel

__all__ = ["ControlPanel", "make_control", "on_colab", "training_panel"]
