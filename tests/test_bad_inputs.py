"""Every bad input gets one clear line: a table of them, by group.

Each case runs as a user meets it (the command line's ``main``, in this process, with stderr
captured; or a library call whose error is reported as the command line reports it, through
``dqrec.cli.exit_code``) and must give: the expected exit code (2 usage, 1 bad file or
conflict), exactly one line on stderr naming the value or file, no traceback, and no new
(or changed) file under the test's folder.

Groups: ``cli`` (options), ``files`` (model files, exports, checkpoints), ``configs`` (the
config API), ``loaders`` (data files), ``concurrency`` (two runs, one folder). The ``cli``
and ``files`` cases marked ``no_tf`` are answered before TensorFlow is imported, which
``test_fail_fast_cases_never_import_tensorflow`` checks in a fresh process; the other cases
share one tiny training run and are marked ``slow`` (outside the fast subset, inside CI).
"""

import contextlib
import io
import json
import math
import os
import subprocess
import sys
import threading
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from dqrec import checkpoint as ckpt
from dqrec.cli import exit_code, main
from dqrec.config import AgentConfig, NetworkConfig, ShopConfig, TrainConfig, from_dict, to_dict
from dqrec.outputs import LOCK_NAME, RunLock

# ---------------------------------------------------------------- the harness


def cli(*args):
    """``dqrec ARGS`` in this process: (exit code, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main([str(a) for a in args])
    return code, err.getvalue()


def api(call):
    """A library call, its error reported as the command line reports one: (code, stderr)."""
    try:
        call()
    except Exception as exc:
        code = exit_code(exc)
        if code is None:  # not one of the package's one-line errors: a bug
            raise
        return code, f"error: {exc}\n"
    return 0, ""


def snapshot(root: Path) -> dict:
    """Every path under ``root``, with a file's size and modification time."""
    return {
        str(p.relative_to(root)): (0, 0) if p.is_dir() else (p.stat().st_size, p.stat().st_mtime_ns)
        for p in root.rglob("*")
    }


def check(result, code, expected, root, before):
    got, err = result
    assert got == code, (got, err)
    assert err.count("\n") == 1 and err.endswith("\n") and err.startswith("error: "), err
    assert "Traceback" not in err and expected in err, err
    assert snapshot(root) == before, "a file was created or changed"


@dataclass
class Case:
    group: str
    name: str
    args: tuple  # command-line arguments; "{ws}" is the workspace folder
    code: int
    expected: str
    no_tf: bool = True


# ---------------------------------------------------------------- the workspace


def _model_config(shop=None, env_id=None, encoder="pooled", **sizes):
    """``config.json`` of a ``.keras`` QNetwork, as Keras writes it (no TensorFlow needed)."""
    shop = shop or ShopConfig()
    train_config = TrainConfig(
        shop=shop,
        env_id=env_id,
        network=NetworkConfig(encoder=encoder if env_id is None else "mlp"),
    )
    fields = {
        "name": "q_network",
        "obs_dim": shop.obs_dim,
        "num_actions": shop.num_items,
        "encoder": encoder,
        "embedding_dim": 16,
        "hidden_units": [64],
        "dueling": True,
        "head": "item",
        "history_len": shop.history_len,
        "num_items": shop.num_items,
        "metadata": {"train_config": json.loads(json.dumps(to_dict(train_config)))},
    }
    fields.update(sizes)
    return {"module": "dqrec.networks", "class_name": "QNetwork", "config": fields}


def _write_keras(path, config=None, raw_config=None, weights=b"not checked before loading"):
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("metadata.json", json.dumps({"keras_version": "3"}))
        if raw_config is not None:
            archive.writestr("config.json", raw_config)
        elif config is not None:
            archive.writestr("config.json", json.dumps(config))
        archive.writestr("model.weights.h5", weights)


def build_workspace(ws: Path) -> None:
    """The files the cases name: crafted models and exports, plain files, folders."""
    _write_keras(ws / "model.keras", _model_config())
    _write_keras(ws / "big.keras", _model_config(ShopConfig(num_items=60)))
    _write_keras(ws / "cartpole.keras", _model_config(env_id="CartPole-v1", obs_dim=4))
    _write_keras(ws / "liar.keras", _model_config(num_actions=40))
    _write_keras(ws / "hist.keras", _model_config(history_len=12))
    _write_keras(ws / "wide.keras", _model_config(obs_dim=30))
    nometa = _model_config()
    nometa["config"]["metadata"] = {}
    _write_keras(ws / "nometa.keras", nometa)
    badshop = _model_config()
    badshop["config"]["metadata"]["train_config"]["shop"]["num_items"] = -3
    _write_keras(ws / "badshop.keras", badshop)
    nosection = _model_config()
    del nosection["config"]["metadata"]["train_config"]["shop"]
    _write_keras(ws / "nosection.keras", nosection)
    _write_keras(ws / "seq.keras", {"class_name": "Sequential", "config": {}})
    _write_keras(ws / "listconfig.keras", raw_config="[1, 2]")
    _write_keras(ws / "badjson.keras", raw_config="{not json")
    _write_keras(ws / "noconfig.keras")
    (ws / "garbage.keras").write_bytes(os.urandom(4096))
    (ws / "truncated.keras").write_bytes((ws / "model.keras").read_bytes()[:200])
    (ws / "empty.keras").write_bytes(b"")
    (ws / "afile").write_text("a file, not a folder\n")
    (ws / "folder").mkdir()
    (ws / "dir.keras").mkdir()
    for name, info in {
        "export": None,
        "export_badk": {"k": 99, "history_len": 10, "num_items": 50},
        "export_badshop": {"k": 5, "history_len": 10, "num_items": 50, "shop_config": {"x": 1}},
        "export_liar": {"k": 5, "history_len": 10, "num_items": 70},
        "export_k5": {"k": 5, "history_len": 10, "num_items": 50},
    }.items():
        (ws / name).mkdir()
        (ws / name / "saved_model.pb").write_bytes(b"\x08\x01 not run by these cases")
        if info is not None:
            info.setdefault("shop_config", vars(ShopConfig()))
            (ws / name / "dqrec_export.json").write_text(json.dumps(info))
    (ws / "export_nopb").mkdir()
    (ws / "old_run").mkdir()
    (ws / "old_run" / "myopic.keras").write_bytes((ws / "model.keras").read_bytes())


