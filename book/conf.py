"""Sphinx configuration of the workbook as a static website: `make book` -> _build/book/.

Built with myst-nb from the notebooks' SAVED outputs (nothing is executed) and sphinx-book-theme.
The site works offline: MathJax 3 comes from the django-static-mathjax wheel (the official MathJax
distribution as static files, no Django needed) and is copied into _static/mathjax; the theme's
scripts and icons are bundled with it. tests/browser/test_book.py checks that no page makes a
request to another host.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import mathjax  # django-static-mathjax: MathJax 3 as files

project = "Inference Cost Workbook"
author = "the Inference Cost Workbook authors"
root_doc = "book/index"
# The source folder is the repository root; only these files are pages.
include_patterns = ["book/*.md", "notebooks/*.ipynb", "exercises/*.ipynb", "solutions/*.ipynb",
                    "workshop/*.md"]
exclude_patterns = ["_build", ".venv", "**/.ipynb_checkpoints"]
templates_path = ["_templates"]
html_additional_pages = {"index": "redirect.html"}  # _build/book/index.html -> the front page

extensions = ["myst_nb"]
nb_execution_mode = "off"  # the saved outputs are the book's outputs
nb_render_markdown_format = "myst"  # markdown outputs: dollars and math as in markdown cells
nb_merge_streams = True
myst_enable_extensions = ["dollarmath", "amsmath"]
myst_heading_anchors = 3  # links such as README.md#the-90-minute-agenda-90-minutes resolve
suppress_warnings = ["myst.header"]  # the workshop kit and some notebooks start below H1

html_theme = "sphinx_book_theme"
html_title = "Inference Cost Workbook"
html_theme_options = {
    "show_toc_level": 2,
    "use_download_button": True,
    "use_fullscreen_button": False,
}
html_last_updated_fmt = None
html_show_sourcelink = False

MATHJAX_ES5 = Path(mathjax.__file__).parent / "static" / "mathjax" / "es5"
MATHJAX_PARTS = ["tex-chtml.js", "input/tex", "output/chtml", "ui", "a11y", "adaptors"]
mathjax_path = "mathjax/tex-chtml.js"  # relative to _static


def _copy_mathjax(app, exception):
    """Put MathJax (script, TeX extensions, fonts) into the site so that math renders offline."""
    if exception is not None or app.builder.format != "html":
        return
    out = Path(app.outdir) / "_static" / "mathjax"
    for part in MATHJAX_PARTS:
        src = MATHJAX_ES5 / part
        if src.is_dir():
            shutil.copytree(src, out / part, dirs_exist_ok=True)
        else:
            out.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, out / part)


def setup(app):
    app.connect("build-finished", _copy_mathjax)
