"""Offline Q-learning from a tiny log, and ranking metrics checked against hand computation."""

import numpy as np
import pandas as pd
import pytest

from dqrec.config import AgentConfig, NetworkConfig
from dqrec.data import ItemVocabulary, build_episodes, to_transitions
from dqrec.offline import (
    copurchase_ranking_scores,
    fit_offline_q,
    next_basket_cases,
    offline_metrics,
    rank_items,
    td_loss,
)


def _events(rows):
    return pd.DataFrame(rows, columns=["user", "item", "timestamp", "basket", "value"]).assign(
        event="purchase", timestamp=lambda d: pd.to_datetime(d["timestamp"])
    )


def test_ranking_metrics_by_hand():
    # case 1: ranked [2, 0, 1], relevant {0, 1}; case 2: ranked [1, 2, 0], relevant {2}
    ranked = np.array([[2, 0, 1], [1, 2, 0]])
    relevant = [np.array([0, 1]), np.array([2])]
    m = offline_metrics(ranked, relevant, k=2, num_items=4)
    # precision@2: (1/2 + 1/2) / 2 = 0.5; recall@2: (1/2 + 1/1) / 2 = 0.75
    assert m["precision"] == pytest.approx(0.5)
    assert m["recall"] == pytest.approx(0.75)
    # F1: case 1 2*.5*.5/1 = 0.5; case 2 2*.5*1/1.5 = 2/3 -> mean 7/12
    assert m["f1"] == pytest.approx(7 / 12)
    assert m["hit_rate"] == pytest.approx(1.0)
    # NDCG@2: both hits at rank 2 -> DCG 1/log2(3); IDCG case 1 = 1 + 1/log2(3), case 2 = 1
    g = 1 / np.log2(3)
    assert m["ndcg"] == pytest.approx((g / (1 + g) + g) / 2)
    assert m["mrr"] == pytest.approx(0.5)  # first hit at rank 2 in both
    assert m["coverage"] == pytest.approx(3 / 4)  # items {0, 1, 2} of 4 in some top-2 list
    assert m["num_users"] == 2


def test_rank_items_excludes_other_and_copurchase_scores():
    scores = np.array([[0.1, 0.9, 0.5, 5.0]])  # id 3 = "other"
    np.testing.assert_array_equal(rank_items(scores, 2, exclude=[3]), [[1, 2]])
    copurchase = np.array([[0, 2, 0, 1], [2, 0, 1, 0], [0, 1, 0, 0], [1, 0, 0, 0.0]])
    obs = np.array([[4, 0, 3, 2, 3, 3, 0, 0, 0, 0]], np.float32)  # H = 3: pad, item 0, other
    scores = copurchase_ranking_scores(copurchase, obs, 3, popularity=np.array([3, 2, 1, 9.0]))
    # only item 0 counts as context: row 0 = [0, 2, 0, 1] plus tiebreak 0.5 * pop / 10
    np.testing.assert_allclose(scores[0], [0.15, 2.1, 0.05, 1.45])


def test_next_basket_cases_use_past_context_only():
    events = _events(
        [
            (1, "a", "2011-01-01", "i1", 1.0),
            (1, "b", "2011-01-01", "i1", 1.0),
            (1, "c", "2011-03-01", "i2", 1.0),
            (1, "a", "2011-03-01", "i2", 1.0),
            (2, "z", "2011-03-02", "i3", 1.0),  # only a tail item: no case
        ]
    )
    catalogue = ItemVocabulary.from_events(events[events["timestamp"] < "2011-02-01"], top_n=2)
    cases = next_basket_cases(build_episodes(events), catalogue, 3, "2011-02-01")
    assert len(cases.relevant) == 1
    np.testing.assert_array_equal(cases.relevant[0], [0])  # "a"; "c" is in the tail
    np.testing.assert_array_equal(cases.obs[0, :3], [3, 0, 1])  # pad, a, b: the train basket


@pytest.mark.slow
def test_offline_training_reduces_td_loss():
    rng = np.random.default_rng(0)
    rows = []
    for user in range(30):  # item 0 is always followed by item 1, then 2
        for step, item in enumerate(["x", "y", "z"] * 2):
            rows.append(
                (user, item, f"2011-01-{1 + step:02d}", f"{user}-{step}", 2.0 + rng.random())
            )
    events = _events(rows)
    catalogue = ItemVocabulary.from_events(events, top_n=3)
    logged = to_transitions(build_episodes(events), catalogue, history_len=4)
    agent_config = AgentConfig(gamma=0.5, n_steps=1, batch_size=32, lr=3e-3, target_period=20)
    network_config = NetworkConfig(embedding_dim=8, hidden_units=(16,))
    untrained, _ = fit_offline_q(
        logged, catalogue.num_items, 4, agent_config, network_config, num_gradient_steps=1
    )
    before = td_loss(untrained, logged, 0.5)
    agent, losses = fit_offline_q(
        logged, catalogue.num_items, 4, agent_config, network_config, num_gradient_steps=200
    )
    after = td_loss(agent, logged, 0.5)
    assert after < 0.5 * before, (before, after)
    assert losses[-5:].mean() < losses[:5].mean()
