"""The book's figure format (dqrec/plotting.py): SVG whose text is text, the same bytes on a re-run."""

import re

import matplotlib
import pytest

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from dqrec import plotting  # noqa: E402


@pytest.fixture
def figure():
    with matplotlib.rc_context():
        plotting.book_figures()  # outside IPython: the rcParams only
        fig, ax = plt.subplots(figsize=(4, 3))
        ax.plot(range(300), [(i * 37) % 101 for i in range(300)], label="alpha = 0.5")
        ax.set_title("Return & <noise>")
        ax.set_xlabel("episode")
        ax.legend()
        yield fig
        plt.close(fig)


def test_figure_svg_keeps_text_as_text_and_is_the_same_on_a_rerun(figure):
    svg = plotting.figure_svg(figure)
    again = plotting.figure_svg(figure)
    assert svg == again, "two drawings of one figure differ (ids or a date in the SVG?)"
    texts = re.findall(r"<text\b[^>]*>([^<]*)</text>", svg)
    assert {"Return &amp; &lt;noise&gt;", "episode", "alpha = 0.5"} <= set(texts), texts
    assert "<dc:date>" not in svg
    assert "font-family: 'DejaVu Sans'" in svg


def test_compact_svg_rounds_coordinates_and_drops_repeated_line_to():
    svg = '<path d="M 0 282.278906 \nL 443.644531 -0.001 \nL 1.5 2 \nz\n" x="3.14159" id="a1.234"/>'
    assert (
        plotting.compact_svg(svg)
        == '<path d="M 0 282.28 L 443.64 0 1.5 2 z" x="3.14" id="a1.234"/>'
    )


def test_compact_svg_keeps_every_point_within_the_rounding(figure):
    from IPython.core.pylabtools import print_figure

    full = print_figure(figure, "svg", metadata={"Date": None})
    compact = plotting.compact_svg(full)
    assert len(compact) < 0.9 * len(full)
    paths = re.compile(r'\bd="([^"]*)"')
    number = re.compile(r"-?\d+(?:\.\d+)?")
    pairs = list(zip(paths.findall(full), paths.findall(compact), strict=True))
    assert len(pairs) > 10
    for before, after in pairs:
        a, b = number.findall(before), number.findall(after)
        assert len(a) == len(b), (before[:80], after[:80])
        assert max(abs(float(x) - float(y)) for x, y in zip(a, b, strict=True)) <= 0.005 + 1e-9