@pytest.fixture
def ws(tmp_path, monkeypatch):
    build_workspace(tmp_path)
    monkeypatch.chdir(tmp_path)  # relative paths (and the default --out) land here
    return tmp_path


# ---------------------------------------------------------------- cli: options

M = "model.keras"
CLI_CASES = [
    Case("cli", "no command", (), 2, "required: command"),
    Case("cli", "unknown command", ("fly",), 2, "invalid choice: 'fly'"),
    Case("cli", "non-int steps", ("train", "--total-steps", "many"), 2, "invalid int value"),
    Case("cli", "unknown option", ("train", "--frobnicate"), 2, "unrecognized arguments"),
    Case("cli", "unknown encoder", ("train", "--encoder", "lstm"), 2, "invalid choice: 'lstm'"),
    Case("cli", "gamma > 1", ("train", "--gamma", "1.5"), 2, "AgentConfig.gamma must be"),
    Case("cli", "gamma nan", ("train", "--gamma", "nan"), 2, "got nan"),
    Case("cli", "negative seed", ("train", "--seed", "-1"), 2, "TrainConfig.seed must be"),
    Case("cli", "seed 2^31", ("train", "--seed", str(2**31)), 2, "TrainConfig.seed must be"),
    Case("cli", "zero steps", ("train", "--total-steps", "0"), 2, "TrainConfig.total_steps"),
    Case("cli", "zero ckpt every", ("train", "--checkpoint-every", "0"), 2, "checkpoint_every"),
    Case("cli", "zero eval shoppers", ("train", "--eval-shoppers", "0"), 2, "num_eval_shoppers"),
    Case("cli", "1e8 eval shoppers", ("train", "--eval-shoppers", "100000000"), 2, "GB of memory"),
    Case("cli", "--out ''", ("train", "--out", ""), 2, "--out must be a folder path, got ''"),
    Case("cli", "--out ' '", ("train", "--out", " "), 2, "--out must be a folder path"),
    Case("cli", "--out a file", ("train", "--out", "afile"), 2, "--out afile is a file"),
    Case("cli", "--out /dev/null", ("train", "--out", "/dev/null"), 2, "is not a folder"),
    Case("cli", "--out under a file", ("train", "--out", "afile/run"), 2, "cannot be created"),
    Case("cli", "--out unwritable", ("train", "--out", "/proc/dqrec-run"), 2, "is not writable"),
    Case("cli", "--tensorboard ''", ("train", "--tensorboard", ""), 2, "--tensorboard must be"),
    Case("cli", "--tensorboard file", ("train", "--tensorboard", "afile"), 2, "is a file"),
    Case(
        "cli",
        "--skip-myopic beside an old myopic model",
        ("train", "--out", "old_run", "--skip-myopic"),
        2,
        "old_run/myopic.keras from an earlier run",
    ),
    Case("cli", "zero shoppers", ("evaluate", M, "--shoppers", "0"), 2, "--shoppers must be >= 1"),
    Case("cli", "1e9 shoppers", ("evaluate", M, "--shoppers", "1000000000"), 2, "GB of memory"),
    Case("cli", "seed -1", ("evaluate", M, "--seed", "-1"), 2, "--seed must be an int in"),
    Case("cli", "seed 2**70", ("evaluate", M, "--seed", str(2**70)), 2, "--seed must be an int"),
    Case("cli", "seed 2^70", ("evaluate", M, "--seed", "2^70"), 2, "invalid int value: '2^70'"),
    Case("cli", "empty model", ("evaluate", ""), 2, "MODEL must be a path"),
    Case("cli", "empty --myopic", ("evaluate", M, "--myopic", ""), 2, "--myopic must be a path"),
    Case("cli", "no model", ("recommend",), 2, "the following arguments are required: model"),
    Case("cli", "history ²", ("recommend", M, "--history", "²:click"), 2, "'²:click' is not"),
    Case("cli", "history word", ("recommend", M, "--history", "3:maybe"), 2, "is not ITEM:FEED"),
    Case("cli", "history no colon", ("recommend", M, "--history", "12"), 2, "is not ITEM:FEED"),
    Case("cli", "history negative", ("recommend", M, "--history=-1:skip"), 2, "is not ITEM"),
    Case("cli", "history 999", ("recommend", M, "--history", "999:skip"), 2, "item 999 is not"),
    Case("cli", "top-k 0", ("recommend", M, "-k", "0"), 2, "--top-k must be >= 1"),
    Case("cli", "top-k 51", ("recommend", M, "-k", "51"), 2, "catalogue size 50, got 51"),
    Case(
        "cli",
        "top-k > export k",
        ("recommend", "--saved-model", "export_k5", "-k", "6"),
        2,
        "k = 5",
    ),
]

