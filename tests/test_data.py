"""Loading, cleaning, episodes and transitions of UCI Online Retail (tiny files + real data)."""

import numpy as np
import pandas as pd
import pytest

from dqrec import data
from dqrec.envs import NUM_SESSION_FEATURES, PURCHASE

HEADER = "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n"
# Line numbers in the file (header = line 1) and what cleaning does with each row:
ROWS = [
    "536365,85123A,HEART,6,2010-12-01 08:26:00,2.55,17850.0,UK",  # 2 kept (user 17850)
    "536365,71053,LANTERN,6,2010-12-01 08:26:00,3.39,17850.0,UK",  # 3 kept
    "C536379,71053,LANTERN,-1,2010-12-01 09:41:00,3.39,17850.0,UK",  # 4 cancellation
    "536366,22633,WARMER,6,2010-12-01 08:28:00,1.85,,UK",  # 5 missing CustomerID
    "536367,POST,POSTAGE,1,2010-12-01 08:34:00,18.0,12583.0,France",  # 6 non-product
    "536365,71053,LANTERN,6,2010-12-01 08:26:00,3.39,17850.0,UK",  # 7 duplicate of line 3
    "536368,22960,JAM SET,0,2010-12-02 10:00:00,4.25,12583.0,France",  # 8 quantity 0
    "536369,22961,JAM POT,2,2010-12-02 10:05:00,0.0,12583.0,France",  # 9 price 0
    '536370,22962,"JAM, SMALL",3,2010-12-03 11:00:00,1.00,12583.0,France',  # 10 kept (12583)
    "536371,85123A,HEART,1,2010-12-05 09:00:00,2.55,17850.0,UK",  # 11 kept (user 17850)
]


def write(tmp_path, text, name="online_retail.csv", encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding) if isinstance(text, str) else text)
    return path


@pytest.fixture
def tiny(tmp_path):
    return data.load_online_retail(write(tmp_path, HEADER + "\n".join(ROWS) + "\n"))


def test_load_types(tiny):
    assert len(tiny) == 10
    assert tiny["Quantity"].dtype == np.int64 and tiny["UnitPrice"].dtype == float
    assert pd.api.types.is_datetime64_any_dtype(tiny["InvoiceDate"])
    assert tiny["CustomerID"].iloc[0] == 17850 and pd.isna(tiny["CustomerID"].iloc[3])
    assert tiny["Description"].iloc[8] == "JAM, SMALL"  # quoted comma


def test_cleaning_counts_add_up(tiny):
    clean, report = data.clean_online_retail(tiny)
    assert list(report.removed.values()) == [1, 1, 1, 1, 1, 1]  # one row per rule, in order
    assert report.kept_rows == len(clean) == 4
    assert sum(report.removed.values()) + report.kept_rows == report.raw_rows == 10
    table = report.to_frame()
    assert table["rows_left"].iloc[-1] == 4 and table["rows_removed"].sum() == 6
    assert clean["CustomerID"].dtype == np.int64


def test_episodes_and_transitions_by_hand(tiny):
    clean, _ = data.clean_online_retail(tiny)
    episodes = data.build_episodes(clean)
    # user 12583: one step; user 17850: 85123A, 71053 (invoice 536365), 85123A (536371)
    assert episodes["user"].tolist() == [12583, 17850, 17850, 17850]
    assert episodes["basket_index"].tolist() == [0, 0, 0, 1]
    assert episodes["last"].tolist() == [True, False, False, True]
    catalogue = data.ItemVocabulary.from_events(episodes, top_n=1)
    # 85123A bought twice -> id 0; everything else -> "other" id 1; num_items 2, padding id 2
    assert list(catalogue.items) == ["85123A"] and catalogue.num_items == 2
    t = data.to_transitions(episodes, catalogue, history_len=2)
    np.testing.assert_array_equal(t.action, [1, 0, 1, 0])
    assert t.obs.shape == (4, 2 * 2 + NUM_SESSION_FEATURES)
    # user 17850, 3rd step: history = [85123A, 71053] -> ids [0, 1], both purchased (3)
    np.testing.assert_array_equal(t.obs[3, :4], [0, 1, PURCHASE, PURCHASE])
    # its first step has an empty (padded) history; next_obs holds the step itself, last
    np.testing.assert_array_equal(t.obs[1, :4], [2, 2, 0, 0])
    np.testing.assert_array_equal(t.next_obs[1, :4], [2, 0, 0, PURCHASE])
    # session features before step 3 of 17850: 2 steps done -> [2/100, 2/2, 2/2, 0]
    np.testing.assert_allclose(t.obs[3, 4:], [0.02, 1.0, 1.0, 0.0])
    np.testing.assert_array_equal(t.next_obs[1], t.obs[2])  # consecutive steps chain
    np.testing.assert_array_equal(t.terminated, [True, False, False, True])
    # reward = log1p(line revenue): 6 * 2.55 = 15.3 -> log1p(15.3)
    assert t.reward[1] == pytest.approx(np.log1p(15.3), rel=1e-6)


