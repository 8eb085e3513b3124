import sys
import types

import ipywidgets as widgets
import numpy as np
import pytest

import threading
import time

from grokbook import DivergenceError, MLPConfig, ModularArithmetic, TrainConfig, train, vary
from grokbook.widgets import ControlPanel, make_control, training_panel

CONFIG = TrainConfig(task=ModularArithmetic(p=11, train_fraction=0.5), model=MLPConfig(width=16), steps=40,
                     device="cpu", log_points=8)


def test_training_panel_starts_from_the_config_and_retrains_from_code():
    panel = training_panel(CONFIG, {"weight_decay": (0.0, 2.0), "lr": (1e-4, 1e-1, "log"),
                                    "activation": ["relu", "quadratic"], "width": (8, 64)})
    assert panel.values == {"weight_decay": 1.0, "lr": pytest.approx(1e-3), "activation": "relu", "width": 16}
    first = panel.run()
    image = panel.image.value
    assert len(image) > 1000 and panel.redraws >= 1 and "done" in panel.status.value
    panel.set(weight_decay=0.0, activation="quadratic", width=32)
    second = panel.run()
    assert panel.image.value != image  # the figure changed with the settings
    assert second["train_loss"][-1] != first["train_loss"][-1]


def test_stop_interrupts_a_running_training():
    long = vary(CONFIG, steps=20_000, log_points=400)
    panel = training_panel(long, {"lr": (1e-4, 1e-1, "log")}, mode="blocking")
    # the "user" presses Stop once the first frame is on screen
    panel.image.observe(lambda change: panel.stop_button.click(), names="value")
    history = panel.run()
    assert 0 < history["step"][-1] < long.steps and "stopped" in panel.status.value
    assert not panel.running and panel.stop_button.disabled


def test_threaded_run_finishes_and_reenables_train():
    panel = training_panel(CONFIG, {"lr": (1e-4, 1e-1, "log")})
    panel.train_button.click()
    panel._thread.join(timeout=60)
    assert panel.result is not None and not panel.train_button.disabled and panel.stop_button.disabled


def test_control_panel_with_a_custom_job():
    calls = []

    def job(values, report, should_stop):
        calls.append(values["n"])
        report(values["n"])
        return values["n"] * 2

    panel = ControlPanel({"n": (1, 5)}, job, lambda result, fig: fig.gca().plot(range(result)))
    assert panel.set(n=4).run() == 8 and calls == [4]


def test_bad_values_are_reported_not_trained():
    panel = training_panel(CONFIG, {"weight_decay": (0.0, 2.0), "width": (0, 64)})
    with pytest.raises(ValueError, match="width must be a positive"):
        panel.set(width=0).run()
    assert "cannot run" in panel.status.value and not panel.train_button.disabled
    assert panel.stop_button.disabled
    with pytest.raises(ValueError, match="no control called 'depth'"):
        panel.set(depth=2)


def test_control_specs():
    assert isinstance(make_control("a", [1, 2]), widgets.Dropdown)
    assert isinstance(make_control("a", (0.0, 1.0)), widgets.FloatSlider)
    assert isinstance(make_control("a", (1, 9)), widgets.IntSlider)
    assert isinstance(make_control("a", (1e-3, 1.0, "log")), widgets.FloatLogSlider)
    assert isinstance(make_control("a", True), widgets.Checkbox)
    with pytest.raises(ValueError, match="spec must be"):
        make_control("a", "wide")


def test_a_training_error_in_the_thread_is_shown_and_the_panel_reset():
    def diverge(values, report, should_stop):
        report(1)
        raise DivergenceError("loss is nan at step 7")

    panel = ControlPanel({"n": (1, 5)}, diverge, lambda result, fig: fig.gca().plot([result]), mode="thread")
    panel.train_button.click()
    panel._thread.join(timeout=30)
    assert "DivergenceError: loss is nan at step 7" in panel.status.value and "running" not in panel.status.value
    assert not panel.running and panel.stop_button.disabled and isinstance(panel.error, DivergenceError)
    with pytest.raises(DivergenceError):
        panel.run()  # from code the error is also raised


