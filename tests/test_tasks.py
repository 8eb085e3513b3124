import itertools

import pytest
import torch

from grokbook.tasks import ModularArithmetic, SparseParity, is_prime

PYTHON = {
    "+": lambda a, b, p: (a + b) % p,
    "-": lambda a, b, p: (a - b) % p,
    "*": lambda a, b, p: (a * b) % p,
    "/": lambda a, b, p: (a * pow(b, -1, p)) % p,
    "x^2+y^2": lambda a, b, p: (a**2 + b**2) % p,
    "x^2+xy+y^2": lambda a, b, p: (a**2 + a * b + b**2) % p,
    "x^3+xy": lambda a, b, p: (a**3 + a * b) % p,
    "x^3+xy^2+y": lambda a, b, p: (a**3 + a * b**2 + b) % p,
}


@pytest.mark.parametrize("operation", list(PYTHON))
def test_table_agrees_with_python_arithmetic(operation):
    p = 13
    x, y = ModularArithmetic(p=p, operation=operation).table()
    pairs = [(a, b) for a, b in itertools.product(range(p), range(p)) if operation != "/" or b != 0]
    assert x.tolist() == [list(ab) for ab in pairs]
    assert y.tolist() == [PYTHON[operation](a, b, p) for a, b in pairs]


def test_division_inverts_multiplication():
    p = 11
    x, y = ModularArithmetic(p=p, operation="/").table()
    assert torch.equal((y * x[:, 1]) % p, x[:, 0])


@pytest.mark.parametrize("fraction", [0.1, 0.3, 0.5, 0.9])
def test_split_is_disjoint_complete_and_sized(fraction):
    task = ModularArithmetic(p=23, train_fraction=fraction)
    data = task.build(seed=3)
    n = 23 * 23
    assert len(data.y_train) == round(fraction * n)
    assert len(data.y_train) + len(data.y_test) == n
    train = {tuple(r) for r in data.x_train.tolist()}
    test = {tuple(r) for r in data.x_test.tolist()}
    assert not train & test and len(train | test) == n


def test_split_is_deterministic_and_seed_dependent():
    task = ModularArithmetic(p=17, train_fraction=0.4)
    assert torch.equal(task.build(seed=1).x_train, task.build(seed=1).x_train)
    assert not torch.equal(task.build(seed=1).x_train, task.build(seed=2).x_train)


def test_equals_token_appends_p():
    data = ModularArithmetic(p=7, equals_token=True, train_fraction=0.5).build(0)
    assert data.x_train.shape[1] == 3 and (data.x_train[:, 2] == 7).all() and data.n_tokens == 8


def test_dataset_moves_to_device_and_dtype():
    data = ModularArithmetic(p=5, train_fraction=0.5).build(0).to("cpu", torch.float64)
    assert data.x_train.dtype == torch.long  # token ids stay integers


def test_sparse_parity_labels():
    data = SparseParity(n_bits=10, k=3, n_samples=200, train_fraction=0.5).build(seed=0)
    assert torch.equal(data.y_train, data.x_train[:, :3].sum(1) % 2)
    assert len(data.y_train) == 100 and data.n_outputs == 2


@pytest.mark.parametrize("n_bits, n_samples", [(6, 60), (6, 64), (30, 500)])
def test_sparse_parity_strings_are_distinct_and_the_split_disjoint(n_bits, n_samples):
    data = SparseParity(n_bits=n_bits, k=3, n_samples=n_samples, train_fraction=0.5).build(seed=1)
    every = torch.cat([data.x_train, data.x_test])
    assert len(torch.unique(every, dim=0)) == n_samples  # before: 36 of 60 distinct at n_bits = 6
    train = {tuple(r.tolist()) for r in data.x_train}
    assert not [r for r in data.x_test if tuple(r.tolist()) in train]
    assert torch.equal(data.y_test, data.x_test[:, :3].sum(1) % 2)


@pytest.mark.parametrize("kwargs, match", [
    (dict(p=1), "p .*≥ 2"),
    (dict(p=12, operation="/"), "prime"),
    (dict(operation="^"), "operation must be one of"),
    (dict(train_fraction=0.0), r"train_fraction .*\(0, 1\)"),
    (dict(train_fraction=1.0), r"train_fraction .*\(0, 1\)"),
    (dict(train_fraction=-0.2), r"train_fraction .*\(0, 1\)"),
])
def test_bad_task_settings_raise(kwargs, match):
    with pytest.raises(ValueError, match=match):
        ModularArithmetic(**kwargs)


def test_bad_parity_settings_raise():
    with pytest.raises(ValueError, match="k must lie"):
        SparseParity(n_bits=4, k=5)


def test_is_prime():
    assert [n for n in range(30) if is_prime(n)] == [2, 3, 5, 7, 11, 13, 17, 19, 23, 29]
