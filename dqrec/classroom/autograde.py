"""The autograder: run a student's notebooks with the teacher's checks, score each exercise.

A submitted notebook is matched to the teacher's notebook of the same file name. Its check
cells (found by cell id) are replaced by the teacher's, hidden tests included, so editing a
check changes nothing; cells after the last check are not run. An exercise scores one point
per check cell that runs without an error. ``verify`` proves the checks can fail: in one run
of the student edition, each check must fail on its stub with ``NotImplementedError``, and
the teacher's answer, run in the same kernel right after, must pass it.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from pathlib import Path

from dqrec.classroom.editions import (
    NOTEBOOKS,
    ClassroomError,
    exercises,
    read_notebook,
    role,
    set_source,
    source,
    strip_markers,
    student_edition,
)


@dataclass(frozen=True)
class CheckResult:
    notebook: str
    exercise: str
    passed: bool
    error: str  # "" when passed: the exception's name and first line otherwise


def execute(nb: dict, cwd: Path, timeout: int) -> dict:
    """Run every cell in a fresh kernel (errors are recorded, not raised)."""
    import nbformat
    from nbclient import NotebookClient

    node = nbformat.reads(json.dumps(nb), as_version=4)  # joins the source lines
    client = NotebookClient(node, timeout=timeout, kernel_name="python3", allow_errors=True,
                            resources={"metadata": {"path": str(cwd)}})  # fmt: skip
    client.execute()
    return node


def cell_error(cell: dict) -> str:
    for output in cell.get("outputs", []):
        if output.get("output_type") == "error":
            first = str(output.get("evalue", "")).strip().splitlines()
            return f"{output.get('ename')}: {first[0] if first else ''}".strip()
    return ""


def _teacher_checks(teacher: dict) -> dict[str, dict]:
    return {cell["id"]: cell for cell in teacher["cells"] if role(cell)[1] == "check"}


def _until_last_check(cells: list[dict]) -> list[dict]:
    last = max((i for i, cell in enumerate(cells) if role(cell)[1] == "check"), default=-1)
    return cells[: last + 1]


def grading_notebook(submission: dict, teacher: dict) -> tuple[dict, list[str]]:
    """The submission with the teacher's checks; also the ids of checks it lacks."""
    checks = _teacher_checks(teacher)
    nb = copy.deepcopy(submission)
    for cell in nb["cells"]:
        if cell.get("id") in checks:
            reference = checks[cell["id"]]
            cell["metadata"]["classroom"] = reference["metadata"]["classroom"]
            set_source(cell, strip_markers(source(reference), "check"))
    present = {cell.get("id") for cell in nb["cells"]}
    nb["cells"] = _until_last_check(nb["cells"])
    return nb, [cell_id for cell_id in checks if cell_id not in present]


def grade(
    paths: list[Path], source_dir: Path = NOTEBOOKS, timeout: int = 1800
) -> list[CheckResult]:
    results = []
    for path in paths:
        teacher_path = Path(source_dir) / Path(path).name
        if not teacher_path.exists():
            raise ClassroomError(f"{path}: no teacher notebook {teacher_path} of that name")
        teacher = read_notebook(teacher_path)
        exercises(teacher, teacher_path.name)
        nb, missing = grading_notebook(read_notebook(path), teacher)
        ran = execute(nb, teacher_path.parent, timeout)
        for cell in ran["cells"]:
            label, kind = role(cell)
            if kind == "check":
                error = cell_error(cell)
                results.append(CheckResult(Path(path).name, label, not error, error))
        checks = _teacher_checks(teacher)
        for cell_id in missing:
            label = role(checks[cell_id])[0]
            results.append(CheckResult(Path(path).name, label, False, "the check cell was deleted"))
    return results


def print_scores(results: list[CheckResult]) -> None:
    scores: dict[tuple[str, str], list[CheckResult]] = {}
    for result in results:
        scores.setdefault((result.notebook, result.exercise), []).append(result)
    total = passed = 0
    for (notebook, label), checks in scores.items():
        ok = sum(check.passed for check in checks)
        total, passed = total + len(checks), passed + ok
        why = "; ".join(check.error for check in checks if not check.passed)
        print(f"{notebook:36s} {label:28s} {ok}/{len(checks)}" + (f"  {why}" if why else ""))
    print(f"{'total':65s} {passed}/{total}")


def paired_notebook(teacher: dict, name: str = "notebook") -> dict:
    """The student edition up to its last check, each check followed by the teacher's answer
    and the check again (roles ``teacher-answer`` and ``teacher-check``)."""
    checks = _teacher_checks(teacher)
    answers = {}
    for cell in teacher["cells"]:
        label, kind = role(cell)
        if kind == "answer":
            answers.setdefault(label, []).append(cell)
    student, _ = grading_notebook(student_edition(teacher, name), teacher)
    cells = []
    for cell in student["cells"]:
        cells.append(cell)
        label, kind = role(cell)
        if kind == "check":
            for extra_role, reference in [("teacher-answer", a) for a in answers[label]] + [
                ("teacher-check", checks[cell["id"]])
            ]:
                extra = copy.deepcopy(reference)
                extra["id"] = f"{reference['id']}-{extra_role}"
                extra["metadata"] = {"classroom": {"exercise": label, "role": extra_role}}
                extra["outputs"], extra["execution_count"] = [], None
                set_source(extra, strip_markers(source(reference), extra_role))
                cells.append(extra)
    student["cells"] = cells
    return student


def verify_notebook(path: Path, timeout: int = 1800) -> list[str]:
    """Problems found (empty when every stub fails its check and every answer passes)."""
    teacher = read_notebook(path)
    ran = execute(paired_notebook(teacher, Path(path).name), Path(path).parent, timeout)
    problems = []
    for i, cell in enumerate(ran["cells"]):
        if cell["cell_type"] != "code":
            continue
        label, kind = role(cell)
        error = cell_error(cell)
        if kind == "check" and not error.startswith("NotImplementedError"):
            problems.append(f"{label}: the check did not fail on the stub ({error or 'it passed'})")
        elif kind != "check" and error:
            problems.append(f"cell {i} ({label or 'not an exercise'}, {kind}): {error}")
    return problems


def verify(paths: list[Path], timeout: int = 1800) -> dict[str, list[str]]:
    failures = {}
    for path in paths:
        labels = list(exercises(read_notebook(path), Path(path).name))
        problems = verify_notebook(path, timeout)
        verdict = "ok" if not problems else "FAILED"
        print(f"{Path(path).name}: {len(labels)} auto-checked exercises {verdict}")
        for problem in problems:
            print(f"  {problem}")
        if problems:
            failures[str(path)] = problems
    return failures