# ---------------------------------------------------------------- files: models and exports

FILE_CASES = [
    Case("files", "missing model", ("evaluate", "none.keras"), 1, "none.keras does not exist"),
    Case("files", "missing (recommend)", ("recommend", "none.keras"), 1, "does not exist"),
    Case("files", "missing --myopic", ("evaluate", M, "--myopic", "no.keras"), 1, "no.keras does"),
    Case("files", "a folder", ("evaluate", "folder"), 1, "folder is a folder; expected a .keras"),
    Case("files", "a folder named .keras", ("recommend", "dir.keras"), 1, "is a folder"),
    Case("files", "an export, no flag", ("recommend", "export"), 1, "--saved-model"),
    Case("files", "an export to evaluate", ("evaluate", "export"), 1, "is a SavedModel export"),
    Case("files", "random bytes", ("evaluate", "garbage.keras"), 1, "not a Keras .keras archive"),
    Case("files", "truncated zip", ("recommend", "truncated.keras"), 1, "truncated or not a"),
    Case("files", "empty file", ("evaluate", "empty.keras"), 1, "truncated or not a Keras"),
    Case("files", "a text file", ("recommend", "afile"), 1, "afile is truncated or not a Keras"),
    Case("files", "no config.json", ("evaluate", "noconfig.keras"), 1, "(no config.json)"),
    Case("files", "config not JSON", ("evaluate", "badjson.keras"), 1, "not a readable Keras"),
    Case("files", "config a list", ("evaluate", "listconfig.keras"), 1, "not a dqrec QNetwork"),
    Case("files", "another class", ("recommend", "seq.keras"), 1, "holds a Sequential, not a"),
    Case("files", "no training config", ("evaluate", "nometa.keras"), 1, "no training config"),
    Case("files", "invalid shop", ("evaluate", "badshop.keras"), 1, "ShopConfig.num_items"),
    Case("files", "no shop section", ("evaluate", "nosection.keras"), 1, "no 'shop' section"),
    Case("files", "another env", ("evaluate", "cartpole.keras"), 1, "environment 'CartPole-v1'"),
    Case("files", "metadata > network", ("evaluate", "liar.keras"), 1, "num_actions = 40"),
    Case("files", "history mismatch", ("recommend", "hist.keras"), 1, "history_len = 12"),
    Case("files", "obs mismatch", ("recommend", "wide.keras"), 1, "obs_dim = 30"),
    Case(
        "files",
        "--myopic of another catalogue",
        ("evaluate", M, "--myopic", "big.keras"),
        1,
        "num_items = 60, not 50",
    ),
    Case("files", "--saved-model file", ("recommend", "--saved-model", M), 1, "no saved_model.pb"),
    Case("files", "--saved-model no pb", ("recommend", "--saved-model", "export_nopb"), 1, "no "),
    Case("files", "export w/o info", ("recommend", "--saved-model", "export"), 1, "no valid dqrec"),
    Case("files", "export k > items", ("recommend", "--saved-model", "export_badk"), 1, "k = 99"),
    Case("files", "export bad shop", ("recommend", "--saved-model", "export_badshop"), 1, "'x'"),
    Case("files", "export liar", ("recommend", "--saved-model", "export_liar"), 1, "inconsistent"),
    Case("files", "export none", ("recommend", "--saved-model", "gone"), 1, "gone does not exist"),
]


@pytest.mark.parametrize("case", CLI_CASES + FILE_CASES, ids=lambda c: f"{c.group}: {c.name}")
def test_command_line_bad_input(case, ws):
    before = snapshot(ws)
    check(cli(*case.args), case.code, case.expected, ws, before)


