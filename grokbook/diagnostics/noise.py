"""Gradient noise of minibatch SGD and its tail index α (α = 2 Gaussian, α < 2 heavy-tailed).

Şimşekli, Sagun & Gürbüzbalaban 2019 ("A tail-index analysis of stochastic gradient noise in deep
neural networks", arXiv 1901.06053) model the minibatch gradient noise ``g_B − g`` as symmetric
α-stable and measure α with the estimator of Mohammadi, Mohammadpour & Ogata 2015 (Metrika 78:549).
Chapter 7 tracks α over a grokking run and across batch sizes and learning rates.
"""
from __future__ import annotations

import math
from typing import Callable

import numpy as np
import torch
from torch import nn

__all__ = ["MIN_SAMPLES", "gaussian_surrogate", "gradient_noise", "tail_index", "tail_index_by_parameter",
           "tail_index_by_row", "tail_index_diagnostic"]

MIN_SAMPLES = 100


def tail_index(samples: np.ndarray | torch.Tensor, block: int | None = None, shuffle: bool = True) -> float:
    """Tail index α̂ of symmetric α-stable samples (Mohammadi, Mohammadpour & Ogata 2015).

    The sum of ``K₁`` i.i.d. α-stable variables is ``K₁^{1/α}`` times one of them, so with the ``K =
    K₁K₂`` samples ``X_i`` cut into ``K₂`` blocks of ``K₁`` and ``Y_j`` the block sums,

    ``1/α̂ = (1/ln K₁) · [(1/K₂) Σ_j ln|Y_j| − (1/K) Σ_i ln|X_i|]``.

    ``block`` is ``K₁`` (default ``⌊√K⌋``, as in Şimşekli et al. 2019). Samples are flattened; exact
    zeros (coordinates without any gradient, e.g. dead units) carry no scale and are dropped first.
    ``shuffle`` puts them in a random order (fixed seed) before cutting blocks: the estimator assumes
    i.i.d. samples, and neighbouring gradient coordinates (one row of a weight matrix) are correlated,
    which biases the block sums — anti-correlated neighbours push α̂ above 2.
    Needs at least 100 non-zero samples and ``K₁, K₂ ≥ 2``. The estimate is not clipped: Gaussian data
    give α̂ ≈ 2, sometimes a little above.

    >>> x = np.random.default_rng(0).standard_cauchy(100_000)
    >>> round(tail_index(x), 1)
    1.0
    """
    x = samples.detach().cpu().double().numpy() if isinstance(samples, torch.Tensor) else np.asarray(samples, float)
    x = x.ravel()
    if not np.all(np.isfinite(x)):
        raise ValueError("samples must be finite (no NaN or inf)")
    x = x[x != 0]
    if len(x) < MIN_SAMPLES:
        raise ValueError(f"samples: the tail-index estimator needs at least {MIN_SAMPLES} non-zero samples, "
                         f"got {len(x)}")
    if shuffle:
        x = np.random.default_rng(0).permutation(x)
    k1 = int(math.isqrt(len(x))) if block is None else block
    if not (isinstance(k1, (int, np.integer)) and 2 <= k1 <= len(x) // 2):
        raise ValueError(f"block (K₁) must be an integer in 2…{len(x) // 2} (so that K₂ ≥ 2), got {block!r}")
    k2 = len(x) // k1
    x = x[: k1 * k2]
    y = x.reshape(k2, k1).sum(axis=1)
    y = y[y != 0]
    inverse = (np.log(np.abs(y)).mean() - np.log(np.abs(x)).mean()) / math.log(k1)
    return float(1.0 / inverse) if inverse > 0 else float("inf")


def gaussian_surrogate(noise: np.ndarray | torch.Tensor, seed: int = 0) -> np.ndarray:
    """Gaussian noise with each coordinate's own scale: ``Z_bj = s_j ξ_bj`` with ``s_j`` the standard
    deviation of column ``j`` of ``noise`` (shape ``(n_batches ≥ 2, n_params)``) and ``ξ ~ N(0, 1)``.

    The control for pooling: ``tail_index`` treats all coordinates as one sample, and a mixture of
    Gaussians with different scales is itself heavy-tailed. If ``tail_index(gaussian_surrogate(X))``
    is as low as ``tail_index(X)``, the low α̂ comes from the spread of scales, not from heavy tails
    of each coordinate (Panigrahi et al. 2019, arXiv 1910.09626, make this point about SGD noise).
    """
    x = noise.detach().cpu().double().numpy() if isinstance(noise, torch.Tensor) else np.asarray(noise, float)
    if x.ndim != 2 or x.shape[0] < 2:
        raise ValueError(f"noise must have shape (n_batches ≥ 2, n_params), got {x.shape}")
    scale = x.std(axis=0, ddof=1)
    return scale * np.random.default_rng(seed).standard_normal(x.shape)


def _loss(model: nn.Module, x: torch.Tensor, y: torch.Tensor,
          loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]) -> torch.Tensor:
    return loss_fn(model(x), y).mean()


def _gradient(model: nn.Module, params: list[torch.Tensor], x: torch.Tensor, y: torch.Tensor, loss_fn) -> torch.Tensor:
    with torch.enable_grad():
        grads = torch.autograd.grad(_loss(model, x, y, loss_fn), params, allow_unused=True)
    return torch.cat([(g if g is not None else torch.zeros_like(p)).reshape(-1) for g, p in zip(grads, params)])


