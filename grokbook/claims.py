"""A chapter's claims, checked: each one a named rule over the measured numbers, with its control, the
outcome the prose expects, and a verdict table that fails the notebook the moment a sentence goes false.

A book chapter records every run-dependent statement here instead of typing it::

    verdict = Verdict("Softmax Collapse")
    verdict.check("float32 collapses before float64", t32 < t64, f"t_SC {t32} vs {t64}",
                  control="the same run in float64")
    verdict.share("⊥AdamW groks without weight decay", [r.grokked for r in ortho_runs],
                  at_least=2 / 3, control="softmax baseline, which does not grok")
    verdict.confirm()     # shows the table; raises ClaimContradicted naming every claim that flipped

``expect=False`` records a negative result that the prose states (the rule is still computed, and the
notebook fails if it starts to hold). ``measure`` records a number with no rule. Under ``pytest --nbval``
and in the book build a contradicted claim is an error, so no sentence can silently go false.
"""
from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Sequence

__all__ = ["Claim", "ClaimContradicted", "Outcome", "Verdict", "report", "share_text"]


class ClaimContradicted(AssertionError):
    """A claim's computed outcome differs from the outcome the chapter's prose states."""


@dataclass(frozen=True)
class Claim:
    """One checked statement: ``holds`` is computed from the runs (None for a plain measurement),
    ``expected`` is what the prose says (None: the prose states no outcome), ``control`` names the null
    model or control run the rule must beat."""

    statement: str
    measured: str
    holds: bool | None
    expected: bool | None
    control: str = ""

    @property
    def contradicted(self) -> bool:
        return self.holds is not None and self.expected is not None and self.holds != self.expected

    @property
    def outcome(self) -> str:
        return "measured" if self.holds is None else ("holds" if self.holds else "does not hold")


def share_text(outcomes: Sequence[bool], unit: str = "seeds") -> str:
    """``"3/3 seeds"``: how many of the outcomes are true.

    >>> share_text([True, False, True])
    '2/3 seeds'
    """
    return f"{sum(bool(o) for o in outcomes)}/{len(outcomes)} {unit}"


class Outcome:
    """Whether a claim held: true or false like a bool, and shown as nothing when it ends a cell (a
    claim's cell shows the claim in the verdict table, not a stray ``True``)."""

    __slots__ = ("holds",)

    def __init__(self, holds: bool) -> None:
        self.holds = bool(holds)

    def __bool__(self) -> bool:
        return self.holds

    def __eq__(self, other: object) -> bool:
        return self.holds == bool(other) if isinstance(other, (bool, Outcome)) else NotImplemented

    def __hash__(self) -> int:
        return hash(self.holds)

    def __repr__(self) -> str:
        return f"Outcome({self.holds})"

    def _ipython_display_(self) -> None:
        pass


