"""The built book as a reader gets it: pages that need no network, no warning text, figures on every
chapter page, the title first, the maths and the slider figures served from the site.

Runs over ``_build/html`` (or ``GROKBOOK_HTML_DIR``) after ``jupyter-book build .``; ``.ci/run`` runs it
right after the build. Skipped only when no book was built, and never in CI (``CI=true``), where a
missing build fails.
"""
import os
import re
from pathlib import Path

import pytest
import yaml
from bs4 import BeautifulSoup

ROOT = Path(__file__).resolve().parents[1]
HTML = Path(os.environ.get("GROKBOOK_HTML_DIR", ROOT / "_build" / "html"))
TOC = yaml.safe_load((ROOT / "_toc.yml").read_text())
CHAPTERS = [entry["file"] for part in TOC["parts"] for entry in part["chapters"]]
PAGES = [TOC["root"]] + CHAPTERS
EXTERNAL = re.compile(r"^(https?:)?//", re.I)

if not (HTML / "index.html").exists():
    if os.environ.get("CI") == "true":
        raise RuntimeError(f"no built book at {HTML}: CI must build it before running tests/test_html.py")
    pytest.skip(f"no built book at {HTML} (run `jupyter-book build .` first)", allow_module_level=True)


def _soup(page: str) -> BeautifulSoup:
    return BeautifulSoup((HTML / f"{page}.html").read_text(encoding="utf-8"), "html.parser")


@pytest.fixture(scope="module", params=PAGES)
def page(request):
    return request.param, _soup(request.param)


def _outputs(soup: BeautifulSoup) -> list:
    return soup.select("div.cell_output")


def test_every_page_of_the_table_of_contents_was_built():
    assert [p for p in PAGES if not (HTML / f"{p}.html").exists()] == []


def test_no_script_stylesheet_or_font_is_loaded_from_another_site(page):
    name, soup = page
    loaded = [tag.get("src") for tag in soup.find_all(["script", "iframe", "img"]) if tag.get("src")]
    loaded += [tag.get("href") for tag in soup.find_all("link")
               if tag.get("href") and set(tag.get("rel", [])) & {"stylesheet", "preload", "modulepreload"}]
    external = [url for url in loaded if EXTERNAL.match(url)]
    assert not external, f"{name} loads {external}: serve them from the site"
    inline = " ".join(tag.get_text() for tag in soup.find_all(["script", "style"]) if not tag.get("src"))
    assert not re.search(r"(@import|url\()\s*['\"]?(https?:)?//", inline), f"{name}: CSS from another site"


def test_static_files_load_nothing_from_another_site():
    for path in list((HTML / "_static").rglob("*.css")):
        text = path.read_text(encoding="utf-8", errors="replace")
        assert not re.search(r"(@import\s+(url\()?|url\()\s*['\"]?(https?:)?//", text), path


def test_maths_is_rendered_by_a_local_mathjax(page):
    name, soup = page
    if not soup.select(".math"):
        return
    sources = [tag["src"] for tag in soup.find_all("script", src=True) if "mathjax" in tag["src"].lower()]
    assert sources and all(not EXTERNAL.match(src) for src in sources), sources
    script = (HTML / name).parent / sources[0].split("?")[0]
    assert script.resolve().exists(), f"{name}: {sources[0]} is not in the built site"


def test_no_warning_or_stderr_text_in_outputs(page):
    name, soup = page
    warned = [o.get_text()[:200] for o in _outputs(soup) if "Warning" in o.get_text()]
    assert not warned, f"{name} shows warning text: {warned}"
    assert not soup.select("div.cell_output .stderr, div.cell_output .output.stderr"), f"{name}: stderr output"
    assert not soup.select("div.cell_output .traceback, div.cell_output .output.traceback"), name


def test_generated_prose_has_no_raw_tex(page):
    """grokbook.report's Markdown is parsed as MyST, so its $…$ becomes maths like the chapter's own text."""
    name, soup = page
    for output in _outputs(soup):
        for math in output.select(".math"):
            math.decompose()
        raw = re.findall(r"\$[^$\n]*[\\_^{][^$\n]*\$", output.get_text())
        assert not raw, f"{name} shows raw TeX in an output: {raw[:3]}"


