"""The panel's controls: a widget from a parameter specification, and where the kernel runs.

A specification is shared with the chapter's static twin (``grokbook.twins.spec_kind``): a list is a
dropdown, ``(lo, hi)`` a slider, ``(lo, hi, "log")`` a log-scale slider, a ``bool`` a checkbox. Only core
ipywidgets are used (Colab ships ipywidgets 7.7, Jupyter 8.x).
"""
from __future__ import annotations

import math
import sys
from typing import Any

import ipywidgets as widgets

from grokbook.twins import spec_kind

__all__ = ["make_control", "on_colab"]


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