def test_fail_fast_cases_never_import_tensorflow(tmp_path):
    """Every case above is answered before TensorFlow (or Keras) is imported: an output path,
    a size or a model that cannot work costs well under a second, never a training run."""
    build_workspace(tmp_path)
    cases = [list(c.args) for c in CLI_CASES + FILE_CASES if c.no_tf]
    script = (
        "import json, sys, contextlib, io\nfrom dqrec.cli import main\n"
        "codes = []\n"
        "for args in json.load(sys.stdin):\n"
        "    with contextlib.redirect_stderr(io.StringIO()):\n"
        "        codes.append(main(args))\n"
        "assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules\n"
        "print(json.dumps(codes))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        input=json.dumps(cases),
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == [c.code for c in CLI_CASES + FILE_CASES if c.no_tf]


# ---------------------------------------------------------------- files that need TensorFlow


def tiny_config(**changes):
    return TrainConfig(
        shop=ShopConfig(num_items=8, num_categories=2, history_len=3, max_steps=10),
        network=NetworkConfig(embedding_dim=4, hidden_units=(8,)),
        agent=AgentConfig(batch_size=8, target_period=4, jit_compile=False),
        num_envs=4,
        total_steps=32,
        learning_starts=8,
        train_every=8,
        gradient_steps=1,
        replay_capacity=64,
        epsilon_decay_steps=16,
        eval_every=0,
        num_eval_shoppers=4,
        checkpoint_every=8,
        keep_checkpoints=4,
    ).replace(**changes)


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    """One tiny training run with checkpoints at 8, 16, 24 and 32 steps, and its model."""
    from dqrec.train import train

    folder = tmp_path_factory.mktemp("tiny")
    history = train(tiny_config(checkpoint_dir=str(folder / "ckpt")))
    ckpt.save_model(history.agent.online, folder / "model.keras")
    return folder, history


def _edit_meta(path: Path, edit) -> None:
    arrays, meta = ckpt.load_checkpoint(path)
    edit(meta)
    with open(path, "wb") as f:
        np.savez(f, __meta__=np.array(json.dumps(meta)), **arrays)


def _only_newest(folder: Path, edit=None, raw=None) -> Path:
    """Keep only the newest checkpoint of the tiny run, edited."""
    found = ckpt.list_checkpoints(folder)
    for old in found[:-1]:
        old.unlink()
    if raw is not None:
        found[-1].write_bytes(raw)
    elif edit is not None:
        _edit_meta(found[-1], edit)
    return found[-1]


def _pickled_npz(path):
    with open(path, "wb") as f:
        np.savez(f, __meta__=np.array({"a": 1}, dtype=object))


CHECKPOINT_CASES = {  # name: (how to spoil the newest and only checkpoint, expected)
    "random bytes": (lambda p: p.write_bytes(os.urandom(3000)), "not a NumPy .npz archive"),
    "truncated": (lambda p: p.write_bytes(p.read_bytes()[:3000]), "truncated or corrupt"),
    "pickled object array": (_pickled_npz, "truncated or corrupt (object arrays)"),
    "no env_steps": (lambda m: m.pop("env_steps"), "env_steps must be a non-negative int"),
    "env_steps text": (lambda m: m.update(env_steps="8"), "env_steps must be"),
    "no history": (lambda m: m.pop("history"), "history is not a History record"),
    "history a list": (lambda m: m.update(history=[1]), "history is not a History record"),
    "history.losses a str": (lambda m: m["history"].update(losses="x"), "history.losses is a"),
    "rng a list": (lambda m: m.update(rng=[1, 2]), "rng is not a PCG64 state"),
    "rng of MT19937": (lambda m: m.update(rng={"bit_generator": "MT19937"}), "rng is not"),
    "format version 99": (lambda m: m.update(format_version=99), "format version 99"),
    "another config": (lambda m: m["config"].update(seed=5), "with a different config"),
    "no config": (lambda m: m.pop("config"), "incomplete or corrupt (no config)"),
}


@pytest.mark.slow  # shares one tiny training run (TensorFlow)
@pytest.mark.parametrize("name", CHECKPOINT_CASES)
def test_bad_checkpoint_is_one_line(name, tiny_run, tmp_path):
    import shutil

    from dqrec.train import train

    folder = tmp_path / "ckpt"
    shutil.copytree(tiny_run[0] / "ckpt", folder)
    spoil, expected = CHECKPOINT_CASES[name]
    newest = ckpt.list_checkpoints(folder)[-1]
    if name in ("random bytes", "truncated", "pickled object array"):
        _only_newest(folder)
        spoil(newest)
    else:
        _only_newest(folder, edit=spoil)
    before = snapshot(tmp_path)
    result = api(lambda: train(tiny_config(checkpoint_dir=str(folder))))
    check(result, 1, expected, tmp_path, before)
    assert "allow_pickle" not in result[1]


@pytest.mark.slow  # shares one tiny training run (TensorFlow)
def test_train_command_with_a_corrupt_checkpoint(tiny_run, tmp_path):
    folder = tmp_path / "checkpoints" / "dqn"
    folder.mkdir(parents=True)
    (folder / "ckpt-000000001000.npz").write_bytes(b"garbage")
    before = snapshot(tmp_path)
    result = cli("train", "--out", tmp_path, "--total-steps", "2000")
    check(result, 1, "truncated or corrupt", tmp_path, before)


@pytest.mark.slow  # shares one tiny training run (TensorFlow)
def test_model_with_damaged_weights(tiny_run, tmp_path):
    damaged = tmp_path / "damaged.keras"
    with zipfile.ZipFile(tiny_run[0] / "model.keras") as src, zipfile.ZipFile(damaged, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            dst.writestr(item, data if item.filename != "model.weights.h5" else data[:100])
    before = snapshot(tmp_path)
    check(cli("recommend", damaged), 1, "could not be loaded", tmp_path, before)


# ---------------------------------------------------------------- configs


def _shop_dict(**changes):
    return {**to_dict(TrainConfig()), "shop": {**vars(ShopConfig()), **changes}}


CONFIG_CASES = {
    "from_dict({})": (lambda: from_dict({}), "no 'shop' section"),
    "from_dict([])": (lambda: from_dict([]), "needs a dict (from to_dict), got list"),
    "from_dict(None)": (lambda: from_dict(None), "got NoneType"),
    "shop not a dict": (lambda: from_dict({**to_dict(TrainConfig()), "shop": 5}), "'shop' must"),
    "unknown field": (lambda: from_dict({**to_dict(TrainConfig()), "sede": 1}), "field sede"),
    "unknown shop field": (lambda: from_dict(_shop_dict(colour=1)), "field shop.colour"),
    "shop field out of range": (lambda: from_dict(_shop_dict(num_items=1)), "ShopConfig.num_"),
    "revenue_weight 1e308": (lambda: ShopConfig(revenue_weight=1e308), "revenue_weight must"),
    "price_max inf": (lambda: ShopConfig(price_max=math.inf), "price_max must be a finite"),
    "click_bias -1e300": (lambda: ShopConfig(click_bias=-1e300), "click_bias must be"),
    "num_items 1": (lambda: ShopConfig(num_items=1), "ShopConfig.num_items must be an int"),
    "checkpoint_dir ''": (lambda: TrainConfig(checkpoint_dir=""), "None or a path, got ''"),
    "checkpoint_dir 5": (lambda: TrainConfig(checkpoint_dir=5), "None or a path, got 5"),
    "tensorboard_dir ''": (lambda: TrainConfig(tensorboard_dir=""), "tensorboard_dir must"),
    "seed True": (lambda: TrainConfig(seed=True), "TrainConfig.seed must be an int"),
    "gamma nan": (lambda: AgentConfig(gamma=math.nan), "AgentConfig.gamma must be a finite"),
    "hidden_units (0,)": (lambda: NetworkConfig(hidden_units=(0,)), "hidden_units must be"),
    "learning_starts > capacity": (
        lambda: TrainConfig(learning_starts=10, replay_capacity=5),
        "learning_starts (10) must be <= replay_capacity (5)",
    ),
}


@pytest.mark.parametrize("name", CONFIG_CASES)
def test_config_bad_input(name, tmp_path):
    call, expected = CONFIG_CASES[name]
    before = snapshot(tmp_path)
    check(api(call), 2, expected, tmp_path, before)


def test_train_refuses_sizes_and_folders_up_front(tmp_path):
    """``train()`` checks memory and the checkpoint folder before building anything."""
    from dqrec.train import train

    (tmp_path / "afile").write_text("x")
    before = snapshot(tmp_path)
    for config, expected in (
        (TrainConfig(replay_capacity=10**12), "GB of memory"),
        (TrainConfig(num_eval_shoppers=10**9), "num_eval_shoppers=1000000000"),
        (tiny_config(checkpoint_dir=str(tmp_path / "afile")), "checkpoint_dir"),
        (tiny_config(checkpoint_dir=str(tmp_path / "afile" / "x")), "cannot be created"),
    ):
        check(api(lambda c=config: train(c)), 2, expected, tmp_path, before)


def test_config_api_accepts_paths_and_round_trips(tmp_path):
    config = TrainConfig(checkpoint_dir=tmp_path / "ckpt", tensorboard_dir=Path("tb"))
    assert config.checkpoint_dir == str(tmp_path / "ckpt") and config.tensorboard_dir == "tb"
    assert from_dict(json.loads(json.dumps(to_dict(config)))) == config


# ---------------------------------------------------------------- concurrency

HOLD_LOCK = (
    "import sys\nfrom dqrec.outputs import RunLock\n"
    "with RunLock(sys.argv[1]):\n    print('ready', flush=True)\n    sys.stdin.read()\n"
)


@contextlib.contextmanager
def lock_holder(folder):
    """Another process holding ``folder``'s lock until the block ends."""
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(folder)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout.readline().strip() == "ready"
        yield proc
    finally:
        proc.stdin.close()
        proc.wait(timeout=60)


def test_concurrency_second_train_into_a_locked_folder(tmp_path):
    out = tmp_path / "run"
    with lock_holder(out) as holder:
        before = snapshot(tmp_path)
        result = cli("train", "--out", out, "--total-steps", "64")
        check(result, 1, f"in use by another dqrec run (pid {holder.pid}", tmp_path, before)
        assert str(out / LOCK_NAME) in result[1]
    assert not (out / LOCK_NAME).exists()  # the holder removed its lock when it finished


def test_concurrency_train_api_into_a_locked_checkpoint_folder(tmp_path):
    from dqrec.train import train

    folder = tmp_path / "ckpt"
    with lock_holder(folder) as holder:
        before = snapshot(tmp_path)
        result = api(lambda: train(tiny_config(checkpoint_dir=str(folder))))
        check(result, 1, f"(pid {holder.pid}", tmp_path, before)


def test_concurrency_second_lock_in_one_process(tmp_path):
    with RunLock(tmp_path / "run"):
        before = snapshot(tmp_path)
        check(api(lambda: RunLock(tmp_path / "run").acquire()), 1, "in use", tmp_path, before)


RACE = (
    "import sys, time\nfrom dqrec.outputs import RunLock, RunLockedError\n"
    "try:\n    lock = RunLock(sys.argv[1]).acquire()\n"
    "except RunLockedError as exc:\n    print(f'error: {exc}', file=sys.stderr)\n"
    "    sys.exit(1)\n"
    "time.sleep(1.5)\nlock.release()\n"
)


def test_concurrency_two_processes_race_for_one_folder(tmp_path):
    out = tmp_path / "run"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", RACE, str(out)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    results = [(p.wait(timeout=60), p.stderr.read()) for p in procs]
    assert sorted(code for code, _ in results) == [0, 1, 1], results
    for code, err in results:
        if code == 1:
            assert err.count("\n") == 1 and "in use by another dqrec run" in err
    assert sorted(p.name for p in out.iterdir()) == []  # the winner removed its lock


def test_concurrency_stale_lock_of_a_dead_process_is_taken_over(tmp_path, capsys):
    from dqrec.cli import _prepare_train, build_parser

    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        text=True,
        capture_output=True,
        check=True,
    )
    pid = int(dead.stdout)
    out = tmp_path / "run"
    out.mkdir()
    (out / LOCK_NAME).write_text(f"pid {pid} host elsewhere\n")
    prepared = _prepare_train(build_parser().parse_args(["train", "--out", str(out)]))
    try:
        assert prepared["lock"].stale_owner == pid
        assert f"pid {os.getpid()} " in (out / LOCK_NAME).read_text()
        assert f"from pid {pid}, no longer running" in capsys.readouterr().out
    finally:
        prepared["lock"].release()
    assert not (out / LOCK_NAME).exists()
    garbage = tmp_path / "garbage"
    garbage.mkdir()
    (garbage / LOCK_NAME).write_bytes(os.urandom(64))  # unreadable owner, no live holder
    with RunLock(garbage) as lock:
        assert lock.stale_owner is None


def test_concurrency_pruning_tolerates_a_checkpoint_already_gone(tmp_path, monkeypatch):
    for step in (1, 2, 3):
        ckpt.save_checkpoint(tmp_path, step, {"w": np.zeros(2)}, {}, keep=5)
    listed = ckpt.list_checkpoints(tmp_path)
    listed[0].unlink()  # another process pruned it between the listing and the unlink
    monkeypatch.setattr(ckpt, "list_checkpoints", lambda d: [*listed, tmp_path / "ckpt-4"])
    ckpt.save_checkpoint(tmp_path, 4, {"w": np.zeros(2)}, {}, keep=1)


def test_concurrency_savers_racing_on_one_folder_never_fail(tmp_path):
    errors = []

    def save(offset):
        try:
            for step in range(offset, 60, 2):
                ckpt.save_checkpoint(tmp_path, step, {"w": np.zeros(100)}, {}, keep=1)
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=save, args=(k,)) for k in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


