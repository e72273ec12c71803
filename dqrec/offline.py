"""Offline Q-learning from purchase logs, and next-basket ranking metrics on held-out data.

Pipeline (each step a function the book shows on its own)::

    train, test = dqrec.data.time_split(clean, cutoff)
    catalogue = dqrec.data.ItemVocabulary.from_events(train, top_n)          # fitted on train only
    logged = dqrec.data.to_transitions(dqrec.data.build_episodes(train), catalogue, H)
    agent, losses = fit_offline_q(logged, catalogue.num_items, H, agent_cfg, network_cfg, steps)
    cases = next_basket_cases(dqrec.data.build_episodes(pd.concat([train, test])), catalogue,
                              H, cutoff)                               # one case per test basket
    ranked = rank_items(agent.q_values(cases.obs), k, exclude=[catalogue.other])
    offline_metrics(ranked, cases.relevant, k, num_items=catalogue.other)

**The task scored.** For every basket (invoice) a customer bought at or after the cutoff,
the state is the observation just before its first line (history: the customer's earlier
purchases, train-time ones included as context, never later ones), and the *relevant* items
are the catalogue items in that basket. The "other" bucket (the long tail) is never ranked
and never relevant: recommending "something from the tail" is not a recommendation. Items the
customer bought before are NOT excluded: this is a wholesale shop and re-buying is common.

**What the logs cannot tell.** The log holds purchases only: we never see what the shop
showed, so "action" here is the item the customer bought, and Q(s, a) learns the discounted
log-revenue that follows buying a in state s *under the customers' own behaviour*. Items never
bought in similar states get no target at all (their Q-values are extrapolation: Fujimoto et
al. 2019, "Off-policy deep RL without exploration"). Next-basket precision/recall measure how
well a ranking predicts what happens next without any intervention; they say nothing about what
a recommendation would have changed, about the revenue of a whole customer lifetime, or
about feedback loops. Long-term value needs an experiment, a simulator (``dqrec.calibrate``)
or off-policy evaluation with logged propensities (``dqrec.ope``), which these logs lack.
"""

from typing import NamedTuple

import numpy as np
import pandas as pd

from dqrec.data import ItemVocabulary, Transitions, to_transitions
from dqrec.metrics import catalogue_coverage, mean_ranking_metrics, top_k
from dqrec.replay import ReplayBuffer


def fill_replay(transitions: Transitions, gamma: float) -> ReplayBuffer:
    """A replay buffer holding every logged transition once (capacity = number of transitions).

    ``terminated`` is the customer's last purchase in the log. In a time split that is the
    last one before the cutoff, which is really a truncation (the customer may come back);
    we keep it terminal so values stay bounded, and say so in the book.
    """
    n, obs_dim = transitions.obs.shape
    replay = ReplayBuffer(n, obs_dim)
    zeros = np.zeros(n, np.float32)
    replay.add(
        transitions.obs,
        transitions.action.astype(np.int32),
        transitions.reward,
        transitions.next_obs,
        transitions.terminated.astype(np.float32),
        zeros,  # truncated: the log says nothing about step caps
        np.full(n, gamma, np.float32),  # one-step transitions: the bootstrap is discounted by gamma
    )
    return replay


