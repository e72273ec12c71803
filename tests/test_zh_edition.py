"""The Chinese edition's message catalogues (book/locales/zh_CN/LC_MESSAGES): one per page,
prose only (no code, no outputs), translated (coverage), markup kept, glossary terms used.

The built Chinese site (_build/html/zh/) is checked in tests/test_book_site.py.
"""

import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

REPO = Path(__file__).resolve().parent.parent


def _load(path: Path):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[path.stem] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


glossary_terms = _load(REPO / "book" / "glossary_terms.py")
zh = _load(REPO / "book" / "zh_catalogues.py")

CATALOGUES = zh.catalogues()
MESSAGES = {page: zh.load(path) for page, path in CATALOGUES.items()}
TERMS = glossary_terms.terms()

# Pages whose translation is still being written (issue 16): below 100 % allowed, reported.
# Remove a page once its translation is merged; the test fails when a listed page is
# complete, so that this list cannot go stale.
PENDING: set[str] = set()


def _toc_pages() -> list[str]:
    import yaml

    toc = yaml.safe_load((REPO / "_toc.yml").read_text(encoding="utf-8"))
    pages = [toc["root"]]
    for part in toc["parts"]:
        pages += [chapter["file"] for chapter in part["chapters"]]
    return pages


def test_every_page_of_the_book_has_one_catalogue():
    pages = _toc_pages()
    assert sorted(CATALOGUES) == sorted(pages), (
        "book/locales/zh_CN/LC_MESSAGES does not match _toc.yml: "
        "run python book/zh_edition.py extract"
    )


@pytest.mark.parametrize("notebook", sorted((REPO / "notebooks").glob("*.ipynb")), ids=str)
def test_notebook_catalogue_has_its_text_but_no_code_or_outputs(notebook):
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    msgids = {message.id for message in MESSAGES[f"notebooks/{notebook.stem}"]}
    code, outputs = set(), set()
    for cell in cells:
        if cell["cell_type"] != "code":
            continue
        source = "".join(cell["source"])
        code |= {source.strip(), *(line.strip() for line in source.splitlines())}
        for output in cell.get("outputs", []):
            text = output.get("text") or output.get("data", {}).get("text/plain", "")
            text = "".join(text) if isinstance(text, list) else text
            outputs |= {line.strip() for line in text.splitlines()}
    code.discard("")
    outputs.discard("")
    assert not msgids & code, f"code in the catalogue: {sorted(msgids & code)[:5]}"
    leaked = {m for m in msgids & outputs if zh.LETTERS.search(m)}
    assert not leaked, f"cell outputs in the catalogue: {sorted(leaked)[:5]}"
    title = next(
        "".join(c["source"]).splitlines()[0].lstrip("# ").strip()
        for c in cells
        if c["cell_type"] == "markdown" and "".join(c["source"]).startswith("# ")
    )
    assert title in msgids, f"the notebook's title {title!r} (a markdown cell) is not extracted"


def test_exercise_titles_are_in_the_catalogues():
    """```{exercise} Title```: the title is a message of its page (book/exercise_titles.py)."""
    titles = 0
    for page in _toc_pages():
        source = next(REPO.glob(f"{page}.*"))
        text = source.read_text(encoding="utf-8")
        if source.suffix == ".ipynb":
            text = "\n".join("".join(c["source"]) for c in json.loads(text)["cells"])
        msgids = {message.id for message in MESSAGES[page]}
        for title in re.findall(r"^[`:]{3,}\{exercise(?:-start)?\}[ \t]+(.+?)\s*$", text, re.M):
            assert title in msgids, f"{page}: the exercise title {title!r} is not extracted"
            titles += 1
    assert titles > 20, titles


def test_translation_coverage():
    report, percent = zh.coverage_report()
    print("\n" + report)
    incomplete = {
        page: round(share, 1)
        for page, share in percent.items()
        if share < 100 and page not in PENDING and page not in zh.NOT_IN_TARGET
    }
    assert not incomplete, f"pages below 100 % translated: {incomplete}\n{report}"
    done = sorted(page for page in PENDING if percent.get(page) == 100)
    assert not done, f"complete now: remove {done} from PENDING in {__file__}"


def test_translations_keep_their_markup():
    broken = []
    for page, messages in MESSAGES.items():
        for message in messages:
            for problem in zh.markup_problems(message):
                broken.append(f"{page}: {message.id[:70]!r}: {problem}")
    assert not broken, "translations that change the markup:\n" + "\n".join(broken)


def test_translations_use_the_glossary_terms():
    failures, warnings = [], []
    for page, messages in MESSAGES.items():
        for message in messages:
            for everyday, problem in zh.term_problems(message, TERMS):
                line = f"{page}: {message.id[:60]!r}: {problem}"
                (warnings if everyday else failures).append(line)
    if warnings:
        print(f"\n{len(warnings)} everyday-word terms without their glossary name (check):")
        print("\n".join(warnings))
    assert not failures, (
        "translations that miss the glossary's Chinese term (fix the msgstr, or add the "
        "translator comment '# glossary-exempt: TERM' above its msgid):\n" + "\n".join(failures)
    )