def test_the_title_comes_first_and_is_numbered_once(page):
    name, soup = page
    article = soup.select_one("article") or soup
    first_heading = article.find(["h1", "h2"])
    first_cell = article.select_one("div.cell")
    assert first_heading is not None and first_heading.name == "h1", f"{name}: the page opens with no H1"
    if first_cell is not None:
        headings = article.find_all(["h1"]) + [first_cell]
        order = [tag for tag in article.find_all(True) if tag in headings]
        assert order[0] is first_heading, f"{name}: a code cell comes before the title"
    title = first_heading.get_text(" ", strip=True)
    assert not re.match(r"^\d+(\.\d+)*\.?\s+\d", title), f"{name}: title numbered twice: {title!r}"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_every_chapter_page_has_figures(chapter):
    soup = _soup(chapter)
    images = [img for o in _outputs(soup) for img in o.find_all("img")]
    plotly = soup.select("div.plotly-graph-div")
    assert images or plotly, f"{chapter}: no figure in the outputs"


@pytest.mark.parametrize("chapter", CHAPTERS)  # every chapter of _toc.yml, new ones included
def test_every_chapter_page_has_a_static_twin_with_sliders(chapter):
    soup = _soup(chapter)
    twins = [div["id"] for div in soup.select('div.plotly-graph-div[id^="twin-"]')]
    assert twins, f"{chapter}: no static twin (grokbook.twins.static_twin) where the live panel is"
    scripts = [tag.get_text() for tag in soup.find_all("script") if not tag.get("src")]
    for twin in twins:
        calls = [text for text in scripts if f'"{twin}"' in text and "Plotly.newPlot" in text]
        assert calls and '"sliders"' in calls[0] and '"method":"restyle"' in calls[0], (
            f"{chapter}: twin {twin} has no slider that restyles its traces")


def test_code_and_printed_output_wrap_instead_of_being_cut(page):
    name, soup = page
    sheets = [tag["href"].split("?")[0] for tag in soup.find_all("link", rel="stylesheet")]
    ours = [href for href in sheets if href.endswith("grokbook.css")]
    assert ours, f"{name} does not link the book's stylesheet"
    css = ((HTML / name).parent / ours[0]).resolve().read_text(encoding="utf-8")
    for area in ("cell_input", "cell_output"):  # code (≤ 88 columns, fits at 1280 px) and printed output
        assert re.search(rf"div\.{area}[^{{]*pre[^{{]*\{{[^}}]*white-space:\s*pre-wrap", css), area


def test_no_page_shows_an_empty_widget_area(page):
    name, soup = page
    empty = soup.find_all("script", type="application/vnd.jupyter.widget-view+json")
    assert not empty, f"{name}: a live panel renders as an empty area; it must show the pointer"


def test_slider_figures_use_the_one_copy_of_plotly_shipped_with_the_book(page):
    name, soup = page
    figures = soup.select("div.plotly-graph-div")
    if not figures:
        return
    sources = [tag["src"] for tag in soup.find_all("script", src=True) if "plotly" in tag["src"]]
    assert len(sources) == 1 and not EXTERNAL.match(sources[0]), sources
    assert ((HTML / name).parent / sources[0].split("?")[0]).resolve().stat().st_size > 1_000_000
    inline = " ".join(tag.get_text() for tag in soup.find_all("script") if not tag.get("src"))
    assert inline.count("Plotly.newPlot") == len(figures) and "sliders" in inline
    assert len(inline) < 1_000_000, f"{name}: plotly.js inlined in the page"


def test_the_intro_opens_with_a_slider_figure_of_a_run():
    soup = _soup(TOC["root"])
    figures = soup.select("div.plotly-graph-div")
    assert figures, "the intro page has no slider figure"
    inline = " ".join(tag.get_text() for tag in soup.find_all("script") if not tag.get("src"))
    assert '"sliders"' in inline and "test accuracy" in inline
