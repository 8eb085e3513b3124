"""K₀ of a classifier on modular arithmetic: reference levels of alignment with known values, the
class contrast of planted kernels, the shared-token memorizer scoring 0 by construction, the
scale-free output correlation, and a lazy network agreeing with its own large-α twin."""
import math

import numpy as np
import pytest
import torch

from grokbook import MLPConfig, ModularArithmetic, TrainConfig, train_ensemble, vary
from grokbook.diagnostics.class_kernels import (class_contrast, class_kernel_baseline,
                                                identity_alignment, memorizer_agreement,
                                                output_correlation, shared_token_vote,
                                                heldout_outputs)
from grokbook.diagnostics.kernels import kernel_target_alignment
from grokbook.history import History

torch.set_num_threads(1)


def test_identity_alignment_is_the_identity_kernels_and_has_closed_forms():
    rng = torch.Generator().manual_seed(0)
    y = torch.randint(0, 5, (40,), generator=rng)
    assert identity_alignment(y) == pytest.approx(
        kernel_target_alignment(torch.eye(40, dtype=torch.float64), y), abs=1e-12)
    balanced = torch.arange(30) % 6            # 6 classes of 5: √((C−1)/(n−1))
    assert identity_alignment(balanced) == pytest.approx(math.sqrt(5 / 29), abs=1e-12)
    real = torch.randn(17, generator=rng)      # one real target: 1/√(n−1)
    assert identity_alignment(real) == pytest.approx(1 / 4, abs=1e-12)


def _shared_count_kernel(x):
    # 1 + (number of token positions two examples share): an infinitely wide K₀'s shape
    return 1 + (x[:, None, :] == x[None, :, :]).double().sum(-1)


def test_class_contrast_of_planted_kernels():
    y = torch.arange(24) % 4
    assert class_contrast(torch.eye(24), y) == pytest.approx(0.0, abs=1e-12)
    assert class_contrast((y[:, None] == y).double(), y) == pytest.approx(1.0, abs=1e-12)
    assert class_contrast(-(y[:, None] == y).double() + 2 * torch.eye(24), y) == pytest.approx(-1.0)
    # a+b mod p on the full table: same-answer pairs share no token, so the contrast is the
    # different-answer pairs' mean shared count (2(p−1)/(p²−p) per pair, exactly) over the diagonal 3
    p = 7
    pairs = torch.cartesian_prod(torch.arange(p), torch.arange(p))
    kernel, labels = _shared_count_kernel(pairs), pairs.sum(1) % p
    different = labels[:, None] != labels
    expected = -float((kernel[different] - 1).mean()) / 3
    assert class_contrast(kernel, labels) == pytest.approx(expected, abs=1e-12)
    assert expected < 0


def test_the_shared_token_memorizer_never_names_the_true_answer():
    data = ModularArithmetic(p=11, train_fraction=0.5).build(seed=1)
    votes = shared_token_vote(data.x_train, data.y_train, data.x_test, 11)
    assert votes.shape == (len(data.y_test), 11)
    assert torch.all(votes.gather(1, data.y_test[:, None]) == 0)   # the true answer gets no vote
    assert float((votes.argmax(1) == data.y_test).double().mean()) == 0.0
    # each test pair gets one vote per training pair sharing a, one per pair sharing b
    shared = ((data.x_test[:, None, 0] == data.x_train[None, :, 0]).sum(1)
              + (data.x_test[:, None, 1] == data.x_train[None, :, 1]).sum(1))
    assert torch.equal(votes.sum(1), shared.double())


def test_output_correlation_is_blind_to_scale_and_row_shift_only():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(50, 7))
    assert output_correlation(3 * a + rng.normal(size=(50, 1)), a) == pytest.approx(1.0)
    assert output_correlation(-a, a) == pytest.approx(-1.0)
    assert abs(output_correlation(rng.normal(size=(2000, 7)), rng.normal(size=(2000, 7)))) < 0.05


def test_class_kernel_baseline_on_modular_addition():
    task = ModularArithmetic(p=11, train_fraction=0.5)
    row = class_kernel_baseline(task, MLPConfig(width=32, activation="quadratic", bias=False), 0)
    assert row["vote_acc"] == 0.0 and row["chance"] == pytest.approx(1 / 11)
    assert row["k0_acc"] <= row["chance"]                  # K₀ regression is below chance too
    assert row["contrast"] < 0 < row["identity_alignment"]
    assert -1 <= row["k0_vote"] <= 1 and -1 <= row["alignment"] <= 1


def test_a_lazy_network_agrees_with_its_large_alpha_twin_and_a_rich_one_does_not():
    task = ModularArithmetic(p=11, train_fraction=0.5)
    base = TrainConfig(task=task, model=MLPConfig(width=32, activation="quadratic", bias=False),
                       optimizer="sgd", lr=20.0, weight_decay=0.0, loss="mse", steps=300,
                       log_points=12, output_scale=1.0)
    rich, lazy, twin = train_ensemble([vary(base, output_scale=a) for a in (1.0, 100.0, 1000.0)],
                                      diagnostics={"out": heldout_outputs()}, progress=False)
    assert memorizer_agreement(twin, twin)["twin"] == pytest.approx(1.0)
    assert memorizer_agreement(lazy, twin)["twin"] > 0.99
    assert memorizer_agreement(rich, twin)["twin"] < 0.9
    assert math.isnan(memorizer_agreement(lazy, twin)["kernel_change"])   # ntk not logged
    with pytest.raises(ValueError, match="share a seed"):
        memorizer_agreement(lazy, train_ensemble([vary(base, seed=1, output_scale=1e3)],
                                                 diagnostics={"out": heldout_outputs()},
                                                 progress=False)[0])


@pytest.mark.parametrize("call, message", [
    (lambda: identity_alignment(torch.tensor([1])), "at least two"),
    (lambda: identity_alignment(torch.zeros(4)), "zero"),
    (lambda: class_contrast(torch.eye(3)[:2], torch.tensor([0, 1])), "square"),
    (lambda: class_contrast(torch.eye(3), torch.tensor([0.0, 1.0, 1.0])), "class ids"),
    (lambda: class_contrast(torch.eye(3), torch.tensor([0, 1, 2])), "two examples"),
    (lambda: class_contrast(-torch.eye(2), torch.tensor([0, 0])), "two examples"),
    (lambda: class_contrast(-torch.eye(3), torch.tensor([0, 0, 1])), "positive mean"),
    (lambda: shared_token_vote(torch.zeros(2, 2, dtype=torch.long), torch.tensor([0, 1]),
                               torch.zeros(1, 3, dtype=torch.long), 2), "positions"),
    (lambda: shared_token_vote(torch.zeros(2, 2, dtype=torch.long), torch.tensor([0, 1]),
                               torch.zeros(1, 2, dtype=torch.long), 1), "n_classes"),
    (lambda: output_correlation(np.ones((2, 3)), np.eye(2, 3)), "same score"),
    (lambda: output_correlation(np.ones(3), np.ones(3)), r"\(m, C\)"),
])
def test_bad_input(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_memorizer_agreement_says_which_diagnostic_it_needs():
    from types import SimpleNamespace

    history, config = History({"step": np.array([0])}), SimpleNamespace(seed=0)
    with pytest.raises(ValueError, match=r"diagnostics=\{'out': heldout_outputs\(\)\}"):
        memorizer_agreement(SimpleNamespace(history=history, data=None, config=config),
                            SimpleNamespace(history=history, config=config))
