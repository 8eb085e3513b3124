"""Entropy of attention patterns: how spread out each head's attention is.

For one query, head ``h`` attends to key positions with probabilities ``A_hs`` (a softmax, ``Σ_s A_hs = 1``).
Its Shannon entropy, in nats,

    H_h = − Σ_s A_hs ln A_hs,    0 ≤ H_h ≤ ln(seq),

is 0 when the head looks at one position only and ``ln(seq)`` when it spreads evenly. Averaged over the
inputs it summarises a head's behaviour (attention entropy as a training signal: Zhai et al. 2023,
"Stabilizing transformer training by preventing attention entropy collapse", arXiv 2303.06296).

Chapter 6 tests the prediction that it goes low → high → medium across grokking (an attention-entropy
reading of the memorization, circuit formation and cleanup phases), on the one-layer transformer of
Nanda et al. 2023 (arXiv 2301.05217) whose named activation ``attention`` is the last query's pattern,
shape ``(n, heads, seq)``.
"""
from __future__ import annotations

import math

import numpy as np
import torch

from grokbook.diagnostics.geometry import INPUTS, inputs_of
from grokbook.models import activations


def attention_entropy(pattern, normalize: bool = False) -> np.ndarray:
    """Mean entropy per head of attention patterns ``pattern`` of shape ``(n, heads, seq)`` (rows sum to 1).

    ``H = −Σ_s A_s ln A_s`` per input and head (``0 · ln 0 = 0``), averaged over the ``n`` inputs; with
    ``normalize=True`` divided by ``ln(seq)`` so that 1 means uniform attention. Returns shape ``(heads,)``.

    >>> attention_entropy(torch.tensor([[[0.5, 0.5, 0.0], [1.0, 0.0, 0.0]]])).round(4).tolist()
    [0.6931, 0.0]
    """
    if isinstance(pattern, torch.Tensor):
        pattern = pattern.detach().cpu().double().numpy()
    pattern = np.asarray(pattern, dtype=np.float64)
    if pattern.ndim != 3:
        raise ValueError(f"pattern must have shape (n, heads, seq), got {pattern.shape}")
    if pattern.shape[-1] < 2 and normalize:
        raise ValueError(f"normalize=True needs seq ≥ 2 key positions (ln 1 = 0), got seq={pattern.shape[-1]}")
    if (pattern < -1e-6).any() or not np.allclose(pattern.sum(-1), 1.0, atol=1e-4):
        raise ValueError("pattern must hold probabilities: non-negative, summing to 1 over the last axis (seq)")
    p = np.clip(pattern, 0.0, 1.0)
    terms = np.where(p > 0, -p * np.log(np.where(p > 0, p, 1.0)), 0.0)
    entropy = terms.sum(-1).mean(0)
    return entropy / math.log(pattern.shape[-1]) if normalize else entropy


def attention_entropy_diagnostic(inputs: str = "all", normalize: bool = False):
    """A training diagnostic logging the mean attention entropy of each head (columns ``name.head0`` …)
    and their mean (``name.mean``) on ``inputs`` (``train``, ``test`` or ``all``), for models whose
    named activations include ``attention`` (the transformer)."""
    if inputs not in INPUTS:
        raise ValueError(f"inputs must be one of {list(INPUTS)}, got {inputs!r}")

    def diagnostic(context) -> dict[str, float]:
        cache = activations(context.model, inputs_of(context.data, inputs))
        if "attention" not in cache:
            raise ValueError(f"the model has no 'attention' activation (it has {sorted(cache)}): use a TransformerConfig")
        entropy = attention_entropy(cache["attention"], normalize=normalize)
        return {**{f"head{h}": float(e) for h, e in enumerate(entropy)}, "mean": float(entropy.mean())}

    return diagnostic


def entropy_course(history, column: str, t_mem: float, t_grok: float) -> dict[str, float]:
    """The three readings of the low–high–medium entropy hypothesis, from one history.

    ``memorized`` = ``H(t_mem)`` (the "low": each example its own pattern), ``peak`` = the largest
    logged ``H`` in ``[t_mem, t_grok]`` (its "high", on the eve of grokking), ``final`` = ``H`` at the last
    logged step (its "medium"), and ``initial`` = ``H(0)`` (uniform attention at initialisation reads
    ``ln(seq)``, or 1 normalised). The predicted shape is ``memorized < peak`` and
    ``memorized < final < peak``; the relative rise is ``peak / memorized − 1``.
    """
    if t_mem is None or t_grok is None or not t_mem <= t_grok:
        raise ValueError(f"need t_mem ≤ t_grok, both logged steps, got t_mem={t_mem}, t_grok={t_grok}")
    window = history.window(column, t_mem, t_grok)
    memorized = float(history.at(column, t_mem))
    return {"initial": float(history.at(column, 0)), "memorized": memorized,
            "peak": float(np.max(window)) if len(window) else memorized,
            "final": float(history.at(column, None))}


__all__ = ["attention_entropy", "attention_entropy_diagnostic", "entropy_course"]
