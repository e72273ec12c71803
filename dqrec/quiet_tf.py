"""Import TensorFlow without the log lines it writes to stderr on start-up.

On some CPUs (Intel Xeons with AVX-512, for one) TensorFlow 2.21 prints, while it is being
imported::

    WARNING: All log messages before absl::InitializeLog() is called are written to STDERR
    I0000 00:00:1796035672.969494    2570 port.cc:153] oneDNN custom operations are on. ...

straight to file descriptor 2, from C++. ``TF_CPP_MIN_LOG_LEVEL`` does not silence these
lines (measured: they appear with every value from 0 to 3), so a command-line error message
would arrive behind three lines of noise. ``import_tensorflow`` sends file descriptor 2 to a
temporary file while TensorFlow loads, then passes on every line except the start-up chatter
(the absl preamble, informational ``I....`` lines and the CPU-feature hint), so a real warning
or error still reaches the user. It also sets ``TF_CPP_MIN_LOG_LEVEL=2`` for the rest of the
run, unless the user has set it.
"""

import os
import re
import sys
import tempfile

_CHATTER = re.compile(
    r"WARNING: All log messages before absl::InitializeLog\(\)"  # absl's preamble
    r"|I\d{4} [\d:.]+ +\d+ \S+:\d+\]"  # an INFO line: I<mmdd> <time> <thread> <file>:<line>]
    r"|To enable the following instructions:"  # second line of the CPU-feature hint
)


def is_chatter(line: str) -> bool:
    """Whether ``line`` is one of TensorFlow's start-up log lines (safe to drop)."""
    return _CHATTER.match(line) is not None


def import_tensorflow():
    """Import and return ``tensorflow``, keeping its start-up log lines off stderr."""
    if "tensorflow" in sys.modules:
        return sys.modules["tensorflow"]
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # a user's own setting wins
    sys.stderr.flush()
    saved_fd = os.dup(2)
    with tempfile.TemporaryFile() as log:
        os.dup2(log.fileno(), 2)
        try:
            import tensorflow
        finally:
            os.dup2(saved_fd, 2)
            os.close(saved_fd)
            log.seek(0)
            lines = log.read().decode(errors="replace").splitlines(keepends=True)
            kept = "".join(line for line in lines if not is_chatter(line))
            if kept:
                sys.stderr.write(kept)
                sys.stderr.flush()
    return tensorflow
