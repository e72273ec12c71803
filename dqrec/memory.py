"""Memory estimates, checked before a run allocates: a size that cannot fit is refused up front.

``evaluate_bytes`` and ``train_bytes`` are upper estimates of the arrays a run allocates
(measured peaks with ``tracemalloc`` are below them: about 3.3 kB per evaluation shopper of
the default shop with the oracle, 29 kB with 500 items). ``check_fits(need, what)`` raises
``ConfigError`` naming the value, the estimate and the memory available when the estimate
exceeds what the machine has, instead of a ``MemoryError`` (or the kernel's OOM killer) after
minutes of work. Imports neither TensorFlow nor NumPy.
"""

import os

from dqrec.config import ConfigError

_GB = 1e9


def available_bytes() -> int | None:
    """Memory the system can give this process now (Linux ``MemAvailable``), else physical
    memory; None if unknown (then nothing is refused)."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def evaluate_bytes(shop, num_shoppers: int) -> int:
    """Peak bytes of evaluating a policy (and the baselines) on ``num_shoppers`` shoppers:
    simulator state, observations, Q-values and the oracle's per-item arrays."""
    per_shopper = 8 * (
        8 * shop.num_items + 4 * shop.obs_dim + 2 * shop.latent_dim + shop.num_categories + 64
    )
    return per_shopper * num_shoppers


def train_bytes(config) -> int:
    """Peak bytes of a training run: replay buffer, parallel shoppers, evaluation."""
    shop = config.shop
    replay = config.replay_capacity * (8 * shop.obs_dim + 32)  # obs, next_obs, a, r, flags
    batch = config.gradient_steps * config.agent.batch_size * (8 * shop.obs_dim + 32)
    envs = evaluate_bytes(shop, config.num_envs)
    return replay + batch + envs + evaluate_bytes(shop, max(config.num_eval_shoppers, 2000))


def check_fits(need: int, what: str) -> None:
    """``ConfigError`` if ``need`` bytes exceed the memory available; ``what`` names the
    value responsible, e.g. ``"--shoppers 1000000000"``."""
    have = available_bytes()
    if have is not None and need > have:
        raise ConfigError(
            f"{what} needs about {need / _GB:,.1f} GB of memory, more than the "
            f"{have / _GB:,.1f} GB available; use a smaller value"
        )