def test_chinese_glossary_page_keeps_the_term_pairs():
    lines = {line for line, _ in glossary_terms.entries()}
    checked = 0
    for message in MESSAGES["book/glossary"]:
        if message.id not in lines or not message.translated:
            continue
        _, chinese = glossary_terms.split_entry(message.id)
        missing = [name for name in chinese if name not in message.string]
        assert not missing, f"glossary.po: {message.string!r} lacks {missing}"
        checked += 1
    translated = zh.coverage(CATALOGUES["book/glossary"])[0]
    assert checked or not translated, "glossary.po is translated but no term line was checked"


def test_glossary_terms_are_read_from_the_glossary():
    by_name = {term.english: term for term in TERMS}
    assert by_name["Q-value"].chinese[:2] == ("Q 值", "动作价值")
    assert by_name["DQN"].acronym and by_name["Double DQN"].chinese[0] == "双重 DQN"
    assert (
        by_name["on-policy"].chinese[0] == "同轨策略" and "在策略" in by_name["on-policy"].chinese
    )
    assert "准确率" in by_name["Precision"].chinese and by_name["Precision"].everyday
    assert by_name["Experience replay"].pattern().search("with experience replays and")
    assert not by_name["DQN"].pattern().search("a dqn")
    assert len(TERMS) > 50
    with pytest.raises(ValueError, match="no Chinese name"):
        glossary_terms.terms("```{glossary}\nAgent\n  the learner\n```")


def test_markup_check_catches_broken_translations():
    def problems(msgid, msgstr):
        return zh.markup_problems(zh.Message(msgid, msgstr, ()))

    msgid = (
        "See {ref}`Results <results>` and {cite}`mnih2015human`: $Q^*$ via `q_update` [docs](a.md)."
    )
    assert not problems(
        msgid,
        "见 {ref}`结果 <results>` 与{cite}`mnih2015human`：`q_update` 给出 $Q^*$（[文档](a.md)）。",
    )
    assert problems(
        msgid, "见结果与{cite}`mnih2015human`：$Q^*$ `q_update` [文档](a.md)。"
    )  # lost a ref
    assert problems(
        msgid, "见 {ref}`结果 <results>` {cite}`mnih2015human`：$Q$ `q_update` [文档](a.md)。"
    )
    assert problems(
        msgid, "见 {ref}`结果 <results>` {cite}`mnih2015human`：$Q^*$ `q_update` [文档](b.md)。"
    )
    assert problems("a **bold** word", "一个**粗体词")
    assert problems("\nQ(s, a)\n", "\nQ（s, a）\n")
    assert not problems("a **bold** word", "")  # untranslated: nothing to check
    assert problems("1. Q-learning by hand", "1. 手算 Q 学习")  # would become a list
    assert not problems("1. Q-learning by hand", "1\\. 手算 Q 学习")


def test_term_check_catches_a_wrong_term():
    message = zh.Message("The target network is copied.", "目标模型被复制。", ())
    assert [p for _, p in zh.term_problems(message, TERMS)] == [
        "'Target network' should be 目标网络"
    ]
    assert not zh.term_problems(zh.Message("The target network.", "目标 网络。", ()), TERMS)
    exempt = zh.Message("The target network.", "目标模型。", ("glossary-exempt: Target network",))
    assert not zh.term_problems(exempt, TERMS)
    code = zh.Message("Call `target_network` now.", "现在调用 `target_network`。", ())
    assert not zh.term_problems(code, TERMS)


@pytest.mark.slow  # a gettext build of the book: about 10 s
def test_catalogues_are_up_to_date_with_the_sources(tmp_path):
    """Every message of the English sources is in the catalogues (else run extract)."""
    script = f"""
import sys
sys.path.insert(0, {str(REPO / "book")!r})
import zh_edition
sys.exit(zh_edition._sphinx("gettext", zh_edition.Path({str(tmp_path / "gettext")!r}),
         zh_edition.Path({str(tmp_path / "doctrees")!r}), {{}}, True))
"""
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=REPO, check=False
    )
    assert result.returncode == 0, result.stderr[-3000:]
    stale = []
    for pot in sorted((tmp_path / "gettext").rglob("*.pot")):
        page = pot.relative_to(tmp_path / "gettext").with_suffix("").as_posix()
        wanted = {m.id for m in zh.load(pot)}
        have = {m.id for m in MESSAGES.get(page, [])}
        if wanted - have:
            stale.append(
                f"{page}: {len(wanted - have)} new messages, e.g. {sorted(wanted - have)[0][:60]!r}"
            )
    assert not stale, (
        "catalogues behind the sources (python book/zh_edition.py extract):\n" + "\n".join(stale)
    )


# --- The notebooks' figures (book/zh_figures.py, book/locales/zh_CN/figures.po) -------------

zh_figures = _load(REPO / "book" / "zh_figures.py")


def _image_outputs(notebook: Path) -> list[set[str]]:
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    outputs = [out for cell in cells for out in cell.get("outputs", [])]
    return [
        {key for key in out.get("data", {}) if key.startswith("image/")}
        for out in outputs
        if any(key.startswith("image/") for key in out.get("data", {}))
    ]


