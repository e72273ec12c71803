"""UCI Online Retail: load the file (CSV(.gz) copy or the official workbook), clean it with
counted rules, and turn the kept rows into canonical events.

Dataset: Daqing Chen, Sai Liang Sain and Kun Guo (2012), UCI Machine Learning Repository
dataset 352 "Online Retail", CC BY 4.0.
"""

import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from dqrec.data.files import DataError, parse_number, parse_time, read_text_table
from dqrec.data.paths import default_data_path

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


# A product code is five digits, optionally followed by letters for a variant (85123A).
# Everything else is a service line: POST, DOT, M, D, C2, S, B, BANK CHARGES, AMAZONFEE,
# PADS, CRUK, gift vouchers (gift_0001_10), DCGS... samples.
PRODUCT_CODE = r"^\d{5}[A-Za-z]*$"


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


def _read_workbook(path: Path) -> pd.DataFrame:
    """The official workbook as strings; a file that is not one is a ``DataError``."""
    if not path.is_file():
        raise DataError(f"{path.name}: file not found ({path})")
    if path.suffix.lower() == ".xlsx" and not zipfile.is_zipfile(path):
        raise DataError(f"{path.name}: not an Excel .xlsx workbook (not a zip archive)")
    try:
        import openpyxl  # noqa: F401  (optional dependency, only for the Excel workbook)
    except ImportError:
        raise ImportError(
            "reading the Excel workbook needs openpyxl: pip install openpyxl (or use the CSV copy)"
        ) from None
    try:
        raw = pd.read_excel(path, dtype=str)
    except ImportError:
        raise
    except Exception as exc:  # openpyxl/xlrd raise many types for a damaged workbook
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DataError(f"{path.name}: not a readable Excel workbook ({reason})") from None
    missing = [c for c in RETAIL_COLUMNS if c not in raw.columns]
    if missing:
        raise DataError(f"{path.name}: missing column(s) {missing}")
    return raw


def load_online_retail(path=None) -> pd.DataFrame:
    """Load UCI Online Retail from the shared CSV(.gz) or the official "Online Retail.xlsx".

    ``path=None`` uses :func:`default_data_path`. Returns the 8 columns typed: InvoiceNo,
    StockCode, Description, Country as str; Quantity int64; UnitPrice float; InvoiceDate
    datetime64; CustomerID nullable Int64 (missing = <NA>). No row is dropped here.
    """
    path = Path(path) if path is not None else default_data_path()
    if path.suffix.lower() in (".xlsx", ".xls"):
        raw = _read_workbook(path)
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
