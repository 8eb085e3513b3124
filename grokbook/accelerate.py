"""Methods proposed to make grokking come sooner, over stacked parameters ``(K, …)`` like the trainer's:
Grokfast's gradient filters, Muon and Egalitarian gradient descent.

- **Grokfast** (Lee, Kang, Kim & Lee 2024, arXiv 2405.20233) amplifies the slow part of the gradient:
  EMA filter ``μ_t = α μ_{t−1} + (1 − α) g_t`` (``μ_1 = g_1``), the optimizer gets ``g_t + λ μ_t``
  (α = 0.98, λ = 2.0 in the paper); MA filter: ``μ_t`` = the mean of the last ``w`` gradients, applied
  once the window is full (w = 100, λ = 5.0).
- **Muon** (Jordan et al. 2024, "Muon: an optimizer for hidden layers"; on grokking: Tveit et al. 2025,
  arXiv 2504.16041): Nesterov momentum, then each hidden weight matrix's update is orthogonalised by five
  Newton–Schulz steps ``X ← aX + (bA + cA²)X``, ``A = XXᵀ``, (a, b, c) = (3.4445, −4.7750, 2.0315), from
  ``X₀ = G/‖G‖_F``, scaled by ``√max(1, rows/cols)``; embeddings, read-outs and vectors use AdamW.
- **Egalitarian GD** (Pasand et al. 2025, arXiv 2510.04930): every weight matrix's gradient
  ``G = USVᵀ`` is replaced by ``(GGᵀ)^{−1/2} G = UVᵀ`` (a pseudo-inverse where G is rank-deficient), so
  the dynamics move at one speed along every singular direction.
- **Adam-LR** (arXiv 2505.15624): the embedding is what delays grokking; its parameters get their own
  learning rate, ``θ_E ← AdamW(θ_E; η_E)`` beside ``θ_rest ← AdamW(θ_rest; η)``
  (:func:`is_embedding`, :class:`ParameterGroups`).
- **GrokTransfer** (Xu, Ni, Wang & Hu 2025, arXiv 2504.13292): a smaller, weaker model is trained first;
  the target's embedding starts from the weak one's, ``E_T = E_W R`` (:func:`transfer_embedding`).
"""
from __future__ import annotations

import torch

__all__ = ["NEWTON_SCHULZ_COEFFICIENTS", "SPECTRAL_OPTIMIZERS", "GrokfastEMA", "GrokfastMA", "ParameterGroups",
           "StackedSpectral", "egalitarian", "is_embedding", "is_hidden_matrix", "newton_schulz",
           "transfer_embedding"]

NEWTON_SCHULZ_COEFFICIENTS = (3.4445, -4.7750, 2.0315)
SPECTRAL_OPTIMIZERS = ("muon", "egd")
# Input tables, embeddings and read-outs are not hidden layers: Muon leaves them to AdamW.
_NOT_HIDDEN = ("first", "embed", "W_E", "W_pos", "readout", "W_U")


def newton_schulz(G: torch.Tensor, steps: int = 5, eps: float = 1e-7) -> torch.Tensor:
    """Muon's approximate orthogonalisation of the matrices in the last two axes of ``G`` (batched).

    Each step maps every singular value s of ``X`` to ``a s + b s³ + c s⁵`` and keeps the singular
    vectors, so five steps from ``G/‖G‖_F`` give ``U S' Vᵀ`` with S' roughly within (0.5, 1.5), as Jordan
    et al. report, for all but the smallest singular values (the quintic is tuned for speed, not
    exactness). Runs in ``G``'s dtype (the reference code uses bfloat16).

    >>> G = torch.randn(64, 16, dtype=torch.float64)
    >>> s = torch.linalg.svdvals(newton_schulz(G))
    >>> bool(s.min() > 0.6 and s.max() < 1.25)
    True
    """
    if G.dim() < 2:
        raise ValueError(f"newton_schulz needs matrices (≥ 2 dims), got shape {tuple(G.shape)}")
    a, b, c = NEWTON_SCHULZ_COEFFICIENTS
    tall = G.size(-2) > G.size(-1)
    X = G.mT if tall else G
    X = X / (X.norm(dim=(-2, -1), keepdim=True) + eps)
    for _ in range(steps):
        A = X @ X.mT
        X = a * X + (b * A + c * A @ A) @ X
    return X.mT if tall else X


