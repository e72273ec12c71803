"""nbval collection for the chapters: a chapter that needs the full Online Retail table is left
out of the run, with one line saying why, on a machine that does not have the table (a fresh
clone without ``../shared`` and without ``DQREC_DATA_DIR``). Its committed outputs were made on
the full table; comparing them with a run on anything else would only be a red run. CI has the
full table, so there every chapter runs."""

NEEDS_FULL_DATA = ("06_real_shop_data.ipynb",)
_left_out = []


SVG = "image/svg+xml"


def pytest_collection_modifyitems(config, items):
    from dqrec.data import default_data_path

    for item in items:  # an nbval cell's notebook holds the output keys it does not compare
        notebook = getattr(item, "parent", None)
        if isinstance(getattr(notebook, "skip_compare", None), tuple):
            if SVG not in notebook.skip_compare:
                notebook.skip_compare += (SVG,)

    path = default_data_path()
    if path.is_file():
        return
    keep, drop = [], []
    for item in items:
        (drop if item.path.name in NEEDS_FULL_DATA else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep
        for name in sorted({item.path.name for item in drop}):
            _left_out.append(
                f"left out {name}: it needs the full Online Retail table, not found at {path} "
                "(set DQREC_DATA_DIR, or fetch it once: python -c 'import dqrec.data as d; "
                "d.fetch_online_retail()'; the notebook's quick mode, DATA = \"sample\", runs "
                "it on the committed sample and is tested in tests/test_notebook_data.py)"
            )


def pytest_terminal_summary(terminalreporter):
    for line in _left_out:
        terminalreporter.write_line(line)
