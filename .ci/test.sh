#!/usr/bin/env bash
# Every test: install everything (and Debian's chromium for the browser test), lint, build
# the book with -W (warnings are errors), then one pytest run over the unit tests, the built
# site in headless Chromium, and every notebook under strict nbval; then every notebook
# again under strict nbval on a perturbed kernel path (.ci/perturbed-env.sh), a stand-in for
# another reader's CPU: outputs compared strictly must not depend on the CPU.
#   bash .ci/test.sh              everything (what CI runs)
#   bash .ci/test.sh --fast       lint and the unit tests not marked slow (under 2 minutes)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash .ci/setup.sh
export DQREC_DATA_DIR=${DQREC_DATA_DIR:-$(cd .. && pwd)/shared/data}
.venv/bin/ruff check --no-cache .
.venv/bin/ruff format --no-cache --check .
# Test files run in parallel, one worker per core (at most 4: each notebook kernel may take up
# to 2 GB); a file's tests, or a notebook's cells, stay together on one worker, in order
# (pytest-xdist --dist loadfile; its loadgroup marks are lost on pytest 9's node ids, and a
# notebook whose cells were spread over two kernels fails). DQREC_TEST_JOBS=1: one at a time.
JOBS=${DQREC_TEST_JOBS:-$(nproc)}
if (( JOBS > 4 )); then JOBS=4; fi
PARALLEL=(-n "$JOBS" --dist loadfile)
if (( JOBS <= 1 )); then PARALLEL=(-p no:xdist); fi
if [[ "${1:-}" == "--fast" ]]; then
    shift
    exec .venv/bin/python -m pytest tests -m "not slow" -q "${PARALLEL[@]}" "$@"
fi
if ! command -v chromium >/dev/null 2>&1; then
    if [[ $(id -u) == 0 ]]; then
        apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium >/dev/null
    else
        echo "note: chromium is not installed; the browser checks will be skipped" >&2
    fi
fi
bash .ci/book.sh
export DQREC_REQUIRE_BROWSER=${DQREC_REQUIRE_BROWSER:-$([[ $(id -u) == 0 ]] && echo 1 || echo 0)}
NBVAL=(--nbval --nbval-sanitize-with notebooks/nbval_sanitize.cfg)
# --durations: the slowest tests, named in every CI log
.venv/bin/python -m pytest tests notebooks "${NBVAL[@]}" -q "${PARALLEL[@]}" --durations=15 "$@"
echo "== the notebooks again, on a perturbed kernel path"
(
    source .ci/perturbed-env.sh
    .venv/bin/python -m pytest notebooks "${NBVAL[@]}" -q "${PARALLEL[@]}" "$@"
)
