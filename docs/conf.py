"""Sphinx configuration for the deepzoo documentation."""

import deepzoo

project = "deepzoo"
author = "The deepzoo developers"
copyright = "2026, the deepzoo developers"
release = deepzoo.__version__
version = ".".join(release.split(".")[:2])

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
]
napoleon_google_docstring = False
napoleon_numpy_docstring = True
autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_default_options = {"members": True, "show-inheritance": True}
nitpicky = False

html_theme = "furo"
html_title = f"deepzoo {release}"
exclude_patterns = ["_build"]
