"""Fourier diagnostics: oracle tests against torch.fft, closed forms and hand-built embeddings."""
import math
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from grokbook import MLPConfig, ModularArithmetic, SparseParity, TrainConfig, TransformerConfig, train
from grokbook.diagnostics import fourier as fo

P = 13


def circle(p: int, k: int, amplitude: float = 1.0, phase: float = 0.0) -> torch.Tensor:
    a = torch.arange(p, dtype=torch.float64)
    w = 2 * math.pi * k / p
    return amplitude * torch.stack([torch.cos(w * a + phase), torch.sin(w * a + phase)], 1)


@pytest.mark.parametrize("p", [3, 5, 8, 13, 53])
def test_basis_is_orthonormal(p):
    B = fo.fourier_basis(p)
    assert B.shape == (p, p)
    assert torch.allclose(B @ B.T, torch.eye(p, dtype=B.dtype), atol=1e-12)
    assert len(fo.basis_frequencies(p)) == p


@pytest.mark.parametrize("p", [7, 10, 13])
def test_basis_coefficients_match_torch_fft(p):
    f = torch.randn(p, dtype=torch.float64, generator=torch.Generator().manual_seed(p))
    coeffs = fo.fourier_basis(p) @ f
    fft = torch.fft.fft(f)
    assert coeffs[0] == pytest.approx(fft[0].real / math.sqrt(p))
    for k in range(1, fo.n_frequencies(p) + 1):
        assert coeffs[2 * k - 1] == pytest.approx(math.sqrt(2 / p) * fft[k].real)
        assert coeffs[2 * k] == pytest.approx(-math.sqrt(2 / p) * fft[k].imag)


def test_embedding_norms_of_a_known_embedding():
    E = torch.cat([circle(P, 2, amplitude=3.0), circle(P, 5, amplitude=1.0, phase=0.7)], 1)
    norms = fo.embedding_fourier_norms(E)
    expected = torch.zeros(fo.n_frequencies(P), dtype=torch.float64)
    expected[1], expected[4] = 3.0 * math.sqrt(P), math.sqrt(P)  # ‖A cos‖² + ‖A sin‖² = A² p
    assert torch.allclose(norms, expected, atol=1e-10)


def test_embedding_norms_satisfy_parseval():
    E = torch.randn(P, 6, dtype=torch.float64)
    centred = E - E.mean(0)
    assert float(fo.embedding_fourier_norms(E).square().sum()) == pytest.approx(float(centred.square().sum()))


@pytest.mark.parametrize("values, expected", [([1.0, 1.0, 1.0, 1.0], 0.0), ([0.0, 0.0, 0.0, 5.0], 0.75),
                                              ([0.0, 0.0], 0.0), ([1.0, 3.0], 0.25)])
def test_gini_known_values(values, expected):
    assert fo.gini(values) == pytest.approx(expected)


def test_gini_matches_double_sum_definition():
    x = np.random.default_rng(0).exponential(size=30)
    definition = np.abs(x[:, None] - x[None, :]).sum() / (2 * len(x) * x.sum())
    assert fo.gini(x) == pytest.approx(definition)


def test_key_frequencies_find_planted_ones_in_noise():
    g = torch.Generator().manual_seed(1)
    E = torch.cat([circle(P, 3, 4.0), circle(P, 4, 3.0, 1.0), 0.05 * torch.randn(P, 20, generator=g,
                                                                                   dtype=torch.float64)], 1)
    assert fo.key_frequencies(E, P) == [3, 4]


def test_random_embedding_has_no_key_frequency():
    E = torch.randn(53, 128, generator=torch.Generator().manual_seed(0))
    assert fo.key_frequencies(E, 53) == []


def test_key_frequencies_reads_a_model_without_the_equals_token():
    data = ModularArithmetic(p=P, equals_token=True).build(0)
    from grokbook.models import build_model
    model = build_model(TransformerConfig(d_model=8, n_heads=2, d_mlp=8), data)
    with torch.no_grad():
        model.W_E.zero_()
        model.W_E[:P, :2] = circle(P, 6).float()
        model.W_E[P] = 100.0  # the "=" token must not count
    assert fo.key_frequencies(model, P) == [6]


