"""A multilayer perceptron on token embeddings or real features."""
from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from grokbook.models.init import normal_fan_in, standard_normal, uniform_fan_in
from grokbook.models.table import FUSED, table_layer

__all__ = ["ACTIVATIONS", "MLP", "PARAMETERIZATIONS", "activation_function", "MLPConfig"]

ACTIVATIONS = {
    "relu": torch.relu,
    "quadratic": torch.square,
    "gelu": F.gelu,
    "tanh": torch.tanh,
    "silu": F.silu,
    "linear": lambda x: x,
    # φ(z) = z + z²/2: Kumar et al. 2024's φ(z) = z + (ε/2) z² with ε set by the preactivation scale
    "linear+quadratic": lambda x: x + 0.5 * x * x,
}
PARAMETERIZATIONS = ("standard", "gromov", "gromov_code")


def activation_function(name: str):
    """The activation called ``name``: a key of ``ACTIVATIONS``, or ``"linear+quadratic:ε"`` for
    Kumar et al. 2024's (arXiv 2310.06110) ``φ(z) = z + (ε/2) z²`` with the given ε (``"linear+quadratic"``
    is ε = 1); the ε sweep of the lazy → rich chapter varies it.

    >>> float(activation_function("linear+quadratic:4")(torch.tensor(1.0)))
    3.0
    """
    if name in ACTIVATIONS:
        return ACTIVATIONS[name]
    base, _, eps = name.partition(":")
    try:
        eps = float(eps) if base == "linear+quadratic" else None
    except ValueError:
        eps = None
    if eps is None:
        raise ValueError(f"activation must be one of {list(ACTIVATIONS)} or 'linear+quadratic:ε', got {name!r}")
    return lambda x: x + (0.5 * eps) * x * x


@dataclass(frozen=True, kw_only=True)
class MLPConfig:
    """Shape of an MLP.

    ``embed_dim=None`` gives every input position its own table of ``width`` numbers per token, which is
    exactly a linear layer on concatenated one-hot vectors (Gromov 2023; Prieto et al. 2025) without
    the matrix product. ``embed_dim=d`` shares one learned ``d``-dimensional embedding between positions
    (Liu et al. 2022) and concatenates them before the first layer. ``bottleneck_rank=r`` inserts a
    linear map to ``r`` dimensions between the last hidden layer and the readout, so the representation
    the readout sees has rank at most ``r``. ``init_scale`` multiplies every weight at initialisation
    (Liu, Michaud & Tegmark 2023, "Omnigrok").

    ``parameterization`` says where a weight's scale lives. ``"standard"`` (the default): PyTorch's
    ``nn.Linear`` init, U(−1/√fan_in, 1/√fan_in), and no multipliers in the forward pass.
    ``"gromov"`` (Gromov 2023, "Grokking modular arithmetic", arXiv 2301.02679): every weight is drawn
    from N(0, 1) and the scale is a fixed multiplier in the forward pass,

        f(x) = (1/N) · W₂ · φ(W₁ x / √D),    D = fan_in (2p for two one-hot tokens), N = width,

    (hidden layers, with ``depth > 1``, are multiplied by 1/√N). The optimizer sees the N(0, 1)
    weights, so with Adam a step moves the function √D (first layer) and N (readout) times less than
    it would with the scale folded into the init. It needs ``bias=False``, ``embed_dim=None`` and no
    bottleneck, as in the paper.

    ``"gromov_code"``: the same network with the scale folded into the initialisation, as the authors'
    public code does (Doshi, He, Gromov et al., github.com/d-doshi/Grokking, ``utils/models.py``): every
    weight is drawn from N(0, σ²) with σ = ½ (2N)^(−1/3) and there are no forward multipliers,
    f(x) = W₂ φ(W₁ x). With φ(x) = x² the output is cubic in the weights, so σ³ = 1/(16 N) spreads a
    1/N output factor evenly over the three weight factors. Adam moves every weight by ≈ lr per step
    whatever its scale, so where the scale sits changes the dynamics: at lr 1e-2 this form groks
    (a + b) mod 97 from 30% of the table in a few hundred steps, the multiplier form in ≈ 10³.
    Same restrictions as ``"gromov"``.
    """

    width: int = 512
    depth: int = 1
    activation: str = "relu"
    embed_dim: int | None = None
    bias: bool = True
    init_scale: float = 1.0
    bottleneck_rank: int | None = None
    parameterization: str = "standard"

    def __post_init__(self) -> None:
        if self.width <= 0:
            raise ValueError(f"width must be a positive integer, got {self.width}")
        if self.depth < 1:
            raise ValueError(f"depth (number of hidden layers) must be ≥ 1, got {self.depth}")
        activation_function(self.activation)  # raises a ValueError for an unknown name
        if self.embed_dim is not None and self.embed_dim <= 0:
            raise ValueError(f"embed_dim must be a positive integer or None, got {self.embed_dim}")
        if not self.init_scale > 0:
            raise ValueError(f"init_scale (α) must be > 0, got {self.init_scale}")
        if self.bottleneck_rank is not None and not 1 <= self.bottleneck_rank <= self.width:
            raise ValueError(f"bottleneck_rank must lie in 1…width={self.width}, got {self.bottleneck_rank}")
        if self.parameterization not in PARAMETERIZATIONS:
            raise ValueError(f"parameterization must be one of {list(PARAMETERIZATIONS)}, "
                             f"got {self.parameterization!r}")
        if self.parameterization != "standard" and (self.bias or self.embed_dim is not None
                                                  or self.bottleneck_rank is not None):
            raise ValueError(f"parameterization={self.parameterization!r} needs bias=False, embed_dim=None and "
                             "bottleneck_rank=None (Gromov 2023's network has none of them)")


