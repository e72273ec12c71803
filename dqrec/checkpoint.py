"""Files on disk: training checkpoints and saved Q-networks, written atomically.

Every file is first written under a temporary name in the same folder and then moved into
place with ``os.replace``, which is atomic on POSIX file systems: after a crash there is
either the old file or the new one, never a half-written one. Reading checks what it reads
and raises one clear error (``CheckpointError``, ``ModelFileError``) naming the file.

A checkpoint is a NumPy ``.npz`` archive: named arrays (network and optimizer weights, the
replay buffer, the simulator's state) plus a JSON metadata record (counters, the run's
config, the random generator's state, the history so far).
"""

import json
import os
import re
import tempfile
import zipfile
from pathlib import Path

import numpy as np

from dqrec.outputs import file_mode

FORMAT_VERSION = 1
_CKPT_RE = re.compile(r"^ckpt-(\d{12})\.npz$")


class CheckpointError(RuntimeError):
    """A checkpoint is missing, truncated, corrupt or from another run."""


class ModelFileError(RuntimeError):
    """A saved model is missing, corrupt, or not a dqrec Q-network."""


class OutputWriteError(OSError):
    """A file could not be written (disk full, permissions); nothing half-written is left."""


def _atomic_write(path: Path, write) -> None:
    """Call ``write(tmp_path)`` then move ``tmp_path`` onto ``path`` atomically.

    The temp file is ``.NAME.tmp-XXXXXXXX.SUFFIX`` beside ``path`` (a killed run's leftovers
    are removed by ``dqrec.outputs.remove_stale_temp_files``); the file gets the user's
    normal permissions (``0o666 & ~umask``), not ``mkstemp``'s private 0600. An ``OSError``
    becomes one ``OutputWriteError`` naming ``path``.
    """
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.tmp-", suffix=path.suffix)
        os.close(fd)
        write(tmp)
        os.chmod(tmp, file_mode())
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        if isinstance(exc, OutputWriteError):
            raise
        reason = exc.strerror or str(exc) or type(exc).__name__
        raise OutputWriteError(f"cannot write {path}: {reason}") from None
    finally:
        if tmp is not None and os.path.exists(tmp):
            os.remove(tmp)


def save_checkpoint(directory, step: int, arrays: dict, meta: dict, keep: int = 2) -> Path:
    """Write ``ckpt-<step>.npz`` into ``directory`` and keep only the newest ``keep``."""
    directory = Path(directory)
    path = directory / f"ckpt-{step:012d}.npz"
    record = json.dumps({"format_version": FORMAT_VERSION, **meta})

    def write(tmp):
        with open(tmp, "wb") as f:
            np.savez(f, __meta__=np.array(record), **arrays)

    _atomic_write(path, write)
    for old in list_checkpoints(directory)[:-keep]:
        old.unlink(missing_ok=True)  # another process may have pruned it already
    return path


def list_checkpoints(directory) -> list[Path]:
    """Checkpoint files in ``directory``, oldest first."""
    directory = Path(directory)
    if not directory.is_dir():
        return []
    return sorted(p for p in directory.iterdir() if _CKPT_RE.match(p.name))


def latest_checkpoint(directory) -> Path | None:
    found = list_checkpoints(directory)
    return found[-1] if found else None


def load_checkpoint(path) -> tuple[dict, dict]:
    """Read a checkpoint: ``(arrays, meta)``; a ``CheckpointError`` names what is wrong."""
    path = Path(path)
    if not path.exists():
        raise CheckpointError(f"checkpoint {path} does not exist")
    if not path.is_file():
        raise CheckpointError(f"checkpoint {path} is not a file")
    try:
        with open(path, "rb") as f:
            is_zip = zipfile.is_zipfile(f)
    except OSError as exc:
        raise CheckpointError(f"checkpoint {path} cannot be read: {exc.strerror}") from None
    if not is_zip:  # np.load would try to unpickle it, and pass on NumPy's advice to do so
        raise CheckpointError(
            f"checkpoint {path} is truncated or corrupt (not a NumPy .npz archive)"
        )
    try:
        with np.load(path, allow_pickle=False) as archive:
            arrays = {name: archive[name] for name in archive.files}
    except (zipfile.BadZipFile, EOFError, OSError, ValueError, KeyError) as exc:
        reason = "object arrays" if "allow_pickle" in str(exc) else f"{type(exc).__name__}"
        raise CheckpointError(f"checkpoint {path} is truncated or corrupt ({reason})") from None
    if "__meta__" not in arrays:
        raise CheckpointError(f"checkpoint {path} has no metadata record: not a dqrec checkpoint")
    try:
        meta = json.loads(str(arrays.pop("__meta__")))
    except json.JSONDecodeError as exc:
        raise CheckpointError(f"checkpoint {path} has a corrupt metadata record ({exc})") from None
    if not isinstance(meta, dict):
        raise CheckpointError(f"checkpoint {path} has a metadata record that is not a JSON object")
    if meta.get("format_version") != FORMAT_VERSION:
        raise CheckpointError(
            f"checkpoint {path} has format version {meta.get('format_version')!r}, "
            f"expected {FORMAT_VERSION}"
        )
    return arrays, meta


def save_model(model, path, overwrite: bool = False) -> Path:
    """Save a Keras model to ``path`` (a ``.keras`` file) atomically."""
    path = Path(path)
    if path.suffix != ".keras":
        raise ModelFileError(f"model path {path} must end in .keras")
    if path.exists() and not overwrite:
        raise ModelFileError(
            f"model file {path} already exists (pass overwrite=True to replace it)"
        )
    _atomic_write(path, lambda tmp: model.save(tmp))
    return path


def _saved_model_hint(path: Path) -> str:
    if (path / "saved_model.pb").is_file():
        return (
            "; it is a SavedModel export: `dqrec recommend --saved-model` loads one "
            "(only exports you trust: loading runs the TensorFlow graph stored in it)"
        )
    return ""


def check_keras_path(path, what="model file") -> Path:
    """``path`` if it is a readable zip archive; else ``ModelFileError`` saying what it is."""
    if path is None or str(path) == "":
        raise ModelFileError(f"{what} must be a path to a .keras file, got ''")
    path = Path(path)
    if not path.exists():
        raise ModelFileError(f"{what} {path} does not exist")
    if path.is_dir():
        raise ModelFileError(
            f"{what} {path} is a folder; expected a .keras file written by `dqrec train`"
            + _saved_model_hint(path)
        )
    try:
        with open(path, "rb") as f:
            is_zip = zipfile.is_zipfile(f)
    except OSError as exc:
        raise ModelFileError(f"{what} {path} cannot be read: {exc.strerror}") from None
    if not is_zip:
        raise ModelFileError(f"{what} {path} is truncated or not a Keras .keras archive")
    return path


def load_model(path):
    """Load a Q-network saved by ``save_model``, in Keras safe mode (no pickled code runs)."""
    import keras

    import dqrec.networks  # noqa: F401  (registers QNetwork with Keras)

    path = check_keras_path(path)
    try:
        model = keras.models.load_model(path, safe_mode=True, compile=False)
    except Exception as exc:  # Keras raises many types; report one clear line
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ModelFileError(f"model file {path} could not be loaded: {first_line}") from None
    if not isinstance(model, dqrec.networks.QNetwork):
        raise ModelFileError(f"model file {path} holds a {type(model).__name__}, not a QNetwork")
    return model
