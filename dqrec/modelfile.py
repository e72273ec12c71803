"""What a saved model says about itself, read without TensorFlow (zip and JSON only).

A ``.keras`` file is a zip archive whose ``config.json`` holds the ``QNetwork``'s sizes and
its metadata (the training config); a SavedModel export of ``dqrec.serving`` has a
``dqrec_export.json`` beside ``saved_model.pb``. Reading these first lets the command line
refuse a missing, damaged or mismatched model (another environment, another catalogue size
or history length, metadata that contradicts the network) with one line, in well under a
second, before TensorFlow is imported or runs the model.
"""

import json
import zipfile
from dataclasses import dataclass
from pathlib import Path

from dqrec.checkpoint import ModelFileError, check_keras_path
from dqrec.config import ConfigError, ShopConfig, from_dict

EXPORT_INFO = "dqrec_export.json"  # the same name as dqrec.serving.INFO_FILE


@dataclass(frozen=True)
class ModelInfo:
    """Sizes of a saved Q-network and the shop it was trained on."""

    path: Path
    shop: ShopConfig
    obs_dim: int
    num_actions: int
    history_len: int
    num_items: int
    k: int | None = None  # items per request of a SavedModel export (None for .keras)


def _shop_of(train_config, path, what) -> ShopConfig:
    try:
        config = from_dict(train_config)
    except (ConfigError, TypeError, AttributeError) as exc:
        raise ModelFileError(f"{what} {path} has no valid training config ({exc})") from None
    if config.env_id is not None:
        raise ModelFileError(
            f"{what} {path} was trained on the Gymnasium environment {config.env_id!r}, "
            "not on the shop simulator; only shop models can be evaluated or asked here"
        )
    return config.shop


def _check_sizes(info: ModelInfo, what) -> ModelInfo:
    shop = info.shop
    expected = {
        "num_actions": shop.num_items,
        "obs_dim": shop.obs_dim,
        "num_items": shop.num_items,
        "history_len": shop.history_len,
    }
    for name, want in expected.items():
        got = getattr(info, name)
        if got != want and not (name in ("num_items", "history_len") and got == 0):
            source = "shop_config" if info.k is not None else "training config"
            raise ModelFileError(
                f"{what} {info.path} is inconsistent: its network has {name} = {got}, but "
                f"its {source} (num_items = {shop.num_items}, history_len = "
                f"{shop.history_len}) needs {want}"
            )
    return info


def read_keras_info(path, what="model file") -> ModelInfo:
    """Sizes and shop of a ``.keras`` Q-network trained on the shop, checked for agreement."""
    path = check_keras_path(path, what)
    try:
        with zipfile.ZipFile(path) as archive:
            config = json.loads(archive.read("config.json"))
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, EOFError) as exc:
        reason = "no config.json" if isinstance(exc, KeyError) else type(exc).__name__
        raise ModelFileError(
            f"{what} {path} is not a readable Keras .keras archive ({reason})"
        ) from None
    if not isinstance(config, dict) or config.get("class_name") != "QNetwork":
        name = config.get("class_name") if isinstance(config, dict) else type(config).__name__
        raise ModelFileError(f"{what} {path} holds a {name}, not a dqrec QNetwork")
    fields = config.get("config")
    try:
        metadata = fields["metadata"]
        train_config = metadata["train_config"]
        sizes = {k: int(fields[k]) for k in ("obs_dim", "num_actions", "history_len", "num_items")}
    except (KeyError, TypeError, ValueError):
        raise ModelFileError(
            f"{what} {path} has no training config in its metadata (not written by `dqrec train`)"
        ) from None
    shop = _shop_of(train_config, path, what)
    return _check_sizes(ModelInfo(path=path, shop=shop, **sizes), what)


def read_export_info(path, what="saved model") -> ModelInfo:
    """Sizes and shop of a SavedModel export of ``dqrec.serving``, from its info file."""
    if path is None or str(path) == "":
        raise ModelFileError(f"{what} must be a path to a SavedModel folder, got ''")
    path = Path(path)
    if not path.exists():
        raise ModelFileError(f"{what} {path} does not exist")
    if not path.is_dir() or not (path / "saved_model.pb").is_file():
        raise ModelFileError(
            f"{what} {path} is not a SavedModel folder (no saved_model.pb); "
            "without --saved-model, MODEL is a .keras file"
        )
    try:
        info = json.loads((path / EXPORT_INFO).read_text())
        k, h, n = int(info["k"]), int(info["history_len"]), int(info["num_items"])
        shop = ShopConfig(**info["shop_config"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else f"{type(exc).__name__}: {exc}"
        raise ModelFileError(f"{what} {path} has no valid {EXPORT_INFO} ({reason})") from None
    model_info = ModelInfo(path, shop, shop.obs_dim, n, h, n, k=k)
    if not 1 <= k <= n:
        raise ModelFileError(f"{what} {path} is inconsistent: k = {k} is not in [1, {n}]")
    return _check_sizes(model_info, what)


def check_same_shop(main: ModelInfo, other: ModelInfo, option: str) -> None:
    """``ModelFileError`` unless ``other`` was trained on the same shop as ``main``."""
    a, b = vars(main.shop), vars(other.shop)
    differ = [name for name in a if a[name] != b[name]]
    if differ:
        name = differ[0]
        raise ModelFileError(
            f"{option} model {other.path} was trained on another shop than {main.path} "
            f"({name} = {b[name]!r}, not {a[name]!r}); compare models of one shop"
        )