# ---------------------------------------------------------------- housekeeping


@pytest.mark.slow  # shares one tiny training run (TensorFlow)
def test_training_falls_back_to_the_newest_checkpoint_that_loads(tiny_run, tmp_path):
    import shutil

    from dqrec.train import ResumeWarning, train

    folder = tmp_path / "ckpt"
    shutil.copytree(tiny_run[0] / "ckpt", folder)
    found = ckpt.list_checkpoints(folder)  # 8, 16, 24, 32 steps
    for spoiled in found[-2:]:
        spoiled.write_bytes(spoiled.read_bytes()[:1000])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        resumed = train(tiny_config(checkpoint_dir=str(folder)))
    skipped = [str(w.message) for w in caught if w.category is ResumeWarning]
    assert len(skipped) == 2 and all(f"resumed from {found[1]}" in m for m in skipped)
    assert found[3].name in skipped[0] and "truncated or corrupt" in skipped[0]
    # from the 16-step checkpoint to 32 steps: the same numbers as the uninterrupted run
    assert resumed.losses == tiny_run[1].losses
    for a, b in zip(
        resumed.agent.online.get_weights(), tiny_run[1].agent.online.get_weights(), strict=True
    ):
        np.testing.assert_array_equal(a, b)


@pytest.mark.slow  # shares one tiny training run (TensorFlow)
def test_stale_temp_files_are_removed_when_a_run_starts(tiny_run, tmp_path):
    import shutil

    from dqrec.train import train

    folder = tmp_path / "ckpt"
    shutil.copytree(tiny_run[0] / "ckpt", folder)
    stale = [".ckpt-000000000040.npz.ab12cd_9.npz", ".ckpt-000000000040.npz.tmp-x1y2z3w4.npz"]
    for name in stale:
        (folder / name).write_bytes(b"left by a killed run")
    (folder / ".keep-me").write_text("not ours")
    train(tiny_config(checkpoint_dir=str(folder)))
    names = {p.name for p in folder.iterdir()}
    assert not names & set(stale) and ".keep-me" in names and LOCK_NAME not in names


