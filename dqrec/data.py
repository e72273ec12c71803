"""Real shop data: load and clean UCI Online Retail, turn purchases into RL transitions.

Pipeline (each step a function the book shows on its own)::

    raw = load_online_retail()                       # typed table, DataError on bad input
    clean, report = clean_online_retail(raw)         # ordered rules, every removed row counted
    train, test = time_split(clean, "2011-10-01")    # no information from the future
    episodes = build_episodes(train)                 # one row per purchased item, in time order
    catalogue = Catalogue.from_events(episodes, top_n=500)
    t = to_transitions(episodes, catalogue, history_len=10)   # obs, action, reward, ...

Dataset: Daqing Chen, Sai Liang Sain and Kun Guo (2012), UCI Machine Learning Repository
dataset 352 "Online Retail", CC BY 4.0.
"""

import gzip
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd

from dqrec.env import CLICK, NUM_SESSION_FEATURES, PURCHASE, SKIP

RETAIL_COLUMNS = (
    "InvoiceNo",
    "StockCode",
    "Description",
    "Quantity",
    "InvoiceDate",
    "UnitPrice",
    "CustomerID",
    "Country",
)
DEFAULT_RELATIVE_PATH = Path("online_retail") / "online_retail.csv.gz"
# A product code is five digits, optionally followed by letters for a variant (85123A).
# Everything else is a service line: POST, DOT, M, D, C2, S, B, BANK CHARGES, AMAZONFEE,
# PADS, CRUK, gift vouchers (gift_0001_10), DCGS... samples.
PRODUCT_CODE = r"^\d{5}[A-Za-z]*$"
# Feedback code for each kind of event in an observation's history (see dqrec.env).
FEEDBACK_CODES = {
    "impression": SKIP,
    "view": CLICK,
    "click": CLICK,
    "cart": CLICK,
    "purchase": PURCHASE,
}


class DataError(ValueError):
    """Input data is malformed; the message names the file, the column and the first bad line."""


def default_data_path() -> Path:
    """$DQREC_DATA_DIR/online_retail/online_retail.csv.gz, else <repo>/../shared/data/..."""
    if os.environ.get("DQREC_DATA_DIR"):
        return Path(os.environ["DQREC_DATA_DIR"]) / DEFAULT_RELATIVE_PATH
    return Path(__file__).resolve().parents[1].parent / "shared" / "data" / DEFAULT_RELATIVE_PATH


def _first_undecodable_line(path: Path) -> int:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as f:
        for number, line in enumerate(f, start=1):
            try:
                line.decode("utf-8")
            except UnicodeDecodeError:
                return number
    return 0


