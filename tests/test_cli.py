"""The command line: the three commands end to end, and one clear line for each bad input."""

import contextlib
import io
import json
import os
import re
import subprocess
import sys

import pytest

from dqrec.cli import UsageError, main, parse_history


def chatty_env():
    """A fresh environment in which TensorFlow logs on start-up on any CPU.

    oneDNN's custom operations switched on make TensorFlow write its absl preamble and an
    ``I0000 ... oneDNN custom operations are on`` line to stderr, as it does by itself on
    Intel Xeons; ``TF_CPP_MIN_LOG_LEVEL`` is removed, as in a user's shell.
    """
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    env["TF_ENABLE_ONEDNN_OPTS"] = "1"
    return env


def run_cli(*args, env=None):
    """Run ``python -m dqrec`` in a fresh process: (exit code, stdout, stderr)."""
    done = subprocess.run(
        [sys.executable, "-m", "dqrec", *args], capture_output=True, text=True, timeout=300, env=env
    )
    return done.returncode, done.stdout, done.stderr


def test_help_lists_the_commands():
    code, out, _ = run_cli("--help")
    assert code == 0 and all(c in out for c in ("train", "evaluate", "recommend"))
    for command in ("train", "evaluate", "recommend"):
        code, out, _ = run_cli(command, "--help")
        assert code == 0 and "usage" in out


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ((), "required: command"),
        (("fly",), "invalid choice: 'fly'"),
        (("train", "--total-steps", "many"), "invalid int value: 'many'"),
        (("train", "--frobnicate"), "unrecognized arguments: --frobnicate"),
        (("train", "--encoder", "lstm"), "invalid choice: 'lstm'"),
        (("recommend",), "the following arguments are required: model"),
    ],
)
def test_usage_errors_exit_2_with_one_line(args, expected):
    code, out, err = run_cli(*args)
    assert code == 2
    assert expected in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_parse_history():
    assert parse_history("12:click, 40:skip,3:PURCHASE") == ([12, 40, 3], [2, 1, 3])
    assert parse_history("") == ([], [])
    for bad in ("12", "x:click", "12:like", "-1:skip"):
        with pytest.raises(UsageError, match="is not ITEM:FEEDBACK"):
            parse_history(bad)


@pytest.fixture(scope="module")
def trained_run(tmp_path_factory):
    """``dqrec train`` run once in this process: (output folder, what it printed)."""
    out = tmp_path_factory.mktemp("run")
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        code = main(
            [
                "train",
                "--out",
                str(out),
                "--total-steps",
                "3000",
                "--eval-shoppers",
                "40",
                "--checkpoint-every",
                "1000",
            ]
        )
    assert code == 0
    return out, printed.getvalue()


@pytest.fixture(scope="module")
def trained(trained_run):
    return trained_run[0]


POLICIES = ("DQN", "myopic (gamma=0)", "random", "most popular", "oracle (myopic, sees latent)")


@pytest.mark.slow
def test_train_writes_models_results_and_a_table(trained_run):
    trained, printed = trained_run
    assert (trained / "dqn.keras").is_file() and (trained / "myopic.keras").is_file()
    assert list((trained / "checkpoints" / "dqn").glob("ckpt-*.npz"))
    results = json.loads((trained / "results.json").read_text())["results"]
    assert set(results) == set(POLICIES)
    # the table: a header, then one row per policy with mean ± CI, CTR, conversion, length,
    # showing the numbers saved in results.json (rounded)
    lines = printed.splitlines()
    header = next(i for i, line in enumerate(lines) if line.split()[:2] == ["policy", "mean"])
    assert lines[header].split() == ["policy", "mean", "return", "CTR", "conv.", "length"]
    number = r"(-?\d+\.\d+)"
    for name, line in zip(POLICIES, lines[header + 1 : header + 6], strict=True):
        row = re.fullmatch(rf"{re.escape(name)}\s+{number} ± {number}(?:\s+{number}){{3}}", line)
        assert row, (name, line)
        mean, ci = float(row[1]), float(row[2])
        assert mean == pytest.approx(results[name]["mean_return"], abs=5e-4), name
        assert ci == pytest.approx(results[name]["return_ci"], abs=5e-4), name


