"""A generic event log (views, carts, purchases) loaded from a column mapping."""

import dataclasses

import numpy as np
import pandas as pd
import pytest

from dqrec import data
from dqrec.config import ConfigError
from dqrec.data.eventlog import EventLogSpec, load_event_log
from dqrec.envs import CLICK, PURCHASE

# A RetailRocket-like log: epoch milliseconds, its own event names, a price column.
LOG = """visitor;itemid;ts;event;price
7;A;1433221332000;view;
7;A;1433221333000;addtocart;
7;A;1433221334000;transaction;10.0
8;B;1433221332500;view;
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
        (LOG.replace("1433221334000", "3e"), "column 'ts' line 4"),
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


# ---------------------------------------------------------------- missing user ids


@pytest.mark.parametrize("missing", ["", "NA", " null ", "N/A"])
def test_missing_user_ids_are_dropped_and_counted(tmp_path, missing):
    text = LOG + f"{missing};B;1433221335000;view;\n{missing};A;1433221336000;view;\n"
    events, report = load_event_log(write(tmp_path, text), SPEC, report=True)
    assert report.missing_user == 2 and report.rows_read == 6 and report.rows_kept == 4
    assert events["user"].tolist() == ["7", "7", "7", "8"]  # no user called "NA"
    assert events.attrs["load_report"] == report


def test_missing_user_ids_as_an_error(tmp_path):
    spec = dataclasses.replace(SPEC, missing_user="error")
    with pytest.raises(data.DataError, match="column 'visitor' line 5: empty value"):
        load_event_log(write(tmp_path, LOG.replace("8;B", ";B")), spec)
    with pytest.raises(data.DataError, match="every line: empty value"):  # even when dropping
        load_event_log(write(tmp_path, LOG.replace("7;A", "NA;A").replace("8;B", ";B")), SPEC)
    with pytest.raises(ConfigError, match="missing_user must be 'drop' or 'error'"):
        dataclasses.replace(SPEC, missing_user="merge")


# ---------------------------------------------------------------- the clock


def test_timestamp_none_needs_a_stated_clock():
    with pytest.raises(ConfigError, match="timestamp is None but no other clock"):
        EventLogSpec(user="u", item="i", timestamp=None)
    with pytest.raises(ConfigError, match=r"two column names \[date, offset\]"):
        EventLogSpec(user="u", item="i", timestamp=["d"])
    with pytest.raises(ConfigError, match="file_order=True states the log has no clock"):
        EventLogSpec(user="u", item="i", timestamp="t", file_order=True)


def test_clock_from_a_date_plus_an_offset(tmp_path):
    """A session log: the session's date and each event's milliseconds since its start."""
    text = "s,i,d,ms\n1,a,2016-05-09,5000\n1,b,2016-05-09,1500\n2,c,2016-05-10,0\n"
    spec = EventLogSpec(user="s", item="i", timestamp=["d", "ms"], offset_unit="ms")
    events, report = load_event_log(write(tmp_path, text), spec, report=True)
    assert report.clock == "date + offset"
    assert (
        events["timestamp"].tolist()
        == pd.to_datetime(
            ["2016-05-09 00:00:05", "2016-05-09 00:00:01.5", "2016-05-10"], format="ISO8601"
        ).tolist()
    )
    assert data.build_episodes(events)["item"].tolist() == ["b", "a", "c"]  # b came first
    with pytest.raises(data.DataError, match="column 'ms' line 3: cannot parse 'x'"):
        load_event_log(write(tmp_path, text.replace("1500", "x")), spec)


def test_clock_from_an_order_number_per_user(tmp_path):
    """A grocery log: no date, an order number per user; lines of an order keep file order."""
    text = "u,o,n,p\n1,o2,2,c\n1,o1,1,a\n1,o1,1,b\n2,o9,1,d\n1,o2,2,e\n"
    spec = EventLogSpec(user="u", item="p", timestamp=None, order="n", basket="o")
    events, report = load_event_log(write(tmp_path, text), spec, report=True)
    assert report.clock == "order column" and events["timestamp"].isna().all()
    episodes = data.build_episodes(events)
    assert episodes["item"].tolist() == ["a", "b", "c", "e", "d"]
    assert episodes["basket_index"].tolist() == [0, 0, 1, 1, 0]
    with pytest.raises(data.DataError, match="column 'n' line 3: cannot parse '1.5' as an int"):
        load_event_log(write(tmp_path, text.replace("o1,1,a", "o1,1.5,a")), spec)
    with pytest.raises(data.DataError, match="time_split: 5 of 5 rows have no time"):
        data.time_split(events, "2020-01-01")


def test_file_order_without_a_clock(tmp_path):
    text = "u,i\n" + "".join(f"{u},item{k}\n" for k in range(12) for u in (1, 2))
    spec = EventLogSpec(user="u", item="i", timestamp=None, file_order=True)
    episodes = data.build_episodes(load_event_log(write(tmp_path, text), spec))
    items = [f"item{k}" for k in range(12)]
    assert episodes["item"].tolist() == items + items  # user 1 then user 2, each in file order
    assert episodes["step"].tolist() == list(range(12)) * 2


def test_equal_timestamps_keep_file_order(tmp_path):
    """More than ten events at one time: ordered 0, 1, 2, ..., 11, not 0, 1, 10, 11, 2 (the row
    number as text)."""
    text = "u,i,t\n" + "".join(f"1,item{k},2020-01-01\n" for k in range(12))
    text += "1,late,2020-01-02\n"
    spec = EventLogSpec(user="u", item="i", timestamp="t")
    episodes = data.build_episodes(load_event_log(write(tmp_path, text), spec))
    assert episodes["item"].tolist() == [f"item{k}" for k in range(12)] + ["late"]
    assert episodes["step"].tolist() == list(range(13))


# ---------------------------------------------------------------- a DataFrame as the source


def test_dataframe_source_matches_the_file(tmp_path):
    from_file = load_event_log(write(tmp_path, LOG), SPEC)
    frame = pd.read_csv(write(tmp_path, LOG), sep=";")  # typed: ints, floats, NaN prices
    from_frame = load_event_log(frame, SPEC)
    pd.testing.assert_frame_equal(from_frame, from_file)


def test_dataframe_source_with_datetimes_and_missing_users():
    frame = pd.DataFrame(
        {
            "u": [1, None, 1, np.nan],
            "i": ["a", "b", "c", "d"],
            "t": pd.to_datetime(["2020-01-02", "2020-01-01", "2020-01-01", "2020-01-03"]),
        }
    )
    spec = EventLogSpec(user="u", item="i", timestamp="t")
    events, report = load_event_log(frame, spec, report=True)
    assert report.missing_user == 2 and events["item"].tolist() == ["a", "c"]
    assert events["user"].tolist() == ["1.0", "1.0"]  # a float column's ids, as pandas wrote them
    assert data.build_episodes(events)["item"].tolist() == ["c", "a"]
    with pytest.raises(data.DataError, match=r"DataFrame: missing column\(s\) \['x'\]"):
        load_event_log(frame, dataclasses.replace(spec, value="x"))
    with pytest.raises(data.DataError, match="DataFrame: column 't' line 3: cannot parse"):
        load_event_log(frame.assign(t=["2020-01-01", "2020-02-31", "x", "y"]), spec)


# ---------------------------------------------------------------- co-occurrence without baskets


def test_copurchase_counts_sessions_when_the_log_has_no_baskets(tmp_path):
    text = "s,i,t\n1,a,2020-01-01\n1,b,2020-01-02\n1,c,2020-01-03\n2,a,2020-01-01\n"
    text += "2,b,2020-01-01\n3,c,2020-01-05\n"
    spec = EventLogSpec(user="s", item="i", timestamp="t")  # no basket column
    events = load_event_log(write(tmp_path, text), spec)
    catalogue = data.ItemVocabulary.from_events(events, top_n=3)  # a, b, c (2 each) -> 0, 1, 2
    co = data.copurchase_scores(events, catalogue)
    expected = np.zeros((4, 4))
    expected[0, 1] = expected[1, 0] = 2  # sessions 1 and 2 hold a and b
    expected[0, 2] = expected[2, 0] = expected[1, 2] = expected[2, 1] = 1  # session 1 only
    np.testing.assert_array_equal(co, expected)
    # with baskets, co-occurrence stays within a basket: session 1 = {a, b} then {c}
    with_baskets = events.assign(basket=["x", "x", "y", "z", "z", "w"])
    expected[0, 2] = expected[2, 0] = expected[1, 2] = expected[2, 1] = 0
    np.testing.assert_array_equal(data.copurchase_scores(with_baskets, catalogue), expected)