def egalitarian(G: torch.Tensor, rtol: float = 1e-6) -> torch.Tensor:
    """``(GGᵀ)^{−1/2} G = UVᵀ`` for the matrices in the last two axes of ``G`` (batched): the gradient
    with every singular value set to 1; directions with ``s ≤ rtol · s_max`` are dropped (pseudo-inverse).

    >>> G = torch.diag(torch.tensor([3.0, 0.5]))
    >>> egalitarian(G)
    tensor([[1., 0.],
            [0., 1.]])
    """
    if G.dim() < 2:
        raise ValueError(f"egalitarian needs matrices (≥ 2 dims), got shape {tuple(G.shape)}")
    U, S, Vh = torch.linalg.svd(G, full_matrices=False)
    keep = (S > rtol * S.amax(dim=-1, keepdim=True)).to(G.dtype)
    return (U * keep.unsqueeze(-2)) @ Vh


def is_hidden_matrix(name: str, shape: tuple[int, ...]) -> bool:
    """Whether a (per-member) parameter is a hidden weight matrix in Muon's sense: ≥ 2 axes and not an
    input table, embedding or read-out (``first`` of a one-hot MLP is a table look-up; with shared
    embeddings it is hidden)."""
    if len(shape) < 2:
        return False
    if name == "first" and len(shape) == 2:  # shared embeddings → hidden: the first layer is a matrix
        return True
    return name.split(".")[0] not in _NOT_HIDDEN


def is_embedding(name: str, shape: tuple[int, ...]) -> bool:
    """Whether a (per-member) parameter is an input embedding: a shared token table (``embed``, ``W_E``),
    positional embeddings (``W_pos``), or an MLP's per-position one-hot table (``first`` with 3 axes)."""
    return name in ("embed", "W_E", "W_pos") or (name == "first" and len(shape) == 3)


def transfer_embedding(weak: torch.Tensor, width: int, *, seed: int = 0) -> torch.Tensor:
    """GrokTransfer's initial embedding for a wider target: ``E_T = E_W R``.

    Xu, Ni, Wang & Hu 2025 ("Let Me Grok for You: Accelerating Grokking via Embedding Transfer from a
    Weaker Model", arXiv 2504.13292) train a small model until its test accuracy is non-trivial, then
    give the target the embedding ``E_T = A B`` with ``A = E_W`` (the weak model's trained embedding,
    one row per token) and ``B`` a trainable ``d_W × d_T`` map. Here ``B`` is its random start
    ``R ∈ ℝ^{d_W × width}``, ``R_ij ~ N(0, 1/d_W)`` (fan-in scale, drawn from ``seed``), and the product
    initialises the target's whole table, which then trains freely: every row of ``E_T`` starts in
    the ``d_W``-dimensional span of ``R``'s rows, and token geometry is kept,
    ``E[E_T E_Tᵀ] = (width/d_W) · E_W E_Wᵀ``. The same ``R`` multiplies every leading slice of ``weak``
    (one table per input position for a one-hot MLP), so the target's first pre-activation is
    ``h_T = h_W R``.

    Shapes: ``weak`` is ``(…, n_tokens, d_W)``; the result ``(…, n_tokens, width)``.

    >>> E_W = torch.randn(2, 7, 3)
    >>> E_T = transfer_embedding(E_W, 16, seed=0)
    >>> tuple(E_T.shape), int(torch.linalg.matrix_rank(E_T[0]))
    ((2, 7, 16), 3)
    """
    if weak.dim() < 2:
        raise ValueError(f"transfer_embedding needs a (…, n_tokens, d_W) table, got shape {tuple(weak.shape)}")
    if width < 1:
        raise ValueError(f"width (the target's embedding size) must be ≥ 1, got {width}")
    d_w = weak.size(-1)
    g = torch.Generator().manual_seed(seed)
    R = torch.randn(d_w, width, generator=g, dtype=torch.float64) / d_w**0.5
    return (weak.detach().double().cpu() @ R).to(weak.dtype)


class ParameterGroups:
    """Disjoint groups of a parameter list, each stepped by its own optimizer: ``groups`` pairs the
    indices of a group's parameters with its optimizer (anything with ``step(grads)``); ``step`` hands
    each optimizer its own gradients (Adam-LR: the embedding at its own learning rate)."""

    def __init__(self, groups: list[tuple[list[int], object]]) -> None:
        indices = [i for idx, _ in groups for i in idx]
        if len(indices) != len(set(indices)):
            raise ValueError("parameter groups must be disjoint")
        self.groups = [(list(idx), opt) for idx, opt in groups if idx]

    def step(self, grads: list[torch.Tensor]) -> None:
        for idx, opt in self.groups:
            opt.step([grads[i] for i in idx])


