"""The Chinese edition's notebook figures: their words translated from a catalogue, drawn in the page.

The notebooks store their matplotlib figures as SVG whose text is text (``<text>`` elements;
``dqrec/plotting.py``). This module

- extracts the words of those figures (titles, axis labels, legends; not numbers) into
  ``book/locales/zh_CN/figures.po`` (``python book/zh_edition.py extract`` calls
  :func:`extract`; existing translations are kept, changed ones marked fuzzy);
- is a Sphinx extension that, in the zh_CN HTML build only, replaces each SVG figure of a
  notebook's output by the same SVG with its words translated, inlined in the page, where the
  page's CJK web font ("dqrec CJK", ``book/static/dqrec.css``) draws them: an ``<img>`` SVG
  could use the reader's installed fonts only. The English build is untouched.

A figure string without a translation (or a fuzzy one) stays English; the tests
(``tests/test_zh_edition.py``) require every one translated (a name used as code, such as an
estimator's key ``first_ips``, is translated as itself). Figure text drawn as mathtext
(``$...$``) is glyph by glyph and cannot be translated: figures keep words out of mathtext.
"""

import hashlib
import html
import json
import re
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

BOOK = Path(__file__).resolve().parent
REPO = BOOK.parent
CATALOGUE = BOOK / "locales" / "zh_CN" / "figures.po"
SVG = "image/svg+xml"
WEB_FONT = "dqrec CJK"  # the @font-face of book/static/dqrec.css

# One plain <text> element (matplotlib's svg.fonttype "none"): attributes, escaped text.
TEXT = re.compile(r"(<text\b[^>]*>)([^<]*)(</text>)")
# A mathtext <text>: one <tspan> per glyph.
MATH_TEXT = re.compile(r"<text\b[^>]*>\s*(<tspan\b.*?)</text>", re.S)
TSPAN_TEXT = re.compile(r"<tspan\b[^>]*>([^<]*)</tspan>")
WORD = re.compile(r"[A-Za-z]{2,}")
CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
# Names used as code in a figure (an estimator's key, "first_ips"; a network's encoder and
# head, "gru, item") or an acronym ("DQN"): may stay as they are.
_NAME = r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*"
CODE_NAME = re.compile(rf"{_NAME}(?:, {_NAME})*|[A-Z][A-Z0-9]+")
FONT_FAMILY = re.compile(r"font-family: ?([^;\"]+)")


def needs_translation(text: str) -> bool:
    """Has words ('episode', 'alpha = 0.5'), not only numbers and symbols ('0.5', '1e3')."""
    return bool(WORD.search(re.sub(r"\d[eE][+-]?\d", " ", text)))


def english_left(text: str) -> bool:
    """`text` (a figure string, or its translation) still reads as English: it has words,
    no Chinese, and is not a name used as code."""
    return needs_translation(text) and not CJK.search(text) and not CODE_NAME.fullmatch(text)


def figure_texts(svg: str) -> list[str]:
    """The strings of the plain <text> elements of `svg`, in order, unescaped."""
    return [html.unescape(match.group(2)) for match in TEXT.finditer(svg)]


def math_texts(svg: str) -> list[str]:
    """The glyphs of each mathtext <text> element of `svg`, joined."""
    return ["".join(TSPAN_TEXT.findall(m.group(1))) for m in MATH_TEXT.finditer(svg)]


def _svg_data(output: dict) -> str | None:
    data = output.get("data", {}).get(SVG)
    if data is None:
        return None
    return "".join(data) if isinstance(data, list) else data


def notebook_figures(notebook: Path) -> list[str]:
    """The SVG figures among `notebook`'s stored outputs."""
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    outputs = [out for cell in cells for out in cell.get("outputs", [])]
    return [svg for svg in map(_svg_data, outputs) if svg is not None]


def notebooks() -> list[Path]:
    return sorted((REPO / "notebooks").glob("*.ipynb"))


def messages() -> dict[str, list[str]]:
    """{figure string that needs a translation: the notebooks whose figures show it}."""
    found: dict[str, list[str]] = {}
    for notebook in notebooks():
        for svg in notebook_figures(notebook):
            for text in figure_texts(svg):
                if needs_translation(text) and notebook.stem not in found.setdefault(text, []):
                    found[text].append(notebook.stem)
    return found


def load(path: Path = CATALOGUE) -> dict[str, str]:
    """{msgid: msgstr} of the translated, non-fuzzy messages of the figure catalogue."""
    if not path.exists():
        return {}
    with open(path, "rb") as handle:
        catalog = read_po(handle, abort_invalid=True)
    return {m.id: m.string for m in catalog if m.id and m.string and not m.fuzzy}


def template() -> Catalog:
    """The figure strings of the notebooks' stored outputs as a catalogue template."""
    catalog = Catalog(project="dqrec figures", locale=None, fuzzy=False)
    for text, pages in messages().items():
        catalog.add(text, auto_comments=[f"notebooks/{page}" for page in pages])
    return catalog


