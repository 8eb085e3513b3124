"""The claims module: a contradicted claim fails the chapter, a kept one does not, shares are counted."""
import pytest

from grokbook.claims import ClaimContradicted, Verdict, share_text


def test_a_claim_that_holds_as_the_text_says_passes():
    verdict = Verdict("demo")
    assert verdict.check("2 > 1", 2 > 1, "2 vs 1", control="1")
    verdict.check("1 > 2 (a negative the text states)", 1 > 2, "1 vs 2", control="2", expect=False)
    verdict.measure("a number", "42")
    verdict.confirm()
    assert [c.outcome for c in verdict.claims] == ["holds", "does not hold", "measured"]


def test_a_flipped_claim_raises_and_names_every_flipped_claim():
    verdict = Verdict("demo")
    verdict.check("first", False, "0.1", control="chance")
    verdict.check("second", True, "0.9", control="chance")
    verdict.check("third", True, "0.9", control="chance", expect=False)
    with pytest.raises(ClaimContradicted, match=r"(?s)2 claim\(s\).*'first'.*holds, the runs say it does not hold"
                                                r".*'third'.*does not hold, the runs say it holds") as err:
        verdict.confirm()
    assert "second" not in str(err.value)


def test_a_claim_must_name_its_control():
    with pytest.raises(ValueError, match="names no control"):
        Verdict("demo").check("x", True, "1", control="")


def test_share_counts_seeds_and_applies_the_threshold():
    verdict = Verdict("demo")
    assert verdict.share("most seeds grok", [True, True, False], at_least=2 / 3, control="wd 0")
    assert not verdict.share("all seeds grok", [True, True, False], at_least=1.0, control="wd 0", expect=False)
    assert verdict["most seeds grok"].measured == "2/3 seeds"
    assert share_text([True] * 3) == "3/3 seeds"
    with pytest.raises(ValueError, match="no outcomes"):
        verdict.share("empty", [], at_least=0.5, control="x")
    with pytest.raises(ValueError, match="fraction"):
        verdict.share("bad", [True], at_least=2, control="x")


def test_numpy_booleans_are_accepted_and_the_table_renders():
    import numpy as np

    verdict = Verdict("demo")
    verdict.check("a | b", np.bool_(True), "x|y", control="c")
    assert "✓ holds" in verdict.to_markdown() and "a \\| b" in verdict.to_markdown()
    assert "<table" in verdict._repr_html_() and "holds" in str(verdict)


def test_a_smoke_run_shows_claims_without_enforcing_them(monkeypatch):
    monkeypatch.setenv("GROKBOOK_PAPER_SCALE", "smoke")
    verdict = Verdict("demo")
    verdict.check("flipped", False, "0", control="x")
    verdict.confirm()  # no raise: budgets are cut in a smoke run


def test_an_outcome_is_a_bool_that_a_cell_does_not_show():
    from IPython.core.interactiveshell import InteractiveShell
    from IPython.utils.capture import capture_output
    verdict = Verdict("t")
    held, failed = verdict.check("a", True, "1", control="c"), verdict.check("b", False, "0", control="c")
    assert held and not failed and held == True and failed == False  # noqa: E712
    assert [bool(held), bool(failed)] == [True, False]
    shell = InteractiveShell.instance()
    shell.user_ns.update(held=held, plain=True)
    with capture_output() as plain:
        shell.run_cell("plain")
    with capture_output() as outcome:
        shell.run_cell("held")
    assert "True" in plain.stdout  # a bool ending a cell is shown …
    assert "True" not in outcome.stdout and "Outcome" not in outcome.stdout  # … an Outcome is not
