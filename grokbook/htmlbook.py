"""Whether code runs while the HTML book is being built: outputs there are read with no kernel.

The book's Sphinx extension (``_ext/grokbook_html.py``) sets ``GROKBOOK_HTML_BUILD=1`` for the kernels
that execute the chapters. Progress bars are then off (a widget with no kernel is an empty area), static
twins use the one copy of plotly.js the book ships, and live panels leave a pointer to the launch button.
"""
from __future__ import annotations

import os

__all__ = ["HTML_BUILD_VARIABLE", "in_html_book"]

HTML_BUILD_VARIABLE = "GROKBOOK_HTML_BUILD"


def in_html_book() -> bool:
    """True while the book's HTML build executes the chapter (``GROKBOOK_HTML_BUILD=1``).

    >>> import os; os.environ.pop("GROKBOOK_HTML_BUILD", None) and None; in_html_book()
    False
    """
    return os.environ.get(HTML_BUILD_VARIABLE) == "1"