def test_time_split_keeps_the_future_out(tiny):
    clean, _ = data.clean_online_retail(tiny)
    train, test = data.time_split(clean, "2010-12-03")
    assert (train["InvoiceDate"] < pd.Timestamp("2010-12-03")).all() and len(train) == 2
    assert (test["InvoiceDate"] >= pd.Timestamp("2010-12-03")).all() and len(test) == 2
    catalogue = data.ItemVocabulary.from_events(train, top_n=2)  # fit on train only
    t = data.to_transitions(data.build_episodes(clean), catalogue, 2, start_time="2010-12-03")
    # test steps only; 17850's test step sees its two train-time purchases as context
    assert len(t.action) == 2
    np.testing.assert_array_equal(
        t.obs[1, :4],
        [catalogue.encode(["85123A", "71053"])[0], catalogue.encode(["71053"])[0], 3, 3],
    )


def test_baseline_scores(tiny):
    clean, _ = data.clean_online_retail(tiny)
    catalogue = data.ItemVocabulary.from_events(
        clean, top_n=2
    )  # 85123A (2), then 22962 / 71053 (1)
    np.testing.assert_array_equal(data.popularity_scores(clean, catalogue), [2, 1, 1])
    co = data.copurchase_scores(clean, catalogue)
    # only basket 536365 holds two items: 85123A (id 0) and 71053 (id 1 or other)
    assert co.shape == (3, 3) and co.sum() == 2 and np.all(np.diag(co) == 0)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (HEADER.replace(",UnitPrice", ",Price") + ROWS[0], "missing column(s) ['UnitPrice']"),
        (
            HEADER + ROWS[0] + "\n" + ROWS[1].replace(",6,", ",abc,"),
            "column 'Quantity' line 3: cannot parse 'abc' as an integer",
        ),
        (
            HEADER + ROWS[0].replace("2010-12-01 08:26:00", "2011-13-45 10:00"),
            "column 'InvoiceDate' line 2: cannot parse '2011-13-45 10:00' as a date",
        ),
        (HEADER + ROWS[0].replace("17850.0", "x17"), "column 'CustomerID' line 2"),
        ("", "file is empty"),
        (HEADER, "header but no data rows"),
        ((HEADER + ROWS[0]).replace(",", ";"), "only one column found"),
    ],
)
def test_malformed_files_name_file_column_and_line(tmp_path, text, message):
    path = write(tmp_path, text)
    with pytest.raises(data.DataError, match="online_retail.csv") as err:
        data.load_online_retail(path)
    assert message in str(err.value)


def test_wrong_encoding_names_the_line(tmp_path):
    text = (HEADER + ROWS[0] + "\n" + ROWS[1].replace("LANTERN", "LANTÉRN") + "\n").encode("cp1252")
    with pytest.raises(data.DataError, match=r"online_retail.csv: line 3: .*not UTF-8"):
        data.load_online_retail(write(tmp_path, text))


def test_file_not_found(tmp_path):
    with pytest.raises(data.DataError, match="nowhere.csv: file not found"):
        data.load_online_retail(tmp_path / "nowhere.csv")


def test_data_dir_environment_variable(tmp_path, monkeypatch):
    monkeypatch.setenv("DQREC_DATA_DIR", str(tmp_path))
    assert data.default_data_path() == tmp_path / "online_retail" / "online_retail.csv.gz"


def test_excel_gives_the_same_table(tmp_path, tiny):
    pytest.importorskip("openpyxl", reason="openpyxl (optional) reads the official workbook")
    sheet = tiny.assign(CustomerID=tiny["CustomerID"].astype(float))
    sheet["InvoiceNo"] = [int(x) if x.isdigit() else x for x in sheet["InvoiceNo"]]
    sheet.to_excel(tmp_path / "Online Retail.xlsx", index=False)
    pd.testing.assert_frame_equal(data.load_online_retail(tmp_path / "Online Retail.xlsx"), tiny)


REAL = data.default_data_path()


@pytest.mark.slow
@pytest.mark.skipif(not REAL.is_file(), reason=f"shared data file absent: {REAL}")
def test_real_data_loads_cleans_and_counts_add_up():
    raw = data.load_online_retail()
    clean, report = data.clean_online_retail(raw)
    assert report.raw_rows == len(raw) == 541_909
    assert sum(report.removed.values()) + report.kept_rows == report.raw_rows
    assert report.kept_rows == 391_150  # measured once; the rules are deterministic
    episodes = data.build_episodes(clean)
    assert episodes["user"].nunique() == 4334 and episodes["last"].sum() == 4334
    catalogue = data.ItemVocabulary.from_events(episodes, top_n=500)
    t = data.to_transitions(episodes.head(20_000), catalogue, history_len=5)
    assert t.obs.shape == (20_000, 10 + NUM_SESSION_FEATURES) and np.isfinite(t.reward).all()
