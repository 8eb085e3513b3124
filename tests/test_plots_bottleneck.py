import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from grokbook.plots.bottleneck import plot_rank_sweep  # noqa: E402


def teardown_function():
    plt.close("all")


def test_rank_sweep_draws_censored_runs_as_triangles_at_the_budget():
    ax_t, ax_a = plot_rank_sweep([1, 2, 128], [[101, 101], [101, 40], [20, 30]], 100,
                                 [[0.1, 0.1], [1, 1], [1, 1]], [[0.0, 0.1], [0.5, 1], [1, 1]],
                                 labels=["1", "2", "none"])
    triangles = np.concatenate([line.get_xydata() for line in ax_t.lines
                                if line.get_marker() == "^" and len(line.get_xydata())])
    dots = np.concatenate([line.get_xydata() for line in ax_t.lines
                           if line.get_marker() == "o" and len(line.get_xydata())])
    assert sorted(map(tuple, triangles)) == [(1.0, 100.0), (1.0, 100.0), (2.0, 100.0)]
    assert sorted(map(tuple, dots)) == [(2.0, 40.0), (128.0, 20.0), (128.0, 30.0)]
    assert [t.get_text() for t in ax_t.get_xticklabels()] == ["1", "2", "none"]
    assert ax_a.get_ylabel() == "final accuracy" and ax_t.get_xlabel() == "rank of the bottleneck"


def test_rank_sweep_rejects_ragged_inputs():
    with pytest.raises(ValueError, match="one entry per rank"):
        plot_rank_sweep([1, 2], [[1]], 10, [[1], [1]], [[1], [1]])
