#!/usr/bin/env bash
# The main job: install everything, then build the book into _build/html/ (open
# _build/html/index.html in a browser). Notebooks are committed with their outputs.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash .ci/setup.sh
bash .ci/book.sh
echo "The site is in _build/html/; open _build/html/index.html in a browser."
