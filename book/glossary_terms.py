"""The glossary's English/Chinese term pairs, read from book/glossary.md (their single source).

    python book/glossary_terms.py        # prints the pairs as a table

Each term of the ``{glossary}`` block is written ``English / 中文`` (alternatives follow more
slashes), for example ``Reinforcement learning (RL) / 强化学习``; a definition's ``Also called
...`` sentence names further accepted Chinese terms. The English edition shows the page as
written; the Chinese edition's glossary (book/locales/zh_CN/LC_MESSAGES/book/glossary.po)
must keep the same pairs, and tests/test_zh_edition.py checks that translated text uses the
Chinese term wherever the English text uses the English one.
"""

import re
import sys
from dataclasses import dataclass
from pathlib import Path

GLOSSARY = Path(__file__).resolve().parent / "glossary.md"

CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
# Everyday English words that are glossary terms too ("the state of the art", "returns a
# table", "bootstrap intervals"): a missing Chinese term there is worth a look, not a failure.
EVERYDAY = {
    "agent",
    "environment",
    "state",
    "action",
    "reward",
    "return",
    "policy",
    "advantage",
    "precision",
    "recall",
    "embedding",
    "propensity",
    "bootstrapping",
}


@dataclass(frozen=True)
class Term:
    """One English name (or acronym) and the Chinese names that translate it."""

    english: str  # "reinforcement learning", or an acronym in capitals: "RL"
    chinese: tuple[str, ...]  # the glossary's first Chinese name comes first
    entry: str  # the glossary line it comes from

    @property
    def everyday(self) -> bool:
        return self.english.lower() in EVERYDAY

    @property
    def acronym(self) -> bool:
        return re.fullmatch(r"[A-Z0-9]{2,}", self.english) is not None

    def pattern(self) -> re.Pattern:
        """Where the English name occurs in English text (plurals too; acronyms by case)."""
        words = r"[\s-]+".join(re.escape(w) for w in re.split(r"[\s-]+", self.english))
        flags = 0 if self.acronym else re.IGNORECASE
        return re.compile(rf"(?<![\w-]){words}(?:s|es)?(?![\w-])", flags)


def entries(text: str | None = None) -> list[tuple[str, str]]:
    """(term line, definition) for each entry of the {glossary} block."""
    text = GLOSSARY.read_text(encoding="utf-8") if text is None else text
    match = re.search(r"```\{glossary\}\n(.*?)\n```", text, re.S)
    if not match:
        raise ValueError(f"{GLOSSARY}: no ```{{glossary}} block")
    result: list[tuple[str, list[str]]] = []
    for line in match.group(1).splitlines():
        if line and not line[0].isspace():
            result.append((line.strip(), []))
        elif line.strip() and result:
            result[-1][1].append(line.strip())
    return [(term, " ".join(body)) for term, body in result]


def _chinese_names(text: str) -> list[str]:
    """The Chinese names in `text`: runs that start with a CJK character ('双 DQN', 'Q 值' is
    not caught here: names that start with Latin letters come from the term line)."""
    names = re.findall(r"[\u3400-\u4dbf\u4e00-\u9fff][\u3400-\u4dbf\u4e00-\u9fffA-Za-z0-9 ]*", text)
    return [re.sub(r"(\s+[a-z]+)+$", "", name).strip() for name in names]


def _also_called(definition: str) -> list[list[str]]:
    """The Chinese names of a definition's 'Also called ...' sentences, in groups split at
    ' and ' ('Also called 离策略 / 异策略 and 在策略 / 同策略' -> two groups)."""
    groups = []
    for sentence in re.findall(r"Also called (.*?)(?:\.(?:\s|$)|$)", definition):
        groups += [_chinese_names(part) for part in sentence.split(" and ")]
    return [group for group in groups if group]


def split_entry(line: str) -> tuple[str, list[str]]:
    """'Q-value / Q 值' -> ('Q-value', ['Q 值'])."""
    parts = [part.strip() for part in line.split(" / ")]
    english = parts[0]
    chinese = [part for part in parts[1:] if CJK.search(part)]
    if not chinese:
        raise ValueError(f"glossary term {line!r} has no Chinese name after ' / '")
    return english, chinese


def terms(text: str | None = None) -> list[Term]:
    """Every English name and acronym of the glossary with its accepted Chinese names."""
    result = []
    for line, definition in entries(text):
        english, chinese = split_entry(line)
        also = _also_called(definition)
        names = re.sub(r"\s*\([^)]*\)", "", english)
        acronyms = re.findall(r"\(([A-Z0-9]{2,})\)", english)
        halves = [h.strip() for h in names.split(" and ")]
        zh_halves = chinese[0].split("与")
        if len(halves) > 1 and len(zh_halves) == len(halves):  # "Exploration and exploitation"
            for i, (en, zh) in enumerate(zip(halves, zh_halves, strict=True)):
                more = also[i] if len(also) == len(halves) else sum(also, [])
                result.append(Term(en, (zh, *chinese, *more), line))
        else:
            result.append(Term(names, (*chinese, *sum(also, [])), line))
        for acronym in acronyms:
            result.append(Term(acronym, (*chinese, *sum(also, []), acronym), line))
    return result


def main() -> int:
    for term in terms():
        kind = "everyday" if term.everyday else ""
        print(f"{term.english:40} {' / '.join(term.chinese):40} {kind}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
