"""Student and teacher editions, the autograder, the install cell and the Binder files."""

import copy
import json
import re
import runpy
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from dqrec.classroom import __main__ as cli
from dqrec.classroom import editions as classroom
from dqrec.classroom import launch
from dqrec.classroom.autograde import grade, verify_notebook
from dqrec.classroom.editions import (
    ClassroomError,
    exercises,
    notebook_paths,
    read_notebook,
    role,
    source,
    student_edition,
)

ROOT = Path(__file__).resolve().parent.parent
PATHS = notebook_paths(ROOT / "notebooks")
IDS = [p.stem[:2] for p in PATHS]


def solution_lines(cell):
    """The distinctive lines of an answer cell's solution region (not comments, not short)."""
    text = source(cell)
    region = text[text.index(classroom.BEGIN_SOLUTION) : text.index(classroom.END_SOLUTION)]
    lines = [line.strip() for line in region.splitlines()[1:]]
    return [line for line in lines if len(line) >= 20 and not line.startswith("#")]


@pytest.mark.parametrize("path", PATHS, ids=IDS)
def test_every_notebook_has_an_auto_checked_exercise_and_a_quiz(path):
    nb = read_notebook(path)
    assert exercises(nb, path.name), f"{path.name} has no auto-checked exercise"
    quiz = [c for c in nb["cells"] if source(c).startswith("## Self-check quiz")]
    assert len(quiz) == 1 and source(quiz[0]).count(":class: dropdown") >= 3


@pytest.mark.parametrize("path", PATHS, ids=IDS)
def test_student_edition_shows_no_answer(path):
    teacher = read_notebook(path)
    student = student_edition(teacher, path.name)
    text = json.dumps(student)
    for marker in ("{solution", "BEGIN SOLUTION", "HIDDEN TESTS", "BEGIN REVEAL"):
        assert marker not in text, f"{path.name}: {marker!r} left in the student edition"
    assert all(not c.get("outputs") for c in student["cells"] if c["cell_type"] == "code")
    answers = [c for c in teacher["cells"] if role(c)[1] == "answer"]
    for answer in answers:
        label = role(answer)[0]
        stubs = [c for c in student["cells"] if role(c) == (label, "answer")]
        assert len(stubs) == 1 and f'NotImplementedError("{label}' in source(stubs[0])
        for line in solution_lines(answer):  # no solution line anywhere in the student edition
            assert line not in text.replace("\\n", "\n"), f"{path.name} {label}: {line!r} shown"
    for cell in student["cells"]:  # a check keeps everything but its hidden tests
        if role(cell)[1] == "check":
            (original,) = [c for c in teacher["cells"] if c["id"] == cell["id"]]
            if classroom.BEGIN_HIDDEN not in source(original):
                assert source(cell) == source(original)


def test_package_code_shown_before_an_exercise_is_left_out():
    for name, function in (("04_training_loop", "epsilon_greedy"), ("07_off_policy", "snips")):
        (path,) = [p for p in PATHS if p.stem.startswith(name)]
        teacher = json.dumps(read_notebook(path))
        student = json.dumps(student_edition(read_notebook(path)))
        assert f":pyobject: {function}\\n" in teacher
        assert f":pyobject: {function}\\n" not in student
        assert "left out of the student edition" in student