def test_drawing_does_not_hold_training_up():
    def slow_plot(result, fig):  # a figure that takes 0.3 s to draw
        time.sleep(0.3)
        fig.gca().plot([result])

    report_s = []

    def job(values, report, should_stop):  # 50 reports over ~1 s of "training"
        for i in range(50):
            started = time.monotonic()
            report(i)
            report_s.append(time.monotonic() - started)
            time.sleep(0.02)
        return 50

    panel = ControlPanel({"n": (1, 5)}, job, slow_plot, min_redraw_s=0.1, mode="blocking")
    panel.run()
    # a draw inside the training loop would hold a report for 0.3 s; the renderer thread holds none
    assert max(report_s) < 0.2, max(report_s)
    assert 2 <= panel.redraws <= 6 and panel.first_frame_s < 1.0


def test_the_first_frame_does_not_wait_for_the_redraw_interval():
    def job(values, report, should_stop):  # reports every 50 ms for 3 s
        for i in range(60):
            report(i)
            time.sleep(0.05)
        return 60

    panel = ControlPanel({"n": (1, 5)}, job, lambda result, fig: fig.gca().plot([result]),
                         min_redraw_s=5.0, mode="thread")
    panel.train_button.click()
    panel._thread.join(timeout=60)
    assert panel.first_frame_s is not None and panel.first_frame_s < 1.0, panel.first_frame_s
    assert panel.redraws == 2  # the first frame, then (5 s later than that) only the final one


def test_colab_trains_in_the_click_handler(monkeypatch):
    """Colab shows only widget updates sent from the kernel's main thread: there the Train button must
    train in its click handler, and every update (status, figure) come from that thread."""
    monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    panel = training_panel(vary(CONFIG, steps=400, log_points=40), {"lr": (1e-4, 1e-1, "log")})
    assert panel.mode == "blocking"
    threads = set()
    for widget in (panel.image, panel.status, panel.train_button):
        widget.observe(lambda change: threads.add(threading.current_thread()), names=["value", "disabled"])
    panel.train_button.click()  # as Colab's frontend does: returns when training is done
    assert panel.result is not None and "done" in panel.status.value and panel._thread is None
    assert threads == {threading.main_thread()} and panel.redraws >= 2


def test_the_book_shows_a_pointer_instead_of_an_empty_panel(monkeypatch):
    from IPython.core.interactiveshell import InteractiveShell
    from IPython.utils.capture import capture_output

    panel = training_panel(CONFIG, {"lr": (1e-4, 1e-1, "log")})
    monkeypatch.setenv("GROKBOOK_HTML_BUILD", "1")
    InteractiveShell.instance()
    with capture_output() as captured:
        panel._ipython_display_()
    html = captured.outputs[0].data["text/html"]
    assert "launch button" in html and "Colab" in html
    monkeypatch.delenv("GROKBOOK_HTML_BUILD")
    with capture_output() as captured:
        panel._ipython_display_()
    assert "application/vnd.jupyter.widget-view+json" in captured.outputs[0].data


# --- The panel driven the way Colab drives it: a real kernel, a frontend that clicks over the comms. ---
KERNEL_SETUP = """
import sys, threading, types
sys.modules["google.colab"] = types.ModuleType("google.colab")  # what the panel checks for Colab
from grokbook import MLPConfig, ModularArithmetic, TrainConfig
from grokbook.widgets import training_panel
cfg = TrainConfig(task=ModularArithmetic(p=11, train_fraction=0.5), model=MLPConfig(width=16),
                  steps=200_000, device="cpu", log_points=2000)
panel = training_panel(cfg, {"lr": (1e-4, 1e-1, "log")})
threads = set()
panel.image.observe(lambda change: threads.add(threading.current_thread().name), names="value")
print(panel.mode, panel.train_button.model_id, panel.stop_button.model_id, panel.status.model_id)
"""


