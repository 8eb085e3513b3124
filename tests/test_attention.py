import math

import numpy as np
import pytest
import torch

from grokbook import ModularArithmetic, TransformerConfig, build_model, MLPConfig
from grokbook.diagnostics.attention import attention_entropy, attention_entropy_diagnostic


def test_entropy_by_hand():
    pattern = torch.tensor([[[1 / 3, 1 / 3, 1 / 3], [1.0, 0.0, 0.0], [0.5, 0.5, 0.0]]])
    assert np.allclose(attention_entropy(pattern), [math.log(3), 0.0, math.log(2)])
    assert np.allclose(attention_entropy(pattern, normalize=True), [1.0, 0.0, math.log(2) / math.log(3)])


def test_entropy_matches_torch_distribution():
    pattern = torch.softmax(torch.randn(50, 4, 3, generator=torch.Generator().manual_seed(0)), -1)
    oracle = torch.distributions.Categorical(probs=pattern).entropy().mean(0).double().numpy()
    assert np.allclose(attention_entropy(pattern), oracle, atol=1e-6)


def test_diagnostic_on_transformer():
    data = ModularArithmetic(p=7, train_fraction=0.5, equals_token=True).build(seed=0)
    model = build_model(TransformerConfig(d_model=16, n_heads=4, d_mlp=16), data)

    class Context:
        pass

    ctx = Context()
    ctx.model, ctx.data = model, data
    out = attention_entropy_diagnostic()(ctx)
    assert set(out) == {"head0", "head1", "head2", "head3", "mean"}
    assert 0 <= out["mean"] <= math.log(3) + 1e-9
    ctx.model = build_model(MLPConfig(width=8), data)
    with pytest.raises(ValueError, match="attention"):
        attention_entropy_diagnostic()(ctx)


def test_bad_inputs():
    with pytest.raises(ValueError, match="shape"):
        attention_entropy(np.ones((2, 3)))
    with pytest.raises(ValueError, match="probabilities"):
        attention_entropy(np.ones((1, 1, 3)))
    with pytest.raises(ValueError, match="seq"):
        attention_entropy(np.ones((1, 1, 1)), normalize=True)
    with pytest.raises(ValueError, match="inputs"):
        attention_entropy_diagnostic(inputs="valid")


def test_uniform_attention_over_three_positions_is_ln3():
    """A transformer whose queries and keys are zero attends uniformly over `a b =`: H = ln 3 per head."""
    data = ModularArithmetic(p=7, train_fraction=0.5, equals_token=True).build(seed=0)
    model = build_model(TransformerConfig(d_model=16, n_heads=4, d_mlp=16), data)
    with torch.no_grad():
        model.W_Q.zero_()
    pattern = torch.full((5, 2, 3), 1 / 3)
    assert np.allclose(attention_entropy(pattern), math.log(3), atol=1e-12)
    assert np.allclose(attention_entropy(pattern, normalize=True), 1.0)

    class Context:
        pass

    ctx = Context()
    ctx.model, ctx.data = model, data
    out = attention_entropy_diagnostic()(ctx)
    assert out["mean"] == pytest.approx(math.log(3), abs=1e-6)


def test_entropy_course_reads_the_three_phases():
    from grokbook.diagnostics.attention import entropy_course
    from grokbook.history import History

    steps = np.array([0, 10, 20, 40, 80, 160])
    h = History({"step": steps, "H": np.array([1.0, 0.3, 0.5, 0.6, 0.45, 0.4])})
    course = entropy_course(h, "H", t_mem=10, t_grok=40)
    assert course == {"initial": 1.0, "memorized": 0.3, "peak": 0.6, "final": 0.4}
    flat = History({"step": steps, "H": np.full(6, 0.3)})
    assert entropy_course(flat, "H", 10, 40)["peak"] == 0.3
    with pytest.raises(ValueError, match="t_mem ≤ t_grok"):
        entropy_course(h, "H", 40, 10)
    with pytest.raises(ValueError, match="t_mem ≤ t_grok"):
        entropy_course(h, "H", None, 10)