def test_projection_puts_a_circle_embedding_on_a_circle_at_angle_wa():
    k = 5
    g = torch.Generator().manual_seed(2)
    mix = torch.linalg.qr(torch.randn(6, 4, generator=g, dtype=torch.float64))[0].T  # isometry into 6-D
    E = torch.cat([circle(P, k, 2.0), circle(P, 2, 0.5)], 1) @ mix
    xy = fo.project_onto_frequency(E, k, P)
    assert xy.shape == (P, 2)
    assert torch.allclose(xy.norm(dim=1), torch.full((P,), 2.0, dtype=xy.dtype), atol=1e-10)
    angle = torch.atan2(xy[:, 1], xy[:, 0])
    step = torch.remainder(angle.diff(), 2 * math.pi)  # consecutive tokens advance by w_k (or −w_k)
    w = 2 * math.pi * k / P
    assert torch.allclose(step, torch.full_like(step, w), atol=1e-9) or \
        torch.allclose(step, torch.full_like(step, 2 * math.pi - w), atol=1e-9)


def sum_logits(p, alphas):
    r = torch.arange(p, dtype=torch.float64)
    diff = r[:, None, None] + r[None, :, None] - r[None, None, :]
    return sum(a * torch.cos(2 * math.pi * k * diff / p) for k, a in alphas.items())


def test_trig_fit_recovers_known_coefficients():
    L = sum_logits(P, {2: 3.0, 5: -1.5}) + 7.0
    fit = fo.trig_fit(L, [2, 5])
    assert fit["alpha"] == pytest.approx({2: 3.0, 5: -1.5})
    assert fit["r2"] == pytest.approx(1.0)
    assert fo.trig_fit(L, [2])["r2"] == pytest.approx(9 / (9 + 1.5**2))


def test_restricted_and_excluded_loss_of_the_closed_form():
    L = sum_logits(P, {2: 6.0, 5: 6.0})
    mask = torch.rand(P, P, generator=torch.Generator().manual_seed(0)) < 0.4
    labels = (torch.arange(P)[:, None] + torch.arange(P)[None, :]) % P
    full = torch.nn.functional.cross_entropy(L.reshape(-1, P), labels.reshape(-1)).item()
    assert fo.restricted_loss(L, [2, 5]) == pytest.approx(full)
    assert fo.excluded_loss(L, [2, 5], mask) == pytest.approx(math.log(P))  # nothing left: uniform
    assert fo.excluded_loss(L, [2], mask) > fo.excluded_loss(L, [], mask)


def test_key_component_of_all_frequencies_keeps_any_function_of_a_plus_b():
    g = torch.Generator().manual_seed(3)
    per_sum = torch.randn(P, P, generator=g, dtype=torch.float64)  # [a+b mod p, c]
    r = torch.arange(P)
    L = per_sum[(r[:, None] + r[None, :]) % P]
    kept = L.mean((0, 1), keepdim=True) + fo.key_component(L, list(range(1, fo.n_frequencies(P) + 1)))
    assert torch.allclose(kept, L, atol=1e-10)


def test_neuron_shares_of_pure_and_mixed_neurons():
    a = torch.arange(P, dtype=torch.float64)
    w = lambda k: 2 * math.pi * k / P  # noqa: E731
    pure = torch.cos(w(3) * a)[:, None] * torch.sin(w(3) * a)[None, :]
    mixed = torch.cos(w(1) * a)[:, None] + torch.cos(w(4) * a)[None, :]
    const = torch.ones(P, P, dtype=torch.float64)
    shares = fo.neuron_frequency_shares(torch.stack([pure, mixed, const], -1))
    assert shares.shape == (3, fo.n_frequencies(P))
    assert shares[0, 2] == pytest.approx(1.0) and shares[0].sum() == pytest.approx(1.0)
    assert shares[1, 0] == pytest.approx(0.5) and shares[1, 3] == pytest.approx(0.5)
    assert float(shares[2].abs().sum()) == 0.0
    clusters = fo.neuron_clusters(torch.stack([pure, mixed, const], -1))
    assert clusters["tuned"].tolist() == [True, False, False]
    assert clusters["tuned_fraction"] == pytest.approx(1 / 3) and clusters["counts"] == {3: 1}


