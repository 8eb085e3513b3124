"""Grokfast filters, Muon and EGD against reference computations written out from the papers' formulas."""
import numpy as np
import pytest
import torch

from grokbook import MLPConfig, ModularArithmetic, TrainConfig, grid, train, train_ensemble, vary
from grokbook.accelerate import (NEWTON_SCHULZ_COEFFICIENTS, GrokfastEMA, GrokfastMA, ParameterGroups, StackedSpectral,
                                 egalitarian, is_embedding,
                                 is_hidden_matrix, newton_schulz, transfer_embedding)


def quintic(s, steps=5):
    a, b, c = NEWTON_SCHULZ_COEFFICIENTS
    for _ in range(steps):
        s = a * s + b * s**3 + c * s**5
    return s


@pytest.mark.parametrize("shape", [(40, 12), (12, 40), (3, 30, 20)])
def test_newton_schulz_keeps_singular_vectors_and_maps_singular_values_by_the_quintic(shape):
    G = torch.randn(*shape, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    U, S, Vh = torch.linalg.svd(G, full_matrices=False)
    expected = U @ torch.diag_embed(quintic(S / G.norm(dim=(-2, -1), keepdim=True)[..., 0])) @ Vh
    torch.testing.assert_close(newton_schulz(G, eps=0.0), expected, rtol=1e-9, atol=1e-9)


def test_five_steps_land_in_the_published_band():
    # Jordan et al. 2024: five steps give U S' Vᵀ with S'_ii roughly within (0.5, 1.5).
    g = torch.Generator().manual_seed(1)
    for shape in [(128, 32), (97, 512), (256, 64)]:
        s = torch.linalg.svdvals(newton_schulz(torch.randn(*shape, generator=g)))
        assert 0.5 < s.min() and s.max() < 1.5, (shape, s.min(), s.max())


def test_egalitarian_is_gg_t_to_the_minus_half_times_g():
    G = torch.randn(6, 9, dtype=torch.float64, generator=torch.Generator().manual_seed(2))
    evals, evecs = torch.linalg.eigh(G @ G.T)
    inverse_root = evecs @ torch.diag(evals**-0.5) @ evecs.T
    torch.testing.assert_close(egalitarian(G), inverse_root @ G)
    assert torch.allclose(torch.linalg.svdvals(egalitarian(G)), torch.ones(6, dtype=torch.float64))


def test_egalitarian_drops_null_directions_of_a_rank_one_gradient():
    u, v = torch.tensor([3.0, 4.0, 0.0]), torch.tensor([0.0, 2.0])
    out = egalitarian(torch.outer(u, v))
    torch.testing.assert_close(out, torch.outer(u / 5, v / 2))


def test_grokfast_ema_follows_the_reference_update():
    g = torch.Generator().manual_seed(3)
    grads = [[torch.randn(2, 4, 3, generator=g), torch.randn(2, 5, generator=g)] for _ in range(6)]
    ema, mu = GrokfastEMA(alpha=0.9, lamb=2.0), None
    for step in grads:
        out = ema(step)
        mu = [x.clone() for x in step] if mu is None else [0.9 * m + 0.1 * x for m, x in zip(mu, step)]
        for o, x, m in zip(out, step, mu):
            torch.testing.assert_close(o, x + 2.0 * m)


def test_grokfast_ma_waits_for_a_full_window_then_adds_the_window_mean():
    ma = GrokfastMA(window=3, lamb=5.0)
    steps = [[torch.full((2,), float(t))] for t in range(1, 6)]
    outs = [ma(s)[0] for s in steps]
    assert torch.equal(outs[0], steps[0][0]) and torch.equal(outs[1], steps[1][0])  # warm-up: unchanged
    torch.testing.assert_close(outs[2], torch.full((2,), 3.0 + 5.0 * 2.0))  # mean of 1, 2, 3
    torch.testing.assert_close(outs[4], torch.full((2,), 5.0 + 5.0 * 4.0))  # mean of 3, 4, 5


def test_hidden_matrices_follow_muon_conventions():
    assert is_hidden_matrix("hidden_weights.0", (64, 64)) and is_hidden_matrix("W_in", (128, 512))
    assert is_hidden_matrix("W_Q", (4, 128, 32)) and is_hidden_matrix("first", (32, 512))
    assert not is_hidden_matrix("first", (2, 7, 512))  # a one-hot table look-up
    assert not any(is_hidden_matrix(n, (8, 8)) for n in ("W_E", "W_U", "readout", "embed"))
    assert not is_hidden_matrix("first_bias", (512,))


def test_stacked_muon_equals_the_per_member_reference():
    g = torch.Generator().manual_seed(4)
    hidden = torch.randn(2, 8, 3, dtype=torch.float64, generator=g)
    bias = torch.randn(2, 3, dtype=torch.float64, generator=g)
    ref_hidden, ref_bias = hidden.clone(), torch.nn.Parameter(bias.clone())
    lr, wd = torch.tensor([0.02, 0.05], dtype=torch.float64), torch.tensor([0.0, 0.1], dtype=torch.float64)
    from grokbook.optim import StackedOptimizer

    opt = StackedSpectral([hidden, bias], ["hidden_weights.0", "first_bias"], kind="muon", lr=lr,
                          weight_decay=wd, fallback=lambda ps: StackedOptimizer(ps, kind="adamw", lr=lr,
                                                                                weight_decay=wd))
    torch_adam = [torch.optim.AdamW([torch.nn.Parameter(bias[k].clone())], lr=lr[k].item(),
                                    weight_decay=wd[k].item()) for k in range(2)]
    buf = torch.zeros_like(hidden)
    for _ in range(4):
        gh, gb = torch.randn(2, 8, 3, dtype=torch.float64, generator=g), torch.randn(2, 3, dtype=torch.float64, generator=g)
        opt.step([gh, gb])
        for k in range(2):
            buf[k] = 0.95 * buf[k] + 0.05 * gh[k]
            update = newton_schulz(0.05 * gh[k] + 0.95 * buf[k]) * (8 / 3) ** 0.5
            ref_hidden[k] = ref_hidden[k] * (1 - lr[k] * wd[k]) - lr[k] * update
            p = torch_adam[k].param_groups[0]["params"][0]
            p.grad = gb[k].clone()
            torch_adam[k].step()
            torch.testing.assert_close(bias[k], p.detach())
        torch.testing.assert_close(hidden, ref_hidden)


def test_egd_step_is_minus_lr_times_u_v_t():
    p = torch.randn(1, 5, 4, dtype=torch.float64)
    start, grad = p.clone(), torch.randn(1, 5, 4, dtype=torch.float64)
    StackedSpectral([p], ["first"], kind="egd", lr=torch.tensor([0.1], dtype=torch.float64),
                    weight_decay=torch.tensor([0.0], dtype=torch.float64)).step([grad])
    torch.testing.assert_close(p, start - 0.1 * egalitarian(grad))


DEEP = TrainConfig(task=ModularArithmetic(p=11, train_fraction=0.5), model=MLPConfig(width=16, depth=2),
                   steps=20, device="cpu", log_points=5, weight_decay=0.1)


@pytest.mark.parametrize("changes", [dict(optimizer="muon", lr=0.02, adam_lr=1e-3), dict(optimizer="egd", lr=0.01),
                                     dict(grad_filter="ema"), dict(grad_filter="ma", grad_filter_window=5)])
def test_methods_train_in_ensembles_exactly_as_alone(changes):
    configs = grid(vary(DEEP, **changes), seed=[0, 1], weight_decay=[0.0, 0.5])
    for config, run in zip(configs, train_ensemble(configs, progress=False)):
        alone = train(config, progress=False)
        np.testing.assert_allclose(run.history["train_loss"], alone.history["train_loss"], rtol=1e-4, atol=1e-6)
        assert not np.allclose(run.history["train_loss"], train(vary(config, grad_filter=None, optimizer="adamw",
                                                                     adam_lr=None), progress=False).history["train_loss"])


@pytest.mark.parametrize("changes, match", [
    (dict(optimizer="lion"), "optimizer must be one of"), (dict(grad_filter="fft"), "grad_filter must be one of"),
    (dict(grad_filter_alpha=1.0), r"grad_filter_alpha must lie in \[0, 1\)"),
    (dict(grad_filter_window=0), "grad_filter_window must be ≥ 1"), (dict(adam_lr=0.0), "adam_lr must be > 0"),
    (dict(optimizer="muon", orthogonal=True), "orthogonal"),
])
def test_bad_settings_are_refused_before_training(changes, match):
    with pytest.raises(ValueError, match=match):
        vary(DEEP, **changes)


def test_filter_and_spectral_arguments_are_checked():
    with pytest.raises(ValueError, match="alpha must lie"):
        GrokfastEMA(alpha=1.5)
    with pytest.raises(ValueError, match="window must be ≥ 1"):
        GrokfastMA(window=0)
    with pytest.raises(ValueError, match="needs a fallback"):
        StackedSpectral([torch.zeros(1, 2, 2)], ["w"], kind="muon", lr=torch.ones(1), weight_decay=torch.zeros(1))
    with pytest.raises(ValueError, match="matrices"):
        newton_schulz(torch.ones(3))


def test_adam_lr_steps_the_embedding_table_at_its_own_rate_like_torch_param_groups():
    # Oracle: Gromov's network written with raw tensors and torch.optim.AdamW with two param groups.
    from grokbook import build_model
    from reference import plain_adamw_quadratic_net
    model = MLPConfig(width=16, activation="quadratic", bias=False, parameterization="gromov")
    task = ModularArithmetic(p=11, train_fraction=0.5)
    cfg = TrainConfig(task=task, model=model, loss="mse", lr=1e-2, embed_lr=3e-2, betas=(0.9, 0.98),
                      eps=1e-10, weight_decay=0.5, steps=5, log_points=2, device="cpu")
    run = train(cfg, progress=False)
    data = task.build(seed=0)
    w1, w2 = plain_adamw_quadratic_net(build_model(model, data, seed=0), data, lr=1e-2, table_lr=3e-2,
                                       in_scale=22**-0.5, out_scale=1 / 16, betas=(0.9, 0.98),
                                       eps=1e-10, weight_decay=0.5)
    assert torch.allclose(run.model.first.reshape(22, 16), w1, atol=1e-5)
    assert torch.allclose(run.model.readout, w2, atol=1e-5)
    same = train(vary(cfg, embed_lr=1e-2), progress=False)
    plain = train(vary(cfg, embed_lr=None), progress=False)
    torch.testing.assert_close(same.model.first, plain.model.first)


def test_embedding_names_and_adam_lr_errors():
    assert is_embedding("embed", (5, 4)) and is_embedding("first", (2, 5, 4)) and is_embedding("W_E", (5, 4))
    assert not is_embedding("first", (8, 4)) and not is_embedding("readout", (4, 5))
    with pytest.raises(ValueError, match="embed_lr must be > 0"):
        TrainConfig(embed_lr=0.0)
    with pytest.raises(ValueError, match="with Muon use adam_lr"):
        TrainConfig(embed_lr=1e-3, optimizer="muon")
    with pytest.raises(ValueError, match="disjoint"):
        ParameterGroups([([0, 1], None), ([1], None)])
    from grokbook.tasks.polynomial import PolynomialRegression
    with pytest.raises(ValueError, match="no embedding parameters"):  # real-valued inputs: no table
        train(TrainConfig(task=PolynomialRegression(dim=3, n_train=10, n_test=5), loss="mse", embed_lr=1e-3,
                          steps=2, device="cpu"), progress=False)


def test_adam_lr_members_may_differ_in_embed_lr_and_match_their_solo_runs():
    cfg = TrainConfig(task=ModularArithmetic(p=7, train_fraction=0.6), model=MLPConfig(width=8, depth=2),
                      steps=4, log_points=2, device="cpu", dtype="float64")
    members = [vary(cfg, embed_lr=1e-3), vary(cfg, embed_lr=3e-2, seed=1)]
    together = train_ensemble(members, progress=False)
    for c, r in zip(members, together):
        torch.testing.assert_close(r.model.first, train(c, progress=False).model.first)
    with pytest.raises(ValueError, match="embed_lr must be set for every ensemble member or for none"):
        train_ensemble([cfg, vary(cfg, embed_lr=1e-3)], progress=False)


def test_transfer_embedding_keeps_the_weak_geometry_in_a_rank_d_w_table():
    # Xu et al. 2025's E_T = E_W B at B's fan-in start: E[E_T E_Tᵀ] = (width/d_W) E_W E_Wᵀ (Johnson–
    # Lindenstrauss: at width 20000 the Gram matrix is within a few per cent), rank E_T = rank E_W.
    g = torch.Generator().manual_seed(4)
    weak = torch.randn(2, 11, 5, generator=g, dtype=torch.float64)
    wide = transfer_embedding(weak, 20000, seed=1)
    for pos in range(2):
        gram, expected = (5 / 20000) * wide[pos] @ wide[pos].T, weak[pos] @ weak[pos].T
        assert torch.linalg.norm(gram - expected) < 0.05 * torch.linalg.norm(expected)
    narrow = transfer_embedding(weak, 64, seed=1)
    assert narrow.shape == (2, 11, 64) and narrow.dtype == weak.dtype
    assert int(torch.linalg.matrix_rank(narrow[0])) == 5


def test_transfer_embedding_projects_every_position_by_one_map_fixed_by_the_seed():
    # One R for all positions: equal weak rows give equal target rows, and h_T = h_W R is linear.
    weak = torch.randn(2, 7, 3, generator=torch.Generator().manual_seed(5))
    weak[1] = weak[0]
    E = transfer_embedding(weak, 32, seed=2)
    torch.testing.assert_close(E[0], E[1])
    torch.testing.assert_close(transfer_embedding(weak, 32, seed=2), E)
    assert not torch.allclose(transfer_embedding(weak, 32, seed=3), E)
    R = torch.linalg.lstsq(weak[0].double(), E[0].double()).solution   # the map, recovered
    torch.testing.assert_close(transfer_embedding(2 * weak, 32, seed=2), (2 * weak.double() @ R).float())


def test_a_transferred_table_is_where_the_target_starts():
    weak = train(TrainConfig(task=ModularArithmetic(p=7), model=MLPConfig(width=4, depth=2, bias=False), steps=5,
                             device="cpu"), progress=False)
    table = transfer_embedding(dict(weak.model.named_parameters())["first"], 16, seed=0)
    target = TrainConfig(task=ModularArithmetic(p=7), model=MLPConfig(width=16, depth=2, bias=False), steps=1,
                         lr=1e-12, device="cpu", dtype="float64")
    started = train(target, progress=False, start={"first": table})
    torch.testing.assert_close(dict(started.model.named_parameters())["first"], table.double(), rtol=0, atol=1e-10)


def test_transfer_embedding_refuses_bad_shapes():
    with pytest.raises(ValueError, match="n_tokens, d_W"):
        transfer_embedding(torch.ones(5), 8)
    with pytest.raises(ValueError, match="width"):
        transfer_embedding(torch.ones(5, 2), 0)
