"""Putting the pieces together: the myopic baseline, and DQN against every baseline.

``compare_policies`` evaluates each policy on the *same* fixed evaluation shoppers
(common random numbers, see ``dqrec.evaluate``) and returns one ``EvalResult`` per policy;
``format_table`` prints them as the CLI shows them.
"""

import dataclasses

from dqrec.baselines import OraclePolicy, PopularityPolicy, RandomPolicy
from dqrec.checkpoint import ModelFileError
from dqrec.config import ConfigError, TrainConfig, from_dict
from dqrec.evaluate import evaluate_policy
from dqrec.policy import Policy
from dqrec.seeds import POPULARITY_FIT_SEED


def myopic_config(config: TrainConfig) -> TrainConfig:
    """The myopic baseline's run: the same network and budget, with ``gamma = 0``."""
    checkpoint_dir = config.checkpoint_dir
    if checkpoint_dir is not None:
        checkpoint_dir = checkpoint_dir.rstrip("/") + "-myopic"
    return config.replace(
        agent=dataclasses.replace(config.agent, gamma=0.0), checkpoint_dir=checkpoint_dir
    )


def train_myopic(config: TrainConfig, resume: bool = True, catalogue=None):
    from dqrec.train import train

    return train(myopic_config(config), resume=resume, catalogue=catalogue)


def baseline_policies(shop_config, seed=0, catalogue=None) -> dict:
    """Random, most popular and the (myopic) oracle."""
    return {
        "random": RandomPolicy(shop_config.num_items, seed=seed),
        "most popular": PopularityPolicy.fit(
            shop_config, seed=seed + POPULARITY_FIT_SEED, catalogue=catalogue
        ),
        "oracle (myopic, sees latent)": OraclePolicy(),
    }


def compare_policies(
    policies: dict[str, Policy], shop_config, num_shoppers, seed, catalogue=None
) -> dict:
    """``{name: EvalResult}`` for the given policies and every baseline, on one shopper set
    (``catalogue``: a custom catalogue, e.g. calibrated from data, for every policy)."""
    everything = {**policies, **baseline_policies(shop_config, catalogue=catalogue)}
    return {
        name: evaluate_policy(p, shop_config, num_shoppers, seed, catalogue)
        for name, p in everything.items()
    }


def format_table(results: dict, shop_config) -> str:
    """A plain-text table: mean return with its 95% CI, CTR, conversion, session length."""
    effects = "on" if shop_config.long_term_effects else "off"
    width = max(len(name) for name in results)
    lines = [
        f"long-term effects {effects}; {next(iter(results.values())).num_sessions} evaluation shoppers",
        f"{'policy':<{width}}  {'mean return':>17}  {'CTR':>6}  {'conv.':>6}  {'length':>6}",
    ]
    for name, r in results.items():
        ret = f"{r.mean_return:.3f} ± {r.return_ci:.3f}"
        lines.append(
            f"{name:<{width}}  {ret:>17}  {r.ctr:>6.3f}  {r.conversion:>6.3f}  "
            f"{r.session_length:>6.2f}"
        )
    return "\n".join(lines)


def shop_config_of(model, path="model"):
    """The simulator config a saved Q-network was trained on (from its metadata)."""
    try:
        return from_dict(model.metadata["train_config"]).shop
    except (KeyError, TypeError, ConfigError) as exc:
        raise ModelFileError(f"model file {path} has no valid training config ({exc})") from None
