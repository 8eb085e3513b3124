"""GROKBOOK_PAPER_SCALE picks the sizes; budgets shrink only in a smoke run; bad values are named."""
import pytest
import torch

from grokbook.scale import budget, paper_scale, smoke_run


@pytest.mark.parametrize("value, cpu, cuda", [("", False, True), ("0", False, False), ("1", True, True),
                                              ("smoke", True, True)])
def test_paper_scale_follows_device_and_variable(monkeypatch, value, cpu, cuda):
    monkeypatch.setenv("GROKBOOK_PAPER_SCALE", value)
    assert paper_scale(torch.device("cpu")) is cpu and paper_scale(torch.device("cuda")) is cuda


def test_budget_is_cut_only_in_a_smoke_run(monkeypatch):
    monkeypatch.setenv("GROKBOOK_PAPER_SCALE", "1")
    assert budget(40_000) == 40_000 and not smoke_run()
    monkeypatch.setenv("GROKBOOK_PAPER_SCALE", "smoke")
    assert budget(40_000) == 30 and budget(10) == 10 and budget(500, smoke_steps=50) == 50


def test_bad_values_are_refused(monkeypatch):
    monkeypatch.setenv("GROKBOOK_PAPER_SCALE", "yes")
    with pytest.raises(ValueError, match="must be one of 0, 1 or smoke"):
        paper_scale(torch.device("cpu"))
    monkeypatch.delenv("GROKBOOK_PAPER_SCALE")
    with pytest.raises(ValueError, match="steps must be ≥ 1"):
        budget(0)
