"""Notebook 06 over seeds: its learned rankers and its DQN in the calibrated shop, per seed.

``bench_seeds.py --part real`` runs this. Each seed runs notebook 06's pipeline at the
notebook's own budget (its parameters cell, copied below): the seed draws the customer
subsample, the networks' initialisation and mini-batches, the calibration and the training
shoppers, exactly as ``SEED`` does in the notebook. Within a seed every ranker is scored on the
same test baskets and every policy in the calibrated shop meets the same evaluation shoppers,
so "A minus B" is one paired number per seed. Needs the full table (``DQREC_DATA_DIR``).
"""

import os
import time

# notebook 06's parameters cell (DATA = "full")
NB06 = {
    "num_customers": 1500,
    "cutoff": "2011-10-01",
    "top_n": 300,
    "history_len": 10,
    "gamma": 0.5,
    "offline_steps": 400,
    "ks": (5, 10, 20),
    "seq_history_len": 50,
    "seq_steps": 400,
    "cql_weight": 0.1,
    "rank_q_weight": 0.3,
    "dqn_steps": 100_000,
    "num_eval_shoppers": 500,
}
ACCURACY = ("precision", "recall", "f1", "hit_rate", "ndcg", "mrr")


def _load():
    import dqrec.data as data

    raw = data.load_online_retail(data.default_data_path())
    return data.clean_online_retail(raw)[0]


def _rankers(seed, clean_all, timings):
    """``{ranker: metrics}`` on the test baskets of seed ``seed``'s subsample."""
    import numpy as np
    import pandas as pd

    import dqrec.data as data
    from dqrec import offline, sequential, sqn
    from dqrec.config import AgentConfig, NetworkConfig

    p = NB06
    customers = np.sort(clean_all["CustomerID"].unique())
    customers = np.random.default_rng(seed).choice(customers, p["num_customers"], replace=False)
    clean = clean_all[clean_all["CustomerID"].isin(customers)].reset_index(drop=True)
    train, test = data.time_split(clean, p["cutoff"])
    catalogue = data.ItemVocabulary.from_events(train, p["top_n"])
    episodes_train = data.build_episodes(train)
    logged = data.to_transitions(episodes_train, catalogue, p["history_len"])
    episodes_all = data.build_episodes(pd.concat([train, test], ignore_index=True))
    cases = offline.next_basket_cases(episodes_all, catalogue, p["history_len"], p["cutoff"])
    popularity = data.popularity_scores(train, catalogue)
    copurchase = data.copurchase_scores(train, catalogue)
    network_config = NetworkConfig(embedding_dim=32, hidden_units=(64,))
    n = len(cases.obs)

    scores = {
        "random": np.random.default_rng(seed).random((n, catalogue.num_items)),
        "popularity": np.tile(popularity, (n, 1)),
        "co-purchase": offline.copurchase_ranking_scores(
            copurchase, cases.obs, p["history_len"], popularity
        ),
        "own purchases": offline.own_purchase_scores(
            episodes_all, catalogue, p["cutoff"], popularity
        ),
    }
    extra = {}
    for gamma, name in (
        (p["gamma"], "offline Q-network"),
        (0.0, "offline Q-network, gamma 0"),
        (0.9, "offline Q-network, gamma 0.9"),
    ):
        start = time.perf_counter()
        config = AgentConfig(gamma=gamma, n_steps=1, batch_size=256, target_period=100)
        agent, losses = offline.fit_offline_q(
            logged,
            catalogue.num_items,
            p["history_len"],
            config,
            network_config,
            p["offline_steps"],
            seed=seed,
        )
        timings[name] = time.perf_counter() - start
        scores[name] = agent.q_values(cases.obs)
        extra[name] = {
            "loss_first": float(losses[:5].mean()),
            "loss_last": float(losses[-5:].mean()),
        }

    logged_seq = sqn.logged_transitions(
        episodes_train, catalogue, p["seq_history_len"], reward="value"
    )
    cases_seq = offline.next_basket_cases(
        episodes_all, catalogue, p["seq_history_len"], p["cutoff"]
    )
    seq_config = sequential.SequentialConfig(encoder="pooled", num_steps=p["seq_steps"])
    start = time.perf_counter()
    backbone, _ = sequential.fit_sequential(
        logged_seq, catalogue.num_items, p["seq_history_len"], seq_config, seed=seed
    )
    timings["backbone"] = time.perf_counter() - start
    scores["backbone"] = sequential.next_item_scores(backbone, cases_seq.obs)
    sqn_config = sqn.SQNConfig(network=seq_config, gamma=p["gamma"], cql_weight=p["cql_weight"])
    start = time.perf_counter()
    fit = sqn.fit_sqn(logged_seq, catalogue.num_items, p["seq_history_len"], sqn_config, seed=seed)
    timings["SQN + CQL"] = time.perf_counter() - start
    scores["SQN + CQL (beta = 0)"] = sqn.ranking_scores(fit.model, cases_seq.obs)
    scores["SQN + CQL"] = sqn.ranking_scores(fit.model, cases_seq.obs, p["rank_q_weight"])
    sqn_extra = {
        "max_abs_q": float(fit.max_abs_q.max()),
        "q_bound": float(fit.bound),
        "diverged": bool(fit.diverged),
    }
    extra["SQN + CQL"] = extra["SQN + CQL (beta = 0)"] = sqn_extra

    events = data.retail_events(train)
    ids = catalogue.encode(events["item"])
    item_value = np.bincount(ids, events["value"].to_numpy(float), catalogue.num_items) / (
        np.maximum(np.bincount(ids, minlength=catalogue.num_items), 1)
    )
    exclude, results = [catalogue.other], {}
    for name, s in scores.items():
        ranked = offline.rank_items(s, max(p["ks"]), exclude)
        table = offline.metrics_table({name: ranked}, cases.relevant, p["ks"], catalogue.other)
        metrics = {f"{m}@{k}": float(table.loc[(name, k), m]) for m in ACCURACY for k in p["ks"]}
        metrics["coverage@10"] = float(table.loc[(name, 10), "coverage"])
        metrics["value@10"] = float(item_value[ranked[:, :10]].mean())
        everything = offline.metrics_over_all_test_baskets(
            ranked[:, :10], episodes_all, catalogue, p["cutoff"], 10
        )
        metrics["hit_rate@10 (all baskets)"] = float(everything["hit_rate"])
        metrics["ndcg@10 (all baskets)"] = float(everything["ndcg"])
        results[name] = {**metrics, **extra.get(name, {})}
    return train, catalogue, network_config, results