# No dates or tool versions in the file: a re-extraction without changes changes nothing.
HEADER = """\
# The words of the notebooks' figures, for the Chinese edition (zh_CN).
# Updated by `python book/zh_edition.py extract` (book/zh_figures.py); "#." names the notebooks
# whose figures show a string; "#~" keeps strings that no figure shows now.
msgid ""
msgstr ""
"Language: zh_CN\\n"
"Content-Type: text/plain; charset=UTF-8\\n"

"""


def _write(catalog: Catalog, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".po.tmp")
    with open(tmp, "wb") as handle:
        handle.write(HEADER.encode("utf-8"))
        write_po(handle, catalog, width=0, omit_header=True, sort_output=True)
    tmp.replace(path)  # never a half-written catalogue


def extract(path: Path = CATALOGUE) -> tuple[int, int]:
    """Update the figure catalogue from the notebooks: keep translations, mark changed ones
    fuzzy; strings no figure shows any more stay as obsolete entries (``#~``), and come back
    when a figure shows them again; (messages, translated)."""
    pot = template()
    if path.exists():
        with open(path, "rb") as handle:
            catalog = read_po(handle, abort_invalid=True)
        for msgid in [msgid for msgid in catalog.obsolete if msgid in pot]:
            old = catalog.obsolete.pop(msgid)
            catalog.add(msgid, old.string, user_comments=old.user_comments, flags=old.flags)
        catalog.update(pot)
    else:
        catalog = Catalog(project="dqrec figures", locale="zh_CN", fuzzy=False)
        catalog.update(pot)
    _write(catalog, path)
    return len(pot), len(load(path))


def coverage(path: Path = CATALOGUE) -> tuple[int, int]:
    """(figure strings translated, figure strings the notebooks show)."""
    wanted, have = messages(), load(path)
    return sum(text in have for text in wanted), len(wanted)


def translate_svg(svg: str, translations: dict[str, str], prefix: str) -> tuple[str, list[str]]:
    """`svg` ready to sit in an HTML page: its strings translated, the CJK web font first in
    its font lists, its ids (and its one CSS rule) prefixed with `prefix` so that figures on
    one page do not share them, no XML prolog or metadata. Also the strings left English."""
    left: list[str] = []

    def text(match: re.Match) -> str:
        english = html.unescape(match.group(2))
        chinese = translations.get(english)
        if chinese is None:
            if needs_translation(english):
                left.append(english)
            return match.group(0)
        return match.group(1) + html.escape(chinese, quote=False) + match.group(3)

    svg = TEXT.sub(text, svg)
    svg = FONT_FAMILY.sub(lambda m: f"font-family: '{WEB_FONT}', {m.group(1)}", svg)
    svg = svg[svg.index("<svg") :]  # no <?xml ...?> or <!DOCTYPE>: not allowed in HTML
    svg = re.sub(r"\s*<metadata>.*?</metadata>", "", svg, count=1, flags=re.S)
    svg = re.sub(r'\bid="([^"]+)"', rf'id="{prefix}-\1"', svg)
    svg = re.sub(r'(href=")#([^"]+)"', rf'\1#{prefix}-\2"', svg)
    svg = re.sub(r"url\(#([^)]+)\)", rf"url(#{prefix}-\1)", svg)
    svg = svg.replace("<svg ", f'<svg id="{prefix}" role="img" ', 1)
    svg = re.sub(r"(<style[^>]*>)\s*\*\{", rf"\1#{prefix} *{{", svg)  # matplotlib's "*{...}"
    return svg, left


# --- the Sphinx extension ---------------------------------------------------------------------


def _in_cell_output(node) -> bool:
    while node is not None:
        if "cell_output" in node.get("classes", []):
            return True
        node = node.parent
    return False


def inline_translated_figures(app, doctree, docname: str) -> None:
    """zh_CN HTML build: each SVG figure of a notebook's outputs becomes the translated SVG,
    inlined (raw HTML) in a <div class="dqrec-figure">."""
    from docutils import nodes

    if app.config.language != "zh_CN" or app.builder.format != "html":
        return
    if not docname.startswith("notebooks/"):
        return
    translations = load()
    for number, image in enumerate(list(doctree.findall(nodes.image))):
        uri = image.get("candidates", {}).get("*", image["uri"])
        if not uri.endswith(".svg") or not _in_cell_output(image):
            continue
        # myst-nb writes the output to its cache folder; Sphinx's candidate is relative to srcdir
        path = Path(app.srcdir, uri) if not Path(uri).is_absolute() else Path(uri)
        svg = path.read_text(encoding="utf-8")
        digest = hashlib.sha256(svg.encode("utf-8")).hexdigest()[:8]
        inline, left = translate_svg(svg, translations, f"fig-{digest}-{number}")
        for english in left:  # shown in English; tests/test_zh_edition.py fails on it
            _logger().info(f"{docname}: figure string without a translation: {english!r}")
        classes = " ".join(["dqrec-figure", *image.get("classes", [])])
        raw = nodes.raw("", f'<div class="{classes}">{inline}</div>', format="html")
        image.replace_self(raw)


def _logger():
    from sphinx.util import logging

    return logging.getLogger(__name__)


def setup(app):
    app.connect("doctree-resolved", inline_translated_figures)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
