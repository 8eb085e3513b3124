import dataclasses

import pytest
import torch
from torch import nn

from grokbook.models import MLP, MLPConfig, TransformerConfig, activations, build_model
from grokbook.tasks import Dataset, ModularArithmetic
from reference import plain_adamw_quadratic_net

DATA = ModularArithmetic(p=11, train_fraction=0.5).build(0)
DATA3 = ModularArithmetic(p=11, train_fraction=0.5, equals_token=True).build(0)


@pytest.mark.parametrize("config", [
    MLPConfig(width=16), MLPConfig(width=16, embed_dim=4), MLPConfig(width=16, depth=3, activation="gelu"),
    MLPConfig(width=16, bias=False, activation="quadratic"), MLPConfig(width=16, bottleneck_rank=3),
])
def test_mlp_shapes_and_named_activations(config):
    model = build_model(config, DATA)
    acts = activations(model, DATA.x_test)
    n = len(DATA.x_test)
    assert acts["logits"].shape == (n, 11) and acts["hidden"].shape == (n, 16)
    if config.bottleneck_rank:
        assert acts["bottleneck"].shape == (n, 3)
        assert torch.linalg.matrix_rank(model.bottleneck @ model.readout) <= 3


def test_one_hot_mlp_is_a_linear_layer_on_concatenated_one_hots():
    model = build_model(MLPConfig(width=8, activation="linear"), DATA)
    x = DATA.x_train
    one_hot = torch.cat([nn.functional.one_hot(x[:, 0], 11), nn.functional.one_hot(x[:, 1], 11)], 1).float()
    expected = (one_hot @ model.first.reshape(22, 8) + model.first_bias) @ model.readout + model.readout_bias
    assert torch.allclose(model(x), expected, atol=1e-6)


def test_transformer_shapes_and_attention_pattern():
    model = build_model(TransformerConfig(d_model=16, n_heads=2, d_mlp=32), DATA3)
    acts = activations(model, DATA3.x_test)
    n = len(DATA3.x_test)
    assert acts["logits"].shape == (n, 11)
    assert acts["attention"].shape == (n, 2, 3)
    assert torch.allclose(acts["attention"].sum(-1), torch.ones(n, 2))
    assert acts["hidden"].shape == (n, 32)


def test_transformer_matches_a_full_causal_forward():
    # The model evaluates only the last position; a textbook forward over all positions must agree there.
    model = build_model(TransformerConfig(d_model=16, n_heads=2, d_mlp=32), DATA3)
    x = DATA3.x_test[:20]
    resid = model.W_E[x] + model.W_pos
    q = torch.einsum("nsd,hde->nhse", resid, model.W_Q)
    k = torch.einsum("nsd,hde->nhse", resid, model.W_K)
    v = torch.einsum("nsd,hde->nhse", resid, model.W_V)
    scores = torch.einsum("nhqe,nhke->nhqk", q, k) / (q.shape[-1] ** 0.5)
    scores = scores.masked_fill(torch.triu(torch.ones(3, 3, dtype=torch.bool), 1), float("-inf"))
    z = torch.einsum("nhqk,nhke->nhqe", scores.softmax(-1), v)
    resid = resid + torch.einsum("nhqe,hed->nqd", z, model.W_O)
    resid = resid + torch.relu(resid @ model.W_in + model.b_in) @ model.W_out + model.b_out
    assert torch.allclose(model(x), (resid @ model.W_U)[:, -1], atol=1e-5)


def test_init_scale_multiplies_every_weight():
    small = build_model(MLPConfig(width=8, embed_dim=4), DATA, seed=5)
    large = build_model(MLPConfig(width=8, embed_dim=4, init_scale=3.0), DATA, seed=5)
    for (_, a), (_, b) in zip(small.named_parameters(), large.named_parameters()):
        assert torch.allclose(3.0 * a, b)


def test_same_seed_same_model():
    a, b = build_model(MLPConfig(width=8), DATA, seed=1), build_model(MLPConfig(width=8), DATA, seed=1)
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))


