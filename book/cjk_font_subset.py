"""Make the CJK web font the site serves: Noto Sans SC cut down to the characters the book uses.

    npm pack @fontsource/noto-sans-sc@5.3.0 && tar -xzf fontsource-noto-sans-sc-5.3.0.tgz
    .ci/book.sh     # both editions: the Chinese site's theme and Sphinx strings count too
    python book/cjk_font_subset.py package/files --site _build/html   # writes book/static/fonts/

Readers without a Chinese font would see empty boxes for the glossary's Chinese terms and
for the whole Chinese edition (_build/html/zh/); the site therefore serves the glyphs it needs
itself (``book/static/dqrec.css`` declares the
font). The npm package ships Noto Sans SC (SIL Open Font License 1.1) split into about a
hundred WOFF files by Unicode range; this script finds every CJK character in the book's
sources, takes each one's glyph from the file that holds it, and merges them into one small
WOFF file (zlib, so fontTools needs no Brotli). The sources are the pages, the notebooks,
the Chinese edition's translations (book/locales/**/*.po, the notebooks' figure labels in
book/locales/zh_CN/figures.po included), the language-switch template and
the Chinese figure labels (book/figures/make_figures.py draws them with this font);
``--site`` adds what only the built sites hold (the zh_CN strings of Sphinx and the theme:
搜索, 目录, ...). ``tests/test_book_site.py`` fails when a page of either edition uses a CJK
character that the font lacks: then build both editions and run this script again.
"""

import argparse
import json
import re
import sys
import tempfile
from pathlib import Path

from fontTools import subset
from fontTools.merge import Merger
from fontTools.ttLib import TTFont

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "book" / "static" / "fonts"
FONT_NAME = "noto-sans-sc-subset.woff"

# CJK ideographs and radicals, CJK punctuation, full-width forms.
CJK = re.compile(
    r"[\u2e80-\u2fdf\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]"
)


def book_sources() -> list[Path]:
    """Every file whose text can reach a page of the site."""
    return sorted(
        [
            *REPO.glob("book/*.md"),
            *REPO.glob("notebooks/*.ipynb"),
            REPO / "_config.yml",
            *REPO.glob("book/locales/*/LC_MESSAGES/**/*.po"),
            *REPO.glob("book/locales/*/figures.po"),  # the notebooks' figure labels
            *REPO.glob("book/templates/*.html"),
            REPO / "book" / "figures" / "make_figures.py",  # the Chinese figures' labels
        ]
    )


def site_files(site: Path) -> list[Path]:
    """The built pages and the scripts that put text on them (search messages)."""
    return sorted(p for p in [*site.rglob("*.html"), *site.rglob("translations.js")] if p.is_file())


def _text(path: Path) -> str:
    if path.suffix != ".ipynb":
        return path.read_text(encoding="utf-8")
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return json.dumps(
        [cell.get("source") for cell in cells] + [cell.get("outputs", []) for cell in cells],
        ensure_ascii=False,
    )


def cjk_characters(texts) -> str:
    """The sorted, distinct CJK characters in `texts`."""
    return "".join(sorted({char for text in texts for char in CJK.findall(text)}))


def build(package_files: Path, out: Path, chars: str) -> Path:
    """Subset the 400-weight WOFF files to `chars`, merge them and write one WOFF file."""
    sources = sorted(package_files.glob("noto-sans-sc-*-400-normal.woff"))
    if not sources:
        raise FileNotFoundError(f"no noto-sans-sc-*-400-normal.woff in {package_files}")
    wanted = {ord(c) for c in chars}
    options = subset.Options()
    options.flavor = None
    options.layout_features = []  # no ligatures or locl variants: one glyph per character
    options.name_IDs = [0, 1, 2, 3, 4, 5, 6, 13, 14]  # keep the copyright and licence names
    options.notdef_outline = True
    pieces = []
    with tempfile.TemporaryDirectory() as tmp:
        for source in sources:
            cmap = TTFont(source, lazy=True).getBestCmap()
            here = wanted & set(cmap)
            if not here:
                continue
            wanted -= here
            font = TTFont(source)
            subsetter = subset.Subsetter(options)
            subsetter.populate(unicodes=sorted(here))
            subsetter.subset(font)
            piece = Path(tmp) / source.with_suffix(".ttf").name
            font.flavor = None
            font.save(piece)
            pieces.append(str(piece))
        if wanted:
            missing = "".join(chr(c) for c in sorted(wanted))
            raise ValueError(f"Noto Sans SC has no glyph for {missing!r}")
        merged = Merger().merge(pieces) if len(pieces) > 1 else TTFont(pieces[0])
    merged.flavor = "woff"
    path = out / FONT_NAME
    tmp_path = path.with_suffix(".woff.tmp")
    merged.save(tmp_path)
    tmp_path.replace(path)  # atomic: never a half-written font
    return path


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("package_files", type=Path, help="the files/ folder of the npm package")
    parser.add_argument(
        "--site", type=Path, help="a built site (_build/html) whose pages count too"
    )
    args = parser.parse_args(argv)
    if not args.package_files.is_dir():
        print(f"error: {args.package_files} is not a folder", file=sys.stderr)
        return 2
    if args.site is not None and not (args.site / "index.html").is_file():
        print(
            f"error: --site {args.site} has no index.html; expected a built site", file=sys.stderr
        )
        return 2
    sources = book_sources() + (site_files(args.site) if args.site is not None else [])
    chars = cjk_characters(_text(p) for p in sources)
    try:
        path = build(args.package_files, OUT, chars)
    except (FileNotFoundError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"{path}: {len(chars)} characters, {path.stat().st_size} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
