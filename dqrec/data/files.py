"""Reading text tables safely: every failure is a ``DataError`` naming the file, the column and
the first bad line (line numbers count the header as line 1).

Numbers must be finite and within ``NUMBER_LIMIT`` in magnitude (a price of ``inf`` or a
quantity of ``1e25`` is an error, not a row that poisons every sum); epoch and ISO times must
lie in ``[1990-01-01, now + 1 year]``, and an epoch number outside it gets a suggestion of the
unit that would fit (milliseconds read as seconds gave the year 47386).
"""

import gzip
import time
import zlib
from pathlib import Path

import numpy as np
import pandas as pd

from dqrec.config import ConfigError

NUMBER_LIMIT = 1e12  # largest magnitude of a parsed number (far above any price or quantity)
EARLIEST_TIME = pd.Timestamp("1990-01-01")  # earlier times are taken for a unit mistake
TIME_UNITS = {"s": 1.0, "ms": 1e3, "us": 1e6, "ns": 1e9}  # per second


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


def check_delimiter(delimiter, owner="delimiter") -> None:
    """``ConfigError`` unless ``delimiter`` is one character that can separate fields."""
    if not (isinstance(delimiter, str) and len(delimiter) == 1 and delimiter not in '"\r\n'):
        raise ConfigError(
            f"{owner} must be one character other than a quote or a line break "
            f"(e.g. ',', ';', '\\t'), got {delimiter!r}"
        )


def read_text_table(path, columns, delimiter: str = ",") -> pd.DataFrame:
    """Read a CSV (optionally .gz) as strings, checking file, encoding, delimiter and columns.

    Line numbers in error messages count the header as line 1 (one record per line).
    """
    check_delimiter(delimiter)
    path = Path(path)
    if not path.is_file():
        what = "a folder, not a file" if path.is_dir() else "file not found"
        raise DataError(f"{path.name}: {what} ({path})")
    try:
        df = pd.read_csv(path, sep=delimiter, dtype=str, keep_default_na=False, encoding="utf-8")
    except pd.errors.EmptyDataError:
        raise DataError(f"{path.name}: file is empty") from None
    except UnicodeDecodeError:
        line = _first_undecodable_line(path)
        raise DataError(f"{path.name}: line {line}: bytes that are not UTF-8 text") from None
    except pd.errors.ParserError as err:
        reason = " ".join(str(err).split())
        raise DataError(f"{path.name}: {reason}") from None
    except gzip.BadGzipFile:
        raise DataError(f"{path.name}: not a gzip file, though its name ends in .gz") from None
    except (EOFError, zlib.error):
        raise DataError(
            f"{path.name}: the gzip stream is truncated or corrupt (an incomplete download?)"
        ) from None
    except OSError as err:
        raise DataError(f"{path.name}: cannot be read ({err.strerror or err})") from None
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


def parse_number(
    text: pd.Series,
    name: str,
    column: str,
    integer=False,
    missing_ok=False,
    low=None,
    limit=NUMBER_LIMIT,
):
    """Strings to numbers; a bad (or, unless ``missing_ok``, empty) cell raises DataError, and
    so does a number that is not finite, beyond ``limit`` in magnitude, or below ``low``."""
    text = text.str.strip()
    values = pd.to_numeric(text, errors="coerce")
    bad = values.isna() & ((text != "") | (not missing_ok))
    if integer:
        bad |= values.notna() & (values % 1 != 0)
    _raise_first(bad, text, name, column, "an integer" if integer else "a number")
    huge = values.notna() & ~(values.abs() <= limit)  # also inf
    what = "a finite number" + (f" at most {limit:g} in magnitude" if limit < np.inf else "")
    _raise_first(huge, text, name, column, what)
    if low is not None and (values < low).any():
        row = int(np.flatnonzero((values < low).to_numpy())[0])
        raise DataError(
            f"{name}: column {column!r} line {row + 2}: {text.iloc[row]!r} is below {low}, "
            "the smallest value allowed"
        )
    return values.astype("Int64") if integer else values.astype(float)


def latest_time() -> pd.Timestamp:
    """Now plus one year: later times are taken for a unit mistake."""
    return pd.Timestamp(time.time() + 365 * 86400, unit="s")


def _suggest_unit(value: float, unit: str | None) -> str:
    fits = [
        u
        for u, per_second in TIME_UNITS.items()
        if u != unit
        and EARLIEST_TIME.timestamp() <= value / per_second <= latest_time().timestamp()
    ]
    if fits:
        when = pd.Timestamp(value / TIME_UNITS[fits[0]], unit="s").date()
        return f"; as epoch {fits[0]!r} it would be {when}: is timestamp_unit {fits[0]!r}?"
    return "; check the column and timestamp_unit ('s' or 'ms')"


def parse_time(text: pd.Series, name: str, column: str, unit=None) -> pd.Series:
    """ISO 8601 strings (or epoch numbers with ``unit`` 's'/'ms') to datetime64, each in
    ``[1990-01-01, now + 1 year]``."""
    if unit not in (None, "s", "ms"):
        raise ConfigError(f"timestamp_unit must be None, 's' or 'ms', got {unit!r}")
    low, high = EARLIEST_TIME, latest_time()
    if unit is not None:
        numbers = parse_number(text, name, column, limit=np.inf)  # the range is checked next
        seconds = numbers / TIME_UNITS[unit]
        wrong = ~seconds.between(low.timestamp(), high.timestamp())
        if wrong.any():
            row = int(np.flatnonzero(wrong.to_numpy())[0])
            raise DataError(
                f"{name}: column {column!r} line {row + 2}: {text.iloc[row].strip()!r} as epoch "
                f"{unit!r} is outside [{low.date()}, {high.date()}]"
                + _suggest_unit(float(numbers.iloc[row]), unit)
            )
        return pd.to_datetime(numbers, unit=unit)
    times = pd.to_datetime(text.str.strip(), format="ISO8601", errors="coerce")
    _raise_first(times.isna(), text, name, column, "a date")
    naive = times.dt.tz_convert(None) if times.dt.tz is not None else times
    wrong = ~naive.between(low, high)
    if wrong.any():
        row = int(np.flatnonzero(wrong.to_numpy())[0])
        raise DataError(
            f"{name}: column {column!r} line {row + 2}: date {text.iloc[row].strip()!r} is "
            f"outside [{low.date()}, {high.date()}]; check the column"
        )
    return times