def gradient_noise(model: nn.Module, x_train: torch.Tensor, y_train: torch.Tensor,
                   loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor], *, batch_size: int,
                   n_batches: int = 4, seed: int = 0) -> torch.Tensor:
    """Samples of the minibatch gradient noise ``X = ∇L_B(θ) − ∇L(θ)``, shape ``(n_batches, n_params)``.

    ``L`` is the mean per-sample loss ``loss_fn`` over the whole training set, ``L_B`` over a batch of
    ``batch_size`` samples drawn without replacement (a fresh batch per row, generator seeded by
    ``seed``). This is the noise SGD adds to the full gradient at θ (Şimşekli et al. 2019, §3).
    """
    n = len(y_train)
    if not (isinstance(batch_size, (int, np.integer)) and 1 <= batch_size <= n):
        raise ValueError(f"batch_size must be an integer in 1…{n} (the training set size), got {batch_size!r}")
    if not (isinstance(n_batches, (int, np.integer)) and n_batches >= 1):
        raise ValueError(f"n_batches must be an integer ≥ 1, got {n_batches!r}")
    params = [p for p in model.parameters() if p.requires_grad]
    full = _gradient(model, params, x_train, y_train, loss_fn)
    g = torch.Generator().manual_seed(seed)
    rows = []
    for _ in range(n_batches):
        index = torch.randperm(n, generator=g)[:batch_size].to(x_train.device)
        rows.append(_gradient(model, params, x_train[index], y_train[index], loss_fn) - full)
    return torch.stack(rows).detach()


def tail_index_diagnostic(batch_size: int | None = None, n_batches: int = 4, seed: int = 0,
                          every: int = 1) -> Callable:
    """A ``train`` diagnostic: the tail index α̂ of the gradient noise of the logged model.

    ``batch_size=None`` uses the run's own ``config.batch_size``. The batches are seeded by
    ``seed + step`` so re-runs agree. ``every=m`` measures only at steps that are multiples of ``m``
    (NaN at the other logged steps), to keep a finely logged run cheap. Use it as
    ``train(cfg, diagnostics={"alpha": tail_index_diagnostic()})``.
    """
    if batch_size is not None and not (isinstance(batch_size, (int, np.integer)) and batch_size >= 1):
        raise ValueError(f"batch_size must be an integer ≥ 1 or None (the run's batch size), got {batch_size!r}")
    if not (isinstance(n_batches, (int, np.integer)) and n_batches >= 1):
        raise ValueError(f"n_batches must be an integer ≥ 1, got {n_batches!r}")
    if not (isinstance(every, (int, np.integer)) and every >= 1):
        raise ValueError(f"every must be an integer ≥ 1, got {every!r}")

    def alpha(ctx) -> float:
        if ctx.step % every:
            return float("nan")
        size = batch_size if batch_size is not None else ctx.config.batch_size
        if size is None:
            raise ValueError("tail_index_diagnostic needs a batch_size: the run trains on the full batch, "
                             "which has no gradient noise")
        noise = gradient_noise(ctx.model, ctx.data.x_train, ctx.data.y_train, ctx.loss_fn,
                               batch_size=size, n_batches=n_batches, seed=seed + ctx.step)
        return tail_index(noise)

    return alpha


def _split(noise: np.ndarray | torch.Tensor, model: nn.Module) -> dict[str, np.ndarray]:
    """Columns of ``noise`` (``(n_batches, n_params)``, parameter order of ``gradient_noise``) per
    trainable parameter, reshaped to ``(n_batches, *parameter.shape)``."""
    x = noise.detach().cpu().double().numpy() if isinstance(noise, torch.Tensor) else np.asarray(noise, float)
    named = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    total = sum(p.numel() for _, p in named)
    if x.ndim != 2 or x.shape[1] != total:
        raise ValueError(f"noise must have shape (n_batches, {total}) for this model, got {x.shape}")
    out, start = {}, 0
    for name, p in named:
        out[name] = x[:, start: start + p.numel()].reshape((len(x),) + tuple(p.shape))
        start += p.numel()
    return out


def tail_index_by_parameter(noise: np.ndarray | torch.Tensor, model: nn.Module) -> dict[str, float]:
    """``tail_index`` of the gradient noise of each parameter tensor separately (name → α̂).

    Pooling every coordinate of the network mixes layers whose noise has very different scales and
    shapes; Şimşekli et al. 2019 (arXiv 1901.06053, §4) also report α̂ layer by layer.
    """
    return {name: tail_index(x) for name, x in _split(noise, model).items()}


def tail_index_by_row(noise: np.ndarray | torch.Tensor, model: nn.Module, name: str) -> np.ndarray:
    """``tail_index`` of the noise of each row of parameter ``name`` (all axes but the last flattened into
    rows): for a token table ``(positions, n_tokens, width)`` one α̂ per token embedding, NaN where a row
    has fewer than ``MIN_SAMPLES`` non-zero noise values. A minibatch that misses token j gives row j
    the noise ``−∇L`` (its full gradient, sign flipped), one that contains it a batch gradient: a row's
    noise mixes the two, so α̂ per row asks where the heavy tails live.
    """
    parts = _split(noise, model)
    if name not in parts:
        raise ValueError(f"no trainable parameter called {name!r}; parameters are {list(parts)}")
    x = parts[name]
    rows = np.moveaxis(x.reshape(len(x), -1, x.shape[-1]), 1, 0).reshape(-1, len(x) * x.shape[-1])
    return np.array([tail_index(r) if np.count_nonzero(r) >= MIN_SAMPLES else np.nan for r in rows])