def test_logit_table_is_indexed_a_b_c():
    task = ModularArithmetic(p=7, equals_token=True)
    run = train(TrainConfig(task=task, model=TransformerConfig(d_model=8, n_heads=2, d_mlp=8), steps=2,
                            device="cpu"), progress=False)
    L = fo.logit_table(run.model, task)
    with torch.no_grad():
        direct = run.model(torch.tensor([[3, 5, 7]]))[0]
    assert torch.allclose(L[3, 5].float(), direct, atol=1e-6)


def test_snapshots_give_progress_measures_along_training():
    task = ModularArithmetic(p=11, train_fraction=0.5, equals_token=True)
    cfg = TrainConfig(task=task, model=TransformerConfig(d_model=16, n_heads=2, d_mlp=32), steps=20,
                      log_points=5, log_grid="linear", device="cpu")
    run = train(cfg, progress=False, diagnostics={"fourier": fo.fourier_snapshot()})
    assert run.history["fourier.logits"].shape == (5, 11, 11, 11)
    measures = fo.progress_measures(run.history, task, [1, 2], fo.train_mask(run.data, 11))
    assert set(measures) == {"restricted_loss", "excluded_loss", "gini", "trig_r2", "key_norm_share"}
    assert all(len(v) == 5 and np.all(np.isfinite(v)) for v in measures.values())
    mask = fo.train_mask(run.data, 11)
    assert int(mask.sum()) == run.data.n_train
    with pytest.raises(ValueError, match="fourier_snapshot"):
        fo.progress_measures(run.history, task, [1], mask, column="other")


@pytest.mark.parametrize("k", [0, 7, -1, 2.5, True])
def test_frequency_outside_range_is_refused(k):
    with pytest.raises(ValueError, match=r"k must be an integer frequency in 1…6"):
        fo.project_onto_frequency(circle(P, 1), k, P)


def test_bad_inputs_name_the_parameter():
    L = sum_logits(P, {2: 1.0})
    with pytest.raises(ValueError, match="p \\(the modulus\\)"):
        fo.fourier_basis(2)
    with pytest.raises(ValueError, match="keys must be an integer frequency"):
        fo.restricted_loss(L, [0])
    with pytest.raises(ValueError, match="keys must not repeat"):
        fo.trig_fit(L, [2, 2])
    with pytest.raises(ValueError, match="logits must be a \\(p, p, p\\)"):
        fo.restricted_loss(L[0], [2])
    with pytest.raises(ValueError, match="mask must be"):
        fo.excluded_loss(L, [2], torch.zeros(P, P, dtype=torch.bool))
    with pytest.raises(ValueError, match="embedding must have shape"):
        fo.key_frequencies(torch.zeros(P + 1, 3), P)
    with pytest.raises(ValueError, match="embedding must be a \\(p, d\\)"):
        fo.embedding_fourier_norms(torch.zeros(P))
    with pytest.raises(ValueError, match="ratio must be > 1"):
        fo.key_frequencies(circle(P, 1), P, ratio=1.0)
    with pytest.raises(ValueError, match="floor must lie"):
        fo.key_frequencies(circle(P, 1), P, floor=1.0)
    with pytest.raises(ValueError, match="values must be"):
        fo.gini([1.0, -1.0])
    with pytest.raises(ValueError, match="neurons must have shape"):
        fo.neuron_frequency_shares(torch.zeros(P, P))
    with pytest.raises(ValueError, match="threshold must lie"):
        fo.neuron_clusters(torch.zeros(P, P, 2), threshold=1.0)


def test_non_modular_task_is_refused():
    with pytest.raises(ValueError, match="task must be ModularArithmetic"):
        fo.check_task(SparseParity(n_bits=4, k=2, n_samples=8))
    with pytest.raises(ValueError, match="task.operation must be '\\+'"):
        fo.logit_table(torch.nn.Linear(2, 2), ModularArithmetic(p=7, operation="*"))
    run = train(TrainConfig(task=SparseParity(n_bits=4, k=2, n_samples=8), model=MLPConfig(width=4), steps=1,
                            device="cpu"), progress=False)
    with pytest.raises(ValueError, match="task must be ModularArithmetic"):
        train(run.config, progress=False, diagnostics={"fourier": fo.fourier_snapshot()})


