"""A generic event log (views, carts, purchases) loaded from a column mapping."""

import numpy as np
import pytest

from dqrec import data
from dqrec.config import ConfigError
from dqrec.data.eventlog import EventLogSpec, load_event_log
from dqrec.envs import CLICK, PURCHASE

# A RetailRocket-like log: epoch milliseconds, its own event names, a price column.
LOG = """visitor;itemid;ts;event;price
7;A;1000;view;
7;A;2000;addtocart;
7;A;3000;transaction;10.0
8;B;1500;view;
"""
SPEC = EventLogSpec(
    user="visitor",
    item="itemid",
    timestamp="ts",
    event_type="event",
    value="price",
    delimiter=";",
    timestamp_unit="ms",
    event_names={"addtocart": "cart", "transaction": "purchase"},
)


def write(tmp_path, text, name="events.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_load_maps_columns_and_events(tmp_path):
    events = load_event_log(write(tmp_path, LOG), SPEC)
    assert list(events.columns) == ["user", "item", "timestamp", "event", "value", "basket"]
    assert events["event"].tolist() == ["view", "cart", "purchase", "view"]
    assert events["value"].tolist() == [0.0, 0.0, 10.0, 0.0]  # empty price = 0
    assert events["timestamp"].iloc[1] - events["timestamp"].iloc[0] == np.timedelta64(1, "s")


def test_transitions_reuse_data_functions(tmp_path):
    events = load_event_log(write(tmp_path, LOG), SPEC)
    episodes = data.build_episodes(events)
    catalogue = data.ItemVocabulary.from_events(episodes, top_n=1)  # A (the only purchase) -> id 0
    t = data.to_transitions(episodes, catalogue, 2, event_rewards=SPEC.event_weights)
    # rewards: view 0, cart 0.3, purchase 1 + log1p(10); then user 8's view 0
    np.testing.assert_allclose(t.reward, [0.0, 0.3, 1 + np.log1p(10.0), 0.0], rtol=1e-6)
    # user 7's purchase step: history = A viewed, A carted -> feedback CLICK, CLICK
    np.testing.assert_array_equal(t.obs[2, :4], [0, 0, CLICK, CLICK])
    np.testing.assert_array_equal(t.next_obs[2, :4], [0, 0, CLICK, PURCHASE])
    np.testing.assert_array_equal(t.terminated, [False, False, True, True])


def test_every_row_a_purchase_without_event_column(tmp_path):
    spec = EventLogSpec(user="u", item="i", timestamp="t")
    events = load_event_log(write(tmp_path, "u,i,t\n1,x,2020-01-01\n1,y,2020-01-02\n"), spec)
    assert events["event"].tolist() == ["purchase", "purchase"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (LOG.replace("transaction", "refund"), "column 'event' line 4: unknown event 'refund'"),
        (LOG.replace("10.0", "ten"), "column 'price' line 4: cannot parse 'ten' as a number"),
        (LOG.replace("visitor", "user"), "missing column(s) ['visitor']"),
        (LOG.replace(";", ","), "only one column found"),
        (LOG.replace("3000", "3e"), "column 'ts' line 4"),
        (LOG.replace("8;B", ";B"), "column 'visitor' line 5: empty value"),
        ("", "file is empty"),
    ],
)
def test_malformed_logs(tmp_path, text, message):
    with pytest.raises(data.DataError, match="events.csv") as err:
        load_event_log(write(tmp_path, text), SPEC)
    assert message in str(err.value)


def test_iso_dates_and_bad_dates(tmp_path):
    spec = EventLogSpec(user="u", item="i", timestamp="t")
    with pytest.raises(data.DataError, match="column 't' line 3: cannot parse '2020-02-31'"):
        load_event_log(write(tmp_path, "u,i,t\n1,x,2020-01-01\n1,y,2020-02-31\n"), spec)


def test_unknown_event_weight_is_rejected():
    with pytest.raises(ConfigError, match="EventLogSpec.event_weights has unknown events"):
        EventLogSpec(user="u", item="i", timestamp="t", event_weights={"like": 1.0})