class Verdict:
    """The claims of one chapter, in the order they were checked."""

    def __init__(self, chapter: str) -> None:
        self.chapter = chapter
        self.claims: list[Claim] = []

    def check(self, statement: str, holds: bool, measured: str, *, control: str, expect: bool | None = True
              ) -> Outcome:
        """Record a claim decided by ``holds`` (computed from the runs); returns whether it held.

        ``control`` names what the rule is measured against (a null model, a control run, a baseline):
        a rule that cannot come out the other way is not a claim, so it must be stated.
        """
        if not control:
            raise ValueError(f"claim {statement!r} names no control: say what the rule is measured against")
        holds = bool(holds)
        self.claims.append(Claim(statement, measured, holds, expect, control))
        return Outcome(holds)

    def share(self, statement: str, outcomes: Sequence[bool], *, at_least: float, control: str,
              measured: str = "", unit: str = "seeds", expect: bool | None = True) -> Outcome:
        """A claim over seeds: holds when the share of true ``outcomes`` is ≥ ``at_least`` (a fraction).

        The share is written into the measured text ("3/3 seeds"), so the prose never types it.
        """
        if not len(outcomes):
            raise ValueError(f"claim {statement!r} has no outcomes to count")
        if not 0 < at_least <= 1:
            raise ValueError(f"at_least is a fraction in (0, 1], got {at_least}")
        fraction = sum(bool(o) for o in outcomes) / len(outcomes)
        text = share_text(outcomes, unit) + (f"; {measured}" if measured else "")
        return self.check(statement, fraction >= at_least - 1e-12, text, control=control, expect=expect)

    def measure(self, statement: str, measured: str) -> None:
        """Record a measurement that the chapter reports without a rule (shown as "measured")."""
        self.claims.append(Claim(statement, measured, None, None, ""))

    def __getitem__(self, statement: str) -> Claim:
        for claim in self.claims:
            if claim.statement == statement:
                return claim
        raise KeyError(statement)

    @property
    def contradicted(self) -> list[Claim]:
        return [c for c in self.claims if c.contradicted]

    def _rows(self) -> list[tuple[str, str, str, str, str]]:
        rows = []
        for c in self.claims:
            expected = "—" if c.expected is None else ("holds" if c.expected else "does not hold")
            mark = {"holds": "✓ holds", "does not hold": "✗ does not hold", "measured": "· measured"}[c.outcome]
            rows.append((c.statement, mark, expected, c.measured, c.control))
        return rows

    def to_markdown(self) -> str:
        """The verdict table as Markdown (claim, outcome, what the text expects, measured, control)."""
        lines = [f"**Verdict: {self.chapter}**", "",
                 "| claim | outcome | the text says | measured | control |", "|---|---|---|---|---|"]
        for row in self._rows():
            lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |")
        return "\n".join(lines)

    def _repr_markdown_(self) -> str:
        return self.to_markdown()

    def _repr_html_(self) -> str:
        head = "".join(f"<th style='text-align:left'>{h}</th>"
                       for h in ("claim", "outcome", "the text says", "measured", "control"))
        body = "".join("<tr>" + "".join(f"<td style='text-align:left'>{html.escape(cell)}</td>" for cell in row)
                       + "</tr>" for row in self._rows())
        return (f"<p><b>Verdict: {html.escape(self.chapter)}</b></p>"
                f"<table class='grokbook-verdict'><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")

    def __str__(self) -> str:
        width = max((len(c.statement) for c in self.claims), default=10)
        return "\n".join(f"{mark:16s} {statement:{width}s}  {measured}"
                         for statement, mark, _, measured, _ in self._rows())

    def confirm(self) -> None:
        """Show the table, then raise :class:`ClaimContradicted` naming every claim whose computed outcome
        differs from what the text says. Call it last in the chapter's verdict cell."""
        _display(self)
        bad = self.contradicted
        from grokbook.scale import smoke_run

        if bad and smoke_run():  # a paper-size smoke run cuts every budget: it tests code paths, not claims
            print(f"smoke run: {len(bad)} claim(s) not enforced")
            return
        if bad:
            lines = [f"- {c.statement!r}: the text says it {'holds' if c.expected else 'does not hold'}, "
                     f"the runs say it {c.outcome} ({c.measured})" for c in bad]
            raise ClaimContradicted(f"{len(bad)} claim(s) of chapter {self.chapter!r} contradict the text:\n"
                                    + "\n".join(lines) + "\nFix the prose or the experiment, not the rule.")


def _display(obj) -> None:
    try:
        from IPython import get_ipython
        from IPython.display import display
    except ImportError:  # plain Python: print the text table
        print(obj)
        return
    if get_ipython() is None:
        print(obj)
    else:
        display(obj)


class _Markdown:
    def __init__(self, text: str) -> None:
        self.text = text

    def _repr_markdown_(self) -> str:
        return self.text

    def __str__(self) -> str:
        return self.text


def report(text: str) -> None:
    """Show Markdown generated from the runs (prose whose numbers or wording depend on them).

    In the book the cell's input is hidden (tag ``remove-input``), so the reader sees only the sentence.
    """
    _display(_Markdown(text))
