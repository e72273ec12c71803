"""Load another shop's event log (views, carts, purchases) from a column mapping, no code.

Example, for a log with columns ``visitorid,itemid,timestamp,event,price`` (epoch ms)::

    spec = EventLogSpec(user="visitorid", item="itemid", timestamp="timestamp",
                        event_type="event", value="price", timestamp_unit="ms",
                        event_names={"addtocart": "cart", "transaction": "purchase"})
    events = load_event_log("events.csv", spec)      # user, item, timestamp, event, value, basket
    episodes = dqrec.data.build_episodes(events)      # the same functions as for Online Retail
    catalogue = dqrec.data.ItemVocabulary.from_events(episodes, top_n=500)
    t = dqrec.data.to_transitions(episodes, catalogue, 10, event_rewards=spec.event_weights)

Canonical events are ``view``, ``click``, ``cart``, ``purchase`` (and ``impression``). Their
feedback codes in an observation's history (``dqrec.data.FEEDBACK_CODES``): impression (shown,
not opened) -> 1 skipped; view (the shopper opened the item page: interest, like a click on a
recommendation), click, cart -> 2 clicked; purchase -> 3 purchased.
"""

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from dqrec.config import ConfigError
from dqrec.data.episodes import FEEDBACK_CODES
from dqrec.data.files import DataError, parse_number, parse_time, read_text_table


def _default_weights() -> dict[str, float]:
    return {"impression": 0.0, "view": 0.0, "click": 0.1, "cart": 0.3, "purchase": 1.0}


@dataclass(frozen=True)
class EventLogSpec:
    """Which column of the file holds what, and what each event is worth."""

    user: str
    """Column with the user (or session) id; one user = one episode."""
    item: str
    """Column with the item id."""
    timestamp: str
    """Column with the time: ISO 8601 text, or epoch numbers if ``timestamp_unit`` is set."""
    event_type: str | None = None
    """Column with the event kind; None = every row is a purchase."""
    value: str | None = None
    """Column with a money value (revenue of a purchase); None = 0. Empty cells = 0."""
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

    def __post_init__(self):
        unknown = set(self.event_weights) - set(FEEDBACK_CODES)
        if unknown:
            raise ConfigError(
                f"EventLogSpec.event_weights has unknown events {sorted(unknown)}; "
                f"allowed: {sorted(FEEDBACK_CODES)}"
            )


def load_event_log(path, spec: EventLogSpec) -> pd.DataFrame:
    """Read a CSV event log into canonical columns ``user, item, timestamp, event, value,
    basket``. Raises DataError naming the file, column and first bad line: unknown event
    names are an error, never silently dropped."""
    path = Path(path)
    columns = [
        c
        for c in (spec.user, spec.item, spec.timestamp, spec.event_type, spec.value, spec.basket)
        if c is not None
    ]
    raw = read_text_table(path, columns, spec.delimiter)
    name = path.name
    for column in (spec.user, spec.item):
        _raise_if_empty(raw[column].str.strip() == "", raw[column], name, column)
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
        parse_number(raw[spec.value], name, spec.value, missing_ok=True).fillna(0.0)
        if spec.value
        else pd.Series(0.0, index=raw.index)
    )
    basket = raw[spec.basket].str.strip() if spec.basket else pd.Series(raw.index.astype(str))
    return pd.DataFrame(
        {
            "user": raw[spec.user].str.strip(),
            "item": raw[spec.item].str.strip(),
            "timestamp": parse_time(raw[spec.timestamp], name, spec.timestamp, spec.timestamp_unit),
            "event": event.astype(str),
            "value": value.astype(float),
            "basket": basket.astype(str),
        }
    )


def _raise_if_empty(bad: pd.Series, text: pd.Series, name: str, column: str) -> None:
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise DataError(f"{name}: column {column!r} line {row + 2}: empty value")