def read_text_table(path, columns, delimiter: str = ",") -> pd.DataFrame:
    """Read a CSV (optionally .gz) as strings, checking file, encoding, delimiter and columns.

    Line numbers in error messages count the header as line 1 (one record per line).
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path.name}: file not found ({path})")
    try:
        df = pd.read_csv(path, sep=delimiter, dtype=str, keep_default_na=False, encoding="utf-8")
    except pd.errors.EmptyDataError:
        raise DataError(f"{path.name}: file is empty") from None
    except UnicodeDecodeError:
        line = _first_undecodable_line(path)
        raise DataError(f"{path.name}: line {line}: bytes that are not UTF-8 text") from None
    except pd.errors.ParserError as err:
        raise DataError(f"{path.name}: {err}") from None
    missing = [c for c in columns if c not in df.columns]
    if missing and len(df.columns) == 1:
        raise DataError(
            f"{path.name}: only one column found ({df.columns[0][:60]!r}); "
            f"the file is probably not separated by {delimiter!r}"
        )
    if missing:
        raise DataError(f"{path.name}: missing column(s) {missing}; found {list(df.columns)}")
    if len(df) == 0:
        raise DataError(f"{path.name}: header but no data rows")
    return df


def _raise_first(bad: pd.Series, text: pd.Series, name: str, column: str, what: str) -> None:
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise DataError(
            f"{name}: column {column!r} line {row + 2}: cannot parse {text.iloc[row]!r} as {what}"
        )


def parse_number(text: pd.Series, name: str, column: str, integer=False, missing_ok=False):
    """Strings to numbers; a bad (or, unless ``missing_ok``, empty) cell raises DataError."""
    text = text.str.strip()
    values = pd.to_numeric(text, errors="coerce")
    bad = values.isna() & ((text != "") | (not missing_ok))
    if integer:
        bad |= values.notna() & (values % 1 != 0)
    _raise_first(bad, text, name, column, "an integer" if integer else "a number")
    return values.astype("Int64") if integer else values.astype(float)


def parse_time(text: pd.Series, name: str, column: str, unit=None) -> pd.Series:
    """ISO 8601 strings (or epoch numbers with ``unit`` 's'/'ms') to datetime64."""
    if unit is not None:
        return pd.to_datetime(parse_number(text, name, column), unit=unit)
    times = pd.to_datetime(text.str.strip(), format="ISO8601", errors="coerce")
    _raise_first(times.isna(), text, name, column, "a date")
    return times


def _typed_retail(raw: pd.DataFrame, name: str) -> pd.DataFrame:
    """String table -> typed table; the same rules for the CSV and the Excel workbook."""
    raw = raw.fillna("").astype(str)
    return pd.DataFrame(
        {
            "InvoiceNo": raw["InvoiceNo"].str.strip(),
            "StockCode": raw["StockCode"].str.strip(),
            "Description": raw["Description"].str.strip(),
            "Quantity": parse_number(raw["Quantity"], name, "Quantity", integer=True).astype(
                "int64"
            ),
            "InvoiceDate": parse_time(raw["InvoiceDate"], name, "InvoiceDate"),
            "UnitPrice": parse_number(raw["UnitPrice"], name, "UnitPrice"),
            "CustomerID": parse_number(
                raw["CustomerID"], name, "CustomerID", True, missing_ok=True
            ),
            "Country": raw["Country"].str.strip(),
        }
    )


def load_online_retail(path=None) -> pd.DataFrame:
    """Load UCI Online Retail from the shared CSV(.gz) or the official "Online Retail.xlsx".

    ``path=None`` uses :func:`default_data_path`. Returns the 8 columns typed: InvoiceNo,
    StockCode, Description, Country as str; Quantity int64; UnitPrice float; InvoiceDate
    datetime64; CustomerID nullable Int64 (missing = <NA>). No row is dropped here.
    """
    path = Path(path) if path is not None else default_data_path()
    if path.suffix.lower() in (".xlsx", ".xls"):
        if not path.is_file():
            raise DataError(f"{path.name}: file not found ({path})")
        try:
            import openpyxl  # noqa: F401  (optional dependency, only for the Excel workbook)
        except ImportError:
            raise ImportError(
                "reading the Excel workbook needs openpyxl: "
                "pip install openpyxl (or use the CSV copy)"
            ) from None
        raw = pd.read_excel(path, dtype=str)
        missing = [c for c in RETAIL_COLUMNS if c not in raw.columns]
        if missing:
            raise DataError(f"{path.name}: missing column(s) {missing}")
    else:
        raw = read_text_table(path, RETAIL_COLUMNS)
    return _typed_retail(raw, path.name)


@dataclass
class CleaningReport:
    """How many rows each cleaning rule removed; ``raw_rows == sum(removed) + kept_rows``."""

    raw_rows: int
    removed: dict[str, int] = field(default_factory=dict)  # rule -> rows removed, in order
    kept_rows: int = 0

    def to_frame(self) -> pd.DataFrame:
        """One row per rule: rows removed and rows left after it (first row: the raw table)."""
        rules = ["raw rows", *self.removed, "kept"]
        removed = [0, *self.removed.values(), 0]
        left = self.raw_rows - np.cumsum(removed)
        return pd.DataFrame({"rule": rules, "rows_removed": removed, "rows_left": left})


# Ordered cleaning rules: (name, rows to DROP). Each sees only rows that survived the rules above.
CLEANING_RULES = (
    ("cancellation (InvoiceNo starts with 'C')", lambda d: d["InvoiceNo"].str.startswith("C")),
    ("missing CustomerID", lambda d: d["CustomerID"].isna()),
    (
        "non-product StockCode (not 5 digits + letters)",
        lambda d: ~d["StockCode"].str.match(PRODUCT_CODE),
    ),
    ("exact duplicate row (first kept)", lambda d: d.duplicated(keep="first")),
    ("non-positive Quantity", lambda d: d["Quantity"] <= 0),
    ("non-positive UnitPrice", lambda d: d["UnitPrice"] <= 0),
)


def clean_online_retail(df: pd.DataFrame) -> tuple[pd.DataFrame, CleaningReport]:
    """Apply :data:`CLEANING_RULES` in order; return the kept rows and the counts per rule."""
    report = CleaningReport(raw_rows=len(df))
    for name, drop in CLEANING_RULES:
        mask = drop(df).fillna(False).to_numpy(dtype=bool)
        report.removed[name] = int(mask.sum())
        df = df[~mask]
    report.kept_rows = len(df)
    df = df.reset_index(drop=True)
    return df.assign(CustomerID=df["CustomerID"].astype("int64")), report


def retail_events(clean_df: pd.DataFrame) -> pd.DataFrame:
    """Cleaned retail rows -> canonical events: user, item, timestamp, event, value, basket.

    ``value`` is the line revenue ``Quantity * UnitPrice`` (GBP); every event is a purchase.
    """
    return pd.DataFrame(
        {
            "user": clean_df["CustomerID"].astype("int64"),
            "item": clean_df["StockCode"],
            "timestamp": clean_df["InvoiceDate"],
            "event": "purchase",
            "value": clean_df["Quantity"] * clean_df["UnitPrice"],
            "basket": clean_df["InvoiceNo"],
        }
    )


def _as_events(df: pd.DataFrame) -> pd.DataFrame:
    return retail_events(df) if "InvoiceNo" in df.columns else df


def build_episodes(events: pd.DataFrame) -> pd.DataFrame:
    """One episode per user: their events in time order, one row per step.

    Accepts the cleaned retail table or canonical events (:func:`retail_events`,
    ``dqrec.eventlog.load_event_log``). A basket's lines keep their order in the file, so an
    invoice is unrolled into consecutive steps. Adds ``step`` (0-based within the user),
    ``basket_index`` (0-based), ``line_in_basket`` and ``last`` (the user's final step).
    """
    events = _as_events(events)
    events = events.assign(_line=np.arange(len(events)))
    events = events.sort_values(["user", "timestamp", "basket", "_line"]).drop(columns="_line")
    events = events.reset_index(drop=True)
    by_user = events.groupby("user", sort=False)
    user_changed = events["user"] != events["user"].shift()
    new_basket = (events["basket"] != events["basket"].shift()) | user_changed
    events["step"] = by_user.cumcount()
    events["basket_index"] = new_basket.astype(int).groupby(events["user"]).cumsum() - 1
    events["line_in_basket"] = events.groupby(["user", "basket_index"]).cumcount()
    events["last"] = events["user"] != events["user"].shift(-1)
    return events


class Catalogue:
    """The action space: the ``top_n`` most purchased items (index 0 = most purchased) and
    one "other" bucket (index ``top_n``) for the long tail. ``num_items = top_n + 1``, so the
    padding id in observations is ``num_items`` as in the simulator."""

    def __init__(self, items, counts):
        self.items = np.asarray(items, dtype=object)  # (top_n,) item codes
        self.counts = np.asarray(counts, dtype=np.int64)  # (top_n,) purchases per item
        self._index = pd.Index(self.items)

    @classmethod
    def from_events(cls, events: pd.DataFrame, top_n: int) -> "Catalogue":
        """Rank items by number of purchase events (all events if the log has no purchase)."""
        events = _as_events(events)
        purchases = events[events["event"] == "purchase"]
        counts = (purchases if len(purchases) else events)["item"].value_counts()
        counts = counts.sort_index().sort_values(ascending=False, kind="stable")  # ties by code
        return cls(counts.index[:top_n], counts.to_numpy()[:top_n])

    @property
    def other(self) -> int:
        return len(self.items)

    @property
    def num_items(self) -> int:
        return len(self.items) + 1

    def encode(self, codes) -> np.ndarray:
        """Item codes -> action ids; codes outside the catalogue map to the "other" bucket."""
        ids = self._index.get_indexer(pd.Index(codes))
        return np.where(ids < 0, self.other, ids).astype(np.int64)


class Transitions(NamedTuple):
    obs: np.ndarray  # (n, 2 * history_len + NUM_SESSION_FEATURES) float32
    action: np.ndarray  # (n,) int64 catalogue id of the purchased item
    reward: np.ndarray  # (n,) float32
    next_obs: np.ndarray  # (n, obs_dim) float32
    terminated: np.ndarray  # (n,) bool: the user's last purchase
    user: np.ndarray  # (n,) user id, to group steps into episodes


def session_features(
    episodes: pd.DataFrame, history_len: int, after: bool = False, horizon: int = 100
) -> np.ndarray:
    """The simulator's 4 session features, computed from the log before each step (or just
    after it with ``after=True``), with ``s`` = steps done so far in the user's episode:
    ``[min(s / horizon, 1), clicks / max(s, 1), purchases / max(s, 1), min(skips in a row,
    history_len) / history_len]``. A purchase counts as a click, as in the simulator."""
    user = episodes["user"].to_numpy()
    feedback = episodes["event"].map(FEEDBACK_CODES).fillna(PURCHASE).to_numpy()
    own = np.stack([feedback >= CLICK, feedback == PURCHASE], axis=1).astype(float)  # (n, 2)
    counts = pd.DataFrame(own).groupby(user).cumsum().to_numpy()  # (n, 2) including this step
    skip = pd.Series(feedback == SKIP)
    run_id = (~skip).groupby(user).cumsum()  # a new run starts after each non-skip
    skips_in_row = skip.astype(int).groupby([user, run_id.to_numpy()]).cumsum().to_numpy()
    done = episodes["step"].to_numpy() + 1  # steps done after this one
    if not after:  # the state before the step: remove the step's own contribution
        counts, done = counts - own, done - 1
        previous = np.concatenate([[0], skips_in_row[:-1]])
        skips_in_row = np.where(done > 0, previous, 0)
    per_step = np.maximum(done, 1)[:, None]
    return np.column_stack(
        [
            np.minimum(done / horizon, 1.0),
            counts / per_step,
            np.minimum(skips_in_row, history_len) / history_len,
        ]
    ).astype(np.float32)  # (n, NUM_SESSION_FEATURES)


def _history(item_ids, feedback, step, ends_at, history_len, pad_id):
    """Items and feedback of steps ``ends_at - H .. ends_at - 1`` of the same user, oldest first."""
    offsets = np.arange(history_len) - history_len  # (H,) = -H .. -1
    rows = ends_at[:, None] + offsets  # (n, H) global row of each history slot
    first_row = np.arange(len(step)) - step  # the user's first row: older rows are another user's
    valid = rows >= first_row[:, None]
    rows = np.clip(rows, 0, len(item_ids) - 1)
    items = np.where(valid, item_ids[rows], pad_id)  # padding id = num_items
    codes = np.where(valid, feedback[rows], 0)  # 0 = padding feedback
    return items, codes


def to_transitions(
    episodes,
    catalogue: Catalogue,
    history_len: int,
    start_time=None,
    event_rewards=None,
    value_transform=np.log1p,
) -> Transitions:
    """(obs, action, reward, next_obs, terminated) in the simulator's observation format.

    One step = one event (for retail: one purchased line). ``obs`` holds the last
    ``history_len`` items before the step with their feedback codes (purchase = 3), then
    :func:`session_features`; ``next_obs`` includes the step itself. Reward =
    ``event_rewards[event] + value_transform(value)``; for retail ``log1p(line revenue in
    GBP)``, which tames the heavy tail of wholesale orders. ``terminated`` is True at the
    user's last event. Steps before ``start_time`` are context only (history, no transition).
    """
    episodes = _as_events(episodes)
    if "step" not in episodes.columns:
        episodes = build_episodes(episodes)
    item_ids = catalogue.encode(episodes["item"])  # (n,)
    feedback = episodes["event"].map(FEEDBACK_CODES).fillna(PURCHASE).to_numpy(np.int64)
    step = episodes["step"].to_numpy()
    here = np.arange(len(episodes))
    items, codes = _history(item_ids, feedback, step, here, history_len, catalogue.num_items)
    next_items, next_codes = _history(
        item_ids, feedback, step, here + 1, history_len, catalogue.num_items
    )
    features = session_features(episodes, history_len)
    next_features = session_features(episodes, history_len, after=True)
    assert features.shape[1] == NUM_SESSION_FEATURES, "keep in step with dqrec.env"
    obs = np.concatenate([items, codes, features], axis=1).astype(np.float32)
    next_obs = np.concatenate([next_items, next_codes, next_features], axis=1).astype(np.float32)
    weights = episodes["event"].map(event_rewards or {}).fillna(0.0).to_numpy(float)
    reward = (weights + value_transform(episodes["value"].to_numpy(float))).astype(np.float32)
    keep = np.ones(len(episodes), bool)  # steps before start_time are context only
    if start_time is not None:
        keep = (episodes["timestamp"] >= pd.Timestamp(start_time)).to_numpy()
    return Transitions(
        obs[keep],
        item_ids[keep],
        reward[keep],
        next_obs[keep],
        episodes["last"].to_numpy()[keep],
        episodes["user"].to_numpy()[keep],
    )


def time_split(df: pd.DataFrame, cutoff) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Train = rows strictly before ``cutoff``, test = rows at or after it.

    Fit everything (catalogue, popularity, co-purchase, networks) on train only. To evaluate
    test users with their past as context, build episodes from train + test and call
    ``to_transitions(..., start_time=cutoff)``: only train-time events precede the first
    test step, so nothing from the future leaks into a context.
    """
    column = "InvoiceDate" if "InvoiceDate" in df.columns else "timestamp"
    before = (df[column] < pd.Timestamp(cutoff)).to_numpy()
    return df[before].reset_index(drop=True), df[~before].reset_index(drop=True)


def popularity_scores(train: pd.DataFrame, catalogue: Catalogue) -> np.ndarray:
    """(num_items,) number of purchase events per catalogue id ("other" = the whole tail)."""
    ids = catalogue.encode(_as_events(train)["item"])
    return np.bincount(ids, minlength=catalogue.num_items).astype(float)


def copurchase_scores(train: pd.DataFrame, catalogue: Catalogue) -> np.ndarray:
    """(num_items, num_items) ``C[i, j]`` = number of baskets holding both i and j (diag 0).

    Score items for a user by summing the rows of the items in their context:
    ``scores = C[context_ids].sum(axis=0)``.
    """
    events = _as_events(train)
    baskets = pd.factorize(events["user"].astype(str) + "|" + events["basket"].astype(str))[0]
    incidence = np.zeros((baskets.max() + 1, catalogue.num_items), dtype=np.float32)
    incidence[baskets, catalogue.encode(events["item"])] = 1.0  # (num_baskets, num_items)
    counts = incidence.T @ incidence  # (num_items, num_items) baskets sharing both items
    np.fill_diagonal(counts, 0.0)
    return counts.astype(np.float64)