def test_markers_that_do_not_pair_are_one_line_errors():
    cell = {"cell_type": "code", "id": "a", "outputs": [], "execution_count": None,
            "metadata": {"classroom": {"exercise": "ex-x", "role": "answer"}},
            "source": "def f():\n    ### BEGIN SOLUTION\n    return 1\n"}  # fmt: skip
    check = copy.deepcopy(cell) | {"id": "b", "source": "assert f() == 1"}
    check["metadata"] = {"classroom": {"exercise": "ex-x", "role": "check"}}
    nb = {"cells": [cell, check], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    with pytest.raises(ClassroomError, match="one ### BEGIN SOLUTION"):
        exercises(nb)
    cell["source"] += "    ### END SOLUTION\n"
    assert list(exercises(nb)) == ["ex-x"]
    nb["cells"] = [check, cell]
    with pytest.raises(ClassroomError, match="comes before its answer"):
        exercises(nb)
    solution = {"cell_type": "markdown", "id": "c", "metadata": {}, "source": "````{solution} x"}
    with pytest.raises(ClassroomError, match="unclosed"):
        student_edition({**nb, "cells": [cell, check, solution]})


def test_student_command_writes_outside_the_notebooks_only(tmp_path, capsys):
    out = tmp_path / "student"
    assert cli.main(["student", "--out", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == [p.name for p in PATHS]
    assert cli.main(["student", "--out", str(out)]) == 2
    assert "not empty; pass --force" in capsys.readouterr().err
    assert cli.main(["student", "--out", str(out), "--force"]) == 0
    assert cli.main(["student", "--out", str(ROOT / "notebooks" / "x")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "outside the notebooks folder" in err


def test_install_cells_agree_with_the_config():
    url, branch = launch.repository()
    assert url == yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]["url"]
    assert launch.sync_install_cells(PATHS, check=True) == []
    for path in PATHS:
        first = read_notebook(path)["cells"][0]
        assert f"git+{url}@{branch}" in source(first)
        assert "remove-cell" in first["metadata"]["tags"]  # on the site it would only distract


def _run_install_cell(monkeypatch, importable):
    from IPython.core.inputtransformer2 import TransformerManager

    calls = []

    class FakeShell:
        def run_line_magic(self, name, line):
            calls.append((name, line))

    code = TransformerManager().transform_cell(source(read_notebook(PATHS[0])["cells"][0]))
    if not importable:
        monkeypatch.setitem(sys.modules, "dqrec", None)  # import dqrec raises ImportError
    exec(code, {"get_ipython": FakeShell})
    return calls


def test_install_cell_is_a_no_op_where_dqrec_imports(monkeypatch):
    assert _run_install_cell(monkeypatch, importable=True) == []
    url, branch = launch.repository()
    calls = _run_install_cell(monkeypatch, importable=False)
    assert calls == [("pip", f'install --quiet "dqrec @ git+{url}@{branch}"')]


def test_binder_files_pin_the_root_requirements():
    binder = ROOT / ".binder"
    lines = [
        line.strip()
        for line in (binder / "requirements.txt").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert lines == ["-r ../requirements.txt"]  # pip resolves it relative to this file
    assert (binder / lines[0].split()[1]).resolve() == ROOT / "requirements.txt"
    pins = [line for line in (ROOT / "requirements.txt").read_text().splitlines() if "==" in line]
    assert len(pins) > 10 and all(re.fullmatch(r"[A-Za-z0-9_.-]+==[\w.]+", p) for p in pins)
    runtime = (binder / "runtime.txt").read_text().strip()
    requires = re.search(r'requires-python = ">=(\d+\.\d+)"', (ROOT / "pyproject.toml").read_text())
    assert runtime == f"python-{requires.group(1)}"
    post_build = binder / "postBuild"
    assert post_build.stat().st_mode & 0o111, "postBuild must be executable"
    subprocess.run(["bash", "-n", str(post_build)], check=True)
    assert "-e ." in post_build.read_text()
    top = {p.name for p in ROOT.iterdir()} - {".git", ".venv", "_build", "student"}
    assert ".binder" in top


def test_jupyterhub_button_only_with_an_address():
    buttons = yaml.safe_load((ROOT / "_config.yml").read_text())["launch_buttons"]
    assert "example" not in str(buttons.get("jupyterhub_url", ""))


def _tiny_course(tmp_path):
    """A teacher notebook with one exercise (a hidden test included) and its student edition."""
    cells = [
        {"cell_type": "markdown", "id": "m", "metadata": {}, "source": "# Tiny"},
        {"cell_type": "code", "id": "a", "execution_count": None, "outputs": [],
         "metadata": {"classroom": {"exercise": "ex-double", "role": "answer"}},
         "source": "def double(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION"},
        {"cell_type": "code", "id": "c", "execution_count": None, "outputs": [],
         "metadata": {"classroom": {"exercise": "ex-double", "role": "check"}},
         "source": "assert double(2) == 4\n### BEGIN HIDDEN TESTS\nassert double(-1.5) == -3\n"
                   "### END HIDDEN TESTS\nprint('Correct!')"},
        {"cell_type": "code", "id": "z", "execution_count": None, "outputs": [], "metadata": {},
         "source": "raise RuntimeError('after the last check: never run')"},
    ]  # fmt: skip
    teacher = {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    (tmp_path / "source").mkdir()
    classroom.write_notebook(teacher, tmp_path / "source" / "01_tiny.ipynb")
    return teacher, student_edition(teacher, "01_tiny.ipynb")


@pytest.mark.slow
def test_autograder_scores_answers_with_the_teachers_checks(tmp_path):
    teacher, student = _tiny_course(tmp_path)
    answers = {
        "stub": None,
        "right": "def double(x):\n    return x + x",
        "passes_visible_only": "def double(x):\n    return 4",  # fails the hidden test
    }
    paths = []
    for name, answer in answers.items():
        nb = copy.deepcopy(student)
        if answer is not None:
            nb["cells"][1]["source"] = answer
        if name == "right":
            nb["cells"][2]["source"] = "print('Correct!')"  # an edited check is replaced
        (tmp_path / name).mkdir()
        classroom.write_notebook(nb, tmp_path / name / "01_tiny.ipynb")
        paths.append(tmp_path / name / "01_tiny.ipynb")
    results = grade(paths, tmp_path / "source", timeout=60)
    assert [r.passed for r in results] == [False, True, False]
    assert results[0].error.startswith("NotImplementedError")
    assert results[2].error.startswith("AssertionError")


@pytest.mark.slow
def test_verify_finds_a_check_that_passes_without_an_answer(tmp_path):
    teacher, _ = _tiny_course(tmp_path)
    teacher["cells"][2]["source"] = "print('Correct!')"  # a check that checks nothing
    path = tmp_path / "source" / "01_tiny.ipynb"
    classroom.write_notebook(teacher, path)
    assert verify_notebook(path, timeout=60) == [
        "ex-double: the check did not fail on the stub (it passed)"
    ]


@pytest.mark.slow
@pytest.mark.parametrize("path", PATHS, ids=IDS)
def test_each_check_fails_on_its_stub_and_passes_with_the_answer(path):
    from dqrec.data import default_data_path

    needs_full_data = runpy.run_path(str(ROOT / "notebooks" / "conftest.py"))["NEEDS_FULL_DATA"]
    if path.name in needs_full_data and not default_data_path().is_file():
        pytest.skip(f"{path.name} needs the full Online Retail table (see notebooks/conftest.py)")
    # One run of the student edition up to its last check: each check must fail on its stub
    # with NotImplementedError, then pass once the teacher's answer has run in the same kernel.
    assert verify_notebook(path) == []
