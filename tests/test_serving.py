"""SavedModel export: same top-k in a fresh process, atomic writes, clear errors."""

import json
import os
import subprocess
import sys

import keras
import numpy as np
import pytest
import tensorflow as tf

from dqrec.checkpoint import ModelFileError, save_model
from dqrec.config import NetworkConfig, TrainConfig, to_dict
from dqrec.envs import ShopConfig, VecShopEnv, observation_from_history, split_observation
from dqrec.networks import build_q_network
from dqrec.serving import (
    export_saved_model,
    load_saved_model,
    recommend_in_memory,
    session_features,
)
from dqrec.two_tower import build_two_tower

SHOP = ShopConfig(num_items=500, num_categories=5, history_len=6)
K = 7


@pytest.fixture(scope="module")
def histories():
    env = VecShopEnv(SHOP, num_envs=9, seed=5)
    env.reset(seed=5)
    rng = np.random.default_rng(0)
    for _ in range(3):  # sessions of 3 steps: shorter than the history window
        obs, *_ = env.step(rng.integers(0, SHOP.num_items, size=9))
    ids, feedback, _ = split_observation(obs, SHOP.history_len)
    return env, obs, ids, feedback


@pytest.fixture(scope="module")
def models(histories):
    keras.utils.set_random_seed(0)
    metadata = {"train_config": json.loads(json.dumps(to_dict(TrainConfig(shop=SHOP))))}
    q_network = build_q_network(
        SHOP.obs_dim,
        SHOP.num_items,
        NetworkConfig(embedding_dim=8, hidden_units=(16,)),
        SHOP.history_len,
        SHOP.num_items,
        metadata=metadata,
    )
    two_tower = build_two_tower(
        SHOP,
        histories[0].catalogue,
        embedding_dim=8,
        tower_dim=8,
        hidden_units=(16,),
        metadata=metadata,
    )
    return {"QNetwork": q_network, "TwoTowerQNetwork": two_tower}


FRESH = """
import json, sys
import numpy as np
from dqrec.serving import load_saved_model
data = np.load(sys.argv[1])
out = {}
for name in sys.argv[2:]:
    top, q = load_saved_model(name).recommend(data["ids"], data["feedback"])
    out[name] = {"top": top.tolist(), "q": q.tolist()}
print(json.dumps(out))
"""


