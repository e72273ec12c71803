"""Student and teacher editions of the notebooks, from one source.

The committed notebooks are the teacher edition. Every answer is marked once:

- in an **answer cell** (metadata ``classroom: {exercise: <label>, role: answer}``) the lines
  between ``### BEGIN SOLUTION`` and ``### END SOLUTION`` (nbgrader's delimiters) are the
  answer; the student edition replaces them by a stub that raises ``NotImplementedError``;
- a **check cell** (``role: check``) is kept, except the lines between
  ``### BEGIN HIDDEN TESTS`` and ``### END HIDDEN TESTS``, which only the autograder runs;
- MyST ``{solution}`` blocks and ``{solution-start}`` ... ``{solution-end}`` spans (with the
  code cells inside them) are dropped, and so is a markdown span between
  ``<!-- BEGIN REVEAL <label> -->`` and ``<!-- END REVEAL -->``, which shows an answer before
  its exercise (package code, say): the student edition says instead that it is left out.
"""

from __future__ import annotations

import copy
import json
import os
import re
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"
BEGIN_SOLUTION, END_SOLUTION = "### BEGIN SOLUTION", "### END SOLUTION"
BEGIN_HIDDEN, END_HIDDEN = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
REVEAL = re.compile(r"<!-- BEGIN REVEAL (\S+) -->.*?<!-- END REVEAL -->\n?", re.DOTALL)
FENCE = re.compile(r"^\s*(`{3,}|:{3,})\{(solution|solution-start|solution-end)\}")


class ClassroomError(ValueError):
    """A notebook's markers are wrong, or a command got a bad argument (one line)."""


def read_notebook(path: Path) -> dict:
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as err:
        raise ClassroomError(f"cannot read notebook {path}: {err}") from None


def write_notebook(nb: dict, path: Path) -> None:
    """Write atomically, in the layout Jupyter and nbconvert write (indent 1, sorted keys)."""
    text = json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False) + "\n"
    fd, tmp = tempfile.mkstemp(dir=Path(path).parent, suffix=".ipynb.tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)


def source(cell: dict) -> str:
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def set_source(cell: dict, text: str) -> None:
    cell["source"] = text.splitlines(keepends=True)


def role(cell: dict) -> tuple[str | None, str | None]:
    meta = cell.get("metadata", {}).get("classroom", {})
    return meta.get("exercise"), meta.get("role")


def exercises(nb: dict, name: str = "notebook") -> dict[str, dict[str, list[int]]]:
    """``{label: {"answer": [cell index], "check": [...]}}``, in page order, validated."""
    found: dict[str, dict[str, list[int]]] = {}
    for i, cell in enumerate(nb["cells"]):
        label, kind = role(cell)
        if label is None:
            continue
        if kind not in ("answer", "check") or cell["cell_type"] != "code":
            raise ClassroomError(f"{name} cell {i}: classroom role {kind!r} on a "
                                 f"{cell['cell_type']} cell; expected answer or check on code")  # fmt: skip
        found.setdefault(label, {"answer": [], "check": []})[kind].append(i)
        text = source(cell)
        if kind == "answer" and (text.count(BEGIN_SOLUTION) != 1 or END_SOLUTION not in text):
            raise ClassroomError(f"{name} cell {i} ({label}): an answer cell needs one "
                                 f"{BEGIN_SOLUTION} ... {END_SOLUTION} region")  # fmt: skip
    for label, cells in found.items():
        if not cells["answer"] or not cells["check"]:
            raise ClassroomError(f"{name}: exercise {label} needs an answer cell and a check cell")
        if min(cells["check"]) < max(cells["answer"]):
            raise ClassroomError(f"{name}: a check cell of {label} comes before its answer")
    return found


def _replace_region(text: str, begin: str, end: str, stub: str | None, where: str) -> str:
    out, inside = [], False
    for line in text.splitlines(keepends=True):
        stripped = line.strip()
        if stripped == begin:
            if inside:
                raise ClassroomError(f"{where}: {begin} inside another region")
            inside = True
            indent = line[: len(line) - len(line.lstrip())]
            if stub is not None:
                out.append(f"{indent}# YOUR CODE HERE\n{indent}{stub}\n")
        elif stripped == end:
            if not inside:
                raise ClassroomError(f"{where}: {end} without {begin}")
            inside = False
        elif not inside:
            out.append(line)
    if inside:
        raise ClassroomError(f"{where}: {begin} without {end}")
    return "".join(out)


def answer_stub(label: str) -> str:
    return f'raise NotImplementedError("{label}: replace this line with your answer")'


def strip_markers(text: str, where: str) -> str:
    """The teacher's view of a cell: the delimiter lines removed, everything else kept."""
    for begin, end in ((BEGIN_SOLUTION, END_SOLUTION), (BEGIN_HIDDEN, END_HIDDEN)):
        lines = [
            line for line in text.splitlines(keepends=True) if line.strip() not in (begin, end)
        ]
        text = "".join(lines)
    return text


def _drop_solutions(nb: dict, name: str) -> list[dict]:
    """The cells without MyST solution blocks and solution-start/-end spans (and their code)."""
    cells, in_span = [], False
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] != "markdown":
            if not in_span:
                cells.append(cell)
            continue
        kept, fence, skipping_block = [], None, False
        for line in source(cell).splitlines(keepends=True):
            if fence is not None:  # inside a solution directive's own fence
                if (
                    line.strip()
                    and set(line.strip()) == {fence[0]}
                    and len(line.strip()) >= len(fence)
                ):
                    fence = None
                    skipping_block = False
                continue
            match = FENCE.match(line)
            if match:
                fence, kind = match.group(1), match.group(2)
                if kind == "solution-start":
                    if in_span:
                        raise ClassroomError(f"{name} cell {i}: solution-start inside a span")
                    in_span = True
                elif kind == "solution-end":
                    if not in_span:
                        raise ClassroomError(f"{name} cell {i}: solution-end without a start")
                    in_span = False
                skipping_block = True
                continue
            if not in_span and not skipping_block:
                kept.append(line)
        if fence is not None:
            raise ClassroomError(f"{name} cell {i}: an unclosed {fence}{{solution}} fence")
        text = "".join(kept).strip("\n")
        if text.strip():
            cell = copy.deepcopy(cell)
            set_source(cell, text)
            cells.append(cell)
    if in_span:
        raise ClassroomError(f"{name}: a solution-start without solution-end")
    return cells