@pytest.mark.parametrize("umask", [0o022, 0o077])
def test_outputs_get_the_users_permissions(tmp_path, umask):
    old = os.umask(umask)
    try:
        path = ckpt.save_checkpoint(tmp_path, 1, {"w": np.zeros(2)}, {})
        ckpt._atomic_write(tmp_path / "r.json", lambda t: Path(t).write_text("{}"))
    finally:
        os.umask(old)
    for p in (path, tmp_path / "r.json"):
        assert p.stat().st_mode & 0o777 == 0o666 & ~umask


def test_a_failed_write_is_one_line_and_leaves_nothing(tmp_path):
    import errno

    def full_disk(tmp):
        Path(tmp).write_bytes(b"half")
        raise OSError(errno.ENOSPC, "No space left on device")

    before = snapshot(tmp_path)
    result = api(lambda: ckpt._atomic_write(tmp_path / "dqn.keras", full_disk))
    check(result, 1, f"cannot write {tmp_path / 'dqn.keras'}: No space left", tmp_path, before)


# ---------------------------------------------------------------- loaders

HEADER = "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n"
ROW = "536365,85123A,HEART,6,2010-12-01 08:26:00,2.55,17850.0,UK\n"
LOG_HEADER = "visitor;itemid;ts;event;price\n"
LOG_ROW = "7;A;1433221332000;view;\n"  # 2015-06-02 in epoch milliseconds