def test_locate_phases_applies_the_stated_rules():
    history = {"step": np.array([0, 10, 20, 30, 40, 50])}
    # restricted loss from t_circuit: e^1 → e^0.8 → e^-1 → e^-3 → e^-3 (ln descent 4): 10% at ln 0.6,
    # reached at 40 (the first step below it), 90% at ln −2.6, reached at 50
    measures = {"excluded_loss": np.array([4.0, 1.0, 0.5, 2.0, 5.0, 6.0]),
                "restricted_loss": np.exp([0.0, 2.0, 1.0, 0.8, -1.0, -3.0])}
    assert fo.locate_phases(history, measures) == {"t_circuit": 20, "t_formed": 40, "t_clean": 50}
    assert fo.locate_phases(history, measures, start=0.04) == {"t_circuit": 20, "t_formed": 30,
                                                               "t_clean": 50}
    measures["restricted_loss"] = np.full(6, 3.0)   # never falls: no formation, no cleanup
    assert fo.locate_phases(history, measures) == {"t_circuit": 20, "t_formed": None, "t_clean": None}
    assert fo.first_below(history, measures["excluded_loss"], 0.8) == 20
    assert fo.first_below(history, measures["excluded_loss"], 0.1) is None
    with pytest.raises(ValueError, match="0 < start < end < 1"):
        fo.locate_phases(history, measures, end=1.5)


def test_phase_changes_split_a_fall_between_the_phases():
    from grokbook.history import History

    history = History({"step": np.array([0, 10, 20, 30, 40]),
                       "test_loss": np.array([1.0, 8.0, 8.0, 4.0, 0.5]),
                       "weight_norm": np.array([5.0, 9.0, 10.0, 9.0, 6.0])})
    phases = {"t_circuit": 10, "t_formed": 20, "t_clean": 40}
    loss = fo.phase_changes(history, phases, "test_loss", log=True)
    assert loss["formation"] == pytest.approx(0.0)
    assert loss["cleanup"] == pytest.approx(np.log(0.5 / 8.0))
    assert loss["cleanup_share"] == pytest.approx(1.0)
    norm = fo.phase_changes(history, phases, "weight_norm")
    assert norm["formation"] == pytest.approx(1.0) and norm["cleanup_share"] == pytest.approx(4 / 3)
    missing = fo.phase_changes(history, {"t_circuit": 10, "t_formed": None, "t_clean": None}, "test_loss")
    assert np.isnan(missing["cleanup_share"])


def test_attention_table_reads_the_equals_position():
    task = ModularArithmetic(p=7, equals_token=True)
    run = train(TrainConfig(task=task, model=TransformerConfig(d_model=8, n_heads=2, d_mlp=8), steps=2,
                            device="cpu"), progress=False)
    table = fo.attention_table(run.model, task)
    assert table.shape == (2, 7, 7)
    cache = {}
    with torch.no_grad():
        run.model(torch.tensor([[4, 2, 7]]), cache=cache)
    assert torch.allclose(table[:, 4, 2].float(), cache["attention"][0, :, 0], atol=1e-6)
    with pytest.raises(ValueError, match="equals_token must be True"):
        fo.attention_table(run.model, ModularArithmetic(p=7))


# -- host/device mix-ups, caught without a GPU ------------------------------------------------------------
# The 'meta' device plays the accelerator: its tensors have shapes but no data, so `.numpy()` on one raises,
# an elementwise op with a CPU tensor raises, and a matmul with a CPU tensor (which PyTorch lets through)
# returns a CPU tensor, which the device checks below catch. On a machine with CUDA the same test runs there.
DEVICES = ["meta"] + (["cuda"] if torch.cuda.is_available() else [])


def _on(tensor, device):
    return tensor.device.type == torch.device(device).type


