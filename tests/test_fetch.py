"""fetch_online_retail against local stand-ins for the official URL (no network): a server on
127.0.0.1 and a file:// URL; the cache, the content check, and one clear error offline."""

import http.server
import threading
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from dqrec import data
from dqrec.data.sample import SAMPLE_PATH

pytest.importorskip("openpyxl", reason="openpyxl reads the official workbook")

ROWS = 300  # a small workbook in the official layout


def _workbook_zip(folder: Path, rows=ROWS, drop_column=None) -> Path:
    """``online+retail.zip`` holding ``Online Retail.xlsx``, as UCI serves it."""
    sheet = pd.read_csv(SAMPLE_PATH, dtype=str, keep_default_na=False).head(rows)
    if drop_column:
        sheet = sheet.drop(columns=drop_column)
    workbook = folder / "Online Retail.xlsx"
    sheet.to_excel(workbook, index=False)
    archive = folder / "online+retail.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.write(workbook, workbook.name)
    return archive


class _Server:
    """An HTTP server on 127.0.0.1 serving one folder, counting the requests it answers."""

    def __init__(self, folder: Path):
        outer = self
        self.requests = 0

        class Handler(http.server.SimpleHTTPRequestHandler):
            def __init__(self, *args, **kwargs):
                super().__init__(*args, directory=str(folder), **kwargs)

            def do_GET(self):  # noqa: N802 (the http.server name)
                outer.requests += 1
                super().do_GET()

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server(tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    _workbook_zip(site)
    srv = _Server(site)
    yield srv
    srv.close()


def _files(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


def test_download_check_and_cache_from_a_local_server(server, tmp_path, capsys):
    home = tmp_path / "home"
    url = f"{server.url}/online+retail.zip"
    path = data.fetch_online_retail(home, url=url, expected_rows=ROWS)
    assert path == home / "online_retail" / "online_retail.csv.gz"
    assert _files(home) == ["online_retail/online_retail.csv.gz"]  # no temporary file left
    assert "downloading online+retail.zip" in capsys.readouterr().err  # the progress line
    expected = data.load_online_retail(SAMPLE_PATH).head(ROWS)
    pd.testing.assert_frame_equal(data.load_online_retail(path), expected)
    # a second call uses the cache: no request
    assert data.fetch_online_retail(home, url=url, expected_rows=ROWS) == path
    assert server.requests == 1
    data.fetch_online_retail(home, url=url, expected_rows=ROWS, force=True, progress=False)
    assert server.requests == 2


def test_file_url_and_the_data_home_variable(tmp_path, monkeypatch):
    archive = _workbook_zip(tmp_path, rows=50)
    monkeypatch.setenv("DQREC_DATA_HOME", str(tmp_path / "cache"))
    path = data.fetch_online_retail(url=archive.as_uri(), expected_rows=50, progress=False)
    assert path.parent.parent == tmp_path / "cache" and len(data.load_online_retail(path)) == 50


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda folder: _workbook_zip(folder), "has 300 rows, expected 541909"),
        (lambda folder: _workbook_zip(folder, drop_column="UnitPrice"), "missing column"),
        (
            lambda folder: (folder / "online+retail.zip").write_bytes(b"<html>not found</html>"),
            "is not Online Retail",
        ),
    ],
    ids=["too-few-rows", "missing-column", "an-error-page"],
)
def test_wrong_content_is_one_clear_error_and_leaves_nothing(tmp_path, make, message):
    site, home = tmp_path / "site", tmp_path / "home"
    site.mkdir()
    make(site)
    url = (site / "online+retail.zip").as_uri()
    with pytest.raises(data.DataError, match=message) as info:
        data.fetch_online_retail(home, url=url, progress=False)
    assert "\n" not in str(info.value)
    assert _files(home) == []  # nothing half-written in the cache


def test_offline_is_one_clear_error(tmp_path):
    srv = _Server(tmp_path)
    url = f"{srv.url}/online+retail.zip"
    srv.close()  # nothing listens on that port any more: as without a network
    with pytest.raises(data.DataError, match="could not download .* by hand") as info:
        data.fetch_online_retail(tmp_path / "home", url=url, progress=False, timeout=5)
    assert "\n" not in str(info.value)
    assert _files(tmp_path / "home") == []


def test_data_home_order(tmp_path, monkeypatch):
    monkeypatch.delenv("DQREC_DATA_HOME", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert data.data_home() == tmp_path / "xdg" / "dqrec"
    monkeypatch.setenv("DQREC_DATA_HOME", str(tmp_path / "mine"))
    assert data.data_home() == tmp_path / "mine"
    assert data.data_home(tmp_path / "given") == tmp_path / "given"