@pytest.mark.parametrize("notebook", zh_figures.notebooks(), ids=lambda p: p.stem)
def test_notebook_figures_are_svg_with_their_words_as_text(notebook):
    images = _image_outputs(notebook)
    svg = [kinds for kinds in images if kinds == {zh_figures.SVG}]
    assert len(svg) == len(images), f"{notebook.stem}: figures not SVG only: {images}"
    for figure in zh_figures.notebook_figures(notebook):
        assert zh_figures.figure_texts(figure), f"{notebook.stem}: a figure without <text>"
        words = [t for t in zh_figures.math_texts(figure) if zh_figures.needs_translation(t)]
        assert not words, f"{notebook.stem}: words in mathtext cannot be translated: {words}"
        assert "<dc:date>" not in figure


def test_the_notebooks_have_eighteen_figures():
    assert sum(len(_image_outputs(notebook)) for notebook in zh_figures.notebooks()) == 18


def test_figure_catalogue_is_up_to_date_with_the_notebooks():
    with open(zh_figures.CATALOGUE, "rb") as handle:
        msgids = {m.id for m in read_po(handle) if m.id}
    wanted = set(zh_figures.messages())
    assert len(wanted) > 30
    assert msgids == wanted, (
        f"{zh_figures.CATALOGUE.name} is behind the notebooks' figures (python "
        f"book/zh_edition.py extract): new {sorted(wanted - msgids)[:5]}, "
        f"gone {sorted(msgids - wanted)[:5]}"
    )


def test_every_figure_string_is_translated():
    translations = zh_figures.load()
    missing = sorted(set(zh_figures.messages()) - set(translations))
    assert not missing, f"figure strings without a translation in figures.po: {missing}"
    for english, chinese in translations.items():  # Chinese words, no words ("α = 0.1"), code
        assert not zh_figures.english_left(chinese), f"{english!r} -> {chinese!r}: still English"
        assert zh_figures.CODE_NAME.fullmatch(chinese) is None or chinese == english


def test_figure_translations_use_the_glossary_terms():
    translations = zh_figures.load()
    failures = [
        f"{english!r}: {problem}"
        for english, chinese in translations.items()
        for everyday, problem in zh.term_problems(zh.Message(english, chinese, ()), TERMS)
        if not everyday
    ]
    assert not failures, "figure translations that miss a glossary term:\n" + "\n".join(failures)


def test_translated_svg_is_ready_for_the_page():
    svg = (
        '<?xml version="1.0"?>\n<!DOCTYPE svg>\n<svg xmlns="http://www.w3.org/2000/svg">'
        "<metadata><dc:date>x</dc:date></metadata>"
        '<defs><style type="text/css">*{stroke-linejoin: round}</style>'
        '<clipPath id="p1"><rect/></clipPath></defs>'
        '<path clip-path="url(#p1)"/><use xlink:href="#p1"/>'
        "<text style=\"font-size: 10px; font-family: 'DejaVu Sans', sans-serif\">Return &amp; "
        "regret</text><text>0.5</text><text>episode</text></svg>"
    )
    page, left = zh_figures.translate_svg(svg, {"Return & regret": "回报与<遗憾>"}, "f1")
    assert left == ["episode"]
    assert page.startswith('<svg id="f1" role="img" ')
    assert "回报与&lt;遗憾&gt;</text>" in page and "Return" not in page
    assert "font-family: 'dqrec CJK', 'DejaVu Sans', sans-serif" in page
    assert 'id="f1-p1"' in page and "url(#f1-p1)" in page and 'href="#f1-p1"' in page
    assert "#f1 *{stroke-linejoin" in page
    assert "<metadata>" not in page and "<?xml" not in page
    assert zh_figures.needs_translation("alpha = 0.5") and not zh_figures.needs_translation("1e-3")
    assert zh_figures.english_left("item 0") and not zh_figures.english_left("商品 0")
    assert not zh_figures.english_left("first_ips") and not zh_figures.english_left("α = 0.1")
    assert not zh_figures.english_left("gru, item") and zh_figures.english_left("no click")


def test_figure_web_font_is_the_sites_cjk_font():
    css = (REPO / "book" / "static" / "dqrec.css").read_text(encoding="utf-8")
    assert f'font-family: "{zh_figures.WEB_FONT}";' in css


def test_figure_extract_keeps_and_revives_translations(tmp_path):
    shown = sorted(zh_figures.messages())[0]
    po = tmp_path / "figures.po"
    po.write_text(
        f'#~ msgid "{shown}"\n#~ msgstr "译文"\n\n#~ msgid "gone"\n#~ msgstr "走了"\n',
        encoding="utf-8",
    )
    messages, translated = zh_figures.extract(po)
    assert messages == len(zh_figures.messages()) and translated == 1
    assert zh_figures.load(po) == {shown: "译文"}
    assert '#~ msgid "gone"' in po.read_text(encoding="utf-8")
    before = po.read_bytes()
    zh_figures.extract(po)
    assert po.read_bytes() == before, "a second extraction changed the catalogue"
