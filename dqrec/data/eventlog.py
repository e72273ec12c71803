"""Load another shop's event log (views, carts, purchases) from a column mapping, no code.

Example, for a log with columns ``visitorid,itemid,timestamp,event,price`` (epoch ms)::

    spec = EventLogSpec(user="visitorid", item="itemid", timestamp="timestamp",
                        event_type="event", value="price", timestamp_unit="ms",
                        event_names={"addtocart": "cart", "transaction": "purchase"})
    events = load_event_log("events.csv", spec)      # user, item, timestamp, event, value, basket
    episodes = dqrec.data.build_episodes(events)      # the same functions as for Online Retail
    catalogue = dqrec.data.ItemVocabulary.from_events(episodes, top_n=500)
    t = dqrec.data.to_transitions(episodes, catalogue, 10, event_rewards=spec.event_weights)

The source is a CSV path (optionally .gz) or a pandas DataFrame with those columns:
``load_event_log(df, spec)``.

**The clock** (``EventLogSpec.timestamp``, ``order``, ``file_order``), one of:

* one column, ISO 8601 text or epoch numbers: ``timestamp="ts"`` (``timestamp_unit="ms"``);
* a date plus an offset, e.g. a session log with the session's date and the event's
  milliseconds since the session started::

      EventLogSpec(user="sessionId", item="itemId", timestamp=["eventdate", "timeframe"],
                   offset_unit="ms")

* no clock but an order number per user, e.g. a grocery log (``order_number`` 1, 2, ...;
  ``timestamp`` is NaT, the rows are sorted by order number within each user)::

      EventLogSpec(user="user_id", item="product_id", timestamp=None,
                   order="order_number", basket="order_id")

* no clock at all: the spec states that the rows are in time order within each user::

      EventLogSpec(user="session", item="item", timestamp=None, file_order=True)

``timestamp=None`` without ``order`` or ``file_order`` is a ``ConfigError``. Events with equal
times keep their order in the input. A log without a clock has no time split: split it by
position within each user.

**Missing user ids** (empty, ``NA``, ``null``: ``MISSING_IDS``) are dropped and counted, never
merged into one user called "NA": ``events, report = load_event_log(path, spec,
report=True)``; ``report.missing_user`` is the number dropped (``missing_user="error"`` makes
them an error instead).

Canonical events are ``view``, ``click``, ``cart``, ``purchase`` (and ``impression``). Their
feedback codes in an observation's history (``dqrec.data.FEEDBACK_CODES``): impression (shown,
not opened) -> 1 skipped; view (the shopper opened the item page: interest, like a click on a
recommendation), click, cart -> 2 clicked; purchase -> 3 purchased.
"""

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from dqrec.config import ConfigError
from dqrec.data.episodes import FEEDBACK_CODES
from dqrec.data.files import (
    DataError,
    check_delimiter,
    parse_number,
    parse_time,
    read_text_table,
)

MISSING_IDS = ("", "NA", "N/A", "NaN", "nan", "NaT", "<NA>", "None", "null", "NULL")
"""User ids taken for missing (after stripping spaces)."""


def _default_weights() -> dict[str, float]:
    return {"impression": 0.0, "view": 0.0, "click": 0.1, "cart": 0.3, "purchase": 1.0}


