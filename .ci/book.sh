#!/usr/bin/env bash
# Build the book (Jupyter Book 1.x), English in _build/html/ and Chinese in _build/html/zh/,
# and fail on any warning; optionally check the built sites in a headless browser.
#   .ci/book.sh            build only
#   .ci/book.sh --test     build, then run tests/test_book_site.py (its browser checks
#                          need Debian's `chromium` and skip without it)
# Python: $PYTHON if set, else the project's .venv if present, else python3 on PATH.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
if [[ -z "${PYTHON:-}" ]]; then
    if [[ -x .venv/bin/python ]]; then PYTHON=.venv/bin/python; else PYTHON=python3; fi
fi

# Same as the `jupyter-book` console script, without depending on PATH.
# -W: warnings are errors; -n: nitpicky (every cross-reference must resolve);
# --keep-going: report every warning, not just the first; --all: rebuild every page
# (incremental builds can leave citation anchors stale between pages).
"$PYTHON" -c 'import sys; from jupyter_book.cli.main import main; sys.exit(main())' \
    build . --all -W -n --keep-going
# The Chinese edition, same sources and flags, translations from book/locales/zh_CN:
# _build/html/zh/ (book/zh_edition.py).
"$PYTHON" book/zh_edition.py build --quiet

if [[ "${1:-}" == "--test" ]]; then
    "$PYTHON" -m pytest tests/test_book_site.py -q
fi