@pytest.mark.slow
def test_evaluate_prints_every_policy(trained):
    code, out, err = run_cli(
        "evaluate",
        str(trained / "dqn.keras"),
        "--myopic",
        str(trained / "myopic.keras"),
        "--shoppers",
        "30",
    )
    assert code == 0, err
    for name in ("DQN", "myopic (gamma=0)", "random", "most popular", "oracle", "±"):
        assert name in out


@pytest.mark.slow
def test_recommend_prints_top_k(trained):
    code, out, err = run_cli(
        "recommend",
        str(trained / "dqn.keras"),
        "--history",
        "3:click,17:skip,42:purchase",
        "-k",
        "4",
    )
    assert code == 0, err
    rows = out.strip().splitlines()[1:]
    assert len(rows) == 4 and [r.split()[0] for r in rows] == ["1", "2", "3", "4"]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("args", "code", "expected"),
    [
        (("--history", "3:click,999:skip"), 2, "item 999 is not in the catalogue"),
        (("--history", "3:maybe"), 2, "is not ITEM:FEEDBACK"),
        (("-k", "0"), 2, "--top-k must be >= 1"),
    ],
)
def test_recommend_bad_input(trained, args, code, expected):
    got, _, err = run_cli("recommend", str(trained / "dqn.keras"), *args)
    assert got == code and expected in err and len(err.strip().splitlines()) == 1


@pytest.mark.slow
def test_bad_model_files_exit_1_with_one_line(tmp_path, trained):
    corrupt = tmp_path / "corrupt.keras"
    corrupt.write_bytes((trained / "dqn.keras").read_bytes()[:1000])
    for path, expected in (
        (tmp_path / "none.keras", "does not exist"),
        (corrupt, "truncated or not a Keras"),
    ):
        for command in ("evaluate", "recommend"):
            code, _, err = run_cli(command, str(path))
            assert code == 1 and expected in err
            assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


@pytest.mark.slow
def test_invalid_config_value_exits_2(tmp_path):
    code, _, err = run_cli("train", "--out", str(tmp_path), "--gamma", "1.5")
    assert code == 2 and "AgentConfig.gamma must be a finite number in [0.0, 1.0], got 1.5" in err


@pytest.mark.slow
def test_corrupt_checkpoint_exits_1(tmp_path):
    folder = tmp_path / "checkpoints" / "dqn"
    folder.mkdir(parents=True)
    (folder / "ckpt-000000001000.npz").write_bytes(b"garbage")
    code, _, err = run_cli("train", "--out", str(tmp_path), "--total-steps", "2000")
    assert code == 1 and "truncated or corrupt" in err and "Traceback" not in err


@pytest.mark.slow
def test_tensorflow_is_chatty_in_the_test_environment():
    # Without this the next test would prove nothing: TensorFlow must log on start-up here.
    done = subprocess.run(
        [sys.executable, "-c", "import tensorflow"],
        capture_output=True,
        text=True,
        timeout=300,
        env=chatty_env(),
    )
    assert "oneDNN custom operations are on" in done.stderr


@pytest.mark.slow
def test_errors_are_one_line_even_when_tensorflow_logs(tmp_path, trained):
    corrupt = tmp_path / "corrupt.keras"
    corrupt.write_bytes(b"not a model")
    model = str(trained / "dqn.keras")
    cases = [
        (("recommend", str(tmp_path / "none.keras")), 1, "does not exist"),
        (("evaluate", model, "--myopic", str(tmp_path / "none.keras")), 1, "does not exist"),
        (("recommend", str(corrupt)), 1, "truncated or not a Keras"),
        (("recommend", model, "--history", "3:click,999:skip"), 2, "item 999 is not in"),
        (("evaluate", model, "--shoppers", "0"), 2, "--shoppers must be >= 1"),
        (("train", "--out", str(tmp_path / "run"), "--gamma", "1.5"), 2, "AgentConfig.gamma"),
    ]
    for args, code, expected in cases:
        got, _, err = run_cli(*args, env=chatty_env())
        assert (got, err.count("\n"), err.startswith("error: ")) == (code, 1, True), (args, err)
        assert expected in err, (args, err)


def test_missing_model_is_reported_before_tensorflow_is_imported(tmp_path):
    script = (
        "import sys\nfrom dqrec.cli import main\n"
        f"code = main(['recommend', {str(tmp_path / 'none.keras')!r}])\n"
        "assert code == 1 and 'tensorflow' not in sys.modules, code\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