@pytest.mark.parametrize("device", DEVICES)
def test_tensor_diagnostics_compute_on_the_device_of_their_input(device):
    p = 11
    E = torch.randn(p, 6, dtype=torch.float64).to(device)
    logits = torch.randn(p, p, p).to(device)
    mask = torch.rand(p, p).lt(0.5).to(device)
    outputs = {"fourier_basis": fo.fourier_basis(p, device), "norms": fo.embedding_fourier_norms(E),
               "keep": fo.keep_frequencies(E, [1, 4]), "plane": fo.project_onto_frequency(E, 2, p),
               "key_component": fo.key_component(logits, [1, 3]), "loss": fo.table_loss(logits),
               "train_loss": fo.table_loss(logits, mask),
               "shares": fo.neuron_frequency_shares(torch.randn(p, p, 4).to(device)),
               "fit": fo.trig_fit(logits, [2])["fitted"] if device != "meta" else logits}
    for name, out in outputs.items():
        assert _on(out, device), f"{name} left the {device} device"


@pytest.mark.parametrize("device", DEVICES)
def test_model_diagnostics_compute_on_the_model_device(device, monkeypatch):
    from grokbook.diagnostics import progress

    task = ModularArithmetic(p=7, equals_token=True)
    run = train(TrainConfig(task=task, model=TransformerConfig(d_model=8, n_heads=2, d_mlp=8), steps=2,
                            device="cpu"), progress=False)
    model = run.model.to(device)
    for name, out in {"logits": fo.logit_table(model, task), "neurons": fo.neuron_table(model, task),
                      "attention": fo.attention_table(model, task),
                      "W_L": fo.neuron_logit_map(model, task.p),
                      "mask": fo.train_mask(run.data.to(device, torch.float32), task.p)}.items():
        assert _on(out, device), f"{name} left the {device} device"
    seen = []   # the snapshot computes on the device and crosses to the host in one place only

    def host(tensor):
        seen.append(tensor.device.type)
        return np.zeros(tuple(tensor.shape), dtype=np.float32)
    monkeypatch.setattr(progress, "_host", host)
    snap = fo.fourier_snapshot()(SimpleNamespace(model=model, config=run.config))
    assert seen == [torch.device(device).type] * 2 and snap["logits"].shape == (7, 7, 7)


def test_keep_frequencies_projects_onto_the_chosen_ones():
    p = 11
    x = torch.arange(p, dtype=torch.float64)
    two, five = torch.cos(2 * math.pi * 2 * x / p), torch.sin(2 * math.pi * 5 * x / p)
    E = torch.stack([3.0 + two + five, two], 1)
    kept = fo.keep_frequencies(E, [2])
    assert torch.allclose(kept, torch.stack([3.0 + two, two], 1), atol=1e-12)
    assert fo.frequency_rows(p, [0, 2]).tolist() == [0, 3, 4]
    with pytest.raises(ValueError, match="keys must not repeat"):
        fo.keep_frequencies(E, [2, 2])


def test_ablated_loss_is_the_own_loss_when_every_frequency_is_kept():
    task = ModularArithmetic(p=7, equals_token=True)
    run = train(TrainConfig(task=task, model=TransformerConfig(d_model=8, n_heads=2, d_mlp=8), steps=3,
                            device="cpu"), progress=False)
    own = float(fo.table_loss(fo.logit_table(run.model, task)))
    assert fo.ablated_loss(run.model, task, [1, 2, 3]) == pytest.approx(own, abs=1e-5)
    assert fo.ablated_loss(run.model, task, [1]) != pytest.approx(own, abs=1e-5)
    assert torch.equal(run.model.W_E, run.model.W_E)  # the model itself is untouched (a copy is ablated)
    with pytest.raises(ValueError, match="no token embedding W_E"):
        fo.ablated_loss(torch.nn.Linear(2, 2), task, [1])


def test_neuron_logit_map_is_w_out_times_w_u():
    task = ModularArithmetic(p=7, equals_token=True)
    run = train(TrainConfig(task=task, model=TransformerConfig(d_model=8, n_heads=2, d_mlp=6), steps=1,
                            device="cpu"), progress=False)
    W_L = fo.neuron_logit_map(run.model, 7)
    assert W_L.shape == (7, 6)
    assert torch.allclose(W_L, (run.model.W_out @ run.model.W_U).T[:7].double())
    with pytest.raises(ValueError, match="has no W_out"):
        fo.neuron_logit_map(torch.nn.Linear(2, 2), 7)
