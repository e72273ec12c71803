"""Serving: export a trained Q-network as a TensorFlow SavedModel, and load it back.

A SavedModel is a folder (``saved_model.pb`` holds the graphs, ``variables/`` the weights)
that TensorFlow Serving, a C++ or Java program, or another Python process can run with
no dqrec code at all. ``export_saved_model`` writes one with two signatures:

* ``serving_default``: ``history_items`` int32 ``(batch, H)`` (oldest first, most recent
  last, padding id ``num_items``) and ``history_feedback`` int32 ``(batch, H)`` (0 padding,
  1 skip, 2 click, 3 purchase) -> ``top_items`` int32 ``(batch, k)`` and ``q_values``
  float32 ``(batch, k)``, best first. The session features are computed from the history
  in the graph, as ``dqrec.envs.observation_from_history`` does (exact for sessions of at
  most ``H`` steps; longer sessions should use the next signature);
* ``with_features``: the same plus ``session_features`` float32 ``(batch, 4)``.

For a ``TwoTowerQNetwork`` the item table ``[g(a), b(a)]`` is computed once at export and
stored as a variable; a request runs the state tower and ``chunked_top_k`` (exact, see
``dqrec.two_tower``). For a ``QNetwork`` it is ``tf.math.top_k`` of all Q-values.

Writing is all-or-nothing: the export goes into a temporary folder beside ``path`` and is
renamed into place, so a crash leaves either no export or a complete one.
"""

import dataclasses
import json
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np
import tensorflow as tf

from dqrec.checkpoint import ModelFileError
from dqrec.envs import CLICK, NUM_SESSION_FEATURES, PURCHASE, SKIP
from dqrec.outputs import dir_mode
from dqrec.two_tower import TwoTowerQNetwork, chunked_top_k

INFO_FILE = "dqrec_export.json"  # beside saved_model.pb: sizes and the shop config


def session_features(history_feedback, max_steps):
    """The four session features from a feedback window ``(batch, H)``, in TensorFlow.

    Matches ``observation_from_history`` when the whole session fits in the window.
    """
    feedback = tf.cast(history_feedback, tf.int32)
    h = feedback.shape[-1]
    steps = tf.reduce_sum(tf.cast(feedback > 0, tf.float32), axis=-1)  # (batch,)
    clicks = tf.reduce_sum(tf.cast(feedback >= CLICK, tf.float32), axis=-1)
    purchases = tf.reduce_sum(tf.cast(feedback == PURCHASE, tf.float32), axis=-1)
    # skips in a row: the run of SKIP codes at the end (most recent last)
    is_skip = tf.cast(feedback == SKIP, tf.float32)
    skips_in_row = tf.reduce_sum(tf.math.cumprod(is_skip, axis=-1, reverse=True), axis=-1)
    per_step = tf.maximum(steps, 1.0)
    return tf.stack(
        [
            tf.minimum(steps, max_steps) / max_steps,
            clicks / per_step,
            purchases / per_step,
            tf.minimum(skips_in_row, h) / h,
        ],
        axis=-1,
    )


class _Recommender(tf.Module):
    """What is saved: the network's variables and two traced signatures."""

    def __init__(self, model, k, max_steps, chunk_size):
        super().__init__()
        self.model = model
        self.k, self.history_len, self.max_steps = k, model.history_len, float(max_steps)
        self.chunk_size = chunk_size
        self.two_tower = isinstance(model, TwoTowerQNetwork)
        if self.two_tower:  # the item tower is run once here, not per request
            self.item_table = tf.Variable(model.item_table(), trainable=False)
        h = model.history_len
        ids = tf.TensorSpec((None, h), tf.int32, name="history_items")
        feedback = tf.TensorSpec((None, h), tf.int32, name="history_feedback")
        features = tf.TensorSpec((None, NUM_SESSION_FEATURES), tf.float32, "session_features")
        self.serving_default = tf.function(self._default, input_signature=[ids, feedback])
        self.with_features = tf.function(self._recommend, input_signature=[ids, feedback, features])

    def _default(self, history_items, history_feedback):
        features = session_features(history_feedback, self.max_steps)
        return self._recommend(history_items, history_feedback, features)

    def _recommend(self, history_items, history_feedback, session_features):
        obs = tf.concat(
            [
                tf.cast(history_items, tf.float32),
                tf.cast(history_feedback, tf.float32),
                session_features,
            ],
            axis=-1,
        )
        if self.two_tower:
            queries = self.model.augmented_queries(obs)  # (batch, tower_dim + 1)
            q_values, items = chunked_top_k(queries, self.item_table, self.k, self.chunk_size)
        else:
            q_values, items = tf.math.top_k(self.model(obs), k=self.k)  # (batch, k)
        return {"top_items": tf.cast(items, tf.int32), "q_values": q_values}


def _shop_dict(model, shop_config):
    if shop_config is not None:
        return dataclasses.asdict(shop_config)
    try:
        return dict(model.metadata["train_config"]["shop"])
    except (AttributeError, KeyError, TypeError):
        raise ValueError("pass shop_config: the model's metadata has no training config") from None


