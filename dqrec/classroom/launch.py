"""The launch buttons' first cell: install dqrec where it is missing (Colab, a bare hub).

The repository's address is set once, as ``repository.url`` (and ``branch``) in the book's
``_config.yml``; the first cell of every notebook is generated from it
(``python -m dqrec.classroom install-cells``), and a test fails while they disagree.
"""

from __future__ import annotations

from pathlib import Path

from dqrec.classroom.editions import (
    ROOT,
    ClassroomError,
    read_notebook,
    set_source,
    source,
    write_notebook,
)

INSTALL_TAG = "classroom-install"


def repository(config_path: Path = ROOT / "_config.yml") -> tuple[str, str]:
    """``(url, branch)`` of ``repository:`` in the book's _config.yml."""
    import yaml

    repo = (yaml.safe_load(Path(config_path).read_text(encoding="utf-8")) or {}).get(
        "repository", {}
    )
    if not str(repo.get("url", "")).startswith("https://"):
        raise ClassroomError(
            f"{config_path}: repository.url must be an https URL, got {repo.get('url')!r}"
        )
    return repo["url"], str(repo.get("branch", "main"))


def install_cell_source(url: str, branch: str) -> str:
    return (
        "# Colab and other hosted Jupyter: install dqrec where it is missing (a no-op where it is).\n"
        "try:\n"
        "    import dqrec  # noqa: F401\n"
        "except ImportError:\n"
        f'    %pip install --quiet "dqrec @ git+{url}@{branch}"\n'
    )


def install_cell(url: str, branch: str) -> dict:
    cell = {"cell_type": "code", "execution_count": None, "id": "classroom-install",
            "metadata": {"tags": [INSTALL_TAG, "remove-cell"]}, "outputs": [], "source": []}  # fmt: skip
    set_source(cell, install_cell_source(url, branch).rstrip("\n"))
    return cell


def sync_install_cells(paths: list[Path], check: bool) -> list[Path]:
    """Make (or, with ``check``, only find) notebooks whose first cell is not the install cell."""
    url, branch = repository()
    expected = install_cell_source(url, branch).rstrip("\n")
    stale = []
    for path in paths:
        nb = read_notebook(path)
        first = nb["cells"][0]
        if INSTALL_TAG in first.get("metadata", {}).get("tags", []) and source(first) == expected:
            continue
        stale.append(path)
        if not check:
            if INSTALL_TAG in first.get("metadata", {}).get("tags", []):
                set_source(first, expected)
            else:
                nb["cells"].insert(0, install_cell(url, branch))
            write_notebook(nb, path)
    return stale
