"""Checks of the built book site (_build/html): links, offline assets, math and figures.

Build the site first (`.ci/book.sh`, or `jupyter-book build . -W -n --keep-going`).
The browser checks use Debian's headless `chromium` and skip when it is not installed.
Nothing leaves the machine: pages are opened as file:// URLs and every host name is
mapped to NOTFOUND.
"""

import json
import os
import re
import shutil
import subprocess
import tempfile
from html import unescape as html_unescape
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

REPO = Path(__file__).resolve().parent.parent
SITE = REPO / "_build" / "html"

# CI sets DQREC_REQUIRE_BROWSER=1 so that a missing site or browser fails instead of skipping.
REQUIRED = os.environ.get("DQREC_REQUIRE_BROWSER") == "1"

if not (SITE / "index.html").exists():
    if REQUIRED:
        raise RuntimeError("DQREC_REQUIRE_BROWSER=1 but _build/html/index.html does not exist")
    pytest.skip(
        "the book is not built (no _build/html/index.html); run .ci/book.sh first",
        allow_module_level=True,
    )

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
if REQUIRED and CHROMIUM is None:
    raise RuntimeError("DQREC_REQUIRE_BROWSER=1 but chromium is not installed")
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="chromium is not installed (apt-get install -y chromium)"
)

# Headless flags that work as root and send nothing off the machine (shared/TOOLCHAIN.md).
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--host-resolver-rules=MAP * ~NOTFOUND",
    "--virtual-time-budget=15000",  # let MathJax finish typesetting before the dump
]

# <link rel=...> values that make the browser fetch the target.
LOADING_RELS = {"stylesheet", "preload", "modulepreload", "icon", "shortcut", "prefetch"}
NON_LOCAL_SCHEMES = ("http:", "https:", "mailto:", "javascript:", "data:", "tel:", "ftp:")


