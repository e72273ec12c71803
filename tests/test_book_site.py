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
PAGES = sorted(p for p in SITE.rglob("*.html") if p.relative_to(SITE).parts[0] != "_static")
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


def _notebook_pages_with_figures() -> list[Path]:
    """Built pages of notebooks whose stored outputs contain PNG figures."""
    pages = []
    for notebook in sorted((REPO / "notebooks").glob("*.ipynb")):
        page = SITE / "notebooks" / f"{notebook.stem}.html"
        cells = json.loads(notebook.read_text(encoding="utf-8")).get("cells", [])
        outputs = [out for cell in cells for out in cell.get("outputs", [])]
        if page.exists() and any("image/png" in out.get("data", {}) for out in outputs):
            pages.append(page)
    return pages


@needs_chromium
def test_notebook_page_shows_figures():
    pages = _notebook_pages_with_figures()
    if not pages:
        pytest.skip("no notebook in the table of contents has stored PNG outputs yet")
    page = pages[0]
    dom = _dump_dom(page)
    sources = re.findall(r'<img[^>]*\ssrc="([^"]+\.png)"', dom)
    assert sources, f"no PNG figure in the rendered DOM of {page.name}"
    for src in sources:
        assert _resolve(page, src)[0].exists(), f"{page.name}: figure {src} does not exist"
