"""Circuit plots: they draw what the diagnostics computed, on the planted model, without training."""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from grokbook import ModularArithmetic, activations  # noqa: E402
from grokbook.diagnostics import fourier as fo  # noqa: E402
from grokbook.models.planted import planted_mlp  # noqa: E402
from grokbook.plots import circuits  # noqa: E402

P, KEYS = 23, [3, 7]


@pytest.fixture(scope="module")
def planted():
    model = planted_mlp(P, KEYS)
    x, _ = ModularArithmetic(p=P).table()
    neurons = activations(model, x)["hidden"].view(P, P, -1)
    return model, neurons, fo.neuron_clusters(neurons, threshold=0.75)


def test_fourier_norms_colour_the_keys(planted):
    ax = circuits.plot_fourier_norms(fo.embedding_fourier_norms(planted[0].first[0]), KEYS)
    colours = [bar.get_facecolor() for bar in ax.patches]
    red = matplotlib.colors.to_rgba(circuits.KEY_COLOR)
    assert [i + 1 for i, c in enumerate(colours) if c == red] == KEYS
    plt.close("all")


def test_circle_and_panel_draw(planted):
    model, neurons, clusters = planted
    ax = circuits.plot_frequency_circle(model.first[0].detach(), 7, P)
    xy = ax.collections[0].get_offsets()
    assert np.allclose(np.hypot(xy[:, 0], xy[:, 1]), np.hypot(*xy[0]), rtol=1e-4)  # on a circle
    fig = circuits.plot_frequency_panel(model.first[0].detach(), neurons, clusters, 3, P)
    assert "k=3" in fig.axes[2].get_title() or any("k=3" in a.get_title() for a in fig.axes)
    fig = circuits.plot_frequency_panel(model.first[0].detach(), neurons, clusters, 5, P, title="no key 5")
    assert any("no neuron" in t.get_text() for a in fig.axes for t in a.texts)
    assert fig._suptitle.get_text() == "no key 5"
    plt.close("all")


def test_progress_plot_shades_three_phases():
    history = {"step": np.arange(0, 60, 10), "train_loss": np.linspace(4, 0.01, 6),
               "test_loss": np.linspace(4, 0.1, 6), "test_acc": np.linspace(0, 1, 6),
               "weight_norm": np.linspace(30, 20, 6)}
    measures = {name: np.linspace(0.1, 1, 6) for name in
                ("restricted_loss", "excluded_loss", "gini", "trig_r2", "key_norm_share")}
    fig = circuits.plot_progress_measures(history, measures, {"t_circuit": 10, "t_formed": 30, "t_clean": 40})
    labels = fig.axes[0].get_legend_handles_labels()[1]
    assert {"memorization", "circuit formation", "cleanup", "restricted loss", "excluded loss"} <= set(labels)
    plt.close("all")


def test_circuit_panel_streams_curves_then_shows_a_frequency_or_says_there_is_none():
    from grokbook import TrainConfig, TransformerConfig, train
    from matplotlib.figure import Figure

    task = ModularArithmetic(p=7, equals_token=True)
    run = train(TrainConfig(task=task, model=TransformerConfig(d_model=8, n_heads=2, d_mlp=8), steps=3,
                            device="cpu"), progress=False)
    fig = Figure()
    circuits.plot_circuit_panel(run.history, fig)                 # a partial result: the curves
    assert fig.axes and "training" in fig._suptitle.get_text()
    state = circuits.circuit_panel_state(run)
    assert state["neurons"].shape == (7, 7, 8) and state["p"] == 7
    shown = circuits.circuit_panel_result({**state, "keys": []}, 0)
    assert shown["k"] is None
    circuits.plot_circuit_panel(shown, fig)
    assert "no key frequency" in fig.texts[0].get_text()
    assert circuits.circuit_panel_result(state, 2)["k"] == 2
    circuits.plot_circuit_panel(circuits.circuit_panel_result(state, 2), fig)
    assert len(fig.axes) >= 2
    with pytest.raises(ValueError, match="frequency must be an integer frequency in 1…3"):
        circuits.circuit_panel_result(state, 5)