def _retail(text):
    return HEADER + ROW + text


def _gz(data_bytes):
    import gzip

    return gzip.compress(data_bytes, mtime=0)


def _xlsx_zip():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "a zip, not a workbook")
    return buffer.getvalue()


RETAIL_FILES = {  # name: (file name, content, expected)
    "truncated gzip": (
        "r.csv.gz",
        _gz((HEADER + ROW * 2000).encode())[:300],
        "r.csv.gz: the gzip stream is truncated",
    ),
    "not gzip": ("r.csv.gz", (HEADER + ROW).encode(), "r.csv.gz: not a gzip file"),
    "fake xlsx": ("r.xlsx", b"just text", "r.xlsx: not an Excel .xlsx workbook"),
    "zip, not a workbook": ("r.xlsx", _xlsx_zip(), "r.xlsx: not a readable Excel workbook"),
    "empty": ("r.csv", b"", "r.csv: file is empty"),
    "header only": ("r.csv", HEADER.encode(), "header but no data rows"),
    "not UTF-8": ("r.csv", _retail(ROW.replace("HEART", "HÉART")).encode("cp1252"), "line 3"),
    "ragged row": ("r.csv", _retail("1,2,3,4,5,6,7,8,9,10\n").encode(), "Expected 8 fields"),
    "missing column": ("r.csv", HEADER.replace(",Country", "").encode(), "missing column"),
    "wrong separator": ("r.csv", (HEADER + ROW).replace(",", ";").encode(), "one column"),
    "price inf": (
        "r.csv",
        _retail(ROW.replace("2.55", "inf")).encode(),
        "r.csv: column 'UnitPrice' line 3: cannot parse 'inf' as a finite number",
    ),
    "price -inf": ("r.csv", _retail(ROW.replace("2.55", "-inf")).encode(), "'-inf' as a finite"),
    "price nan": ("r.csv", _retail(ROW.replace("2.55", "nan")).encode(), "'nan' as a number"),
    "price 1e300": ("r.csv", _retail(ROW.replace("2.55", "1e300")).encode(), "at most 1e+12"),
    "quantity 1e25": (
        "r.csv",
        _retail(ROW.replace(",6,", ",1e25,")).encode(),
        "column 'Quantity' line 3: cannot parse '1e25' as a finite number",
    ),
    "quantity 2.5": ("r.csv", _retail(ROW.replace(",6,", ",2.5,")).encode(), "as an integer"),
    "date 1900": (
        "r.csv",
        _retail(ROW.replace("2010-12-01", "1900-01-01")).encode(),
        "column 'InvoiceDate' line 3: date '1900-01-01 08:26:00' is outside [1990-01-01",
    ),
    "date 2999": ("r.csv", _retail(ROW.replace("2010", "2999")).encode(), "is outside"),
    "bad date": ("r.csv", _retail(ROW.replace("2010-12-01", "2010-02-31")).encode(), "a date"),
    "customer x": ("r.csv", _retail(ROW.replace("17850.0", "x1")).encode(), "'CustomerID'"),
}


@pytest.mark.parametrize("name", RETAIL_FILES)
def test_loaders_retail_file(name, tmp_path):
    from dqrec import data

    file_name, content, expected = RETAIL_FILES[name]
    path = tmp_path / file_name
    path.write_bytes(content)
    before = snapshot(tmp_path)
    check(api(lambda: data.load_online_retail(path)), 1, expected, tmp_path, before)