def _left_out(match: re.Match) -> str:
    return (f"*The package's version is left out of the student edition: write your own in "
            f"exercise `{match.group(1)}` first.*\n")  # fmt: skip


def student_edition(nb: dict, name: str = "notebook") -> dict:
    """The student edition: answers stubbed, hidden tests and solutions out, no outputs."""
    exercises(nb, name)  # validates the markers
    nb = copy.deepcopy(nb)
    cells = []
    for cell in _drop_solutions(nb, name):
        label, kind = role(cell)
        text = source(cell)
        where = f"{name} ({label or cell['cell_type']})"
        if cell["cell_type"] == "markdown":
            text = REVEAL.sub(_left_out, text)
        elif kind == "answer":
            text = _replace_region(text, BEGIN_SOLUTION, END_SOLUTION, answer_stub(label), where)
        elif BEGIN_SOLUTION in text:
            raise ClassroomError(f"{where}: a solution region outside an answer cell")
        if cell["cell_type"] == "code":
            text = _replace_region(text, BEGIN_HIDDEN, END_HIDDEN, None, where).rstrip("\n")
            cell["outputs"], cell["execution_count"] = [], None
            cell["metadata"].pop("execution", None)
        set_source(cell, text)
        cells.append(cell)
    nb["cells"] = cells
    return nb


def notebook_paths(folder: Path) -> list[Path]:
    paths = sorted(Path(folder).glob("[0-9][0-9]_*.ipynb"))
    if not paths:
        raise ClassroomError(f"no notebooks NN_name.ipynb in {folder}")
    return paths


def write_student_edition(
    out: Path, source_dir: Path = NOTEBOOKS, force: bool = False
) -> list[Path]:
    out, source_dir = Path(out).resolve(), Path(source_dir).resolve()
    if out == source_dir or source_dir in out.parents or out in source_dir.parents:
        raise ClassroomError(f"--out {out} must lie outside the notebooks folder {source_dir}")
    if out.exists() and any(out.iterdir()) and not force:
        raise ClassroomError(f"--out {out} is not empty; pass --force to replace its notebooks")
    editions = {
        p.name: student_edition(read_notebook(p), p.name) for p in notebook_paths(source_dir)
    }
    out.mkdir(parents=True, exist_ok=True)  # everything is checked before anything is written
    for filename, nb in editions.items():
        write_notebook(nb, out / filename)
    return [out / filename for filename in editions]
