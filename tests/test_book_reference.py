"""The book's generated reference material is up to date with the code it is drawn from.

- the SVG diagrams in book/figures/ (and their Chinese versions, *.zh_CN.svg) are what
  book/figures/make_figures.py draws now;
- the hyperparameter table of book/algorithm.md is what book/hyperparameter_table.py makes
  from the comments of dqrec/config/learning.py;
- the glossary has the terms the chapters use, and the notation page is in the book.
"""

import importlib.util
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def _load(path: Path):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


figures = _load(REPO / "book" / "figures" / "make_figures.py")
hyperparameters = _load(REPO / "book" / "hyperparameter_table.py")


@pytest.mark.parametrize("name", sorted(figures.FIGURES))
def test_committed_figure_is_what_the_script_draws(name):
    committed = REPO / "book" / "figures" / name
    assert committed.exists(), f"{name} is missing: run python book/figures/make_figures.py"
    drawn = figures.render(figures.FIGURES[name])
    assert drawn == committed.read_bytes(), (
        f"book/figures/{name} is stale: run python book/figures/make_figures.py"
    )


@pytest.mark.parametrize("name", sorted(figures.FIGURES))
def test_committed_chinese_figure_is_what_the_script_draws(name):
    chinese = figures.figure_name(name, "zh_CN")
    committed = REPO / "book" / "figures" / chinese
    assert committed.exists(), f"{chinese} is missing: run python book/figures/make_figures.py"
    drawn = figures.render(figures.FIGURES[name], "zh_CN")
    assert drawn == committed.read_bytes(), (
        f"book/figures/{chinese} is stale: run python book/figures/make_figures.py"
    )
    assert b"<text" not in drawn, "Chinese labels must be outlines (no font needed to show them)"


def test_chinese_figure_labels_leave_no_english_word():
    assert figures.translate("next state", figures.ZH_CN) == "下一个状态"
    assert figures.translate("batch of 512", figures.ZH_CN) == "512 条转移的批次"
    with pytest.raises(ValueError, match="no translation for"):
        figures.translate("a brand new label", figures.ZH_CN)


def test_every_figure_is_shown_somewhere():
    sources = [*REPO.glob("book/*.md"), *REPO.glob("notebooks/*.ipynb")]
    text = "\n".join(path.read_text(encoding="utf-8") for path in sources)
    for name in figures.FIGURES:
        assert f"figures/{name}" in text, f"no page shows book/figures/{name}"


def test_figure_script_rejects_a_missing_folder(tmp_path, capsys):
    assert figures.main(["--out", str(tmp_path / "nope")]) == 2
    assert "nope" in capsys.readouterr().err


def test_hyperparameter_table_matches_the_config_comments():
    assert hyperparameters.main(["--check"]) == 0, (
        "the table in book/algorithm.md is stale: run python book/hyperparameter_table.py --write"
    )


def test_hyperparameter_table_lists_every_agent_and_network_field():
    import dataclasses

    from dqrec.config import AgentConfig, NetworkConfig

    table = hyperparameters.table()
    for config in (AgentConfig, NetworkConfig):
        for field in dataclasses.fields(config):
            assert f"`{config.__name__}.{field.name}`" in table, field.name
    # defaults as written in the source, e.g. the learning rate
    assert "| `AgentConfig.lr` | `1e-3` |" in table


def test_hyperparameter_table_check_fails_on_a_changed_default(tmp_path):
    source = (REPO / "dqrec" / "config" / "learning.py").read_text(encoding="utf-8")
    changed = tmp_path / "learning.py"
    changed.write_text(source.replace("batch_size: int = 256", "batch_size: int = 128"))
    assert "| `AgentConfig.batch_size` | `128` |" in hyperparameters.table(changed)
    assert hyperparameters.table(changed) != hyperparameters.table()


GLOSSARY_TERMS = [
    "Double DQN",
    "Dueling network",
    "Bootstrapping",
    "Bellman equation",
    "Value iteration",
    "Huber loss",
    "Terminated and truncated",
    "Importance sampling",
    "Propensity",
    "Inverse propensity scoring (IPS)",
    "Self-normalised IPS (SNIPS)",
    "Doubly robust (DR) estimator",
    "Normalised discounted cumulative gain (NDCG)",
    "Two-tower model",
    "n-step return",
]


def test_glossary_has_the_terms_the_book_uses():
    text = (REPO / "book" / "glossary.md").read_text(encoding="utf-8")
    terms = re.findall(r"^(\S.*?) / (.+)$", text.split("```{glossary}")[1], re.M)
    english = [term for term, _ in terms]
    for wanted in GLOSSARY_TERMS:
        assert wanted in english, f"the glossary lacks {wanted!r}"
    assert len(english) == len(set(english)), "a glossary term appears twice"
    for term, chinese in terms:
        assert re.search(r"[\u4e00-\u9fff]", chinese), f"{term!r} has no Chinese term"
    off_policy = dict(terms)["Off-policy evaluation (OPE)"]
    assert "离轨策略" in off_policy and "离策略" in off_policy


def test_notation_page_is_in_the_book():
    toc = (REPO / "_toc.yml").read_text(encoding="utf-8")
    assert "file: book/notation" in toc
    notation = (REPO / "book" / "notation.md").read_text(encoding="utf-8")
    for symbol in (r"$\gamma$", r"$\theta^-$", r"$\mathcal{D}$", r"$\kappa$"):
        assert symbol in notation, symbol
