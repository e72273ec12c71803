"""The fixed seeds of evaluation and of the fitted baselines, named once.

Training runs use small seeds (``TrainConfig.seed``: 0, 1, 2, ...), and ``VecShopEnv(seed=s)``
draws every shopper from ``(s, shopper index, episode)`` (``dqrec.rng``). Evaluating on the
shoppers of a seed far from any training seed means no policy is scored on a shopper it met
while learning; using the same evaluation seed for every policy shows them all the same
shoppers (common random numbers, ``dqrec.evaluate``). The two evaluation seeds are large
primes, so no plausible training seed (or ``seed + k`` for the ``k``-th episode of a
Gymnasium evaluation) reaches them.
"""

EVAL_SEED = 1_000_003
"""Evaluation shoppers (and Gymnasium evaluation episodes) during and right after training:
the default of ``evaluate_policy``, ``evaluate_gym_policy`` and ``TrainConfig.eval_seed``."""

BENCHMARK_EVAL_SEED = 2_000_003
"""A second, disjoint set of evaluation shoppers for the final comparison of trained models
against the baselines (``dqrec evaluate``, ``dqrec compare``, the DQN benchmark, chapter 5):
training's periodic evaluations on ``EVAL_SEED`` choose nothing on these shoppers, so the
benchmark is not biased by that selection."""

POPULARITY_FIT_SEED = 7
"""The logged shoppers (and the random recommendations shown to them) in which the
most-popular baseline counts purchases (``PopularityPolicy.fit``); disjoint from the
evaluation seeds, so the baseline is not fitted on the shoppers it is scored on."""
