"""Sphinx extension for grokbook's HTML book: pages that need no network and know they are the book.

* plotly.js (the static twins' slider figures) is copied once from the installed ``plotly`` package into
  ``_static/`` and loaded only by the pages that hold a plotly figure; each figure carries its data and
  no copy of the library.
* ``grokbook.css`` (next to this file) is copied to ``_static/`` and linked from every page: printed
  output wraps at the output area's edge instead of being cut there.
* ``GROKBOOK_HTML_BUILD=1`` is set for the kernels that execute the chapters, so ``grokbook.twins``
  writes figures that use that one copy, and live panels (which need a kernel) leave a one-line pointer
  to the launch button instead of an empty area.

MathJax is served from the site by ``sphinx-mathjax-offline`` (listed next to this one in _config.yml).
"""
from __future__ import annotations

import os
from pathlib import Path

PLOTLY_JS = "plotly.min.js"
CSS = "grokbook.css"


def _write_static(app, exception) -> None:
    if exception is None and app.builder.format == "html":
        import plotly.offline

        static = Path(app.outdir) / "_static"
        static.mkdir(parents=True, exist_ok=True)
        (static / PLOTLY_JS).write_text(plotly.offline.get_plotlyjs(), encoding="utf-8")
        (static / CSS).write_text((Path(__file__).parent / CSS).read_text(encoding="utf-8"),
                                  encoding="utf-8")


def _add_plotly(app, pagename, templatename, context, doctree) -> None:
    if "plotly-graph-div" in context.get("body", ""):
        app.add_js_file(PLOTLY_JS, priority=100)


def setup(app):
    os.environ["GROKBOOK_HTML_BUILD"] = "1"
    app.add_css_file(CSS)
    app.connect("html-page-context", _add_plotly)
    app.connect("build-finished", _write_static)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
