"""Static twins of the live panels: slider figures over a small grid of precomputed runs.

A live panel (:mod:`grokbook.widgets`) needs a kernel; most readers read the published book, where none
runs. Its *twin* is a plotly figure whose one or two sliders scrub through a grid of runs trained when
the chapter executed: the training curves of the selected run and a key diagnostic over the grid. It
needs no kernel and no network: the data travel in the page, and the book ships plotly.js once
(``_ext/grokbook_html.py``). The idea is that of precomputed explorables such as Pearce, Ghandeharioun,
Hussein, Thain, Wattenberg & Dixon (2023), "Do machine learning models memorize or generalize?" (PAIR).

The panel and its twin share one parameter specification, the dict ``training_panel`` takes::

    CONTROLS = {"train_fraction": (0.1, 0.9), "weight_decay": (0.0, 2.0), "loss": ["mse", "cross_entropy"]}
    runs = train_ensemble(twin_grid(demo, CONTROLS, train_fraction=[0.3, 0.4, 0.5]))
    static_twin(runs, CONTROLS)            # the figure, in the book and in Jupyter/Colab
    training_panel(demo, CONTROLS)         # the live panel

A spec is a list (choices), ``(lo, hi)`` (a range, integer if both ends are), ``(lo, hi, "log")`` or a
bool; a grid value the panel's control could not take is refused, so the two cannot drift apart.

Two sliders compose without JavaScript of our own: slider 1 sets each trace's ``visible``, slider 2 its
``opacity`` (and hover), and a trace shows when both select it; so the figure works in any plotly
renderer (the book's HTML, JupyterLab, Colab).
"""
from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from grokbook.history import GROK_THRESHOLD, Run
from grokbook.htmlbook import in_html_book
from grokbook.training import TrainConfig, grid, setting

__all__ = ["Twin", "admits", "spec_kind", "static_twin", "twin_grid"]

CURVE_LABELS = {"train_acc": "train accuracy", "test_acc": "test accuracy", "train_loss": "train loss",
                "test_loss": "test loss", "weight_norm": "weight norm ‖θ‖₂"}
COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd"]


def spec_kind(name: str, spec: Any) -> str:
    """The kind of control a spec describes: ``"bool"``, ``"choice"``, ``"log"``, ``"int"`` or ``"float"``.

    >>> [spec_kind("x", s) for s in (True, ["a", "b"], (1e-3, 1.0, "log"), (1, 9), (0.0, 1.0))]
    ['bool', 'choice', 'log', 'int', 'float']
    """
    if isinstance(spec, bool):
        return "bool"
    if isinstance(spec, list) and spec:
        return "choice"
    if isinstance(spec, tuple) and len(spec) == 3 and spec[2] == "log" and 0 < spec[0] < spec[1]:
        return "log"
    if isinstance(spec, tuple) and len(spec) == 2 and spec[0] < spec[1]:
        return "int" if all(isinstance(v, int) for v in spec) else "float"
    raise ValueError(f"control {name!r}: spec must be a non-empty list, (lo, hi), (lo, hi, 'log') with "
                     f"0 < lo < hi, or a bool, got {spec!r}")


def admits(name: str, spec: Any, value: Any) -> bool:
    """Whether the panel's control for ``spec`` can take ``value`` (a choice listed, a number in range).

    >>> admits("wd", (0.0, 2.0), 1.0), admits("wd", (0.0, 2.0), 3.0), admits("loss", ["mse"], "mse")
    (True, False, True)
    """
    kind = spec_kind(name, spec)
    if kind == "bool":
        return isinstance(value, bool)
    if kind == "choice":
        return value in spec
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    if kind == "int" and value != int(value):
        return False
    return spec[0] <= value <= spec[1]


def twin_grid(config: TrainConfig, controls: dict[str, Any], **axes: Sequence) -> list[TrainConfig]:
    """:func:`grokbook.training.grid` over one or two of a panel's controls, each value checked against
    the control's spec (``ValueError`` when the panel could not take it)."""
    if not 1 <= len(axes) <= 2:
        raise ValueError(f"a twin scrubs one or two controls, got {list(axes)}")
    for name, values in axes.items():
        if name not in controls:
            raise ValueError(f"{name!r} is not a control of the panel; controls are {list(controls)}")
        refused = [v for v in values if not admits(name, controls[name], v)]
        if refused or len(values) < 2:
            raise ValueError(f"control {name!r} ({controls[name]!r}) needs ≥ 2 values it admits; "
                             f"refused: {refused}")
    return grid(config, **{name: list(values) for name, values in axes.items()})