def export_saved_model(model, path, k, shop_config=None, overwrite=False, chunk_size=32768) -> Path:
    """Export ``model`` (a ``QNetwork`` with a shop encoder, or a ``TwoTowerQNetwork``) to the
    folder ``path``, recommending ``k`` items per request.

    ``shop_config`` (a ``ShopConfig``) defaults to the one in the model's training metadata;
    it gives ``max_steps`` for the session features and lets ``dqrec recommend`` check ids.
    Raises ``ModelFileError`` if ``path`` exists (unless ``overwrite``; even then only an
    earlier export is replaced, never another folder) or cannot be written.
    """
    path = Path(path)
    num_items = model.num_items
    if not 1 <= k <= num_items:
        raise ValueError(f"k must be in [1, {num_items}], got {k}")
    shop = _shop_dict(model, shop_config)
    if path.exists() or path.is_symlink():
        if not overwrite:
            raise ModelFileError(f"export path {path} already exists (pass overwrite=True)")
        if not (path / "saved_model.pb").is_file():
            raise ModelFileError(
                f"export path {path} exists and is not a SavedModel; not replacing it"
            )
    info = {
        "format": "dqrec-saved-model",
        "k": k,
        "history_len": model.history_len,
        "num_items": num_items,
        "model_class": type(model).__name__,
        "shop_config": shop,
        "metadata": model.metadata,
    }
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(dir=path.parent, prefix=f".{path.name}.tmp-"))
    except OSError as exc:
        raise ModelFileError(f"cannot write an export at {path}: {exc.strerror or exc}") from None
    try:
        module = _Recommender(model, k, shop["max_steps"], chunk_size)
        signatures = {
            "serving_default": module.serving_default,
            "with_features": module.with_features,
        }
        tf.saved_model.save(module, str(tmp), signatures=signatures)
        (tmp / INFO_FILE).write_text(json.dumps(info, indent=1))
        os.chmod(tmp, dir_mode())  # mkdtemp makes it private; servers must read an export
        if path.exists():  # overwrite: move the old export aside, then swap the new one in
            old = Path(tempfile.mkdtemp(dir=path.parent, prefix=f".{path.name}.old-"))
            os.replace(path, old / "export")
            os.replace(tmp, path)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, path)  # atomic: the folder appears complete or not at all
    except OSError as exc:
        raise ModelFileError(f"cannot write an export at {path}: {exc.strerror or exc}") from None
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return path


class ExportedRecommender:
    """A loaded export: ``recommend(items, feedback)`` -> ``(top_items, q_values)`` arrays."""

    def __init__(self, loaded, info, path):
        self.loaded, self.info, self.path = loaded, info, path
        self.k, self.history_len = int(info["k"]), int(info["history_len"])
        self.num_items = int(info["num_items"])

    def shop_config(self):
        """The ``ShopConfig`` the model was exported with."""
        from dqrec.config import ShopConfig

        try:
            return ShopConfig(**self.info["shop_config"])
        except (TypeError, ValueError) as exc:
            raise ModelFileError(f"export {self.path} has an invalid shop config ({exc})") from None

    def recommend(self, history_items, history_feedback, session_features=None):
        """Top ``k`` items and their Q-values, ``(batch, k)`` each, for a batch of histories."""
        items = tf.constant(np.asarray(history_items, np.int32))  # (batch, H)
        feedback = tf.constant(np.asarray(history_feedback, np.int32))  # (batch, H)
        if session_features is None:
            out = self.loaded.signatures["serving_default"](
                history_items=items, history_feedback=feedback
            )
        else:
            out = self.loaded.signatures["with_features"](
                history_items=items,
                history_feedback=feedback,
                session_features=tf.constant(np.asarray(session_features, np.float32)),
            )
        return out["top_items"].numpy(), out["q_values"].numpy()


def load_saved_model(path) -> ExportedRecommender:
    """Load an export of ``export_saved_model``; ``ModelFileError`` says what is wrong.

    Trusted exports only: loading runs the TensorFlow graph stored in the folder, and a graph
    can do whatever TensorFlow's operations can (read and write files, for one). Unlike a
    ``.keras`` file in Keras safe mode, nothing here can tell a crafted graph from ours.
    """
    path = Path(path)
    if not path.exists():
        raise ModelFileError(f"saved model {path} does not exist")
    if not (path / "saved_model.pb").is_file():
        raise ModelFileError(f"{path} is not a SavedModel folder (no saved_model.pb)")
    try:
        loaded = tf.saved_model.load(str(path))
    except Exception as exc:  # TF raises many types for a damaged file; report one line
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ModelFileError(f"saved model {path} is corrupt: {first_line}") from None
    for name in ("serving_default", "with_features"):
        if name not in loaded.signatures:
            raise ModelFileError(f"saved model {path} has no {name!r} signature")
    try:
        info = json.loads((path / INFO_FILE).read_text())
        int(info["k"]), int(info["history_len"]), int(info["num_items"])  # noqa: B018
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ModelFileError(f"saved model {path} has no valid {INFO_FILE} ({exc})") from None
    return ExportedRecommender(loaded, info, path)


def recommend_in_memory(model, history_items, history_feedback, k, max_steps, chunk_size=32768):
    """What an export of ``model`` returns, computed with the in-memory model (for checks)."""
    module = _Recommender(model, k, max_steps, chunk_size)
    out = module.serving_default(
        tf.constant(np.asarray(history_items, np.int32)),
        tf.constant(np.asarray(history_feedback, np.int32)),
    )
    return out["top_items"].numpy(), out["q_values"].numpy()
