"""The landscape of F(θ) = L(θ) + λ‖θ‖²: minimum-norm interpolants, energies along paths, barriers, the
tilt at which two minima swap (the exponent fits with confidence intervals live in ``scaling``).

One reading of L2 regularisation is "supercooling": memorizing needs a large
weight norm, the generalizing (Fourier) solution a small one, so the penalty λ‖θ‖² tilts F until the
generalizing minimum is the global one (Rubin et al. 2024, "Grokking as a first-order phase transition",
arXiv 2310.03789). Everything here computes and never draws; chapter "The landscape" uses it.
"""
from __future__ import annotations

import math
from typing import Any, Callable, Sequence

import numpy as np
import torch
from torch import nn

__all__ = ["balanced_norm", "balanced_norm_diagnostic", "barrier", "crossing_lambda", "lazy_memorizer",
           "min_norm_interpolant", "parameter_vector", "path_energy", "path_losses", "planted_generalizer",
           "quadratic_features", "straight_path", "tilt_analysis", "trained_path"]


# ------------------------------------------------------------------------------------------ norms
def min_norm_interpolant(features: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """The minimum-Frobenius-norm ``W`` with ``features @ W = targets``: ``W = Φ⁺ Y`` (Moore–Penrose).

    It is the solution gradient descent from ``W = 0`` converges to on squared error for a model linear in
    ``W`` — the lazy (kernel) regime of a network whose features are frozen at initialisation (Chizat,
    Oyallon & Bach 2019, arXiv 1812.07956). ``features``: ``(n, d)``; ``targets``: ``(n,)`` or ``(n, k)``.
    When ``d < n`` it is the least-squares solution of minimum norm instead.

    >>> W = min_norm_interpolant(np.array([[1.0, 1.0]]), np.array([2.0]))
    >>> np.round(W, 6).tolist()
    [1.0, 1.0]
    """
    phi, y = np.asarray(features, dtype=float), np.asarray(targets, dtype=float)
    if phi.ndim != 2:
        raise ValueError(f"features must be a 2-D (n, d) array, got shape {phi.shape}")
    if y.shape[0] != phi.shape[0]:
        raise ValueError(f"targets must have one row per feature row ({phi.shape[0]}), got {y.shape[0]}")
    return np.linalg.pinv(phi) @ y


def quadratic_features(first: torch.Tensor, x: torch.Tensor) -> np.ndarray:
    """The hidden units of Gromov's quadratic MLP as frozen features: ``φ_j(a, b) = (U_{a j} + V_{b j})²``.

    ``first``: the ``(2, p, width)`` token tables ``(U, V)`` of ``MLPConfig(activation="quadratic",
    embed_dim=None, bias=False)``; ``x``: ``(n, 2)`` tokens. Returns ``(n, width)`` (Gromov 2023,
    arXiv 2301.02679).
    """
    if first.ndim != 3 or first.shape[0] != 2:
        raise ValueError(f"first must be the (2, p, width) token tables, got shape {tuple(first.shape)}")
    if x.ndim != 2 or x.shape[1] != 2:
        raise ValueError(f"x must hold (n, 2) token pairs, got shape {tuple(x.shape)}")
    with torch.no_grad():
        h = first[0][x[:, 0]] + first[1][x[:, 1]]
    return h.double().square().cpu().numpy()


def balanced_norm(first: torch.Tensor, readout: torch.Tensor) -> float:
    """``‖θ‖₂`` of a quadratic MLP after the per-unit rescaling that minimises it, the function unchanged.

    Unit j computes ``r_j (u_j·x)²``; ``u_j → c u_j, r_j → r_j / c²`` leaves it unchanged, and
    ``min_c c²A_j + B_j/c⁴ = 3·2^(−2/3) A_j^(2/3) B_j^(1/3)`` with ``A_j = ‖u_j‖²`` (both token tables) and
    ``B_j = ‖r_j‖²``. So the norm of a *function* is ``√(Σ_j 3·2^(−2/3) A_j^(2/3) B_j^(1/3))``, which is how
    a planted and a trained network are compared (weight decay drives training towards this balance).
    ``first``: ``(2, p, width)``; ``readout``: ``(width, p)``.
    """
    if first.ndim != 3 or readout.ndim != 2 or first.shape[-1] != readout.shape[0]:
        raise ValueError(f"need first (2, p, width) and readout (width, p) with the same width, got "
                         f"{tuple(first.shape)} and {tuple(readout.shape)}")
    a = first.detach().double().square().sum((0, 1))
    b = readout.detach().double().square().sum(1)
    return float(torch.sqrt((3 * 2 ** (-2 / 3) * a ** (2 / 3) * b ** (1 / 3)).sum()))


# ------------------------------------------------------------------------------------------ paths
def parameter_vector(model: nn.Module) -> torch.Tensor:
    """All trainable parameters of ``model`` as one flat float64 vector (``named_parameters`` order)."""
    return torch.cat([p.detach().double().flatten() for p in model.parameters() if p.requires_grad])


def straight_path(start: torch.Tensor, end: torch.Tensor, n_points: int = 21) -> torch.Tensor:
    """``θ(s) = (1 − s) θ_a + s θ_b`` at ``n_points`` evenly spaced ``s ∈ [0, 1]``: ``(n_points, dim)``."""
    if start.shape != end.shape or start.ndim != 1:
        raise ValueError(f"start and end must be flat vectors of one shape, got {tuple(start.shape)} and "
                         f"{tuple(end.shape)}")
    if n_points < 2:
        raise ValueError(f"n_points must be ≥ 2, got {n_points}")
    s = torch.linspace(0, 1, n_points, dtype=start.dtype)[:, None]
    return (1 - s) * start + s * end


def trained_path(history, start: float | None = None, stop: float | None = None
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The path training took, as logged: ``(steps, L(t), ‖θ(t)‖²)`` for ``start ≤ t ≤ stop``, from the
    history's ``train_loss`` and ``weight_norm`` (both computed on the trained parameters at each
    logged step). With :func:`path_energy` and :func:`barrier` it gives ``F_λ = L + λ‖θ‖²`` along the
    trained trajectory, beside the :func:`straight_path` between its ends (Rubin et al. 2024,
    arXiv 2310.03789, for the free energy; a spike between two logged steps is not seen).

    >>> from grokbook.history import History
    >>> h = History({"step": np.array([0, 10, 20]), "train_loss": np.array([1.0, 0.5, 0.1]),
    ...              "weight_norm": np.array([2.0, 3.0, 1.0])})
    >>> [a.tolist() for a in trained_path(h, start=10)]
    [[10, 20], [0.5, 0.1], [9.0, 1.0]]
    """
    steps = history.window("step", start, stop)
    if len(steps) < 2:
        raise ValueError(f"need at least 2 logged steps in [{start}, {stop}], got {len(steps)}")
    return (steps, history.window("train_loss", start, stop).astype(float),
            history.window("weight_norm", start, stop).astype(float) ** 2)


def path_losses(model: nn.Module, thetas: torch.Tensor, x: torch.Tensor, y: torch.Tensor,
                loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]) -> np.ndarray:
    """Mean ``loss_fn`` on ``(x, y)`` of ``model`` with its parameters set to each row of ``thetas``
    (flat vectors as :func:`parameter_vector` makes them); the model itself is left unchanged."""
    names = [n for n, p in model.named_parameters() if p.requires_grad]
    shapes = [p.shape for p in model.parameters() if p.requires_grad]
    sizes = [math.prod(s) for s in shapes]
    if thetas.ndim != 2 or thetas.shape[1] != sum(sizes):
        raise ValueError(f"thetas must be (n, {sum(sizes)}) flat parameter vectors, got {tuple(thetas.shape)}")
    like = next(model.parameters())
    out = []
    with torch.no_grad():
        for theta in thetas:
            parts = torch.split(theta.to(like.device, like.dtype), sizes)
            params = {n: t.view(s) for n, t, s in zip(names, parts, shapes)}
            logits = torch.func.functional_call(model, params, (x,))
            out.append(float(loss_fn(logits, y).mean()))
    return np.asarray(out)


def path_energy(losses: np.ndarray, norms_squared: np.ndarray, lam: float | Sequence[float]) -> np.ndarray:
    """``F_λ(s) = L(s) + λ‖θ(s)‖²`` along a path (the free energy of the supercooling picture); one row per ``λ`` if several."""
    losses, norms_squared = np.asarray(losses, dtype=float), np.asarray(norms_squared, dtype=float)
    if losses.shape != norms_squared.shape:
        raise ValueError(f"losses and norms_squared must have one shape, got {losses.shape} and "
                         f"{norms_squared.shape}")
    lams = np.asarray(lam, dtype=float)
    if np.any(lams < 0):
        raise ValueError(f"λ must be ≥ 0, got {lam}")
    return losses + lams[..., None] * norms_squared if lams.ndim else losses + float(lams) * norms_squared


def barrier(energy: np.ndarray) -> dict[str, float | str]:
    """The barrier of a 1-D energy profile between its two ends.

    Returns ``height_from_start = max_s F − F(0)`` (what a state at ``s = 0`` must climb),
    ``height_from_end = max_s F − F(1)``, ``peak`` (the argmax's position in [0, 1]), and ``lower``:
    ``"start"`` or ``"end"``, whichever end is the lower (the global minimum of the two).

    >>> barrier(np.array([0.0, 1.0, -1.0]))
    {'height_from_start': 1.0, 'height_from_end': 2.0, 'peak': 0.5, 'lower': 'end'}
    """
    e = np.asarray(energy, dtype=float)
    if e.ndim != 1 or len(e) < 2 or not np.all(np.isfinite(e)):
        raise ValueError(f"energy must be a finite 1-D profile of ≥ 2 values, got shape {e.shape}")
    top = int(np.argmax(e))
    return {"height_from_start": float(e[top] - e[0]), "height_from_end": float(e[top] - e[-1]),
            "peak": top / (len(e) - 1), "lower": "start" if e[0] < e[-1] else "end"}


def crossing_lambda(loss_a: float, loss_b: float, norm_sq_a: float, norm_sq_b: float) -> float:
    """The tilt λ* at which ``F_λ(a) = F_λ(b)``: ``λ* = (L_b − L_a) / (‖θ_a‖² − ‖θ_b‖²)``.

    Above λ* the state of smaller norm has the lower F. ``nan`` when no λ ≥ 0 swaps them (the same state
    is lower at every λ ≥ 0, or the norms are equal).

    >>> crossing_lambda(0.0, 1.0, 3.0, 1.0)   # a fits better, b is smaller: they swap at λ = 1/2
    0.5
    """
    dn = norm_sq_a - norm_sq_b
    if dn == 0:
        return float("nan")
    lam = (loss_b - loss_a) / dn
    return float(lam) if lam >= 0 else float("nan")


# ------------------------------------------------------------------------------------------ the two classes
def lazy_memorizer(task, width: int, seed: int) -> dict[str, float]:
    """The lazy (kernel) interpolant of one split: Gromov's quadratic MLP with its first layer frozen at
    initialisation (``MLPConfig(width, activation="quadratic", bias=False)``, standard init), readout
    ``R = Φ⁺ Y`` (:func:`min_norm_interpolant`) fitted to the one-hot targets of the training pairs.

    Returns ``n_train``, ``readout_norm`` ``‖R‖_F``, ``full_table_norm`` (the same class's minimum-norm
    readout fitted to *every* pair: the class's generalizer, which also fits the training pairs, so it is
    never smaller), ``balanced_norm`` of the whole network (:func:`balanced_norm`), ``test_acc`` and
    ``train_residual`` (max |ΦR − Y|). ``task`` is a ``ModularArithmetic`` with ``operation="+"``.
    """
    from grokbook.models import MLPConfig, build_model

    data = task.build(seed=seed)
    model = build_model(MLPConfig(width=width, activation="quadratic", bias=False), data, seed=seed)
    x, y = task.table()
    eye = np.eye(data.n_outputs)
    phi = quadratic_features(model.first, data.x_train)
    readout = min_norm_interpolant(phi, eye[data.y_train.cpu().numpy()])
    full = min_norm_interpolant(quadratic_features(model.first, x), eye[y.cpu().numpy()])
    guess = (quadratic_features(model.first, data.x_test) @ readout).argmax(1)
    return {"n_train": float(data.n_train), "readout_norm": float(np.linalg.norm(readout)),
            "full_table_norm": float(np.linalg.norm(full)),
            "balanced_norm": balanced_norm(model.first, torch.as_tensor(readout)),
            "test_acc": float(np.mean(guess == data.y_test.cpu().numpy())),
            "train_residual": float(np.abs(phi @ readout - eye[data.y_train.cpu().numpy()]).max())}


def planted_generalizer(p: int, frequencies: Sequence[int]) -> dict[str, float]:
    """Gromov's planted Fourier network (``grokbook.models.planted``) at the output scale that minimises
    the squared error to the one-hot table, ``s* = ⟨f, Y⟩ / ⟨f, f⟩``: its ``balanced_norm``, ``mse`` and
    ``accuracy`` on every pair. Nothing in it depends on which pairs are for training (O(1) in N)."""
    from grokbook.models.planted import planted_mlp
    from grokbook.tasks import ModularArithmetic

    model = planted_mlp(p, list(frequencies), scale=1.0, dtype=torch.float64)
    x, y = ModularArithmetic(p=p).table()
    with torch.no_grad():
        out = model(x)
    target = torch.eye(p, dtype=torch.float64)[y]
    s = float((out * target).sum() / out.square().sum())
    return {"balanced_norm": balanced_norm(model.first, model.readout * s),
            "mse": float((s * out - target).square().mean()),
            "accuracy": float((out.argmax(1) == y).double().mean())}


def balanced_norm_diagnostic() -> Callable[[Any], float]:
    """A trainer diagnostic (``diagnostics={"balanced_norm": balanced_norm_diagnostic()}``): the
    :func:`balanced_norm` of a quadratic MLP's ``first`` and ``readout`` at each logged step."""
    return _balanced_norm


def _balanced_norm(ctx: Any) -> float:
    return balanced_norm(ctx.model.first, ctx.model.readout)


def tilt_analysis(memorizer: nn.Module, generalizer: nn.Module, x: torch.Tensor, y: torch.Tensor,
                  loss_fn: Callable, tilts: np.ndarray, n_points: int = 41) -> dict:
    """The tilt of ``F_λ = L + λ‖θ‖²`` on the straight path from ``memorizer`` (s = 0) to ``generalizer``
    (s = 1), two models of one architecture, loss on ``(x, y)``.

    Returns the profiles ``L`` and ``n2`` (``‖θ(s)‖²``), ``barrier0`` (the loss barrier from the
    memorizer at λ = 0), ``star`` (:func:`crossing_lambda` of the two ends; NaN when no λ ≥ 0 swaps them),
    ``spinodal`` (the smallest of ``tilts`` at which the memorizer has no barrier left; ``inf`` if none),
    ``F0`` (the loss at θ = 0) and ``zero`` (the λ₀ above which θ = 0 has a lower F than the generalizer).
    """
    tilts = np.asarray(tilts, dtype=float)
    if tilts.ndim != 1 or len(tilts) == 0 or np.any(np.diff(tilts) <= 0):
        raise ValueError("tilts must be a non-empty increasing 1-D array of λ values")
    path = straight_path(parameter_vector(memorizer), parameter_vector(generalizer), n_points)
    losses = path_losses(generalizer, path, x, y, loss_fn)
    n2 = path.square().sum(1).cpu().numpy()
    heights = np.array([barrier(e)["height_from_start"] for e in path_energy(losses, n2, tilts)])
    gone = heights <= 1e-12
    f0 = float(path_losses(generalizer, 0 * path[:1], x, y, loss_fn)[0])
    return {"L": losses, "n2": n2, "barrier0": barrier(losses)["height_from_start"],
            "star": crossing_lambda(losses[0], losses[-1], n2[0], n2[-1]),
            "spinodal": float(tilts[np.argmax(gone)]) if gone.any() else float("inf"),
            "F0": f0, "zero": crossing_lambda(losses[-1], f0, n2[-1], 0.0)}