class GrokfastEMA:
    """Grokfast's EMA filter over a list of stacked gradients: returns ``g + λ μ`` (see module doc)."""

    def __init__(self, alpha: float = 0.98, lamb: float = 2.0) -> None:
        if not 0 <= alpha < 1:
            raise ValueError(f"alpha must lie in [0, 1), got {alpha}")
        self.alpha, self.lamb, self.mu = alpha, lamb, None

    @torch.no_grad()
    def __call__(self, grads: list[torch.Tensor]) -> list[torch.Tensor]:
        if self.mu is None:
            self.mu = [g.detach().clone() for g in grads]
        else:
            for mu, g in zip(self.mu, grads):
                mu.mul_(self.alpha).add_(g, alpha=1 - self.alpha)
        return [g + self.lamb * mu for g, mu in zip(grads, self.mu)]


class GrokfastMA:
    """Grokfast's moving-average filter: ``g + λ · mean(last w gradients)`` once ``w`` are stored
    (before that, with ``warmup``, the gradient passes unchanged)."""

    def __init__(self, window: int = 100, lamb: float = 5.0, warmup: bool = True) -> None:
        if window < 1:
            raise ValueError(f"window must be ≥ 1, got {window}")
        self.window, self.lamb, self.warmup = window, lamb, warmup
        self.history: list[list[torch.Tensor]] = []

    @torch.no_grad()
    def __call__(self, grads: list[torch.Tensor]) -> list[torch.Tensor]:
        self.history.append([g.detach().clone() for g in grads])
        if len(self.history) > self.window:
            self.history.pop(0)
        if self.warmup and len(self.history) < self.window:
            return list(grads)
        n = len(self.history)
        return [g + self.lamb * sum(h[i] for h in self.history) / n for i, g in enumerate(grads)]


class StackedSpectral:
    """Muon or EGD on ``(K, …)`` parameters with per-member ``lr`` and decoupled ``weight_decay``.

    ``kind="muon"``: hidden matrices (:func:`is_hidden_matrix`) get ``m ← βm + (1−β)g``, Nesterov
    ``u = (1−β)g + βm``, ``p ← p(1 − ηλ) − η √max(1, r/c) NS₅(u)``; every other parameter is stepped by
    the optimizer that ``fallback(those_params)`` returns (the trainer passes an AdamW
    :class:`~grokbook.optim.StackedOptimizer` factory).
    ``kind="egd"``: every matrix gets ``p ← p(1 − ηλ) − η UVᵀ`` of its gradient (no momentum), vectors
    plain gradient descent.
    """

    def __init__(self, params: list[torch.Tensor], names: list[str], *, kind: str, lr: torch.Tensor,
                 weight_decay: torch.Tensor, fallback=None, momentum: float = 0.95, nesterov: bool = True,
                 ns_steps: int = 5) -> None:
        if kind not in SPECTRAL_OPTIMIZERS:
            raise ValueError(f"kind must be one of {list(SPECTRAL_OPTIMIZERS)}, got {kind!r}")
        if kind == "muon" and fallback is None:
            raise ValueError("Muon needs a fallback optimizer for the non-hidden parameters")
        self.params, self.kind, self.lr, self.weight_decay = params, kind, lr, weight_decay
        self.momentum, self.nesterov, self.ns_steps, self.fallback = momentum, nesterov, ns_steps, fallback
        member_shapes = [tuple(p.shape[1:]) for p in params]
        self.spectral = [is_hidden_matrix(n, s) if kind == "muon" else len(s) >= 2
                         for n, s in zip(names, member_shapes)]
        self.buffers = [torch.zeros_like(p) if s and kind == "muon" else None for p, s in zip(params, self.spectral)]
        others = [p for p, s in zip(params, self.spectral) if not s]
        self.fallback = fallback(others) if fallback is not None and others else None

    def _per_member(self, values: torch.Tensor, p: torch.Tensor) -> torch.Tensor:
        return values.view((-1,) + (1,) * (p.dim() - 1))

    @torch.no_grad()
    def step(self, grads: list[torch.Tensor]) -> None:
        if self.fallback is not None:
            self.fallback.step([g for g, s in zip(grads, self.spectral) if not s])
        for p, g, s, buf in zip(self.params, grads, self.spectral, self.buffers):
            lr, wd = self._per_member(self.lr, p), self._per_member(self.weight_decay, p)
            if not s:
                if self.fallback is None:  # EGD: vectors take a plain gradient step
                    p.mul_(1 - lr * wd).sub_(lr * g)
                continue
            if self.kind == "muon":
                buf.lerp_(g, 1 - self.momentum)
                update = g.lerp(buf, self.momentum) if self.nesterov else buf
                update = newton_schulz(update, self.ns_steps) * max(1.0, p.size(-2) / p.size(-1)) ** 0.5
            else:
                update = egalitarian(g)
            p.mul_(1 - lr * wd).sub_(lr * update)
