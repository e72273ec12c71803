"""Checkpoints and saved models: atomic writes and one clear error for every bad file."""

import numpy as np
import pytest

from dqrec import checkpoint as ckpt


def test_save_load_round_trip_and_pruning(tmp_path):
    for step in (100, 200, 300):
        ckpt.save_checkpoint(tmp_path, step, {"w": np.arange(3.0) + step}, {"step": step}, keep=2)
    names = [p.name for p in ckpt.list_checkpoints(tmp_path)]
    assert names == ["ckpt-000000000200.npz", "ckpt-000000000300.npz"]
    arrays, meta = ckpt.load_checkpoint(ckpt.latest_checkpoint(tmp_path))
    np.testing.assert_array_equal(arrays["w"], [300.0, 301.0, 302.0])
    assert meta["step"] == 300
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp files left


def test_missing_checkpoint(tmp_path):
    with pytest.raises(ckpt.CheckpointError, match="does not exist"):
        ckpt.load_checkpoint(tmp_path / "ckpt-000000000001.npz")


def test_truncated_checkpoint(tmp_path):
    path = ckpt.save_checkpoint(tmp_path, 1, {"w": np.zeros(1000)}, {})
    path.write_bytes(path.read_bytes()[:500])
    with pytest.raises(ckpt.CheckpointError, match="truncated or corrupt"):
        ckpt.load_checkpoint(path)


def test_corrupt_checkpoint(tmp_path):
    path = tmp_path / "ckpt-000000000001.npz"
    path.write_bytes(b"this is not a zip archive at all")
    with pytest.raises(ckpt.CheckpointError, match="truncated or corrupt"):
        ckpt.load_checkpoint(path)


def test_checkpoint_without_metadata(tmp_path):
    path = tmp_path / "ckpt-000000000001.npz"
    np.savez(path, w=np.zeros(3))
    with pytest.raises(ckpt.CheckpointError, match="no metadata"):
        ckpt.load_checkpoint(path)


def test_failed_write_leaves_nothing_behind(tmp_path):
    class Boom(Exception):
        pass

    def write(tmp):
        open(tmp, "wb").write(b"half")
        raise Boom

    with pytest.raises(Boom):
        ckpt._atomic_write(tmp_path / "model.keras", write)
    assert list(tmp_path.iterdir()) == []


@pytest.fixture(scope="module")
def tiny_model():
    from dqrec.config import NetworkConfig
    from dqrec.networks import build_q_network

    return build_q_network(
        12,
        5,
        NetworkConfig(embedding_dim=4, hidden_units=(8,)),
        history_len=4,
        num_items=5,
        metadata={"note": "test"},
    )


@pytest.mark.parametrize("dueling", [False, True])
def test_model_round_trip_in_safe_mode(tmp_path, dueling):
    from dqrec.config import NetworkConfig
    from dqrec.networks import build_q_network

    for encoder, head in (("pooled", "item"), ("gru", "dense"), ("mlp", "dense")):
        model = build_q_network(
            12,
            5,
            NetworkConfig(
                encoder=encoder, head=head, dueling=dueling, embedding_dim=4, hidden_units=(8,)
            ),
            history_len=4,
            num_items=5,
            metadata={"k": 1},
        )
        path = ckpt.save_model(model, tmp_path / f"{encoder}.keras")
        loaded = ckpt.load_model(path)
        obs = np.concatenate([np.full((3, 4), 2.0), np.full((3, 4), 3.0), np.zeros((3, 4))], 1)
        np.testing.assert_allclose(loaded(obs), model(obs), rtol=1e-6)
        assert loaded.metadata == {"k": 1} and loaded.encoder == encoder


def test_model_refuses_to_overwrite(tmp_path, tiny_model):
    path = ckpt.save_model(tiny_model, tmp_path / "m.keras")
    with pytest.raises(ckpt.ModelFileError, match="already exists"):
        ckpt.save_model(tiny_model, path)
    with pytest.raises(ckpt.ModelFileError, match="must end in .keras"):
        ckpt.save_model(tiny_model, tmp_path / "m.h5")


def test_bad_model_files(tmp_path, tiny_model):
    with pytest.raises(ckpt.ModelFileError, match="does not exist"):
        ckpt.load_model(tmp_path / "missing.keras")
    garbage = tmp_path / "garbage.keras"
    garbage.write_bytes(b"not a model")
    with pytest.raises(ckpt.ModelFileError, match="truncated or not a Keras"):
        ckpt.load_model(garbage)
    path = ckpt.save_model(tiny_model, tmp_path / "m.keras")
    truncated = tmp_path / "truncated.keras"
    truncated.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(ckpt.ModelFileError):
        ckpt.load_model(truncated)