@dataclass(frozen=True)
class EventLogSpec:
    """Which column of the file holds what, and what each event is worth."""

    user: str
    """Column with the user (or session) id; one user = one episode."""
    item: str
    """Column with the item id."""
    timestamp: str | list[str] | tuple[str, str] | None
    """The clock. One column name: ISO 8601 text, or epoch numbers if ``timestamp_unit`` is set.
    Two names ``[date, offset]``: a date column plus a number of ``offset_unit`` after it (a
    session's start and the event's offset in the session). None: the log has no clock; then
    ``order`` names a column with each event's order number per user, or ``file_order=True``
    states that the rows are in time order within each user. The loaded ``timestamp`` is NaT
    for a log without a clock."""
    event_type: str | None = None
    """Column with the event kind; None = every row is a purchase."""
    value: str | None = None
    """Column with a money value (revenue of a purchase), >= 0; None = 0. Empty cells = 0."""
    event_weights: dict[str, float] = field(default_factory=_default_weights)
    """Reward for each canonical event, added to ``log1p(value)`` by ``to_transitions``."""
    event_names: dict[str, str] = field(default_factory=dict)
    """Names in the file -> canonical names, e.g. ``{"transaction": "purchase"}``."""
    basket: str | None = None
    """Column grouping events into a basket/order; None = each event its own basket."""
    delimiter: str = ","
    """Field separator of the file."""
    timestamp_unit: str | None = None
    """'s' or 'ms' for epoch timestamps; None for ISO 8601 text."""
    offset_unit: str = "s"
    """Unit of the offset column of a ``[date, offset]`` clock: 's' or 'ms'."""
    order: str | None = None
    """Column with an order number per user (integer, higher = later; equal numbers keep the
    file order), e.g. a grocery log's ``order_number``. With a clock it breaks timestamp ties."""
    file_order: bool = False
    """True states that the rows are in time order within each user (a log with no clock)."""
    missing_user: str = "drop"
    """Rows whose user id is missing (empty, or one of ``MISSING_IDS`` such as ``NA``):
    "drop" (the default: dropped and counted in ``LoadReport.missing_user``) or "error"."""

    def __post_init__(self):
        unknown = set(self.event_weights) - set(FEEDBACK_CODES)
        if unknown:
            raise ConfigError(
                f"EventLogSpec.event_weights has unknown events {sorted(unknown)}; "
                f"allowed: {sorted(FEEDBACK_CODES)}"
            )
        for event, weight in self.event_weights.items():
            ok = isinstance(weight, int | float) and not isinstance(weight, bool)
            if not (ok and math.isfinite(weight)):
                raise ConfigError(
                    f"EventLogSpec.event_weights[{event!r}] must be a finite number, got {weight!r}"
                )
        check_delimiter(self.delimiter, "EventLogSpec.delimiter")
        if self.timestamp_unit not in (None, "s", "ms"):
            raise ConfigError(
                "EventLogSpec.timestamp_unit must be None (ISO 8601 text), 's' or 'ms' "
                f"(epoch seconds or milliseconds), got {self.timestamp_unit!r}"
            )
        if self.offset_unit not in ("s", "ms"):
            raise ConfigError(
                f"EventLogSpec.offset_unit must be 's' or 'ms', got {self.offset_unit!r}"
            )
        if self.missing_user not in ("drop", "error"):
            raise ConfigError(
                f"EventLogSpec.missing_user must be 'drop' or 'error', got {self.missing_user!r}"
            )
        clock = self.timestamp
        if isinstance(clock, list | tuple):
            if len(clock) != 2 or not all(isinstance(c, str) and c for c in clock):
                raise ConfigError(
                    "EventLogSpec.timestamp as a list must be two column names [date, offset], "
                    f"got {clock!r}"
                )
        elif clock is not None and not (isinstance(clock, str) and clock):
            raise ConfigError(
                "EventLogSpec.timestamp must be a column name, [date, offset] or None, "
                f"got {clock!r}"
            )
        if clock is None and self.order is None and not self.file_order:
            raise ConfigError(
                "EventLogSpec.timestamp is None but no other clock is given: name a time "
                "column (timestamp='ts'), a date plus offset (timestamp=['date', 'offset']), "
                "an order number per user (order='order_number'), or state that rows are in "
                "time order within each user (file_order=True)"
            )
        if clock is not None and self.file_order:
            raise ConfigError(
                f"EventLogSpec.file_order=True states the log has no clock, but timestamp is "
                f"{clock!r}: set one of them"
            )

    def columns(self) -> list[str]:
        """The columns of the log this spec reads, each once."""
        clock = [self.timestamp] if isinstance(self.timestamp, str) else list(self.timestamp or [])
        names = [self.user, self.item, *clock, self.order, self.event_type, self.value, self.basket]
        return list(dict.fromkeys(c for c in names if c is not None))


@dataclass(frozen=True)
class LoadReport:
    """What ``load_event_log`` read and dropped."""

    rows_read: int
    """Data rows in the input."""
    missing_user: int
    """Rows dropped because their user id was missing (empty or one of ``MISSING_IDS``)."""
    rows_kept: int
    """Rows in the returned events."""
    clock: str
    """How events are ordered in time: 'timestamp', 'date + offset', 'order column' or
    'file order'."""