def fit_offline_q(
    transitions: Transitions,
    num_items: int,
    history_len: int,
    agent_config,
    network_config,
    num_gradient_steps: int,
    steps_per_call: int = 4,
    seed: int = 0,
):
    """Train a ``DQNAgent`` on logged transitions only: no environment, no exploration.

    ``num_items`` is ``catalogue.num_items`` (top-N items + the "other" bucket; padding id in
    the observations = ``num_items``).
    ``num_gradient_steps`` gradient steps (rounded up to a multiple of ``steps_per_call``) on
    uniform mini-batches of ``agent_config.batch_size``, with ``gamma = agent_config.gamma``
    (``agent_config.n_steps`` is ignored: the logs give one-step transitions). Returns the agent
    and the mean training loss of each call of ``steps_per_call`` steps.
    """
    import keras

    from dqrec.agent import DQNAgent

    keras.utils.set_random_seed(seed)
    obs_dim = transitions.obs.shape[1]
    agent = DQNAgent(obs_dim, num_items, agent_config, network_config, history_len, num_items)
    replay = fill_replay(transitions, agent_config.gamma)
    rng = np.random.default_rng(seed)
    losses = []
    for _ in range(-(-num_gradient_steps // steps_per_call)):
        batch = replay.sample_many(steps_per_call, agent_config.batch_size, rng)  # (K, B, ...)
        losses.append(agent.train_steps(batch)["loss"])
    return agent, np.array(losses)


def td_loss(agent, transitions: Transitions, gamma: float) -> float:
    """Mean Huber TD loss of ``agent`` on all ``transitions`` (the quantity training lowers).

    Uses the agent's own target: Double DQN if configured, target network, Huber delta.
    """
    import tensorflow as tf

    from dqrec.losses import huber
    from dqrec.targets import td_targets

    next_q_target = agent.target(tf.constant(transitions.next_obs))  # (n, num_actions)
    next_q_online = agent.q_values(transitions.next_obs) if agent.config.double_dqn else None
    targets = td_targets(
        transitions.reward, transitions.terminated, next_q_target, gamma, next_q_online
    )
    q_values = agent.q_values(transitions.obs)  # (n, num_actions)
    q_taken = q_values[np.arange(len(q_values)), transitions.action]  # (n,)
    return float(tf.reduce_mean(huber(targets.numpy() - q_taken, agent.config.huber_delta)))


class RankingCases(NamedTuple):
    """Held-out next-basket cases: one per test basket with at least one catalogue item."""

    obs: np.ndarray  # (n, obs_dim) float32 state before the basket's first line
    relevant: list  # n arrays of catalogue ids bought in the basket ("other" removed)
    user: np.ndarray  # (n,) customer id


def next_basket_cases(
    episodes, catalogue: ItemVocabulary, history_len: int, cutoff
) -> RankingCases:
    """The evaluation cases of the module docstring, from episodes of train + test events.

    ``episodes`` must come from ``dqrec.data.build_episodes`` on train AND test rows, so that a
    test customer's history holds their pre-cutoff purchases; only baskets at or after
    ``cutoff`` become cases.
    """
    t = to_transitions(episodes, catalogue, history_len, start_time=cutoff)
    test = episodes[(episodes["timestamp"] >= pd.Timestamp(cutoff)).to_numpy()]
    assert len(test) == len(t.action), "to_transitions keeps exactly the rows at/after cutoff"
    basket = pd.factorize(test["user"].astype(str) + "|" + test["basket_index"].astype(str))[0]
    first = np.flatnonzero(test["line_in_basket"].to_numpy() == 0)  # one row per basket
    lines = pd.DataFrame({"basket": basket, "item": t.action})
    lines = lines[lines["item"] != catalogue.other]  # the tail bucket is never relevant
    ids_per_basket = lines.groupby("basket")["item"].unique()  # basket -> catalogue ids
    empty = np.zeros(0, np.int64)
    relevant = [np.sort(ids_per_basket.get(b, empty)) for b in basket[first]]
    keep = np.array([len(r) > 0 for r in relevant], dtype=bool)
    return RankingCases(
        t.obs[first[keep]],
        [r for r, k in zip(relevant, keep, strict=True) if k],
        t.user[first[keep]],
    )


def rank_items(scores, k: int, exclude=None) -> np.ndarray:
    """``(n, k)`` top-k item ids of each row of ``scores (n, num_items)``, ties to the lower id."""
    return np.stack([top_k(row, k, exclude) for row in np.asarray(scores)])


def copurchase_ranking_scores(copurchase, obs, history_len, popularity) -> np.ndarray:
    """Item-to-item scores ``(n, num_items)``: sum of the co-purchase rows of the items in the
    history (padding and the "other" bucket ignored), plus popularity scaled into (0, 0.5) to
    break ties, so a customer without history gets the popularity ranking."""
    copurchase = np.asarray(copurchase, float)  # (num_items, num_items), num_items includes other
    num_items = len(copurchase)
    items = obs[:, :history_len].astype(np.int64)  # (n, H), padding = num_items
    counts = np.zeros((len(obs), num_items + 1))
    np.add.at(counts, (np.arange(len(obs))[:, None], items), 1.0)  # (n, num_items + 1)
    counts[:, num_items - 1 :] = 0.0  # drop the "other" bucket and padding as context
    tiebreak = 0.5 * np.asarray(popularity, float) / (np.max(popularity) + 1.0)
    return counts[:, :num_items] @ copurchase + tiebreak  # (n, num_items)


def offline_metrics(ranked_lists, relevant_sets, k: int, num_items: int) -> dict:
    """``dqrec.metrics.mean_ranking_metrics`` at ``k`` plus ``coverage``: share of the
    ``num_items`` recommendable items that appear in at least one top-k list."""
    result = mean_ranking_metrics([r[:k] for r in ranked_lists], relevant_sets, k)
    result["coverage"] = catalogue_coverage([r[:k] for r in ranked_lists], num_items)
    return result


def metrics_table(ranked_by_method: dict, relevant_sets, ks, num_items: int) -> pd.DataFrame:
    """One row per (method, k) with every metric; ``ranked_by_method[name]`` is ``(n, max k)``."""
    rows = []
    for name, ranked in ranked_by_method.items():
        for k in ks:
            rows.append(
                {"method": name, "k": k, **offline_metrics(ranked, relevant_sets, k, num_items)}
            )
    return pd.DataFrame(rows).set_index(["method", "k"])


def own_purchase_scores(episodes, catalogue: ItemVocabulary, cutoff, popularity) -> np.ndarray:
    """The customer's own most-bought items, one row per case of :func:`next_basket_cases`
    (same ``episodes``, ``cutoff``, same order): ``(n, num_items)`` number of times the customer
    bought each item before the basket, plus popularity scaled into (0, 0.5) to break ties (a
    new customer gets the popularity ranking). Co-purchase has a zero diagonal and cannot
    recommend what was bought before; in retail, re-buying is common."""
    ids = catalogue.encode(episodes["item"])  # (n_rows,)
    key = pd.factorize(episodes["user"].astype(str) + "|" + episodes["basket_index"].astype(str))[0]
    in_catalogue = pd.Series(ids != catalogue.other)
    has_item = in_catalogue.groupby(key).transform("any").to_numpy()  # basket holds a catalogue id
    is_test = (episodes["timestamp"] >= pd.Timestamp(cutoff)).to_numpy()
    rows = np.flatnonzero(is_test & (episodes["line_in_basket"].to_numpy() == 0) & has_item)
    first_row = np.arange(len(episodes)) - episodes["step"].to_numpy()  # the user's first row
    tiebreak = 0.5 * np.asarray(popularity, float) / (np.max(popularity) + 1.0)
    scores = np.tile(tiebreak, (len(rows), 1))  # (n, num_items)
    for j, row in enumerate(rows):  # purchases strictly before the basket, train and test
        scores[j] += np.bincount(ids[first_row[row] : row], minlength=catalogue.num_items)
    return scores


def _test_baskets(episodes, catalogue: ItemVocabulary, cutoff):
    """Test rows at/after ``cutoff``: their basket number (as in :func:`next_basket_cases`),
    catalogue id (``catalogue.other`` for the tail), item code, and the sorted numbers of the
    baskets that are cases (first line in the test period, at least one catalogue item)."""
    test = episodes[(episodes["timestamp"] >= pd.Timestamp(cutoff)).to_numpy()]
    basket = pd.factorize(test["user"].astype(str) + "|" + test["basket_index"].astype(str))[0]
    ids = catalogue.encode(test["item"])
    starts = np.unique(basket[test["line_in_basket"].to_numpy() == 0])
    cases = np.intersect1d(starts, basket[ids != catalogue.other])
    return basket, ids, test["item"].astype(str).to_numpy(), cases


def evaluation_coverage(episodes, catalogue: ItemVocabulary, cutoff) -> dict:
    """How much of the test period the catalogue can score, from episodes of train + test.

    ``test_events``: events at or after ``cutoff``; ``scored_events``: those whose item is in
    the catalogue (the others fall in the "other" bucket, which is never ranked);
    ``test_baskets`` and ``scored_baskets`` (baskets with at least one catalogue item: the
    cases of :func:`next_basket_cases`), and the two shares (scored / test). A small catalogue scores few
    events: report these next to metrics computed on the scored cases only.
    """
    basket, ids, _, cases = _test_baskets(episodes, catalogue, cutoff)
    scored = ids != catalogue.other
    test_baskets = int(basket.max(initial=-1)) + 1
    scored_baskets = len(cases)
    return {
        "test_events": len(ids),
        "scored_events": int(scored.sum()),
        "event_share": float(scored.mean()) if len(ids) else float("nan"),
        "test_baskets": test_baskets,
        "scored_baskets": scored_baskets,
        "basket_share": scored_baskets / test_baskets if test_baskets else float("nan"),
    }


def metrics_over_all_test_baskets(
    ranked_lists, episodes, catalogue: ItemVocabulary, cutoff, k: int
) -> dict:
    """Ranking metrics at ``k`` over EVERY test basket and every item in it, so that a small
    catalogue cannot inflate them.

    ``ranked_lists`` are the rankings of the cases of :func:`next_basket_cases` (same
    episodes, catalogue and cutoff), in their order. A basket without catalogue items counts
    as a case with no hit, and items outside the catalogue stay relevant (no ranking can hold
    them): recall, NDCG and the others are divided by every distinct item bought. Returns the
    keys of :func:`offline_metrics` (``num_users`` = all test baskets with an item).
    """
    basket, ids, codes, scored_baskets = _test_baskets(episodes, catalogue, cutoff)
    if len(ranked_lists) != len(scored_baskets):
        raise ValueError(
            f"got {len(ranked_lists)} ranked lists for {len(scored_baskets)} scored test "
            "baskets; rank the cases of next_basket_cases(episodes, catalogue, H, cutoff)"
        )
    tail = pd.factorize(codes)[0]  # a distinct negative id per tail item: never ranked
    relevant_ids = np.where(ids != catalogue.other, ids, -1 - tail)
    relevant = pd.Series(relevant_ids).groupby(basket).unique()  # basket -> its items
    ranked_by_basket = dict(zip(scored_baskets, ranked_lists, strict=True))
    empty = np.zeros(0, np.int64)
    all_ranked = [np.asarray(ranked_by_basket.get(b, empty))[:k] for b in relevant.index]
    result = mean_ranking_metrics(all_ranked, list(relevant.to_numpy()), k)
    result["coverage"] = catalogue_coverage(list(ranked_lists), catalogue.other)
    return result
