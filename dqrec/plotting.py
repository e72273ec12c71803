"""The book's figure format: notebooks show their matplotlib figures as SVG whose text stays text.

Each notebook's setup cell calls :func:`book_figures` once. From then on every figure a cell
shows is stored in the notebook as ``image/svg+xml`` in which titles, axis labels, tick labels
and legends are ``<text>`` elements (not outlines), with fixed ids and no date, so that

- re-running a notebook gives byte-identical figures when the numbers are the same;
- the Chinese edition translates the figures' words from a catalogue
  (``book/zh_figures.py``, ``book/locales/zh_CN/figures.po``) and puts the translated SVG
  into the page itself, where the page's CJK web font draws them;
- the English site and JupyterLab show the same figure, drawn with the reader's fonts
  (DejaVu Sans where installed, else a similar sans-serif).

Figure labels with words should be plain text (``"γ = 0.9"``, not ``"$\\gamma$ = 0.9"``):
mathtext is drawn glyph by glyph and cannot be translated.
"""

import re

import matplotlib

# Fixed ids in the SVG (clip paths, markers) instead of random ones.
HASH_SALT = "dqrec"

# Coordinates are in points (1/72 inch): two decimals are far below what a screen shows.
DECIMALS = 2

STYLE = {
    "svg.fonttype": "none",  # text as <text>, in the reader's (or the page's) font
    "svg.hashsalt": HASH_SALT,
}


def book_figures() -> None:
    """Show this kernel's figures as deterministic, text-preserving SVG (the book's format).

    Sets matplotlib's rcParams (:data:`STYLE`) and, inside IPython, the inline backend's
    format; outside IPython (a script, a test) only the rcParams change.
    """
    matplotlib.rcParams.update(STYLE)
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython is a dependency of the notebooks only
        return
    if get_ipython() is None:
        return
    from matplotlib.figure import Figure
    from matplotlib_inline.backend_inline import set_matplotlib_formats

    set_matplotlib_formats("svg")  # only SVG (no PNG beside it)
    formatter = get_ipython().display_formatter.formatters["image/svg+xml"]
    formatter.for_type(Figure, figure_svg)


def figure_svg(figure) -> str:
    """`figure` as the book's SVG: as IPython's inline backend draws it (tight bounding box),
    without a creation date, with compact path data (:func:`compact_svg`)."""
    from IPython.core.pylabtools import print_figure

    return compact_svg(print_figure(figure, "svg", metadata={"Date": None}))


_NUMBER = re.compile(r"-?\d+\.\d+")
_PATH_DATA = re.compile(r'\b(d|x|y)="([^"]*)"')


def _short(number: re.Match) -> str:
    text = f"{float(number.group(0)):.{DECIMALS}f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _without_repeated_line_to(path: str) -> str:
    """ "M 0 0 L 1 2 L 3 4" -> "M 0 0 L 1 2 3 4" (SVG repeats the last command)."""
    kept, last = [], None
    for token in path.split(" "):
        if token.isalpha():
            if token == "L" and last == "L":
                continue
            last = token
        kept.append(token)
    return " ".join(kept)


def compact_svg(svg: str) -> str:
    """`svg` with the coordinates of its paths and text (``d``, ``x``, ``y``) rounded to
    :data:`DECIMALS` and each path on one line: about a third of matplotlib's size for a
    curve of a few thousand points, and fewer lines in the notebook's JSON."""

    def attribute(match: re.Match) -> str:
        value = _NUMBER.sub(_short, " ".join(match.group(2).split()))
        if match.group(1) == "d":
            value = _without_repeated_line_to(value)
        return f'{match.group(1)}="{value}"'

    return _PATH_DATA.sub(attribute, svg)