def test_mlp_on_dense_inputs():
    x = torch.randn(10, 6)
    data = Dataset(x, torch.zeros(10, dtype=torch.long), x, torch.zeros(10, dtype=torch.long), n_outputs=3,
                   inputs="dense", n_tokens=0)
    model = build_model(MLPConfig(width=5), data)
    assert model(x).shape == (10, 3)
    with pytest.raises(ValueError, match="token inputs"):
        model.embeddings()


@pytest.mark.parametrize("kwargs, match", [
    (dict(width=0), "width must be a positive"), (dict(width=-3), "width must be a positive"),
    (dict(activation="sigmoidal"), "activation must be one of"), (dict(init_scale=0.0), r"init_scale \(α\) must be > 0"),
    (dict(init_scale=-1.0), r"init_scale \(α\) must be > 0"), (dict(depth=0), "depth"),
    (dict(width=8, bottleneck_rank=0), "bottleneck_rank must lie in 1…width=8"),
    (dict(width=8, bottleneck_rank=9), "bottleneck_rank must lie in 1…width=8"),
])
def test_bad_mlp_settings_raise(kwargs, match):
    with pytest.raises(ValueError, match=match):
        MLPConfig(**kwargs)


@pytest.mark.parametrize("kwargs, match", [
    (dict(d_model=0), "d_model must be a positive"), (dict(d_model=10, n_heads=4), "divisible"),
    (dict(init_scale=0), "init_scale"),
])
def test_bad_transformer_settings_raise(kwargs, match):
    with pytest.raises(ValueError, match=match):
        TransformerConfig(**kwargs)


def test_mlp_class_is_exported():
    assert isinstance(build_model(MLPConfig(width=4), DATA), MLP)


@pytest.mark.parametrize("activation", ["relu", "quadratic", "gelu"])
def test_table_layer_gradients_match_autograd_and_work_under_torch_func(activation):
    from torch.func import functional_call, jacrev, vmap

    model = build_model(MLPConfig(width=8, activation=activation), DATA, seed=2).double()
    x = DATA.x_train[:4]
    params = {k: v.detach() for k, v in model.named_parameters()}
    jac = vmap(lambda xi: jacrev(lambda p: functional_call(model, p, (xi[None],)))(params))(x)
    reference = build_model(MLPConfig(width=8, activation=activation, bias=True), DATA, seed=2).double()
    for i in range(4):
        h = reference.first[0][x[i, 0]] + reference.first[1][x[i, 1]] + reference.first_bias
        out = reference.act(h) @ reference.readout + reference.readout_bias
        grad = torch.autograd.grad(out[3], reference.first)[0]
        torch.testing.assert_close(jac["first"][i, 0, 3], grad)


GROMOV = MLPConfig(width=16, activation="quadratic", bias=False, parameterization="gromov")


def test_gromov_parameterization_is_the_paper_formula():
    # f = (1/N) W2 φ(W1 x / √(2p)) on concatenated one-hots, N(0, 1) weights (Gromov 2023)
    model = build_model(GROMOV, DATA, seed=3)
    w1, w2 = model.first.reshape(22, 16), model.readout
    x = DATA.x_train
    one_hot = torch.cat([nn.functional.one_hot(x[:, 0], 11), nn.functional.one_hot(x[:, 1], 11)], 1).float()
    expected = ((one_hot @ w1) / 22**0.5).square() @ w2 / 16
    assert torch.allclose(model(x), expected, atol=1e-6)
    big = build_model(dataclasses.replace(GROMOV, width=400), DATA, seed=0)
    assert abs(big.first.std().item() - 1) < 0.02 and abs(big.readout.std().item() - 1) < 0.03


