import json
import re

import numpy as np
import plotly.io as pio
import pytest

from grokbook import MLPConfig, ModularArithmetic, TrainConfig, grid, train_ensemble
from grokbook.twins import Twin, admits, spec_kind, static_twin, twin_grid

CONFIG = TrainConfig(task=ModularArithmetic(p=11, train_fraction=0.5), model=MLPConfig(width=16), steps=30,
                     device="cpu", log_points=6)
CONTROLS = {"train_fraction": (0.1, 0.9), "weight_decay": (0.0, 2.0), "loss": ["mse", "cross_entropy"],
            "width": (8, 64)}


@pytest.fixture(scope="module")
def runs():
    return train_ensemble(twin_grid(CONFIG, CONTROLS, train_fraction=[0.3, 0.5, 0.7],
                                    weight_decay=[0.0, 1.0]))



def test_two_sliders_scrub_every_run_and_compose(runs):
    twin = static_twin(runs, CONTROLS, title="test")
    assert twin.axes == {"train_fraction": [0.3, 0.5, 0.7], "weight_decay": [0.0, 1.0]}
    layout = twin.figure.layout
    first, second = layout.sliders
    assert [s.label for s in first.steps] == ["0.3", "0.5", "0.7"]
    assert [s.label for s in second.steps] == ["0", "1"]
    # A run's curves are seen exactly when both sliders select it: visible (slider 1) and opaque (slider 2).
    for i in range(3):
        for j in range(2):
            visible = first.steps[i].args[0]["visible"]
            opaque = [o == 1.0 for o in second.steps[j].args[0]["opacity"]]
            seen = [t.hovertemplate.split("<extra>")[1] for t, v, o in zip(twin.figure.data, visible, opaque)
                    if v and o and t.hovertemplate and "step" in t.hovertemplate]
            assert set(seen) == {f"train_fraction={(0.3, 0.5, 0.7)[i]:g}, weight_decay={j:g}</extra>"}
            assert len(seen) == 2  # train and test accuracy of that one run


def test_the_figure_carries_the_runs_data(runs):
    twin = static_twin(runs, CONTROLS, curves=("test_acc",), diagnostic="weight_norm")
    h = runs[3].history  # train_fraction 0.5, weight decay 1 (the last axis varies fastest)
    keep = np.asarray(h["step"]) >= 1
    ys = [list(t.y) for t in twin.figure.data if t.y is not None and None not in t.y[:1]]
    assert [round(float(v), 5) for v in np.asarray(h["test_acc"])[keep]] in ys
    assert [round(float(v), 5) for v in np.asarray(h["weight_norm"])[keep]] in ys


def test_html_has_slider_steps_and_data_and_no_external_url(runs):
    html = static_twin(runs, CONTROLS).html()
    assert "plotly-graph-div" in html and "Plotly.newPlot" in html
    assert '"sliders"' in html and '"label":"0.7"' in html and '"method":"restyle"' in html
    value = round(float(runs[0].history["test_acc"][-1]), 5)
    assert json.dumps(value) in html
    assert not re.search(r"(src|href)=[\"']?(https?:)?//", html), "the fragment loads nothing from outside"
    assert "cdn.plot.ly" not in html and len(html) < 200_000  # plotly.js is not inlined


def test_book_build_gets_the_fragment_and_jupyter_gets_plotly(runs, monkeypatch):
    twin = static_twin(runs, CONTROLS)
    monkeypatch.setenv("GROKBOOK_HTML_BUILD", "1")
    bundle = twin._repr_mimebundle_()
    assert set(bundle) == {"text/html", "text/plain"} and bundle["text/html"] == twin.html()
    monkeypatch.delenv("GROKBOOK_HTML_BUILD")
    # Outside the book: plotly's own renderer, the one it picks in JupyterLab or on Colab.
    monkeypatch.setattr(pio.renderers, "default", "plotly_mimetype")
    assert twin._repr_mimebundle_()["application/vnd.plotly.v1+json"]["layout"]["sliders"]
    monkeypatch.setattr(pio.renderers, "default", "colab")
    colab = twin._repr_mimebundle_()["text/html"]
    assert "Plotly.newPlot" in colab and '"sliders"' in colab


def test_one_axis_and_initial_selection(runs):
    single = [r for r in runs if r.config.weight_decay == 1.0]
    twin = static_twin(single, CONTROLS, initial={"train_fraction": 0.5})
    assert list(twin.axes) == ["train_fraction"] and len(twin.figure.layout.sliders) == 1
    assert twin.figure.layout.sliders[0].active == 1
    assert isinstance(twin, Twin)


def test_the_twin_refuses_what_the_panel_cannot_take(runs):
    with pytest.raises(ValueError, match="cannot take"):
        static_twin(runs, {**CONTROLS, "train_fraction": (0.4, 0.9)})
    with pytest.raises(ValueError, match="at most two"):
        static_twin(train_ensemble(grid(CONFIG, train_fraction=[0.3, 0.5], weight_decay=[0.0, 1.0],
                                        lr=[1e-3, 1e-2])), {**CONTROLS, "lr": (1e-4, 1e-1, "log")})
    with pytest.raises(ValueError, match="refused"):
        twin_grid(CONFIG, CONTROLS, weight_decay=[1.0, 3.0])
    with pytest.raises(ValueError, match="not a control"):
        twin_grid(CONFIG, CONTROLS, lr=[1e-3, 1e-2])
    with pytest.raises(ValueError, match="share the same"):
        static_twin([runs[0], runs[0], runs[1]], CONTROLS)


def test_specs():
    assert spec_kind("a", (1, 9)) == "int" and spec_kind("a", (1e-4, 1e-1, "log")) == "log"
    assert admits("a", (1, 9), 3) and not admits("a", (1, 9), 3.5) and not admits("a", (1, 9), True)
    assert admits("a", True, False) and not admits("a", ["x"], "y")
    for bad in ("wide", [], (2.0, 1.0), (0.0, 1.0, "log")):
        with pytest.raises(ValueError, match="spec must be"):
            spec_kind("a", bad)


def test_labelled_controls_map_to_settings_and_columns_get_labels(runs):
    labelled = {"training data": (0.1, 0.9), "weight decay": (0.0, 2.0)}
    settings = {"training data": "train_fraction", "weight decay": "weight_decay"}
    twin = static_twin(runs, labelled, settings=settings, curves=("test_loss", "missing"),
                       diagnostic="weight_norm", labels={"weight_norm": "the norm"}, log_y=True)
    assert twin.axes == {"training data": [0.3, 0.5, 0.7], "weight decay": [0.0, 1.0]}
    assert twin.figure.layout.sliders[0].currentvalue.prefix == "training data = "
    assert twin.figure.layout.yaxis.type == "log" and twin.figure.layout.yaxis2.title.text == "the norm"
    names = {t.hovertemplate.split("<extra>")[1] for t in twin.figure.data if t.hovertemplate}
    assert "training data=0.5, weight decay=1</extra>" in names
    # a curve the histories lack is left out: one test-loss and one norm trace per run, one legend entry each
    assert len([t for t in twin.figure.data if t.x and t.x[0] is not None]) == 2 * len(runs)
    with pytest.raises(ValueError, match="cannot take"):
        static_twin(runs, {**labelled, "training data": (0.4, 0.9)}, settings=settings)
    with pytest.raises(ValueError, match="not controls"):
        static_twin(runs, labelled, settings={**settings, "lr": "lr"})
    with pytest.raises(ValueError, match="no setting|setting"):
        static_twin(runs, labelled)  # "training data" is no setting of a TrainConfig
