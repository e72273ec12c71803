"""Output folders of a run: checked before any work starts, locked while a run writes them.

* ``check_output_dir(path, option)`` raises ``OutputPathError`` (one line naming the path and
  what was expected) for an empty path, a path that is a file (or ``/dev/null``), or a folder
  that cannot be created or written, before hours of training are spent;
* ``RunLock(folder)`` holds ``folder/.dqrec.lock`` (holding the owner's pid and host) for the
  life of a run; a second run into the same folder gets ``RunLockedError`` naming the lock
  file and its owner. The lock is an ``flock`` on that file, which the operating system drops
  when the owner dies, so a lock left behind by a killed run is taken over, never obeyed;
* ``remove_stale_temp_files(folder)`` deletes the temporary files of this package's atomic
  writes (``.NAME.EXT.tmp-XXXXXXXX.EXT``, and the older ``.NAME.EXT.XXXXXXXX.EXT``) that a
  killed run left behind; call it while holding the folder's lock;
* ``file_mode()`` and ``dir_mode()`` are the modes a new file or folder gets under the user's
  umask (``0o666 & ~umask``, ``0o777 & ~umask``), for files first written privately.

Imports neither TensorFlow nor NumPy.
"""

import errno
import os
import re
import socket
import tempfile
from pathlib import Path

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX: the pid in the lock file decides
    fcntl = None

LOCK_NAME = ".dqrec.lock"
# .dqn.keras.tmp-ab12cd34.keras (now) and .ckpt-000000001000.npz.ab12cd34.npz (before)
_TEMP_RE = re.compile(r"^\.[^/]+(\.[A-Za-z0-9]+)\.(tmp-)?[a-z0-9_]{8}\1$")


class OutputPathError(ValueError):
    """An output path cannot be used (empty, a file, not writable): a usage error."""


class RunLockedError(RuntimeError):
    """Another live run holds the output folder's lock."""


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def file_mode() -> int:
    """Permission bits of a newly created file under the current umask, e.g. ``0o644``."""
    return 0o666 & ~_umask()


def dir_mode() -> int:
    """Permission bits of a newly created folder under the current umask, e.g. ``0o755``."""
    return 0o777 & ~_umask()


def _nearest_existing(path: Path) -> Path:
    for candidate in (path, *path.parents):
        if os.path.lexists(candidate):
            return candidate
    return Path("/")


def check_output_dir(path, option: str = "output folder") -> Path:
    """``path`` as a ``Path`` if it is, or can become, a writable folder; else one
    ``OutputPathError`` naming ``option`` and the path. Creates nothing."""
    if path is None or str(path).strip() == "":
        raise OutputPathError(f"{option} must be a folder path, got {str(path or '')!r}")
    path = Path(path)
    existing = _nearest_existing(path.absolute())
    if not existing.is_dir():
        what = "a file" if existing.is_file() else "not a folder (a device or special file)"
        if existing == path.absolute():
            raise OutputPathError(f"{option} {path} is {what}; expected a folder")
        raise OutputPathError(f"{option} {path} cannot be created: {existing} is {what}")
    try:  # the only test that also holds for root and for read-only mounts: write a file
        fd, probe = tempfile.mkstemp(dir=existing, prefix=".dqrec-write-test-")
        os.close(fd)
        os.remove(probe)
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        where = "" if existing == path.absolute() else f" (in {existing})"
        raise OutputPathError(f"{option} {path} is not writable{where}: {reason}") from None
    return path


def remove_stale_temp_files(folder) -> list[Path]:
    """Delete temp files of this package's atomic writes in ``folder``; return their paths."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    removed = []
    for p in sorted(folder.iterdir()):
        if _TEMP_RE.match(p.name) and p.is_file() and not p.is_symlink():
            try:
                p.unlink()
                removed.append(p)
            except FileNotFoundError:
                pass
    return removed


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except (OverflowError, ValueError):
        return False
    return True


def _read_owner(path: Path) -> tuple[int | None, str]:
    """(pid, host) from a lock file's ``pid N host NAME`` line; (None, "") if unreadable."""
    try:
        words = path.read_text(errors="replace").split()
    except OSError:
        return None, ""
    ok = len(words) >= 4 and words[0] == "pid" and words[2] == "host"
    if not (ok and words[1].isascii() and words[1].isdecimal()):
        return None, ""
    return int(words[1]), words[3]


class RunLock:
    """``with RunLock(folder):`` one run at a time writes ``folder`` (created if needed).

    ``stale_owner`` is the pid of a dead run whose lock was taken over (else None).
    """

    def __init__(self, folder):
        self.folder = Path(folder)
        self.path = self.folder / LOCK_NAME
        self.stale_owner = None
        self._fd = None

    def acquire(self) -> "RunLock":
        self.folder.mkdir(parents=True, exist_ok=True)
        for _ in range(100):  # retried only while another run removes the file under us
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, file_mode())
            try:
                if not self._lock(fd):
                    raise self._locked_error()
                if os.fstat(fd).st_ino != os.stat(self.path).st_ino:
                    raise FileNotFoundError  # released and removed meanwhile: try again
            except FileNotFoundError:
                os.close(fd)
                continue
            except BaseException:
                os.close(fd)
                raise
            pid, _ = _read_owner(self.path)
            self.stale_owner = pid if pid not in (None, os.getpid()) else None
            record = f"pid {os.getpid()} host {socket.gethostname()}\n".encode()
            os.ftruncate(fd, 0)
            os.pwrite(fd, record, 0)
            self._fd = fd
            return self
        raise RunLockedError(f"output folder {self.folder}: could not take the lock {self.path}")

    def _lock(self, fd) -> bool:
        if fcntl is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return True
            except OSError as exc:
                if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                    return False
                raise
        pid, host = _read_owner(self.path)  # no flock: trust a live pid on this host
        mine = host in ("", socket.gethostname())
        return pid is None or pid == os.getpid() or not (mine and _pid_alive(pid))

    def _locked_error(self) -> RunLockedError:
        pid, host = _read_owner(self.path)
        owner = (f"pid {pid}" + (f" on {host}" if host else "")) if pid else "another process"
        return RunLockedError(
            f"output folder {self.folder} is in use by another dqrec run ({owner}, lock file "
            f"{self.path}); wait for it to finish or choose another output folder"
        )

    def release(self) -> None:
        if self._fd is None:
            return
        try:
            os.unlink(self.path)  # still holding the lock: no one else can be using the file
        except FileNotFoundError:
            pass
        finally:
            os.close(self._fd)  # drops the flock
            self._fd = None

    def __enter__(self):
        return self.acquire()

    def __exit__(self, *exc_info):
        self.release()
