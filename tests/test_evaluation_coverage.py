"""Evaluation reports how much of the test period a catalogue can score, and metrics over all
test baskets, so that a small catalogue cannot inflate them."""

import numpy as np
import pandas as pd
import pytest

from dqrec.data import ItemVocabulary, build_episodes
from dqrec.offline import (
    evaluation_coverage,
    metrics_over_all_test_baskets,
    next_basket_cases,
    offline_metrics,
)

CUTOFF = "2011-02-01"


@pytest.fixture
def log():
    events = pd.DataFrame(
        [
            (1, "a", "2011-01-01", "i1"),
            (1, "b", "2011-01-01", "i1"),
            (1, "c", "2011-03-01", "i2"),  # c is in the tail
            (1, "a", "2011-03-01", "i2"),
            (2, "z", "2011-03-02", "i3"),  # only a tail item: no case
        ],
        columns=["user", "item", "timestamp", "basket"],
    ).assign(event="purchase", value=1.0, timestamp=lambda d: pd.to_datetime(d["timestamp"]))
    catalogue = ItemVocabulary.from_events(events[events["timestamp"] < CUTOFF], top_n=2)
    return build_episodes(events), catalogue  # a -> 0, b -> 1, other -> 2


def test_evaluation_coverage_counts_scored_events_and_baskets(log):
    episodes, catalogue = log
    coverage = evaluation_coverage(episodes, catalogue, CUTOFF)
    assert coverage == {
        "test_events": 3,
        "scored_events": 1,
        "event_share": pytest.approx(1 / 3),
        "test_baskets": 2,
        "scored_baskets": 1,
        "basket_share": 0.5,
    }
    assert coverage["scored_baskets"] == len(next_basket_cases(episodes, catalogue, 3, CUTOFF).obs)


def test_metrics_over_all_test_baskets_count_what_the_catalogue_misses(log):
    episodes, catalogue = log
    cases = next_basket_cases(episodes, catalogue, 3, CUTOFF)
    ranked = np.array([[0, 1]])  # the one case: "a" first, a hit
    scored = offline_metrics(ranked, cases.relevant, 2, catalogue.other)
    assert (scored["precision"], scored["recall"], scored["hit_rate"]) == (0.5, 1.0, 1.0)
    every = metrics_over_all_test_baskets(ranked, episodes, catalogue, CUTOFF, 2)
    # basket i2 = {c, a}: one hit of two items; basket i3 = {z}: nothing can hit it
    assert every["num_users"] == 2
    assert every["precision"] == pytest.approx((0.5 + 0) / 2)
    assert every["recall"] == pytest.approx((0.5 + 0) / 2)
    assert every["hit_rate"] == pytest.approx(0.5)
    assert every["mrr"] == pytest.approx(0.5)
    g = 1 / np.log2(3)
    assert every["ndcg"] == pytest.approx(1 / (1 + g) / 2)
    with pytest.raises(ValueError, match="got 2 ranked lists for 1 scored test baskets"):
        metrics_over_all_test_baskets(np.vstack([ranked, ranked]), episodes, catalogue, CUTOFF, 2)
