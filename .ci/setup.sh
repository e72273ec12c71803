#!/usr/bin/env bash
# Create .venv (Python 3.11) with every pinned requirement and dqrec installed in editable
# mode, and a Jupyter kernel that notebooks, nbval and JupyterLab share. Idempotent.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PY=${PYTHON3:-python3}
if [[ ! -x .venv/bin/python ]]; then
    "$PY" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -r requirements.txt
.venv/bin/python -m pip install --quiet --no-deps -e .
# TensorFlow writes C++ log lines straight to file descriptor 2; a kernel that captured them
# would store them as outputs that nbval (under pytest) never sees. Keep them out of cells.
# TensorFlow's log level is set before any cell runs (a user's own setting wins).
mkdir -p .venv/etc/ipython
cat > .venv/etc/ipython/ipython_kernel_config.py <<'PY'
c.IPKernelApp.capture_fd_output = False
c.IPKernelApp.exec_lines = ["import os; os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')"]
PY
.venv/bin/python -m ipykernel install --sys-prefix --name python3 >/dev/null