def _label(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _axes(runs: Sequence[Run], controls: dict[str, Any], settings: dict[str, str]) -> dict[str, list]:
    """The controls whose values differ across the runs, each with its sorted distinct values."""
    axes = {}
    for name, spec in controls.items():
        values = [setting(run.config, settings.get(name, name)) for run in runs]
        refused = [v for v in values if not admits(name, spec, v)]
        if refused:
            raise ValueError(f"runs have {name}={refused[0]!r}, which the panel's control {spec!r} "
                             "cannot take: twin and panel would disagree")
        distinct = sorted(set(values), key=lambda v: (str(type(v)), v))
        if len(distinct) > 1:
            axes[name] = distinct
    if len(axes) > 2:
        raise ValueError(f"a twin scrubs at most two controls; these runs vary {list(axes)}")
    return axes


@dataclass
class Twin:
    """A slider figure over a grid of runs. Shown as a plotly figure in Jupyter and Colab; in the HTML
    book as a ``<div>`` that uses the book's single copy of plotly.js (``html()``)."""

    figure: go.Figure
    axes: dict[str, list]

    def html(self) -> str:
        """The figure as an HTML fragment: its data and sliders, no plotly.js and no external URL."""
        spec = self.figure.to_plotly_json()
        digest = hashlib.sha1(json.dumps(spec, sort_keys=True, default=str).encode()).hexdigest()[:12]
        return self.figure.to_html(include_plotlyjs=False, include_mathjax=False, full_html=False,
                                   div_id=f"twin-{digest}", config={"displaylogo": False})

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:
        if in_html_book():
            return {"text/html": self.html(), "text/plain": f"<twin over {list(self.axes)}>"}
        return self.figure._repr_mimebundle_(include, exclude)


def _scatter(x, y, color: str, **style) -> go.Scatter:
    """A line without legend entry, its values rounded (and NaN as gaps) so the page stays small."""
    return go.Scatter(x=list(x), y=[None if not math.isfinite(v) else round(float(v), 5) for v in y],
                      mode="lines", line={"color": color, "width": 2}, showlegend=False, **style)


def _run_traces(run: Run, curves: Sequence[str], diagnostic: str | None, name: str, labels: dict):
    h = run.history
    keep = np.asarray(h["step"]) >= 1  # logarithmic step axis
    steps = np.asarray(h["step"])[keep].astype(int).tolist()
    for k, column in enumerate(curves):
        if column not in h:
            continue
        label = labels.get(column, column)
        yield _scatter(steps, np.asarray(h[column], dtype=float)[keep], COLORS[k % len(COLORS)],
                       hovertemplate=f"{label}<br>step %{{x}}: %{{y:.3f}}<extra>{name}</extra>"), 1
    if diagnostic is not None and diagnostic in h:
        yield _scatter(steps, np.asarray(h[diagnostic], dtype=float)[keep], "#444",
                       hovertemplate=f"step %{{x}}: %{{y:.3g}}<extra>{name}</extra>"), 2


def _summary_traces(runs, axes, keys, diagnostic):
    """A run attribute (e.g. ``steps_to_grok``) over the first axis, one line per value of the second,
    and a marker at the selected run."""
    (first, xs), *rest = axes.items()
    second = rest[0][1] if rest else [None]
    for j, b in enumerate(second):
        pairs = [(keys[(i, j)], x) for i, x in enumerate(xs) if (i, j) in keys]
        ys = [np.nan if (v := getattr(runs[k], diagnostic)) is None else float(v) for k, x in pairs]
        xs_plot = [x if isinstance(x, (int, float)) else str(x) for _, x in pairs]
        line = _scatter(xs_plot, ys, "#444", hovertemplate=f"{first} %{{x}}: %{{y}}<extra></extra>")
        line.update(mode="lines+markers", marker={"size": 6})
        yield line, 2, None, (j if rest else None)
        for (k, x), y, xp in zip(pairs, ys, xs_plot):
            dot = _scatter([xp], [y], "#d62728", hoverinfo="skip")
            dot.update(mode="markers", marker={"size": 13, "symbol": "circle-open", "line": {"width": 3}})
            yield dot, 2, xs.index(x), (j if rest else None)


def static_twin(runs: Sequence[Run], controls: dict[str, Any], *, curves: Sequence[str] = ("train_acc",
                "test_acc"), diagnostic: str = "steps_to_grok", title: str = "",
                initial: dict[str, Any] | None = None, height: int = 430,
                settings: dict[str, str] | None = None, labels: dict[str, str] | None = None,
                log_y: bool = False) -> Twin:
    """A figure with one slider per control that varies across ``runs`` (one or two), scrubbing through
    the runs' training curves (left) and a key diagnostic (right).

    ``controls`` is the panel's spec (the dict :func:`grokbook.widgets.training_panel` takes); every run's
    value of a control must be one the panel admits. ``diagnostic`` is a run attribute drawn over the
    grid's first axis (``"steps_to_grok"``: the first step with test accuracy ≥ 95%, one line per value of
    the second axis, the selected run circled) or a history column drawn over steps. ``initial`` picks
    the runs shown first (default: each axis's first value). Runs are shown on a logarithmic step axis
    (and the curves on a logarithmic value axis with ``log_y``, e.g. for losses).

    ``settings`` maps a control's name to the setting it sets, for a :class:`grokbook.widgets.ControlPanel`
    whose controls are labelled (``{"α (init scale)": "init_scale"}``; unmapped names are settings).
    ``labels`` names history columns in legends and axis titles (``{"collapse.fraction": "collapsed"}``);
    a curve a run's history lacks is left out.
    """
    if not runs:
        raise ValueError("a twin needs at least one run")
    settings = dict(settings or {})
    unknown = [name for name in settings if name not in controls]
    if unknown:
        raise ValueError(f"settings name {unknown}, which are not controls of the panel {list(controls)}")
    labels = {**CURVE_LABELS, **(labels or {})}
    axes = _axes(runs, controls, settings)
    names = list(axes)

    def value(run: Run, name: str) -> Any:
        return setting(run.config, settings.get(name, name))

    index = [tuple(axes[n].index(value(run, n)) for n in names) for run in runs]
    keys = {(pos + (0, 0))[:2]: k for k, pos in enumerate(index)}
    if len(keys) != len(runs):
        raise ValueError("two runs share the same control values: a slider cannot tell them apart")
    summary = diagnostic is not None and diagnostic not in runs[0].history
    figure = make_subplots(rows=1, cols=2, horizontal_spacing=0.12, subplot_titles=(
        "training curves of the selected run",
        (f"{diagnostic.replace('_', ' ')} over {names[0]}" if summary and names else
         labels.get(diagnostic, str(diagnostic)))))
    tags = []  # per trace: (index on the first axis or None, index on the second or None)
    for (i, j), k in sorted(keys.items()):
        name = ", ".join(f"{n}={_label(value(runs[k], n))}" for n in names)
        for trace, col in _run_traces(runs[k], curves, None if summary else diagnostic, name, labels):
            figure.add_trace(trace, row=1, col=col)
            tags.append((i if names else None, j if len(names) > 1 else None))
    if summary and names:
        for trace, col, i, j in _summary_traces(runs, axes, keys, diagnostic):
            figure.add_trace(trace, row=1, col=col)
            tags.append((i, j))
    for k, column in enumerate(curves):  # legend entries that every slider position keeps
        figure.add_trace(go.Scatter(x=[None], y=[None], mode="lines", name=labels.get(column, column),
                                    line={"color": COLORS[k % len(COLORS)], "width": 2}), row=1, col=1)
        tags.append((None, None))
    start = [axes[n].index(initial[n]) if initial and n in initial else 0 for n in names] + [0, 0]
    visible = [a is None or a == start[0] for a, _ in tags]
    shown = [b is None or b == start[1] for _, b in tags]
    for trace, v, s in zip(figure.data, visible, shown):
        trace.update(visible=v, opacity=1.0 if s else 0.0, hoverinfo=None if s else "skip")
    sliders = []
    for axis, name in enumerate(names):
        steps = []
        for i, value in enumerate(axes[name]):
            if axis == 0:
                args = {"visible": [a is None or a == i for a, _ in tags]}
            else:
                on = [b is None or b == i for _, b in tags]
                args = {"opacity": [1.0 if s else 0.0 for s in on],
                        "hoverinfo": ["all" if s else "skip" for s in on]}
            steps.append({"method": "restyle", "label": _label(value), "args": [args]})
        sliders.append({"active": start[axis], "steps": steps, "currentvalue": {"prefix": f"{name} = "},
                        "x": 0.0 if axis == 0 else 0.55, "len": 0.45, "y": -0.18, "yanchor": "top",
                        "pad": {"t": 30}})
    figure.update_xaxes(type="log", title_text="optimisation step (log scale)", row=1, col=1)
    figure.update_yaxes(title_text="accuracy" if set(curves) <= {"train_acc", "test_acc"} else "value",
                        type="log" if log_y else "linear", row=1, col=1)
    if summary and names:
        figure.update_xaxes(title_text=names[0], row=1, col=2)
        figure.update_yaxes(title_text=f"{diagnostic.replace('_', ' ')} (steps)"
                            + (f"; test acc ≥ {GROK_THRESHOLD:.0%}" if diagnostic == "steps_to_grok"
                               else ""), row=1, col=2)
    else:
        figure.update_xaxes(type="log", title_text="optimisation step (log scale)", row=1, col=2)
        figure.update_yaxes(title_text=labels.get(diagnostic, str(diagnostic)), row=1, col=2)
    figure.update_layout(title_text=title, height=height + 90 * bool(sliders), sliders=sliders,
                         template="plotly_white", margin={"t": 70, "b": 40 + 90 * bool(sliders)},
                         legend={"x": 0.01, "y": 0.75, "bgcolor": "rgba(255,255,255,0.7)"})
    return Twin(figure, axes)