def _kernel_session(stop, wait_s: float = 4.0):
    """Start a kernel, build a Colab-mode panel, click Train over its comm, ``stop(kc, ids)`` after
    ``wait_s``; return the status values the frontend saw and the kernel's final view of the panel."""
    from jupyter_client.manager import start_new_kernel

    km, kc = start_new_kernel(kernel_name="python3")
    try:
        def execute(code):
            msg_id, out = kc.execute(code), []
            while True:
                msg = kc.get_iopub_msg(timeout=120)
                if msg["parent_header"].get("msg_id") == msg_id:
                    if msg["msg_type"] == "stream":
                        out.append(msg["content"]["text"])
                    if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                        return "".join(out)

        mode, train_id, stop_id, status_id = execute(KERNEL_SETUP).split()
        click = {"method": "custom", "content": {"event": "click"}}
        kc.shell_channel.send(kc.session.msg("comm_msg", {"comm_id": train_id, "data": click}))
        seen, started, stopped = [], time.monotonic(), False
        while time.monotonic() - started < 150 and not any("done" in s for s in seen):
            if not stopped and time.monotonic() - started > wait_s:
                stop(km, kc, stop_id)
                stopped = True
            try:
                msg = kc.get_iopub_msg(timeout=1)
            except Exception:
                continue
            if msg["msg_type"] == "comm_msg" and msg["content"]["comm_id"] == status_id:
                seen.append(str(msg["content"]["data"].get("state", {}).get("value", "")))
        # A cell run after the click must execute: jupyter-ui-poll holds cell runs back while it polls
        # and, inside a click handler, never released them (every later cell hung, ipykernel 6).
        final = execute("print(panel.result['step'][-1], sorted(threads), panel.status.value)")
        return mode, seen, final
    finally:
        km.shutdown_kernel(now=True)


def _click_stop(km, kc, stop_id):
    click = {"method": "custom", "content": {"event": "click"}}
    kc.shell_channel.send(kc.session.msg("comm_msg", {"comm_id": stop_id, "data": click}))


def test_on_colab_the_interrupt_stops_training_in_the_click_handler():
    mode, seen, final = _kernel_session(lambda km, kc, stop_id: km.interrupt_kernel())
    assert mode == "blocking" and "running…" in seen
    assert any("stopped" in s for s in seen), seen  # the frontend saw the panel stop, not die
    last_step, threads = int(final.split()[0]), final.split("]")[0]
    assert 0 < last_step < 200_000 and "'MainThread'" in threads and "render" not in threads


@pytest.mark.skipif(int(__import__("ipykernel").__version__.split(".")[0]) >= 7,
                    reason="jupyter-ui-poll does not deliver comm messages inside a comm handler on "
                           "ipykernel 7 (Colab runs ipykernel 6, where it does); Stop is then the interrupt")
def test_on_colab_the_stop_button_stops_training_in_the_click_handler():
    mode, seen, final = _kernel_session(_click_stop)
    assert mode == "blocking" and any("stopped" in s for s in seen), seen
    assert 0 < int(final.split()[0]) < 200_000 and "'MainThread'" in final


def test_live_frames_reuse_the_runs_first_tight_layout_and_the_final_frame_is_laid_out_afresh():
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from grokbook.widgets.renderer import Renderer

    computed = []

    def plot(width, fig):
        fig.subplots(1, 2)[0].set_yticks([0.5], ["x" * width])
        real = type(fig).tight_layout
        fig.tight_layout()  # the renderer's stand-in while a frame draws
        computed.append(fig.tight_layout is not real)

    figure = Figure(figsize=(4, 2))
    FigureCanvasAgg(figure)
    renderer = Renderer(plot, figure, min_interval_s=0.0)
    calls = []
    original = Figure.tight_layout
    Figure.tight_layout = lambda self, *a, **k: (calls.append(1), original(self, *a, **k))[1]
    try:
        renderer.render(2, live=True)
        first = dict(renderer.layout)
        renderer.render(12, live=True)  # a wider label: the stored layout is kept for live frames
        assert len(calls) == 1 and figure.subplotpars.left == first["left"]
        renderer.render(12)  # the final frame: a fresh layout, which makes room for the label
        assert len(calls) == 2 and figure.subplotpars.left > first["left"]
    finally:
        Figure.tight_layout = original
    assert all(computed) and "tight_layout" not in vars(figure)  # the stand-in is removed after each frame


def test_derived_settings_follow_the_controls():
    # The output scale's learning rate moves as α² (lr/α² is what the trainer applies): the panel's run
    # must equal training that config directly.
    def derive(values):
        alpha = values["output_scale"]
        return {} if alpha is None else {"lr": values["lr"] * alpha ** 2}

    panel = training_panel(CONFIG, {"lr": (1e-4, 1e-1, "log"), "output_scale": [None, 2.0, 4.0]},
                           derive=derive)
    panel.set(output_scale=4.0)
    history = panel.run()
    direct = train(vary(CONFIG, output_scale=4.0, lr=CONFIG.lr * 16), progress=False).history
    np.testing.assert_allclose(history["train_loss"], direct["train_loss"], rtol=1e-6)
    assert panel.values["lr"] == pytest.approx(CONFIG.lr)  # the control itself is left as set
