"""Get UCI Online Retail onto a reader's machine, once: download, check, cache.

    path = fetch_online_retail()          # ~/.cache/dqrec/online_retail/online_retail.csv.gz
    raw = load_online_retail(path)

In the style of ``keras.utils.get_file`` and scikit-learn's ``fetch_*``: the official archive
(UCI Machine Learning Repository, dataset 352, CC BY 4.0) is downloaded with a progress line
into a cache folder, checked by content, and kept as the gzipped CSV this package reads fastest.
Later calls return the cached file without touching the network. UCI publishes no checksum, so
the check is on content: the workbook must load with the package's own loader (the eight
columns, every cell parseable) and hold exactly ``OFFICIAL_ROWS`` rows.

The cache folder is ``data_home`` if given, else ``$DQREC_DATA_HOME``, else
``$XDG_CACHE_HOME/dqrec`` (``~/.cache/dqrec``). Nothing is half-written: the download goes
to a temporary file and the CSV appears under its final name only when complete. Without a
network (or behind a firewall) the error says so in one line and how to get the file by hand.

Tests, notebooks and CI never call this: they read a local copy (``DQREC_DATA_DIR``) or the
small committed sample (``dqrec.data.sample``).
"""

import os
import sys
import tempfile
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

from dqrec.data.files import DataError
from dqrec.data.paths import DEFAULT_RELATIVE_PATH, data_home
from dqrec.data.retail import load_online_retail

OFFICIAL_URL = "https://archive.ics.uci.edu/static/public/352/online+retail.zip"
OFFICIAL_PAGE = "https://archive.ics.uci.edu/dataset/352/online+retail"
OFFICIAL_ROWS = 541_909  # rows of "Online Retail.xlsx" (all transactions 2010-12-01..2011-12-09)
WORKBOOK = "Online Retail.xlsx"


def _download(url: str, target: Path, progress: bool, timeout: float) -> None:
    """Stream ``url`` into ``target`` with a one-line progress display on stderr."""
    try:
        response = urllib.request.urlopen(url, timeout=timeout)
    except (urllib.error.URLError, OSError, ValueError) as err:
        reason = getattr(err, "reason", err)
        raise DataError(
            f"could not download {url} ({reason}); without a network, download the archive "
            f"from {OFFICIAL_PAGE} by hand and pass the path of {WORKBOOK!r} to "
            "load_online_retail (or set DQREC_DATA_DIR)"
        ) from None
    total = int(response.headers.get("Content-Length") or 0)
    done = 0
    name = url.rsplit("/", 1)[-1]
    with response, open(target, "wb") as out:
        while chunk := response.read(1 << 20):
            out.write(chunk)
            done += len(chunk)
            if progress:
                share = f" ({100 * done / total:.0f}%)" if total else ""
                size = f"{done / 1e6:.1f}" + (f" / {total / 1e6:.1f}" if total else "")
                print(f"\rdownloading {name}: {size} MB{share}", end="", file=sys.stderr)
    if progress:
        print(file=sys.stderr)
    if total and done != total:
        raise DataError(f"download of {url} stopped after {done} of {total} bytes; try again")


def _workbook_from(archive: Path, folder: Path) -> Path:
    """The workbook inside a downloaded zip archive (or the download itself if not a zip)."""
    if not zipfile.is_zipfile(archive):
        if archive.suffix.lower() == ".zip":
            raise DataError(f"{archive.name}: the download is not a zip archive")
        return archive
    with zipfile.ZipFile(archive) as zipped:
        members = [m for m in zipped.namelist() if m.lower().endswith((".xlsx", ".csv", ".gz"))]
        if not members:
            raise DataError(f"{archive.name}: the archive holds no workbook ({zipped.namelist()})")
        zipped.extract(members[0], folder)
        return folder / members[0]


def fetch_online_retail(
    data_home_path=None,
    url: str = OFFICIAL_URL,
    expected_rows: int = OFFICIAL_ROWS,
    force: bool = False,
    progress: bool = True,
    timeout: float = 60.0,
) -> Path:
    """The path of a checked local copy of UCI Online Retail, downloading it the first time.

    ``url`` may point at a mirror (``https://``, ``http://`` or ``file://``) of the official
    zip archive, of the workbook itself, or of a CSV in this package's format; ``expected_rows``
    is the content check (leave the default for the official data). ``force`` downloads again.
    Returns ``<data home>/online_retail/online_retail.csv.gz``; raises ``DataError`` (one line)
    when the download fails or the content is not the expected table, leaving no file behind.
    """
    target = data_home(data_home_path) / DEFAULT_RELATIVE_PATH
    if target.is_file() and not force:
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".fetch-") as tmp:
        suffix = "".join(Path(url.rsplit("/", 1)[-1]).suffixes[-2:]) or ".zip"
        download = Path(tmp) / f"download{suffix}"
        _download(url, download, progress, timeout)
        try:
            workbook = _workbook_from(download, Path(tmp))
            if progress:
                print(f"checking {workbook.name} (a workbook takes a minute)", file=sys.stderr)
            raw = load_online_retail(workbook)
        except (DataError, ValueError, OSError, EOFError, KeyError, zipfile.BadZipFile) as err:
            reason = str(err).splitlines()[0] if str(err) else type(err).__name__
            raise DataError(f"downloaded file from {url} is not Online Retail: {reason}") from None
        if len(raw) != expected_rows:
            raise DataError(
                f"downloaded file from {url} has {len(raw)} rows, expected {expected_rows}: "
                "not the official Online Retail table (a partial or changed copy?)"
            )
        staged = Path(tmp) / "online_retail.csv.gz"
        raw.to_csv(staged, index=False, date_format="%Y-%m-%d %H:%M:%S", compression="gzip")
        os.replace(staged, target)  # same folder: the file appears complete or not at all
    return target
