"""Sphinx configuration for the deepzoo documentation."""

import sys
from pathlib import Path

import deepzoo

sys.path.insert(0, str(Path(__file__).parent))  # gallery_order.py

project = "deepzoo"
author = "The deepzoo developers"
copyright = "2026, the deepzoo developers"
release = deepzoo.__version__
version = ".".join(release.split(".")[:2])

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.mathjax",
    # MathJax shipped with the site, so that math renders offline (a classroom, a downloaded copy)
    "sphinx-mathjax-offline",
    "sphinx.ext.viewcode",
    "sphinx_gallery.gen_gallery",
    "sphinx_click",
]

# The tutorials (one per lecture) are scripts in ../tutorials, executed during
# the build; a tutorial that raises fails the build.
sphinx_gallery_conf = {
    "examples_dirs": "../tutorials",
    "gallery_dirs": "tutorials",
    "filename_pattern": r"(lecture_|guide_)",
    "abort_on_example_error": True,
    "download_all_examples": False,
    "remove_config_comments": True,
    "show_signature": False,
    "within_subsection_order": "gallery_order.LecturesThenGuides",
}
napoleon_google_docstring = False
napoleon_numpy_docstring = True
autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_default_options = {"members": True, "show-inheritance": True}
nitpicky = False
# option names stay as typed: "--samples", not an en dash
smartquotes = False

html_theme = "furo"
html_title = f"deepzoo {release}"
exclude_patterns = ["_build"]
suppress_warnings = ["config.cache"]  # sphinx-gallery's settings hold a regex