def load_event_log(source, spec: EventLogSpec, report: bool = False):
    """Read an event log (a CSV path, optionally .gz, or a pandas DataFrame) into canonical
    columns ``user, item, timestamp, event, value, basket``, rows ordered as in the input
    (sorted by ``order`` within each user when the spec names an order column).

    Raises DataError naming the file (or "DataFrame"), column and first bad line (line numbers
    count the header as line 1; for a DataFrame, line = row position + 2): unknown event names
    are an error, never silently dropped. Rows with a missing user id are dropped and counted
    (``spec.missing_user="error"`` makes them an error). Returns the events, or
    ``(events, LoadReport)`` with ``report=True``; the report is also in ``events.attrs``.
    """
    columns = spec.columns()
    raw, name = _read(source, columns, spec.delimiter)
    rows_read = len(raw)
    for column in (spec.user, spec.item):
        raw[column] = raw[column].str.strip()
    missing = raw[spec.user].isin(MISSING_IDS)
    if missing.any() and (spec.missing_user == "error" or missing.all()):
        row = int(np.flatnonzero(missing.to_numpy())[0])
        where = "every line" if missing.all() else f"line {row + 2}"
        raise DataError(
            f"{name}: column {spec.user!r} {where}: empty value or missing user id "
            f"{raw[spec.user].iloc[row]!r}"
            + ("; nothing to load" if missing.all() else "; missing_user='drop' drops such rows")
        )
    _raise_if_empty(raw[spec.item] == "", raw[spec.item], name, spec.item)
    if spec.event_type is None:
        event = pd.Series("purchase", index=raw.index)
    else:
        text = raw[spec.event_type].str.strip()
        event = text.map(lambda e: spec.event_names.get(e, e))
        unknown = ~event.isin(list(FEEDBACK_CODES))
        if unknown.any():
            row = int(np.flatnonzero(unknown.to_numpy())[0])
            raise DataError(
                f"{name}: column {spec.event_type!r} line {row + 2}: unknown event "
                f"{text.iloc[row]!r}; map it with EventLogSpec.event_names to one "
                f"of {sorted(FEEDBACK_CODES)}"
            )
    value = (
        parse_number(raw[spec.value], name, spec.value, missing_ok=True, low=0).fillna(0.0)
        if spec.value
        else pd.Series(0.0, index=raw.index)
    )
    timestamp, clock = _clock(raw, spec, name)
    basket = raw[spec.basket].str.strip() if spec.basket else pd.Series(raw.index.astype(str))
    events = pd.DataFrame(
        {
            "user": raw[spec.user],
            "item": raw[spec.item],
            "timestamp": timestamp,
            "event": event.astype(str),
            "value": value.astype(float),
            "basket": basket.astype(str),
        }
    )
    if spec.order is not None:
        order = parse_number(raw[spec.order], name, spec.order, integer=True)
        events = events.assign(_order=order.to_numpy())
    events = events[~missing.to_numpy()]
    if spec.order is not None:  # equal order numbers keep the file order
        events = events.sort_values(["user", "_order"], kind="stable").drop(columns="_order")
    events = events.reset_index(drop=True)
    result = LoadReport(rows_read, int(missing.sum()), len(events), clock)
    events.attrs["load_report"] = result
    return (events, result) if report else events


def _read(source, columns, delimiter) -> tuple[pd.DataFrame, str]:
    """The used columns as stripped-ready strings (missing cells = ""), and a name for errors."""
    if not isinstance(source, pd.DataFrame):
        path = Path(source)
        return read_text_table(path, columns, delimiter), path.name
    name = "DataFrame"
    missing = [c for c in columns if c not in source.columns]
    if missing:
        raise DataError(f"{name}: missing column(s) {missing}; found {list(source.columns)}")
    if len(source) == 0:
        raise DataError(f"{name}: no rows")
    raw = pd.DataFrame(index=pd.RangeIndex(len(source)))
    for column in columns:
        values = source[column].reset_index(drop=True)
        text = values.astype(object).where(values.notna(), "").astype(str)
        raw[column] = text
    return raw, name


def _clock(raw: pd.DataFrame, spec: EventLogSpec, name: str) -> tuple[pd.Series, str]:
    """The canonical timestamp (NaT without a clock) and the name of the clock mode."""
    clock = spec.timestamp
    if clock is None:
        nat = pd.Series(pd.NaT, index=raw.index, dtype="datetime64[ns]")
        return nat, "order column" if spec.order is not None else "file order"
    if isinstance(clock, str):
        return parse_time(raw[clock], name, clock, spec.timestamp_unit), "timestamp"
    date_column, offset_column = clock
    date = parse_time(raw[date_column], name, date_column, spec.timestamp_unit)
    offset = parse_number(raw[offset_column], name, offset_column, low=0)
    return date + pd.to_timedelta(offset, unit=spec.offset_unit), "date + offset"


def _raise_if_empty(bad: pd.Series, text: pd.Series, name: str, column: str) -> None:
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise DataError(f"{name}: column {column!r} line {row + 2}: empty value")