def _log_spec(**changes):
    from dqrec.data import EventLogSpec

    fields = dict(
        user="visitor",
        item="itemid",
        timestamp="ts",
        event_type="event",
        value="price",
        delimiter=";",
        timestamp_unit="ms",
    )
    return EventLogSpec(**{**fields, **changes})


LOG_CASES = {  # name: (file text, spec changes, exit code, expected)
    "ms read as s": (LOG_HEADER + LOG_ROW, {"timestamp_unit": "s"}, 1, "is timestamp_unit 'ms'?"),
    "s read as ms": (
        LOG_HEADER + LOG_ROW.replace("1433221332000", "1433221332"),
        {},
        1,
        "column 'ts' line 2: '1433221332' as epoch 'ms' is outside",
    ),
    "epoch 0": (LOG_HEADER + LOG_ROW.replace("1433221332000", "0"), {}, 1, "is outside"),
    "negative value": (
        LOG_HEADER + LOG_ROW.replace("view;", "purchase;-3.5"),
        {},
        1,
        "column 'price' line 2: '-3.5' is below 0",
    ),
    "value inf": (LOG_HEADER + LOG_ROW.replace("view;", "view;inf"), {}, 1, "a finite number"),
    "unknown event": (LOG_HEADER + LOG_ROW.replace("view", "refund"), {}, 1, "unknown event"),
    "empty user": (LOG_HEADER + LOG_ROW.replace("7;A", ";A"), {}, 1, "empty value"),
    "missing file": (None, {}, 1, "events.csv: file not found"),
    "delimiter ''": (LOG_HEADER + LOG_ROW, {"delimiter": ""}, 2, "EventLogSpec.delimiter must"),
    "delimiter ';;'": (LOG_HEADER + LOG_ROW, {"delimiter": ";;"}, 2, "got ';;'"),
    "delimiter newline": (LOG_HEADER + LOG_ROW, {"delimiter": "\n"}, 2, "got '\\n'"),
    "unit days": (LOG_HEADER + LOG_ROW, {"timestamp_unit": "days"}, 2, "got 'days'"),
    "weight nan": (LOG_HEADER + LOG_ROW, {"event_weights": {"view": math.nan}}, 2, "finite"),
    "user NA only": (LOG_HEADER + LOG_ROW.replace("7;A", "NA;A"), {}, 1, "every line: empty"),
    "user empty, error mode": (
        LOG_HEADER + LOG_ROW + LOG_ROW.replace("7;A", ";A"),
        {"missing_user": "error"},
        1,
        "column 'visitor' line 3: empty value",
    ),
    "timestamp None": (LOG_HEADER + LOG_ROW, {"timestamp": None}, 2, "no other clock"),
    "order not integer": (
        LOG_HEADER + LOG_ROW,
        {"timestamp": None, "order": "price", "timestamp_unit": None},
        1,
        "column 'price' line 2: cannot parse '' as an integer",
    ),
    "offset text": (
        "visitor;itemid;d;off;event;price\n7;A;2015-06-02;soon;view;\n",
        {"timestamp": ["d", "off"], "timestamp_unit": None},
        1,
        "column 'off' line 2: cannot parse 'soon' as a number",
    ),
    "missing user unknown": (LOG_HEADER + LOG_ROW, {"missing_user": "keep"}, 2, "got 'keep'"),
}


@pytest.mark.parametrize("name", LOG_CASES)
def test_loaders_event_log(name, tmp_path):
    from dqrec.data import load_event_log

    text, changes, code, expected = LOG_CASES[name]
    path = tmp_path / "events.csv"
    if text is not None:
        path.write_text(text)
    before = snapshot(tmp_path)
    check(api(lambda: load_event_log(path, _log_spec(**changes))), code, expected, tmp_path, before)


def test_loaders_other_entry_points(tmp_path):
    """The shared reader refuses a bad delimiter and a folder; a negative value that reaches
    the transitions is an error, not a NaN reward."""
    import pandas as pd

    from dqrec import data

    (tmp_path / "folder.csv").mkdir()
    events = pd.DataFrame(
        {
            "user": [1, 1],
            "item": ["a", "b"],
            "timestamp": pd.to_datetime(["2011-01-01", "2011-01-02"]),
            "event": ["purchase", "purchase"],
            "value": [2.0, -5.0],
            "basket": ["x", "y"],
        }
    )
    vocabulary = data.ItemVocabulary.from_events(events, top_n=2)
    before = snapshot(tmp_path)
    for call, code, expected in (
        (lambda: data.read_text_table(tmp_path / "x.csv", ["a"], ""), 2, "delimiter must be"),
        (lambda: data.read_text_table(tmp_path / "folder.csv", ["a"]), 1, "a folder, not a"),
        (lambda: data.to_transitions(events, vocabulary, 2), 1, "value -5.0 gives the reward"),
    ):
        check(api(call), code, expected, tmp_path, before)


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_files_unreadable_model_is_not_called_truncated(ws):
    os.chmod(ws / "model.keras", 0)
    try:
        before = snapshot(ws)
        check(cli("evaluate", "model.keras"), 1, "cannot be read: Permission denied", ws, before)
    finally:
        os.chmod(ws / "model.keras", 0o644)