def _calibrated_shop(seed, train, catalogue, network_config, timings, n_steps=(3,)):
    """``{policy: evaluation dict}`` in the shop calibrated from seed ``seed``'s train log."""
    from dqrec import calibrate
    from dqrec.baselines import OraclePolicy, PopularityPolicy, RandomPolicy
    from dqrec.config import AgentConfig, TrainConfig
    from dqrec.train import train as train_dqn

    p = NB06
    shop_config, shop_catalogue = calibrate.calibrate(train, p["top_n"], seed=seed)
    policies = {}
    for n in n_steps:
        config = TrainConfig(
            shop=shop_config,
            network=network_config,
            agent=AgentConfig(gamma=0.9, n_steps=n),
            seed=seed,
            total_steps=p["dqn_steps"],
            epsilon_decay_steps=p["dqn_steps"] // 2,
            eval_every=0,
            num_eval_shoppers=p["num_eval_shoppers"],
        )
        name = "DQN (calibrated shop)" if n == 3 else f"DQN, {n}-step targets"
        start = time.perf_counter()
        policies[name] = train_dqn(config, catalogue=shop_catalogue).agent
        timings[name] = time.perf_counter() - start
    policies["random"] = RandomPolicy(shop_config.num_items, seed=seed)
    policies["popularity (real counts)"] = PopularityPolicy(
        catalogue.counts, shop_config.history_len
    )
    policies["oracle (myopic, sees latent)"] = OraclePolicy()
    return {
        name: calibrate.evaluate_in_env(policy, shop_config, shop_catalogue, p["num_eval_shoppers"])
        for name, policy in policies.items()
    }


def study_real(args, emit):
    """One ``seeds_real_run`` line per (seed, ranker or policy), one ``seeds_real_seed`` line
    per seed with its wall and CPU seconds."""
    start = time.perf_counter()
    clean_all = _load()
    load_s = time.perf_counter() - start
    n_steps = (3, 1) if args.nstep1 else (3,)
    for seed in range(args.first_seed, args.first_seed + args.seeds):
        wall, cpu, timings = time.perf_counter(), time.process_time(), {}
        train, catalogue, network_config, rankers = _rankers(seed, clean_all, timings)
        shop = _calibrated_shop(seed, train, catalogue, network_config, timings, n_steps)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        for part, results in (("next basket", rankers), ("calibrated shop", shop)):
            for name, metrics in results.items():
                emit(
                    {
                        "bench": "seeds_real_run",
                        "part": part,
                        "variant": name,
                        "seed": seed,
                        **metrics,
                        **({"train_seconds": round(timings[name], 1)} if name in timings else {}),
                    }
                )
        emit(
            {
                "bench": "seeds_real_seed",
                "seed": seed,
                "budget": NB06,
                "wall_seconds": round(wall, 1),
                "cpu_seconds": round(cpu, 1),
                "load_seconds": round(load_s, 1),
                "load1": round(os.getloadavg()[0], 2),
            }
        )
