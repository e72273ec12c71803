"""The Chinese edition (中文版): message catalogues and the zh_CN build, via Sphinx's gettext.

    python book/zh_edition.py extract    # English sources -> book/locales/zh_CN/LC_MESSAGES/**/*.po
    python book/zh_edition.py build      # the Chinese site -> _build/html/zh/ (-W -n --keep-going)
    python book/zh_edition.py coverage   # the share of each page's messages translated

Both go through Jupyter Book's own Sphinx configuration (``_config.yml``, ``_toc.yml``), so
the Chinese site is the English book with its translatable text replaced: same code cells,
same stored outputs, same figures. ``extract`` runs Sphinx's ``gettext`` builder (one
catalogue per page, ``gettext_compact: false`` in ``_config.yml``; code cells and outputs
are literal blocks and are never extracted) and then ``sphinx-intl update -l zh_CN``, which
keeps existing translations and marks changed ones fuzzy. ``build`` is the HTML build with
``language = zh_CN``; an untranslated or fuzzy message shows its English text. Its search
index cuts Chinese text into words with jieba (Sphinx's ``sphinx.search.zh``), which is given
the glossary's Chinese terms as a user dictionary. The words of the notebooks' SVG figures
have their own catalogue, ``book/locales/zh_CN/figures.po`` (``extract`` updates it from the
stored outputs; ``build`` inlines the translated figures: ``book/zh_figures.py``).

Options: ``--out DIR`` puts the build's ``html/`` (and ``gettext/``, ``.doctrees-*``) under
DIR instead of ``_build/``; ``build --quiet`` prints warnings only.
"""

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
LOCALES = REPO / "book" / "locales"
LANGUAGE = "zh_CN"


def _sphinx(builder: str, outdir: Path, doctrees: Path, overrides: dict, quiet: bool) -> int:
    """One Sphinx build of the book through Jupyter Book's configuration; its exit status."""
    from jupyter_book.sphinx import build_sphinx

    result = build_sphinx(
        REPO,
        outdir,
        noconfig=True,
        path_config=str(REPO / "_config.yml"),
        confoverrides={"nitpicky": True, "latex_individualpages": False, **overrides},
        doctreedir=doctrees,
        builder=builder,
        force_all=True,
        freshenv=True,
        warningiserror=True,
        keep_going=True,
        quiet=quiet,
    )
    if isinstance(result, BaseException):  # Jupyter Book prints it and returns it
        return 1
    return int(result or 0)


def extract(build: Path, quiet: bool) -> int:
    """Write the .pot templates and update the zh_CN .po catalogues from them."""
    pot = build / "gettext"
    status = _sphinx("gettext", pot, build / ".doctrees-gettext", {}, quiet)
    if status:
        return status
    command = [sys.executable, "-m", "sphinx_intl", "update", "--pot-dir", str(pot)]
    command += ["--locale-dir", str(LOCALES), "--language", LANGUAGE, "--line-width", "0"]
    status = subprocess.run(command, check=False).returncode
    if status:
        return status
    sys.path.insert(0, str(REPO / "book"))
    import zh_figures

    messages, translated = zh_figures.extract()
    where = zh_figures.CATALOGUE.relative_to(REPO)
    print(f"{where}: {messages} figure strings, {translated} translated")
    return 0


def search_dictionary(path: Path) -> Path:
    """Write the glossary's Chinese terms as a jieba user dictionary, so that the Chinese
    search index holds 强化学习 and 经验回放 as words (jieba alone cuts them in two)."""
    sys.path.insert(0, str(REPO / "book"))
    from glossary_terms import terms

    words = sorted({w for t in terms() for name in t.chinese for w in name.split() if len(w) > 1})
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"{word} 100000\n" for word in words), encoding="utf-8")
    return path


def site_title() -> str | None:
    """The book's title (_config.yml) as translated in the root page's catalogue, which
    holds it as that page's heading; None while it is untranslated."""
    import yaml
    from babel.messages.pofile import read_po

    config = yaml.safe_load((REPO / "_config.yml").read_text(encoding="utf-8"))
    toc = yaml.safe_load((REPO / "_toc.yml").read_text(encoding="utf-8"))
    catalogue = LOCALES / LANGUAGE / "LC_MESSAGES" / f"{toc['root']}.po"
    if not catalogue.exists():
        return None
    with open(catalogue, "rb") as handle:
        message = read_po(handle).get(config.get("title", ""))
    return message.string if message is not None and message.string and not message.fuzzy else None


def build_html(build: Path, quiet: bool) -> int:
    """Build the Chinese site into BUILD/html/zh/ (beside the English site in BUILD/html/)."""
    words = search_dictionary(build / "zh_search_words.txt")
    overrides = {"language": LANGUAGE, "html_search_options": {"dict": str(words)}}
    # sphinx-togglebutton reads its hint ("Click to show" beside every dropdown answer)
    # when it is loaded, before Sphinx knows the language; its own zh_CN strings:
    overrides |= {"togglebutton_hint": "点击显示", "togglebutton_hint_hide": "点击隐藏"}
    if title := site_title():
        overrides["html_title"] = title
    # Built beside the English site, then moved into it: myst-nb keeps its notebook cache
    # in the output folder's parent (html/jupyter_execute would land in the English site).
    staging, site = build / "html-zh", build / "html" / "zh"
    status = _sphinx("html", staging, build / ".doctrees-zh", overrides, quiet)
    if site.exists():
        shutil.rmtree(site)
    site.parent.mkdir(parents=True, exist_ok=True)
    staging.replace(site)
    return status


def report_coverage(build: Path, quiet: bool) -> int:
    """Print every catalogue's translation coverage (book/zh_catalogues.py)."""
    sys.path.insert(0, str(REPO / "book"))
    from zh_catalogues import coverage_report
    from zh_figures import coverage

    print(coverage_report()[0])
    done, needed = coverage()
    share = 100.0 * done / needed if needed else 100.0
    print(f"{'figures (notebooks, figures.po)':40} {done:5d} {needed:5d} {share:6.1f}")
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["extract", "build", "coverage"])
    parser.add_argument(
        "--out", type=Path, default=REPO / "_build", help="build folder (default: _build)"
    )
    parser.add_argument("--quiet", action="store_true", help="print warnings only")
    args = parser.parse_args(argv)
    if args.out.exists() and not args.out.is_dir():
        parser.error(f"--out {args.out} is a file; expected a folder")
    run = {"extract": extract, "build": build_html, "coverage": report_coverage}[args.command]
    return run(args.out.resolve(), args.quiet)


if __name__ == "__main__":
    sys.exit(main())
