"""Sweeps: grouping, the same runs as the local path, the cache as shared store, failures, resume, Ray."""
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from grokbook import MLPConfig, ModularArithmetic, TrainConfig, grid, train_ensemble
from grokbook.training.sweep import group_configs, run_sweep

BASE = TrainConfig(task=ModularArithmetic(p=11, train_fraction=0.5), model=MLPConfig(width=16), steps=60,
                   lr=1e-2, log_points=10, device="cpu")
# Two groups: members differ in seed and weight decay (vectorisable); the two step budgets cannot share one loop.
CONFIGS = grid(BASE, steps=[60, 80], weight_decay=[0.0, 1.0], seed=[0, 1])


def assert_same_histories(runs, reference):
    for run, ref in zip(runs, reference):
        assert run.config == ref.config and run.history.keys() == ref.history.keys()
        for column in ref.history.keys():
            np.testing.assert_array_equal(run.history[column], ref.history[column])


def test_groups_are_vectorisable_deterministic_and_bounded():
    assert group_configs(CONFIGS) == [[0, 1, 2, 3], [4, 5, 6, 7]]
    assert group_configs(CONFIGS, max_group=3) == [[0, 1, 2], [3], [4, 5, 6], [7]]
    with pytest.raises(ValueError, match="max_group must be ≥ 1"):
        group_configs(CONFIGS, max_group=0)


def test_bad_arguments_are_refused(tmp_path):
    with pytest.raises(ValueError, match="backend must be one of"):
        run_sweep(CONFIGS, tmp_path, backend="dask")
    with pytest.raises(ValueError, match="retries must be ≥ 0"):
        run_sweep(CONFIGS, tmp_path, retries=-1)
    with pytest.raises(ValueError, match="at least one"):
        run_sweep([], tmp_path)


def test_local_sweep_equals_train_ensemble_and_reuses_the_cache(tmp_path):
    result = run_sweep(CONFIGS, tmp_path, backend="local", progress=False)
    assert result.trained_groups == 2 and result.cached_groups == 0 and not result.failed
    runs = result.raise_for_failures()
    assert_same_histories(runs[:4], train_ensemble(CONFIGS[:4], progress=False))
    assert_same_histories(runs[4:], train_ensemble(CONFIGS[4:], progress=False))
    again = run_sweep(CONFIGS, tmp_path, backend="local", progress=False)
    assert again.trained_groups == 0 and again.cached_groups == 2
    assert_same_histories(again.runs, runs)


def test_a_failing_group_is_retried_then_reported_without_losing_the_others(tmp_path):
    diverging = grid(BASE, steps=[70], lr=[1e9])  # its own group (other step budget); the loss overflows
    result = run_sweep(CONFIGS[:4] + diverging, tmp_path, backend="local", progress=False, retries=1)
    assert list(result.failed) == [4] and "DivergenceError" in result.failed[4]
    assert result.runs[4] is None and all(run is not None for run in result.runs[:4])
    with pytest.raises(RuntimeError, match="1 of 5 configs failed"):
        result.raise_for_failures()


def test_a_killed_sweep_resumes_with_only_the_missing_groups(tmp_path):
    script = textwrap.dedent(f"""
        from grokbook import MLPConfig, ModularArithmetic, TrainConfig, grid
        from grokbook.training.sweep import run_sweep
        base = TrainConfig(task=ModularArithmetic(p=23, train_fraction=0.5), model=MLPConfig(width=64),
                           lr=1e-2, log_points=10, device="cpu")
        run_sweep(grid(base, steps=[50, 20000, 20001], seed=[0, 1]), {str(tmp_path)!r}, backend="local",
                  progress=False)
    """)
    child = subprocess.Popen([sys.executable, "-c", script], env={**os.environ, "OMP_NUM_THREADS": "1"})
    deadline = time.time() + 120
    while not list(tmp_path.glob("*.pt")) and time.time() < deadline and child.poll() is None:
        time.sleep(0.05)
    child.send_signal(signal.SIGKILL)
    child.wait()
    assert len(list(tmp_path.glob("*.pt"))) == 1, "the first (short) group finished before the kill"
    configs = grid(TrainConfig(task=ModularArithmetic(p=23, train_fraction=0.5), model=MLPConfig(width=64),
                               lr=1e-2, log_points=10, device="cpu"), steps=[50, 300, 301], seed=[0, 1])
    # Same first group (steps 50) as the killed sweep: found in the cache; the others are trained now.
    result = run_sweep(configs, tmp_path, backend="local", progress=False)
    assert result.cached_groups == 1 and result.trained_groups == 2


def test_ray_sweep_equals_the_local_path(tmp_path):
    ray = pytest.importorskip("ray", reason="the Ray extra is not installed (pip install 'grokbook[ray]')")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False,
             runtime_env={"env_vars": {"OMP_NUM_THREADS": "1"}})
    try:
        result = run_sweep(CONFIGS, Path(tmp_path) / "ray", backend="ray", progress=False)
    finally:
        ray.shutdown()
    assert result.trained_groups == 2 and not result.failed
    local = run_sweep(CONFIGS, Path(tmp_path) / "local", backend="local", progress=False)
    assert_same_histories(result.runs, local.runs)
