#!/usr/bin/env bash
# Every test: install everything (and Debian's chromium for the browser test), build the
# book with -W (warnings are errors), then one pytest run over the unit tests, the built
# site in headless Chromium, and every notebook under strict nbval.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash .ci/setup.sh
if ! command -v chromium >/dev/null 2>&1; then
    if [[ $(id -u) == 0 ]]; then
        apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium >/dev/null
    else
        echo "note: chromium is not installed; the browser checks will be skipped" >&2
    fi
fi
bash .ci/book.sh
export DQREC_REQUIRE_BROWSER=${DQREC_REQUIRE_BROWSER:-$([[ $(id -u) == 0 ]] && echo 1 || echo 0)}
export DQREC_DATA_DIR=${DQREC_DATA_DIR:-$(cd .. && pwd)/shared/data}
.venv/bin/python -m pytest tests notebooks --nbval \
    --nbval-sanitize-with notebooks/nbval_sanitize.cfg -q "$@"
