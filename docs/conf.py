"""Sphinx configuration of the calcidose documentation site.

Build: ``pip install '.[docs]' && sphinx-build -W --keep-going -b html docs docs/_build/html``.

Three kinds of page:

* the guides, ``docs/*.md`` (MyST Markdown; every one is picked up by the toctree glob of
  ``index.md``, and every example in them is run by ``tests/test_docs.py``);
* the reference (``reference/``): the API of ``calcidose.__all__``, the error tree and the
  published JSON Schemas, generated at build time by ``_ext/reference_pages.py``;
* the catalog (``catalog/``): one page per entry of the shipped tables, generated at build time
  by ``_ext/catalog_pages.py`` from the loaded catalog, so no page can drift from the tables.

Both generated directories are rewritten on every build and are not under version control.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "_ext"))

import calcidose  # noqa: E402  (installed or editable; the version comes from its metadata)

project = "calcidose"
author = "calcidose developers"
copyright = "calcidose developers"  # noqa: A001
release = calcidose.__version__
version = release

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "reference_pages",
    "catalog_pages",
]

source_suffix = {".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "_ext", "README.md", ".venv"]

myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3

# The lazy names of calcidose are documented where the user finds them (calcidose.dose, not
# calcidose.dosing.dose), so the pages survive modules moving between subpackages.
autodoc_member_order = "bysource"
autodoc_typehints = "signature"

html_theme = "furo"
html_title = f"calcidose {release}"
html_show_sourcelink = False
