"""How the test files share the cores under pytest-xdist (``.ci/test.sh`` runs ``--dist
loadgroup``): a file's tests stay together on one worker, in order, so that a module-scoped
fixture is built once; the files named in ``INDEPENDENT`` are the exception, each of their
tests goes to whichever worker is free (each runs a whole notebook, a few minutes together)."""

import pytest

INDEPENDENT = ("test_classroom.py",)


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups
def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.path.suffix == ".py" and item.path.parent.name == "tests":
            if item.path.name not in INDEPENDENT:
                item.add_marker(pytest.mark.xdist_group(item.path.name))
