"""Where the Online Retail table lives on this machine: a configured folder, the project's
shared data, or the cache that ``dqrec.data.fetch_online_retail`` fills."""

import os
from pathlib import Path

DEFAULT_RELATIVE_PATH = Path("online_retail") / "online_retail.csv.gz"


def data_home(data_home=None) -> Path:
    """The cache folder: ``data_home``, else $DQREC_DATA_HOME, else $XDG_CACHE_HOME/dqrec."""
    if data_home is not None:
        return Path(data_home).expanduser()
    if os.environ.get("DQREC_DATA_HOME"):
        return Path(os.environ["DQREC_DATA_HOME"]).expanduser()
    cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(cache).expanduser() / "dqrec"


def default_data_path() -> Path:
    """Where the full table is looked for: ``$DQREC_DATA_DIR/online_retail/online_retail.csv.gz``
    when the variable is set; else ``<repo>/../shared/data/...`` (the project's machines), else
    the copy ``dqrec.data.fetch_online_retail()`` cached, if there is one."""
    if os.environ.get("DQREC_DATA_DIR"):
        return Path(os.environ["DQREC_DATA_DIR"]) / DEFAULT_RELATIVE_PATH
    shared = Path(__file__).resolve().parents[2].parent / "shared" / "data" / DEFAULT_RELATIVE_PATH
    if shared.is_file():
        return shared
    cached = data_home() / DEFAULT_RELATIVE_PATH
    return cached if cached.is_file() else shared
