"""The book's structure: every chapter listed, stored without outputs, opening with the shared setup cell."""
import json
import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text())
TOC = yaml.safe_load((ROOT / "_toc.yml").read_text())
CHAPTERS = [entry["file"] for part in TOC["parts"] for entry in part["chapters"]]
NOTEBOOKS = sorted(ROOT.glob("book/*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_chapter_opens_with_its_title_and_is_numbered_once(path):
    first = "".join(json.loads(path.read_text())["cells"][0]["source"])
    assert first.startswith("# "), "the chapter's H1 title is its first cell"
    assert not re.match(r"# \d", first), "_toc.yml numbers the chapters: the title carries no number"


def test_every_notebook_is_in_the_table_of_contents():
    assert sorted(f"book/{p.stem}" for p in NOTEBOOKS) == sorted(CHAPTERS + [TOC["root"]])
    assert (ROOT / f"{TOC['root']}.ipynb").exists(), "the intro is an executed notebook (its figure is a run)"


# The book's code column shows 88 characters; a longer line is cut at its right edge. Hidden cells too:
# they are what a reader sees on Colab.
MAX_CODE_LINE = 88


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_code_lines_fit_the_code_column(path):
    cells = json.loads(path.read_text())["cells"]
    long = [(i, len(line), line) for i, c in enumerate(cells) if c["cell_type"] == "code"
            for line in "".join(c["source"]).splitlines() if len(line) > MAX_CODE_LINE]
    assert not long, f"code lines over {MAX_CODE_LINE} characters:\n" + "\n".join(
        f"  cell {i} ({n} chars): {line[:100]}" for i, n, line in long)


# Code cells stay short: about 12 lines, longer only for one statement (a figure, a claim) that cannot
# be cut; the setup cell, hidden in the book, is exempt.
MAX_CELL_LINES = 19


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_code_cells_are_short(path):
    cells = json.loads(path.read_text())["cells"]
    sizes = [len("".join(c["source"]).splitlines()) for c in cells if c["cell_type"] == "code"
             and "remove-cell" not in c.get("metadata", {}).get("tags", [])]
    assert max(sizes) <= MAX_CELL_LINES and sum(n > 12 for n in sizes) <= 3, sizes


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_is_stored_without_outputs(path):
    cells = json.loads(path.read_text())["cells"]
    assert not [i for i, c in enumerate(cells) if c["cell_type"] == "code" and (c["outputs"] or c["execution_count"])]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_setup_cell_installs_from_the_configured_repository(path):
    notebook = json.loads(path.read_text())
    setup_cell = next(c for c in notebook["cells"] if c["cell_type"] == "code")
    setup = "".join(setup_cell["source"])
    assert "remove-cell" in setup_cell["metadata"].get("tags", []), "the setup cell is hidden in the book"
    url = re.search(r'REPO = "([^"]+)"', setup)
    assert url and url.group(1) == CONFIG["repository"]["url"]
    assert "pick_device()" in setup and "find_spec(\"grokbook\")" in setup
    assert notebook["metadata"]["kernelspec"]["name"] == "python3"


# A number typed next to a run quantity is a claim nobody checks. Prose must generate it from the run
# (grokbook.report in a cell tagged remove-input) or back it by a Verdict claim. Figures quoted from a
# paper are allowed when the line labels them as the paper's: "(paper)" or "(paper: …)".
TYPED_RUN_NUMBER = re.compile(
    r"(\b\d[\d,.]*\s*(steps?|epochs?|×)(?=\W|$)"
    r"|\b(step|epoch|t_\w+|accuracy|norm)\s*(=|of|at|≈|is|reaches)?\s*\d[\d.,]*"
    r"|\b\d[\d.]*\s*%\s*(test |train )?accuracy)", re.I)
QUOTED = re.compile(r"\(paper\b", re.I)


def typed_run_numbers(markdown: str) -> list[str]:
    """The lines of a markdown cell that type a run-dependent number without labelling it a paper's."""
    return [line.strip() for line in markdown.splitlines()
            if TYPED_RUN_NUMBER.search(line) and not QUOTED.search(line)]


def test_the_scan_catches_typed_numbers_and_passes_quoted_ones():
    assert typed_run_numbers("the run groks at step 182, 17× after memorizing")
    assert typed_run_numbers("test accuracy 0.93 on seed 0")
    assert typed_run_numbers("it needs 2000 steps")
    assert not typed_run_numbers("Nanda et al. report cleanup at 9.4k epochs (paper).")
    assert not typed_run_numbers("the loss is $\\log p$ at chance; weight decay shrinks the norm")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_no_run_number_is_typed_in_prose(path):
    cells = json.loads(path.read_text())["cells"]
    typed = [(i, line) for i, c in enumerate(cells) if c["cell_type"] == "markdown"
             for line in typed_run_numbers("".join(c["source"]))]
    assert not typed, "typed run numbers (generate them or label them '(paper)'):\n" + "\n".join(
        f"  cell {i}: {line[:120]}" for i, line in typed)


def _code(path: Path) -> str:
    return "\n".join("".join(c["source"]) for c in json.loads(path.read_text())["cells"]
                     if c["cell_type"] == "code")


@pytest.mark.parametrize("chapter", CHAPTERS)  # every chapter of _toc.yml, new ones included
def test_every_chapter_has_a_static_twin_before_its_live_panel(chapter):
    code = _code(ROOT / f"{chapter}.ipynb")
    assert "static_twin(" in code, f"{chapter}: no static twin (grokbook.twins.static_twin) of its panel"
    panel = max(code.rfind("training_panel("), code.rfind("ControlPanel("))
    assert panel < 0 or code.find("static_twin(") < panel, f"{chapter}: the twin comes after the panel"
