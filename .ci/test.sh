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
if [[ "${1:-}" == "--fast" ]]; then
    shift
    exec .venv/bin/python -m pytest tests -m "not slow" -q "$@"
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
.venv/bin/python -m pytest tests notebooks "${NBVAL[@]}" -q "$@"
echo "== the notebooks again, on a perturbed kernel path"
(
    source .ci/perturbed-env.sh
    .venv/bin/python -m pytest notebooks "${NBVAL[@]}" -q "$@"
)
