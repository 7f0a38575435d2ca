"""Sphinx configuration of the course site (``make site``): Sphinx + MyST-NB + sphinx-book-theme.

The notebooks are the executed reports, rendered as they are: execution is off. Nothing is
fetched when the site is built or read: MathJax is served from the ``sphinx-mathjax-offline``
package, the theme's fonts and scripts from the theme's own package.
"""

project = "MER Study"
author = "MER Study contributors"
copyright = "MER Study contributors (MIT)"

extensions = [
    "myst_nb",                   # .ipynb and MyST .md pages
    "sphinx_design",             # dropdowns: markdown solutions collapsed
    "sphinx-mathjax-offline",    # MathJax 3 from the package, no CDN
    "sphinx.ext.githubpages",    # .nojekyll, so any static host serves _static/ and _generated/
]
root_doc = "index"
exclude_patterns = ["_build", "build.py", "**.ipynb_checkpoints"]

# Render the executed reports; never run them.
nb_execution_mode = "off"
nb_merge_streams = True
nb_scroll_outputs = True
myst_enable_extensions = ["colon_fence", "dollarmath"]
myst_heading_anchors = 3
suppress_warnings = ["myst.header"]  # notebooks start sections at any level

html_theme = "sphinx_book_theme"
html_title = "MER Study"
html_copy_source = False
html_show_sourcelink = False
html_theme_options = {
    "show_toc_level": 2,
    "use_download_button": False,
    "use_fullscreen_button": False,
    "use_repository_button": False,
    "navigation_with_keys": False,
}
html_last_updated_fmt = None
# The theme's mode on a first visit (an empty one is logged as a JavaScript error).
html_context = {"default_mode": "light"}
html_static_path = ["_static"]
html_favicon = "_static/favicon.svg"  # the valence-arousal plane; no /favicon.ico 404