@pytest.mark.slow
def test_export_then_load_in_a_fresh_process_gives_the_same_top_k(models, histories, tmp_path):
    _, obs, ids, feedback = histories
    expected, paths = {}, []
    for name, model in models.items():
        path = export_saved_model(model, tmp_path / name, K)
        paths.append(str(path))
        top, q = recommend_in_memory(model, ids, feedback, K, SHOP.max_steps)
        full = model(obs).numpy()
        np.testing.assert_array_equal(top, np.argsort(-full, axis=1, kind="stable")[:, :K])
        expected[str(path)] = (top, q)
    np.savez(tmp_path / "inputs.npz", ids=ids, feedback=feedback)
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    result = subprocess.run(
        [sys.executable, "-c", FRESH, str(tmp_path / "inputs.npz"), *paths],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    fresh = json.loads(result.stdout.strip().splitlines()[-1])
    for path, (top, q) in expected.items():
        np.testing.assert_array_equal(fresh[path]["top"], top)
        np.testing.assert_allclose(fresh[path]["q"], q, rtol=1e-6, atol=1e-7)


def test_in_process_load_and_session_features(models, histories, tmp_path):
    _, obs, ids, feedback = histories
    model = models["TwoTowerQNetwork"]
    loaded = load_saved_model(export_saved_model(model, tmp_path / "export", K))
    top, q = loaded.recommend(ids, feedback)
    top_f, q_f = loaded.recommend(ids, feedback, obs[:, 2 * SHOP.history_len :])
    np.testing.assert_array_equal(top, top_f)  # in-graph features equal the simulator's
    assert top.shape == (len(obs), K) and top.dtype == np.int32 and q.dtype == np.float32
    assert loaded.shop_config() == SHOP
    assert sorted(os.listdir(tmp_path)) == ["export"]  # no temporary folders left behind


def test_session_features_match_observation_from_history():
    items, codes = [3, 8, 1, 4, 4], [2, 3, 1, 1, 1]  # click, purchase, then three skips
    obs = observation_from_history(SHOP, items, codes)
    h = SHOP.history_len
    features = session_features(tf.constant(obs[None, h : 2 * h], tf.int32), float(SHOP.max_steps))
    np.testing.assert_allclose(features.numpy()[0], obs[2 * h :], rtol=1e-6)
    empty = observation_from_history(SHOP, [], [])
    features = session_features(tf.zeros((1, h), tf.int32), float(SHOP.max_steps))
    np.testing.assert_allclose(features.numpy()[0], empty[2 * h :])


def test_existing_path_needs_overwrite(models, tmp_path):
    model = models["QNetwork"]
    path = export_saved_model(model, tmp_path / "export", K)
    with pytest.raises(ModelFileError, match="already exists"):
        export_saved_model(model, path, K)
    export_saved_model(model, path, 3, overwrite=True)
    assert load_saved_model(path).k == 3
    assert sorted(os.listdir(tmp_path)) == ["export"]
    other = tmp_path / "not_an_export"
    other.mkdir()
    with pytest.raises(ModelFileError, match="not a SavedModel; not replacing"):
        export_saved_model(model, other, K, overwrite=True)


def test_path_inside_a_file_and_unwritable_folder(models, tmp_path):
    model = models["QNetwork"]
    a_file = tmp_path / "file.txt"
    a_file.write_text("x")
    with pytest.raises(ModelFileError, match="cannot write"):
        export_saved_model(model, a_file / "export", K)
    if os.geteuid() == 0:  # root ignores permissions: use a folder no one can create files in
        unwritable = "/proc/dqrec-export"
    else:
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
        unwritable = locked / "export"
    with pytest.raises(ModelFileError, match="cannot write"):
        export_saved_model(model, unwritable, K)


def test_load_errors(models, tmp_path):
    with pytest.raises(ModelFileError, match="does not exist"):
        load_saved_model(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ModelFileError, match="not a SavedModel"):
        load_saved_model(tmp_path / "empty")
    keras_file = save_model(models["QNetwork"], tmp_path / "model.keras")
    with pytest.raises(ModelFileError, match="not a SavedModel"):
        load_saved_model(keras_file)
    corrupt = export_saved_model(models["QNetwork"], tmp_path / "corrupt", K)
    pb = corrupt / "saved_model.pb"
    pb.write_bytes(pb.read_bytes()[: len(pb.read_bytes()) // 3])  # truncated
    with pytest.raises(ModelFileError, match="corrupt"):
        load_saved_model(corrupt)
    module = tf.Module()
    module.f = tf.function(lambda x: {"y": x}, input_signature=[tf.TensorSpec((None,), tf.float32)])
    tf.saved_model.save(module, str(tmp_path / "other"), signatures={"predict": module.f})
    with pytest.raises(ModelFileError, match="no 'serving_default' signature"):
        load_saved_model(tmp_path / "other")


@pytest.mark.slow
def test_cli_recommend_reads_an_export_like_a_keras_file(models, tmp_path):
    """``--saved-model`` loads the export (asked for explicitly, never sniffed) and gives the
    same ranking as the ``.keras`` file; without the flag the folder is refused."""
    model = models["QNetwork"]
    keras_file = save_model(model, tmp_path / "dqn.keras")
    export = export_saved_model(model, tmp_path / "dqn_export", K)
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    outputs = []
    for path, flag in ((keras_file, []), (export, ["--saved-model"])):
        args = [
            sys.executable,
            "-m",
            "dqrec",
            "recommend",
            *flag,
            str(path),
            "--history",
            "3:click,40:skip,7:purchase",
            "-k",
            "5",
        ]
        result = subprocess.run(args, capture_output=True, text=True, env=env, timeout=120)
        assert result.returncode == 0, result.stderr[-2000:]
        outputs.append(result.stdout)
    assert outputs[0] == outputs[1]
    assert len(outputs[0].strip().splitlines()) == 6  # header + 5 ranks
    refused = subprocess.run(args[:4] + [str(export)], capture_output=True, text=True, env=env)
    assert refused.returncode == 1 and "--saved-model" in refused.stderr
    assert refused.stderr.count("\n") == 1
