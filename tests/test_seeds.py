"""Seeds shift with GROKBOOK_SEED_OFFSET, and a bad value says what is wrong."""
import pytest

from grokbook.seeds import seed, seed_offset, seeds


def test_offset_shifts_every_seed(monkeypatch):
    monkeypatch.delenv("GROKBOOK_SEED_OFFSET", raising=False)
    assert seed_offset() == 0 and seeds(3) == [0, 1, 2]
    monkeypatch.setenv("GROKBOOK_SEED_OFFSET", "2")
    assert seed() == 2 and seeds(3, start=1) == [3, 4, 5]


def test_bad_offset_and_count_raise(monkeypatch):
    monkeypatch.setenv("GROKBOOK_SEED_OFFSET", "one")
    with pytest.raises(ValueError, match="must be an integer, got 'one'"):
        seed()
    monkeypatch.delenv("GROKBOOK_SEED_OFFSET")
    with pytest.raises(ValueError, match="n must be ≥ 1"):
        seeds(0)