class MLP(nn.Module):
    """``logits = W_out · φ(… φ(W_in · embed(x) + b) …)``, activations recorded by name.

    Named activations (pass ``cache={}`` to ``forward``): ``embedding`` (the inputs to the first
    layer, one row per position, for token inputs with ``embed_dim``), ``preactivation`` and ``hidden``
    of the last hidden layer, ``bottleneck`` (with ``bottleneck_rank``), ``logits``.
    """

    def __init__(self, config: MLPConfig, *, input_shape: tuple[int, ...], n_tokens: int, n_outputs: int,
                 generator: torch.Generator | None = None) -> None:
        super().__init__()
        g = generator if generator is not None else torch.Generator().manual_seed(0)
        self.config = config
        self.tokens = n_tokens > 0
        width, scale = config.width, config.init_scale
        gromov = config.parameterization == "gromov"
        # Gromov: N(0, 1) weights, the scale applied in the forward pass (multipliers below)
        draw = (lambda shape, fan_in, g: standard_normal(shape, g)) if gromov else uniform_fan_in
        if config.parameterization == "gromov_code":  # the scale in the init, σ = ½ (2N)^(−1/3)
            sigma = 0.5 * (2 * width) ** (-1 / 3)
            draw = lambda shape, fan_in, g: sigma * standard_normal(shape, g)  # noqa: E731
        if self.tokens:
            seq_len = input_shape[0]
            if config.embed_dim is None:
                # One table per position: (seq, n_tokens, width) = nn.Linear(seq·n_tokens → width), its init too.
                fan_in = seq_len * n_tokens
                self.first = nn.Parameter(scale * draw((seq_len, n_tokens, width), fan_in, g))
            else:
                self.embed = nn.Parameter(scale * torch.randn((n_tokens, config.embed_dim), generator=g))
                fan_in = seq_len * config.embed_dim
                self.first = nn.Parameter(scale * draw((fan_in, width), fan_in, g))
        else:
            fan_in = input_shape[0]
            self.first = nn.Parameter(scale * draw((fan_in, width), fan_in, g))
        self.first_bias = nn.Parameter(scale * draw((width,), fan_in, g)) if config.bias else None
        self.hidden_weights = nn.ParameterList(
            [nn.Parameter(scale * draw((width, width), width, g)) for _ in range(config.depth - 1)])
        self.hidden_biases = nn.ParameterList(
            [nn.Parameter(scale * draw((width,), width, g)) for _ in range(config.depth - 1)]
            if config.bias else [])
        readout_in = width
        if config.bottleneck_rank is not None:
            self.bottleneck = nn.Parameter(scale * normal_fan_in((width, config.bottleneck_rank), width, g))
            readout_in = config.bottleneck_rank
        self.readout = nn.Parameter(scale * draw((readout_in, n_outputs), readout_in, g))
        self.readout_bias = nn.Parameter(scale * draw((n_outputs,), readout_in, g)) if config.bias else None
        self.act = activation_function(config.activation)
        self.multipliers = ({"first": fan_in**-0.5, "hidden": width**-0.5, "readout": 1.0 / readout_in}
                            if gromov else {"first": 1.0, "hidden": 1.0, "readout": 1.0})

    def embeddings(self) -> torch.Tensor:
        """The token representation as a ``(positions, n_tokens, dim)`` tensor (one position if shared)."""
        if not self.tokens:
            raise ValueError("embeddings() needs a model on token inputs, this one reads real features")
        return self.embed[None] if self.config.embed_dim is not None else self._scaled(self.first, "first")

    def forward(self, x: torch.Tensor, cache: dict | None = None) -> torch.Tensor:
        # attribute look-ups, not get_parameter: under torch.func.functional_call the swapped-in values are tensors
        params = {name: _attribute(self, name) for name in self._stacked_names()}
        stacked_cache = {} if cache is not None else None
        logits = self.forward_stacked({k: v[None] for k, v in params.items()}, x[None], stacked_cache)[0]
        if cache is not None:
            cache.update({k: v[0] for k, v in stacked_cache.items()})
        return logits

    def _stacked_names(self) -> list[str]:
        names = ["first"] + (["embed"] if self.tokens and self.config.embed_dim is not None else [])
        names += ["first_bias"] if self.first_bias is not None else []
        names += [f"hidden_weights.{i}" for i in range(len(self.hidden_weights))]
        names += [f"hidden_biases.{i}" for i in range(len(self.hidden_biases))]
        names += ["bottleneck"] if self.config.bottleneck_rank is not None else []
        names += ["readout"] + (["readout_bias"] if self.readout_bias is not None else [])
        return names

    def _scaled(self, weight: torch.Tensor, layer: str) -> torch.Tensor:
        """``weight`` times its layer's forward multiplier (1 in the standard parameterization)."""
        multiplier = self.multipliers[layer]
        return weight if multiplier == 1.0 else weight * multiplier

    def forward_stacked(self, params: dict[str, torch.Tensor], x: torch.Tensor, cache: dict | None = None) -> torch.Tensor:
        """K models at once: every parameter carries a leading member axis ``(K, …)`` (names as in
        ``named_parameters``), ``x`` is ``(K, n, …)``, the result ``(K, n, n_outputs)``. The trainer steps
        ensembles through this; ``forward`` is the case K = 1, so both always compute the same function."""
        K, n = x.shape[:2]
        bias = params.get("first_bias")
        first = self._scaled(params["first"], "first")
        fuse = (self.tokens and self.config.embed_dim is None and self.config.depth == 1 and cache is None
                and self.config.activation in FUSED)
        if fuse:  # the training path: look-ups and activation in one op with a hand-written backward
            z = table_layer(first, bias, x, self.config.activation)
            h = None
        elif self.tokens and self.config.embed_dim is None:
            h = table_layer(first, bias, x, None)
        else:
            if self.tokens:
                e = params["embed"][torch.arange(K, device=x.device).view(K, 1, 1), x]   # (K, n, seq, d)
                if cache is not None:
                    cache["embedding"] = e
                inputs = e.flatten(2)
            else:
                inputs = x
            h = torch.bmm(inputs, first) if bias is None else torch.baddbmm(bias[:, None], inputs, first)
        for i in range(self.config.depth - 1):  # none when fused: fusing needs depth 1
            w = self._scaled(params[f"hidden_weights.{i}"], "hidden")
            hb = params.get(f"hidden_biases.{i}")
            h = torch.bmm(self.act(h), w) if hb is None else torch.baddbmm(hb[:, None], self.act(h), w)
        if not fuse:
            z = self.act(h)
        if cache is not None:
            cache["preactivation"], cache["hidden"] = h, z
        if self.config.bottleneck_rank is not None:
            z = torch.bmm(z, params["bottleneck"])
            if cache is not None:
                cache["bottleneck"] = z
        out_bias = params.get("readout_bias")
        readout = self._scaled(params["readout"], "readout")
        logits = torch.bmm(z, readout) if out_bias is None else torch.baddbmm(out_bias[:, None], z, readout)
        if cache is not None:
            cache["logits"] = logits
        return logits


def _attribute(module: nn.Module, dotted: str) -> torch.Tensor:
    for part in dotted.split("."):
        module = getattr(module, part)
    return module