class _PageParser(HTMLParser):
    """Collects element ids, link targets and loaded resources of one HTML page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.hrefs: list[str] = []
        self.resources: list[str] = []  # URLs the browser loads: scripts, styles, images

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = {name: value or "" for name, value in attrs}
        for key in ("id", "name") if tag == "a" else ("id",):
            if attr.get(key):
                self.ids.add(attr[key])
        if tag == "a" and "href" in attr:
            self.hrefs.append(attr["href"])
        elif tag in ("script", "img", "iframe", "source") and attr.get("src"):
            self.resources.append(attr["src"])
        elif tag == "link" and attr.get("href"):
            rels = set(attr.get("rel", "").lower().split())
            if rels & LOADING_RELS:
                self.resources.append(attr["href"])


def _parse(page: Path) -> _PageParser:
    parser = _PageParser()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser


# Pages of the book; _static/ holds theme template fragments, not pages.
PAGES = sorted(p for p in SITE.rglob("*.html") if "_static" not in p.relative_to(SITE).parts)
PARSED = {page: _parse(page) for page in PAGES}


def _resolve(page: Path, url: str) -> tuple[Path, str]:
    """Map a local URL found on `page` to (file on disk, anchor)."""
    parts = urlsplit(url)
    if not parts.path:
        target = page
    else:
        target = (page.parent / unquote(parts.path)).resolve()
        if url.endswith("/") or target.is_dir():
            target = target / "index.html"
    return target, unquote(parts.fragment)


def _is_local(url: str) -> bool:
    return bool(url) and not url.lower().startswith(NON_LOCAL_SCHEMES) and "//" not in url


def test_site_has_the_expected_pages():
    for name in ("book/intro.html", "book/algorithm.html", "book/bibliography.html"):
        assert (SITE / name).exists(), f"missing page {name}"
    assert len(PAGES) >= 10


def test_internal_links_resolve():
    broken = []
    for page, parsed in PARSED.items():
        for href in parsed.hrefs:
            if not _is_local(href):
                continue
            target, anchor = _resolve(page, href)
            where = f"{page.relative_to(SITE)}: {href}"
            if not target.exists():
                broken.append(f"{where} (no file {target})")
            elif anchor and target.suffix == ".html":
                ids = PARSED[target].ids if target in PARSED else _parse(target).ids
                if anchor not in ids:
                    broken.append(f"{where} (no id {anchor!r} in {target.name})")
    assert not broken, "broken internal links:\n" + "\n".join(broken)


def test_no_resource_is_loaded_from_another_host():
    remote, missing = [], []
    for page, parsed in PARSED.items():
        for url in parsed.resources:
            where = f"{page.relative_to(SITE)}: {url}"
            if url.startswith("//") or re.match(r"(?i)https?:", url):
                remote.append(where)
            elif _is_local(url) and not _resolve(page, url)[0].exists():
                missing.append(where)
    for css in SITE.rglob("*.css"):
        for match in re.finditer(
            r"""(?:url\(|@import)\s*['"]?\s*(?:https?:)?//""", css.read_text()
        ):
            remote.append(f"{css.relative_to(SITE)}: {match.group(0)}")
    assert not remote, "resources loaded from other hosts:\n" + "\n".join(remote)
    assert not missing, "resources missing from the site:\n" + "\n".join(missing)


def test_mathjax_is_served_by_the_site():
    html = (SITE / "book" / "algorithm.html").read_text(encoding="utf-8")
    match = re.search(r'<script[^>]*src="([^"]*tex-chtml\.js[^"]*)"', html)
    assert match, "algorithm.html does not load MathJax (tex-chtml.js)"
    script, _ = _resolve(SITE / "book" / "algorithm.html", match.group(1))
    assert script.exists()
    fonts = script.parent / "output" / "chtml" / "fonts" / "woff-v2"
    assert any(fonts.glob("MathJax_Main-Regular.woff")), "MathJax fonts are missing"


def _dump_dom(page: Path) -> str:
    with tempfile.TemporaryDirectory() as profile:
        result = subprocess.run(
            [CHROMIUM, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--dump-dom", page.as_uri()],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    assert result.returncode == 0, f"chromium failed on {page}: {result.stderr[-2000:]}"
    return result.stdout


@needs_chromium
def test_math_is_typeset_in_the_browser():
    dom = _dump_dom(SITE / "book" / "algorithm.html")
    assert "<mjx-container" in dom, "no typeset math (mjx-container) in book/algorithm.html"
    assert "<mjx-merror" not in dom, "MathJax reported a TeX error in book/algorithm.html"


FIGURE_TYPES = ("image/svg+xml", "image/png")  # the notebooks' figures (dqrec/plotting.py)


def _notebook_figures(notebook: Path) -> list[str]:
    """The MIME type of each figure among `notebook`'s stored outputs."""
    cells = json.loads(notebook.read_text(encoding="utf-8")).get("cells", [])
    outputs = [out for cell in cells for out in cell.get("outputs", [])]
    return [kind for out in outputs for kind in FIGURE_TYPES if kind in out.get("data", {})]


def _notebook_pages_with_figures() -> list[Path]:
    """Built pages of notebooks whose stored outputs contain figures."""
    pages = []
    for notebook in sorted((REPO / "notebooks").glob("*.ipynb")):
        page = SITE / "notebooks" / f"{notebook.stem}.html"
        if page.exists() and _notebook_figures(notebook):
            pages.append(page)
    return pages


@needs_chromium
def test_notebook_page_shows_figures():
    pages = _notebook_pages_with_figures()
    if not pages:
        pytest.skip("no notebook in the table of contents has stored figures yet")
    page = pages[0]
    dom = _dump_dom(page)
    sources = re.findall(r'<img[^>]*\ssrc="([^"]+\.(?:png|svg))"', dom)
    assert sources, f"no figure in the rendered DOM of {page.name}"
    for src in sources:
        assert _resolve(page, src)[0].exists(), f"{page.name}: figure {src} does not exist"


# --- Layout and fonts, measured in the browser -------------------------------------------

# Runs in the page and writes what it measured as JSON into a <pre> with the id dqrec-measure
# that --dump-dom then shows; _measure wants the last write, made once the fonts are ready.
_MEASURE_JS = """
<script>
// Measures the page and writes the result as JSON into pre#dqrec-measure: once when the DOM
// is parsed, again on load and again when the fonts are ready, so that a page dumped
// early says how far it got (result.stage) instead of having no result at all.
function dqrecMeasure(stage) {
  let result;
  try {
    result = dqrecLayout();
  } catch (error) {
    result = {error: String(error)};
  }
  result.stage = stage;
  let out = document.getElementById("dqrec-measure");
  if (!out) {
    out = document.createElement("pre");
    out.id = "dqrec-measure";
    document.body.appendChild(out);
  }
  out.textContent = JSON.stringify(result);
}
function dqrecLayout() {
  const article = document.querySelector(".bd-article");
  const right = article.getBoundingClientRect().right;
  const result = {
    viewport: window.innerWidth,
    page_scroll_width: document.documentElement.scrollWidth,
    article_width: article.clientWidth,
    code_blocks: 0,
    overflowing: [],
    cjk: [],
    fonts: [...document.fonts].map(face => [face.family.replace(/"/g, ""), face.status]),
  };
  for (const pre of article.querySelectorAll("pre")) {
    if (!pre.offsetParent) continue;  // folded away (a closed solution): nothing to see
    result.code_blocks += 1;
    const box = pre.getBoundingClientRect();
    if (pre.scrollWidth > pre.clientWidth + 1 || box.right > right + 1) {
      result.overflowing.push(pre.textContent.trim().slice(0, 60));
    }
  }
  result.wide_tables = [];
  result.widest_table = 0;
  for (const table of article.querySelectorAll("table")) {
    if (!table.offsetParent) continue;
    const box = table.getBoundingClientRect();
    result.widest_table = Math.max(result.widest_table, Math.round(box.width));
    if (box.right <= right + 1) continue;
    // too wide for the column: allowed only inside a box of the column that scrolls
    let scroller = table.parentElement;
    while (scroller !== article && getComputedStyle(scroller).overflowX === "visible") {
      scroller = scroller.parentElement;
    }
    if (scroller === article || scroller.getBoundingClientRect().right > right + 1) {
      result.wide_tables.push(`${Math.round(box.width)} px: ` +
        table.textContent.trim().replace(/\\s+/g, " ").slice(0, 60));
    }
  }
  const cjk = /[\\u2e80-\\u2fdf\\u3000-\\u303f\\u3400-\\u4dbf\\u4e00-\\u9fff\\uff00-\\uffef]/;
  for (const el of document.querySelectorAll("dt, .bd-sidebar-primary a")) {
    if (cjk.test(el.textContent)) {
      result.cjk.push([el.textContent.trim(), getComputedStyle(el).fontFamily]);
    }
  }
  return result;
}
dqrecMeasure("parsed");
window.addEventListener("load", () => {
  dqrecMeasure("loaded");
  document.fonts.ready.then(() => dqrecMeasure("fonts ready"));
});
</script>
"""


# Virtual milliseconds the browser lets the page run before the dump. The measurement needs
# the layout with its web fonts loaded, not MathJax's typesetting.
MEASURE_BUDGET_MS = 3_000


def _measure(page: Path, width: int = 1280, height: int = 1000) -> dict:
    """Open `page` at the given window size and return what _MEASURE_JS measured."""
    html = page.read_text(encoding="utf-8")
    assert "</body>" in html, f"{page.name} has no </body>"
    # a sibling copy, so that every relative link of the page still resolves
    probe = page.with_name(f".measure-{page.name}")
    probe.write_text(html.replace("</body>", _MEASURE_JS + "</body>", 1), encoding="utf-8")
    try:
        with tempfile.TemporaryDirectory() as profile:
            result = subprocess.run(
                [
                    CHROMIUM,
                    *(flag for flag in CHROMIUM_FLAGS if "virtual-time" not in flag),
                    f"--virtual-time-budget={MEASURE_BUDGET_MS}",
                    f"--user-data-dir={profile}",
                    f"--window-size={width},{height}",
                    "--dump-dom",
                    probe.as_uri(),
                ],
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
            )
    finally:
        probe.unlink()
    assert result.returncode == 0, f"chromium failed on {page}: {result.stderr[-2000:]}"
    # any attributes after the id: the theme's debounced MutationObserver gives every <pre>
    # present when it fires a tabindex (one CI run lost its result to exactly that race)
    match = re.search(r'<pre id="dqrec-measure"[^>]*>(.*?)</pre>', result.stdout, re.S)
    assert match, f"the measuring script did not run on {page.name}"
    measured = json.loads(html_unescape(match.group(1)))
    assert "error" not in measured, f"the measuring script failed on {page.name}: {measured}"
    assert measured["stage"] == "fonts ready", (
        f"{page.name} was dumped at stage {measured['stage']!r}, before its fonts were ready "
        f"(virtual time budget {MEASURE_BUDGET_MS} ms): {measured.get('fonts')}"
    )
    return measured


# The pages with the most code: every notebook, and the algorithm chapter's listings.
CODE_PAGES = ["book/algorithm.html"] + [
    f"notebooks/{nb.stem}.html" for nb in sorted((REPO / "notebooks").glob("*.ipynb"))
]


@pytest.mark.slow  # one browser start per page, 5 to 15 s each
@needs_chromium
@pytest.mark.parametrize("name", CODE_PAGES)
def test_code_fits_its_column_at_1280px(name):
    page = SITE / name
    if not page.exists():
        pytest.skip(f"{name} is not in the built site")
    measured = _measure(page, width=1280)
    assert measured["code_blocks"] > 0, f"{name}: no visible code block to check"
    assert not measured["overflowing"], (
        f"{name}: code blocks wider than the {measured['article_width']}-px column at 1280 px "
        f"(they would need sideways scrolling): {measured['overflowing']}"
    )
    assert not measured["wide_tables"], (
        f"{name}: tables running past the {measured['article_width']}-px column at 1280 px: "
        f"{measured['wide_tables']}"
    )
    assert measured["page_scroll_width"] <= measured["viewport"], f"{name} scrolls sideways"
    # the reading column is wider than the theme's default (740 px at this window size)
    assert measured["article_width"] >= 780, measured


FONT = REPO / "book" / "static" / "fonts" / "noto-sans-sc-subset.woff"
CJK_CHAR = re.compile(
    r"[\u2e80-\u2fdf\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]"
)


def test_served_font_covers_every_cjk_character_on_the_site():
    from fontTools.ttLib import TTFont

    assert (FONT.parent / "OFL.txt").exists(), "the font's licence is not beside it"
    # the characters of the whole Chinese edition: a few hundred KB, not the 8 MB of the font
    assert FONT.stat().st_size < 600_000, "the CJK subset should stay a few hundred KB"
    served = (SITE / "_static" / "fonts" / FONT.name).read_bytes()
    assert served == FONT.read_bytes(), "the site serves another font file than book/static"
    covered = {chr(code) for code in TTFont(FONT).getBestCmap()}
    used = {char for page in PAGES for char in CJK_CHAR.findall(page.read_text("utf-8"))}
    assert len(used) > 20, "the site shows almost no Chinese: is the glossary built?"
    missing = "".join(sorted(used - covered))
    assert not missing, (
        f"characters on the site that the served font lacks: {missing!r}; "
        "run book/cjk_font_subset.py (see its docstring)"
    )


@needs_chromium
def test_glossary_chinese_uses_the_served_font():
    measured = _measure(SITE / "book" / "glossary.html")
    faces = dict(measured["fonts"])
    assert faces.get("dqrec CJK") == "loaded", f"the CJK font was not loaded: {faces}"
    assert len(measured["cjk"]) > 20, measured["cjk"]
    for text, family in measured["cjk"]:
        assert family.startswith('"dqrec CJK"'), f"{text!r} is set in {family}"


# --- The Chinese edition (_build/html/zh/, book/zh_edition.py) -----------------------------

ZH = SITE / "zh"
needs_zh = pytest.mark.skipif(
    not (ZH / "book" / "intro.html").exists() and not REQUIRED,
    reason="the Chinese edition is not built (python book/zh_edition.py build)",
)
SCREENSHOTS = REPO / "_build" / "screenshots"
# A prose chapter, a notebook and the glossary: the pages the browser checks open.
ZH_PAGES = ["book/notation.html", "notebooks/01_q_learning_by_hand.html", "book/glossary.html"]


def _switch_href(page: Path) -> str:
    match = re.search(
        r'<a class="btn dqrec-language-switch" href="([^"]+)"', page.read_text("utf-8")
    )
    assert match, f"{page.relative_to(SITE)} has no language switch link"
    return match.group(1)


@needs_zh
def test_chinese_edition_has_every_page_in_chinese():
    english = {p.relative_to(SITE) for p in PAGES if p.relative_to(SITE).parts[0] != "zh"}
    chinese = {p.relative_to(ZH) for p in PAGES if p.relative_to(SITE).parts[0] == "zh"}
    assert english - chinese == set(), f"pages missing from zh/: {sorted(english - chinese)}"
    html = (ZH / "book" / "intro.html").read_text("utf-8")
    assert '<html lang="zh-CN"' in html
    assert "深度 Q 学习与电商推荐" in html, "the translated title of book/intro is not on its page"
    title = re.search(r"<title>(.*?)</title>", (ZH / "book" / "faq.html").read_text("utf-8"), re.S)
    assert title and "深度 Q 学习与电商推荐" in title.group(1), "the site title is not translated"


@needs_zh
def test_chinese_proof_index_has_a_chinese_title():
    # sphinx-proof hard-codes "Proof Index"; book/theme_strings.py names it in the zh build
    chinese = re.search(r"<title>(.*?)</title>", (ZH / "prf-prf.html").read_text("utf-8"), re.S)
    english = re.search(r"<title>(.*?)</title>", (SITE / "prf-prf.html").read_text("utf-8"), re.S)
    assert chinese and chinese.group(1).startswith("证明索引"), chinese
    assert english and english.group(1).startswith("Proof Index"), english


@needs_zh
def test_language_switch_leads_to_the_same_page_in_the_other_edition():
    checked = 0
    for page in PAGES:
        relative = page.relative_to(SITE)
        if relative.parts[0] == "zh":
            counterpart = SITE / relative.relative_to("zh")
        else:
            counterpart = ZH / relative
        if relative.name == "index.html" and len(relative.parts) <= 2:
            continue  # the redirect to book/intro.html of each edition: no page, no switch
        if page.name.startswith(".") or not counterpart.exists():
            continue
        target, _ = _resolve(page, _switch_href(page))
        assert target == counterpart.resolve(), f"{relative}: the switch leads to {target}"
        checked += 1
    assert checked >= 2 * 20, checked


def _page_text(page: Path) -> str:
    """The text a reader gets from a page: its words and its images' alt texts."""
    html = re.sub(r"(?s)<(script|style)\b.*?</\1>", " ", page.read_text("utf-8"))
    alts = " ".join(re.findall(r'\balt="([^"]*)"', html))
    return re.sub(r"\s+", " ", html_unescape(re.sub(r"<[^>]+>", " ", html) + " " + alts))


@needs_zh
def test_translations_reach_the_chinese_pages():
    """Every translated message without markup appears verbatim on its page of zh/ (the .md
    chapters through MyST, the notebooks' markdown cells through myst-nb)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "zh_catalogues", REPO / "book" / "zh_catalogues.py"
    )
    zh = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(zh)
    missing, checked = [], 0
    for name, path in zh.catalogues().items():
        page = ZH / f"{name}.html"
        text = _page_text(page) if page.exists() else ""
        for message in zh.load(path):
            plain = not re.search(r"[{}$*`\[\]<>\\\"'_]|--|\.\.\.", message.string)
            if not message.translated or message.display_math or not plain:
                continue
            checked += 1
            if re.sub(r"\s+", " ", message.string).strip() not in text:
                missing.append(f"{name}: {message.string[:50]!r}")
    assert checked > 100, checked
    assert not missing, "translations that do not reach their page:\n" + "\n".join(missing)


@needs_zh
def test_chinese_notebook_figures_are_inline_and_translated():
    """Each SVG figure of a notebook is inlined in its zh page (book/zh_figures.py), with no
    English words left in its text; the English page keeps it as an <img>."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("zh_figures", REPO / "book" / "zh_figures.py")
    zh_figures = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(zh_figures)
    checked = 0
    for notebook in sorted((REPO / "notebooks").glob("*.ipynb")):
        svg_figures = _notebook_figures(notebook).count("image/svg+xml")
        page = ZH / "notebooks" / f"{notebook.stem}.html"
        if not svg_figures or not page.exists():
            continue
        html = page.read_text(encoding="utf-8")
        inline = re.findall(r'<div class="dqrec-figure[^"]*">(<svg .*?</svg>)</div>', html, re.S)
        assert len(inline) == svg_figures, f"zh/{page.name}: {len(inline)} of {svg_figures} inlined"
        for svg in inline:
            left = [t for t in zh_figures.figure_texts(svg) if zh_figures.english_left(t)]
            assert not left, f"zh/{page.name}: English left in a figure: {left}"
            assert any(zh_figures.CJK.search(t) for t in zh_figures.figure_texts(svg))
        english = (SITE / "notebooks" / page.name).read_text(encoding="utf-8")
        assert "dqrec-figure" not in english, f"{page.name}: the English page inlines figures"
        assert len(re.findall(r'<img[^>]*\ssrc="[^"]+\.svg"', english)) >= svg_figures
        checked += len(inline)
    assert checked >= 10, f"only {checked} inline figures in the Chinese notebooks"


def test_cjk_font_face_lets_the_browser_synthesise_bold():
    """The subset font has one regular face: declared with a weight range, bold Chinese text
    (every **术语** of the Chinese edition) was drawn regular; with one weight the browser
    synthesises bold from it."""
    css = (REPO / "book" / "static" / "dqrec.css").read_text("utf-8")
    face = re.search(r'@font-face\s*\{[^}]*"dqrec CJK"[^}]*\}', css)
    assert face, "no @font-face for the CJK subset in book/static/dqrec.css"
    weight = re.search(r"font-weight:\s*([^;]+);", face.group(0))
    assert weight and weight.group(1).strip() in ("400", "normal"), weight and weight.group(1)


@needs_zh
def test_theme_buttons_are_chinese():
    """The repository menu and the dropdowns' hint (book/theme_strings.py, zh_edition.py)."""
    html = (ZH / "notebooks" / "01_q_learning_by_hand.html").read_text("utf-8")
    buttons = re.findall(r'<span class="btn__text-container">([^<]*)<', html)
    assert "仓库" in buttons and "创建议题" in buttons, buttons
    assert "Open issue" not in buttons and "Repository" not in buttons, buttons
    assert "let toggleHintShow = '点击显示';" in html, "the dropdowns say 'Click to show'"


@needs_zh
def test_exercise_and_solution_titles_are_chinese():
    """An exercise's title (```{exercise} Title```, book/exercise_titles.py) is translated in
    its box and in its solution's title ("解答 练习 1 (...)"), both built by sphinx-exercise."""
    checked = 0
    for notebook in sorted((REPO / "notebooks").glob("*.ipynb")):
        page = ZH / "notebooks" / f"{notebook.stem}.html"
        titles = [
            html_unescape(re.sub(r"<[^>]+>|\s+", "", title))
            for title in re.findall(
                r'<p class="admonition-title">(.*?)</p>', page.read_text("utf-8"), re.S
            )
        ]
        for english in re.findall(r"```\{exercise(?:-start)?\} ([^\n\\]+)", notebook.read_text()):
            english = json.loads(f'"{english}"').replace(" ", "")
            leaked = [title for title in titles if english in title]
            assert not leaked, f"{page.name}: English exercise title on the zh page: {leaked}"
            checked += 1
        exercises = [t for t in titles if t.startswith("练习") and "(" in t]
        solutions = [t for t in titles if t.startswith("解答练习") and "(" in t]
        assert len(solutions) <= len(exercises), (page.name, exercises, solutions)
        for solution in solutions:
            assert solution.removeprefix("解答") in exercises, f"{page.name}: {solution!r}"
    assert checked > 20, checked


@needs_zh
def test_chinese_search_index_has_chinese_words():
    index = (ZH / "searchindex.js").read_text("utf-8")
    terms = json.loads(index[index.index("(") + 1 : index.rindex(")")])["terms"]
    for word in ("强化学习", "经验回放", "智能体", "术语"):  # glossary terms and a plain word
        assert word in terms, f"the Chinese search index lacks {word!r} (is jieba installed?)"


def _run_chromium(*args: str) -> subprocess.CompletedProcess:
    with tempfile.TemporaryDirectory() as profile:
        return subprocess.run(
            [CHROMIUM, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )


# Runs in a Chinese page once MathJax has typeset it and the fonts are ready: what a reader
# sees (typeset math, loaded figures, Chinese set in the served font, the switch link).
_ZH_PROBE_JS = """
<script>
window.addEventListener("load", () => document.fonts.ready.then(() =>
  (window.MathJax && MathJax.startup ? MathJax.startup.promise : Promise.resolve()).then(() => {
  const article = document.querySelector(".bd-article");
  const cjk = /[\\u4e00-\\u9fff]/;
  const texts = [...article.querySelectorAll("p, h1, h2, dt, li")].filter(
    el => cjk.test(el.textContent) && el.offsetParent);
  const images = [...article.querySelectorAll("img")].filter(img => img.offsetParent);
  const result = {
    math: article.querySelectorAll("mjx-container").length,
    math_errors: article.querySelectorAll("mjx-merror").length,
    images: images.length,
    images_loaded: images.filter(img => img.complete && img.naturalWidth > 0).length,
    chinese_blocks: texts.length,
    chinese_chars: texts.map(el => el.textContent).join("").split("").filter(
      ch => cjk.test(ch)).length,
    served_font: [...document.fonts].filter(f => f.family.includes("dqrec CJK")).map(
      f => f.status),
    font_checks: document.fonts.check('16px "dqrec CJK"', "强化学习"),
    families: texts.slice(0, 3).map(el => getComputedStyle(el).fontFamily),
    switch: (document.querySelector(".dqrec-language-switch") || {}).href || null,
    inline_figures: article.querySelectorAll(".dqrec-figure svg").length,
  };
  // the notebook figures' Chinese labels: their font, and whether the served font draws them
  const labels = [...article.querySelectorAll(".dqrec-figure svg text")].filter(
    el => cjk.test(el.textContent));
  result.figure_labels = labels.length;
  result.figure_label_families = [...new Set(labels.map(el => getComputedStyle(el).fontFamily))];
  result.figure_labels_drawn = labels.filter(el => el.getComputedTextLength() > 0 &&
    document.fonts.check('10px "dqrec CJK"', el.textContent.replace(/[^\u4e00-\u9fff]/g, ""))
  ).length;
  const out = document.createElement("pre");
  out.id = "dqrec-zh-probe";
  out.textContent = JSON.stringify(result);
  document.body.appendChild(out);
  if (location.hash === "#follow-switch") location.href = result.switch;
})));
</script>
"""


def _probe(page: Path, follow: bool = False) -> tuple[dict | None, str]:
    """Open a copy of the zh `page` with _ZH_PROBE_JS; (measurements, dumped DOM). With
    `follow`, the probe then clicks through the language switch and the DOM is the target's."""
    html = page.read_text(encoding="utf-8")
    probe = page.with_name(f".probe-{page.name}")
    probe.write_text(html.replace("</body>", _ZH_PROBE_JS + "</body>", 1), encoding="utf-8")
    try:
        url = probe.as_uri() + ("#follow-switch" if follow else "")
        result = _run_chromium("--window-size=1280,1000", "--dump-dom", url)
    finally:
        probe.unlink()
    assert result.returncode == 0, f"chromium failed on {page}: {result.stderr[-2000:]}"
    # any attributes after the id: the theme may give the <pre> a tabindex (see _measure)
    match = re.search(r'<pre id="dqrec-zh-probe"[^>]*>(.*?)</pre>', result.stdout, re.S)
    return (json.loads(html_unescape(match.group(1))) if match else None), result.stdout


@pytest.mark.slow  # two browser starts per page, 5 to 15 s each
@needs_zh
@needs_chromium
@pytest.mark.parametrize("name", ZH_PAGES)
def test_chinese_page_in_the_browser(name):
    page = ZH / name
    measured, _ = _probe(page)
    if measured is None:  # a loaded machine can run out of the virtual-time budget: once more
        measured, _ = _probe(page)
    assert measured is not None, f"the probe did not run on zh/{name}"
    assert measured["math"] > 0 and not measured["math_errors"], measured
    if name.startswith("notebooks/"):
        assert measured["images"] + measured["inline_figures"] > 0, f"zh/{name}: no figure"
        # its matplotlib figures inline, their Chinese labels set in the served font
        assert measured["inline_figures"] > 0 and measured["figure_labels"] > 0, measured
        assert measured["figure_labels_drawn"] == measured["figure_labels"], measured
        assert all(f.startswith('"dqrec CJK"') for f in measured["figure_label_families"]), (
            measured["figure_label_families"]
        )
    assert measured["images_loaded"] == measured["images"], f"zh/{name}: a figure did not load"
    assert measured["chinese_chars"] > 20, f"zh/{name}: hardly any Chinese text: {measured}"
    assert measured["served_font"] and set(measured["served_font"]) == {"loaded"}, measured
    assert measured["font_checks"], "the served CJK font cannot draw 强化学习"
    assert all(family.startswith('"dqrec CJK"') for family in measured["families"]), measured
    # the switch, followed in the browser, opens the same page of the English edition
    _, dom = _probe(page, follow=True)
    assert 'lang="en"' in dom[:2000], f"zh/{name}: the switch did not open an English page"
    assert f'href="{_switch_href(SITE / name)}"' in dom, f"zh/{name}: not the same page"
    # a picture of the page, to look at (not compared)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    shot = SCREENSHOTS / f"zh-{page.stem}.png"
    flags = ["--window-size=1280,1600", f"--screenshot={shot}", page.as_uri()]
    assert _run_chromium(*flags).returncode == 0 and shot.exists()