def test_gromov_training_matches_plain_torch_adamw():
    # the oracle: the same network written with raw tensors and torch.optim.AdamW
    from grokbook import TrainConfig, train
    from grokbook.tasks import ModularArithmetic as MA
    cfg = TrainConfig(task=MA(p=11, train_fraction=0.5), model=GROMOV, loss="mse", lr=1e-2,
                      betas=(0.9, 0.98), eps=1e-10, weight_decay=0.0, steps=5, log_points=2, device="cpu")
    run = train(cfg, progress=False)
    w1, w2 = plain_adamw_quadratic_net(build_model(GROMOV, DATA, seed=0), DATA, lr=1e-2,
                                       in_scale=22**-0.5, out_scale=1 / 16, betas=(0.9, 0.98),
                                       eps=1e-10, weight_decay=0.0)
    assert torch.allclose(run.model.first.reshape(22, 16), w1, atol=1e-5)
    assert torch.allclose(run.model.readout, w2, atol=1e-5)


GROMOV_CODE = dataclasses.replace(GROMOV, parameterization="gromov_code")


def test_gromov_code_puts_the_scale_in_the_init():
    # the authors' code: W ~ N(0, σ²), σ = ½ (2N)^(−1/3), f = W2 φ(W1 x), no multipliers
    model = build_model(dataclasses.replace(GROMOV_CODE, width=500), DATA, seed=0)
    assert set(model.multipliers.values()) == {1.0}
    sigma = 0.5 * 1000 ** (-1 / 3)
    assert abs(model.first.std().item() / sigma - 1) < 0.02
    assert abs(model.readout.std().item() / sigma - 1) < 0.03


def test_gromov_code_training_matches_plain_torch_adamw():
    # the oracle: nn.Linear-style weights, F.mse_loss (mean over samples and classes), torch AdamW
    from grokbook import TrainConfig, train
    from grokbook.tasks import ModularArithmetic as MA
    cfg = TrainConfig(task=MA(p=11, train_fraction=0.5), model=GROMOV_CODE, loss="mse", lr=1e-2,
                      betas=(0.9, 0.98), eps=1e-8, weight_decay=0.0, steps=5, log_points=2, device="cpu")
    run = train(cfg, progress=False)
    w1, w2 = plain_adamw_quadratic_net(build_model(GROMOV_CODE, DATA, seed=0), DATA, lr=1e-2,
                                       betas=(0.9, 0.98), eps=1e-8, weight_decay=0.0)
    assert torch.allclose(run.model.first.reshape(22, 16), w1, atol=1e-5)
    assert torch.allclose(run.model.readout, w2, atol=1e-5)


@pytest.mark.parametrize("kwargs, match", [
    (dict(parameterization="mup"), "parameterization must be one of"),
    (dict(parameterization="gromov", bias=True), "needs bias=False"),
    (dict(parameterization="gromov", bias=False, embed_dim=4), "needs bias=False"),
    (dict(parameterization="gromov_code", bias=True), "'gromov_code' needs bias=False"),
])
def test_bad_parameterization_raises(kwargs, match):
    with pytest.raises(ValueError, match=match):
        MLPConfig(**kwargs)


def test_standard_parameterization_is_unchanged():
    # the default keeps PyTorch's nn.Linear init and no forward multipliers
    model = build_model(MLPConfig(width=16), DATA, seed=0)
    assert set(model.multipliers.values()) == {1.0}
    assert model.first.abs().max() <= 1 / 22**0.5


def test_linear_plus_quadratic_activation_takes_kumar_epsilon():
    from grokbook.models.mlp import activation_function

    z = torch.tensor([-2.0, 0.0, 0.5, 3.0])
    torch.testing.assert_close(activation_function("linear+quadratic")(z), z + 0.5 * z**2)
    torch.testing.assert_close(activation_function("linear+quadratic:16")(z), z + 8.0 * z**2)
    torch.testing.assert_close(activation_function("linear+quadratic:0")(z), z)
    assert MLPConfig(activation="linear+quadratic:0.5").activation == "linear+quadratic:0.5"
    for bad in ("linear+quadratic:x", "relu:2", "quadratic:"):
        with pytest.raises(ValueError, match="activation must be one of"):
            MLPConfig(activation=bad)
