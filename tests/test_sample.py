"""The committed 4% sample of Online Retail: the whole data pipeline runs on a fresh clone, and
the sample is what its recipe makes from the full table (checked where a full copy is present)."""

import numpy as np
import pandas as pd
import pytest

from dqrec import data, offline
from dqrec.data.sample import SAMPLE_PATH, make_sample
from dqrec.envs import NUM_SESSION_FEATURES


def test_the_sample_is_small_and_documented():
    assert data.sample_data_path() == SAMPLE_PATH and SAMPLE_PATH.stat().st_size < 1_000_000
    readme = (SAMPLE_PATH.parent / "README.md").read_text()
    assert "CC BY 4.0" in readme and "make_sample" in readme


def test_the_pipeline_runs_on_the_sample():
    raw = data.load_online_retail(SAMPLE_PATH)
    clean, report = data.clean_online_retail(raw)
    assert report.raw_rows == len(raw) == 23_976
    assert sum(report.removed.values()) + report.kept_rows == report.raw_rows
    # the sample keeps the full table's quirks: these rules all remove rows
    for rule in ("cancellation", "missing CustomerID", "non-product", "exact duplicate"):
        assert next(n for name, n in report.removed.items() if name.startswith(rule)) > 0, rule
    train, test = data.time_split(clean, "2011-10-01")
    assert len(train) and len(test)
    vocabulary = data.ItemVocabulary.from_events(train, top_n=100)
    episodes = data.build_episodes(train)
    t = data.to_transitions(episodes, vocabulary, history_len=5)
    assert t.obs.shape == (len(episodes), 10 + NUM_SESSION_FEATURES)
    assert np.isfinite(t.reward).all() and (t.action <= vocabulary.other).all()
    everyone = data.build_episodes(pd.concat([train, test]))
    cases = offline.next_basket_cases(everyone, vocabulary, 5, "2011-10-01")
    assert len(cases.obs) > 0


FULL = data.default_data_path()


@pytest.mark.skipif(not FULL.is_file(), reason=f"full data absent ({FULL}): recipe not re-run")
def test_make_sample_remakes_the_committed_sample(tmp_path):
    out = tmp_path / "sample.csv.gz"
    assert make_sample(FULL, out) == 23_976
    committed = pd.read_csv(SAMPLE_PATH, dtype=str, keep_default_na=False)
    pd.testing.assert_frame_equal(pd.read_csv(out, dtype=str, keep_default_na=False), committed)
