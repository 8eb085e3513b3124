"""Sweeps past one machine: a list of configs grouped into vectorisable ensembles and trained as Ray
tasks (or one after another here), with the run cache as the shared store.

Every group is trained by :func:`~grokbook.training.trainer.train_ensemble` and written to the run
cache under ``cache_dir``; the driver then reads each group back from that cache, so the runs it returns
are exactly what the local path returns, a re-run trains only the groups that are missing, and a killed
sweep resumes where it stopped. On a cluster ``cache_dir`` must be a path every worker and the driver see
(a shared filesystem). Ray (Moritz et al. 2018, arXiv 1712.05889) is optional: ``pip install grokbook[ray]``.
"""
from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

from tqdm.auto import tqdm

from grokbook.history import Run
from grokbook.training import cache as run_cache
from grokbook.training.config import TrainConfig
from grokbook.training.trainer import check_ensemble, train_ensemble

__all__ = ["SweepResult", "group_configs", "run_sweep"]

BACKENDS = ("ray", "local")


@dataclass
class SweepResult:
    """The runs of a sweep in the order of its configs (None where a group failed twice), the failures by
    config index (the error's text), and how many groups were trained now or read from the cache."""

    runs: list[Run | None]
    failed: dict[int, str] = field(default_factory=dict)
    trained_groups: int = 0
    cached_groups: int = 0

    def raise_for_failures(self) -> list[Run]:
        """All runs, or a ``RuntimeError`` naming every config whose group failed."""
        if self.failed:
            lines = "\n".join(f"- config {i}: {error}" for i, error in sorted(self.failed.items()))
            raise RuntimeError(f"{len(self.failed)} of {len(self.runs)} configs failed:\n{lines}")
        return list(self.runs)


def _compatible(first: TrainConfig, config: TrainConfig) -> bool:
    try:
        check_ensemble([first, config])
    except ValueError:
        return False
    return True


def group_configs(configs: Sequence[TrainConfig], max_group: int = 64) -> list[list[int]]:
    """Indices of ``configs`` in groups that can share one vectorised step (``check_ensemble``), each of
    at most ``max_group`` members, in order of first appearance: deterministic, so a re-run of the same
    sweep forms the same groups and finds them in the cache.

    >>> from grokbook.training.config import grid
    >>> group_configs(grid(TrainConfig(steps=10), seed=[0, 1], steps=[10, 20]))
    [[0, 2], [1, 3]]
    """
    if max_group < 1:
        raise ValueError(f"max_group must be ≥ 1, got {max_group}")
    groups: list[list[int]] = []
    for i, config in enumerate(configs):
        for group in groups:
            if len(group) < max_group and _compatible(configs[group[0]], config):
                group.append(i)
                break
        else:
            groups.append([i])
    return groups


@contextlib.contextmanager
def _cache_at(folder: str) -> Iterator[None]:
    previous = os.environ.get(run_cache.ENV)
    os.environ[run_cache.ENV] = folder
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop(run_cache.ENV, None)
        else:
            os.environ[run_cache.ENV] = previous


def _train_group(configs: list[TrainConfig], diagnostics: dict, cache_dir: str, record_update_norm: bool) -> int:
    """Train one group into the cache (runs on a worker); returns the number of members."""
    with _cache_at(cache_dir):
        train_ensemble(configs, diagnostics=diagnostics, progress=False, record_update_norm=record_update_norm)
    return len(configs)


class _LocalBackend:
    """Groups trained one after another in this process: the same path as Ray's, without Ray."""

    def submit(self, *args) -> Callable[[], int]:
        return lambda: _train_group(*args)

    def wait(self, pending: dict) -> tuple[Any, Any]:
        handle = next(iter(pending))
        try:
            return handle, handle()
        except Exception as error:  # reported per config by the caller
            return handle, error


class _RayBackend:
    def __init__(self, address: str | None, num_cpus: float, num_gpus: float) -> None:
        try:
            import ray
        except ImportError:
            raise ImportError("backend='ray' needs Ray: pip install 'grokbook[ray]' (or use backend='local')") \
                from None
        self.ray = ray
        if not ray.is_initialized():
            ray.init(address=address, include_dashboard=False, log_to_driver=False)
        self.task = ray.remote(num_cpus=num_cpus, num_gpus=num_gpus, max_retries=0)(_train_group)

    def submit(self, *args):
        return self.task.remote(*args)

    def wait(self, pending: dict) -> tuple[Any, Any]:
        [handle], _ = self.ray.wait(list(pending), num_returns=1)
        try:
            return handle, self.ray.get(handle)
        except Exception as error:  # RayTaskError wraps the worker's exception
            return handle, getattr(error, "cause", None) or error


def run_sweep(configs: Sequence[TrainConfig], cache_dir: str | os.PathLike, *, backend: str = "ray",
              diagnostics: dict | None = None, max_group: int = 64, retries: int = 1,
              num_cpus_per_task: float = 1, num_gpus_per_task: float = 0, address: str | None = None,
              record_update_norm: bool = False, progress: bool = True) -> SweepResult:
    """Train every config, grouped into vectorised ensembles, as parallel tasks; runs in input order.

    ``cache_dir`` is where workers write and the driver reads finished groups (on a cluster: a shared
    path). Groups already there are not trained again. A group that raises is retried ``retries`` times;
    if it still fails, its configs are reported in ``SweepResult.failed`` and the other groups' runs are
    kept. ``backend="ray"`` runs groups as Ray tasks with ``num_cpus_per_task`` / ``num_gpus_per_task``
    (``address=None`` starts or joins a local Ray instance, ``"auto"`` joins a running cluster);
    ``backend="local"`` trains them one after another in this process.
    """
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {list(BACKENDS)}, got {backend!r}")
    if retries < 0:
        raise ValueError(f"retries must be ≥ 0, got {retries}")
    configs, diagnostics = list(configs), dict(diagnostics or {})
    if not configs:
        raise ValueError("configs must hold at least one TrainConfig")
    folder = str(Path(cache_dir).resolve())
    Path(folder).mkdir(parents=True, exist_ok=True)
    groups = group_configs(configs, max_group)
    result = SweepResult(runs=[None] * len(configs))

    def members(group: list[int]) -> list[TrainConfig]:
        return [configs[i] for i in group]

    with _cache_at(folder):
        missing = [g for g in groups if not run_cache.exists(run_cache.key(members(g), diagnostics,
                                                                                record_update_norm))]
    result.cached_groups = len(groups) - len(missing)
    if missing:
        runner = _LocalBackend() if backend == "local" else _RayBackend(address, num_cpus_per_task,
                                                                         num_gpus_per_task)
        pending = {runner.submit(members(g), diagnostics, folder, record_update_norm): (g, 0) for g in missing}
        bar = tqdm(total=len(missing), disable=not progress, desc=f"sweep: {len(missing)} groups")
        while pending:
            handle, outcome = runner.wait(pending)
            group, tries = pending.pop(handle)
            if isinstance(outcome, Exception):
                if tries < retries:
                    pending[runner.submit(members(group), diagnostics, folder, record_update_norm)] = (group,
                                                                                                    tries + 1)
                    continue
                for i in group:
                    result.failed[i] = f"{type(outcome).__name__}: {outcome}"
            else:
                result.trained_groups += 1
            bar.update(1)
        bar.close()
    with _cache_at(folder):  # every finished group is in the cache: read it back as Runs
        for group in groups:
            if group[0] not in result.failed:
                for i, run in zip(group, train_ensemble(members(group), diagnostics=diagnostics, progress=False,
                                                        record_update_norm=record_update_norm)):
                    result.runs[i] = run
    return result
