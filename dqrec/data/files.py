"""Reading text tables safely: every failure is a ``DataError`` naming the file, the column and
the first bad line (line numbers count the header as line 1)."""

import gzip
from pathlib import Path

import numpy as np
import pandas as pd


class DataError(ValueError):
    """Input data is malformed; the message names the file, the column and the first bad line."""


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
