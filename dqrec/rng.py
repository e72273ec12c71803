"""Counter-based randomness: every random number is a hash of where it is used.

A shopper's draws are a pure function of ``(seed, shopper index, episode number, counter)``,
so shopper ``i`` of a vectorised shop and a lone scalar shopper with the same index see the
same numbers, and a fixed set of evaluation shoppers sees the same draws whatever the policy
does (common random numbers). The hash is the SplitMix64 finaliser
(Steele, Lea and Flood 2014, "Fast splittable pseudorandom number generators"; constants from
https://prng.di.unimi.it/splitmix64.c).

Each function comes twice: a vectorised form on ``np.uint64`` arrays (unsigned array
arithmetic wraps modulo 2**64 silently; pass arrays, since NumPy warns for 0-d scalars) and a scalar form on Python ints (masked to 64 bits by hand). They return
the same bits; the tests check it.
"""

import math

import numpy as np

MASK64 = (1 << 64) - 1
GOLDEN = 0x9E3779B97F4A7C15  # 2**64 / golden ratio: SplitMix64's counter increment
MIX1 = 0xBF58476D1CE4E5B9
MIX2 = 0x94D049BB133111EB
TO_UNIT = 2.0**-53  # a 53-bit integer times this is a float64 in [0, 1)


def mix(x: np.ndarray) -> np.ndarray:
    """SplitMix64 finaliser of a uint64 array (a bijection that scrambles every bit)."""
    x = (x ^ (x >> np.uint64(30))) * np.uint64(MIX1)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(MIX2)
    return x ^ (x >> np.uint64(31))


def mix_scalar(x: int) -> int:
    """SplitMix64 finaliser of one Python int, identical to :func:`mix`."""
    x = ((x ^ (x >> 30)) * MIX1) & MASK64
    x = ((x ^ (x >> 27)) * MIX2) & MASK64
    return x ^ (x >> 31)


def shopper_key(seed: int, shopper: np.ndarray, episode: np.ndarray) -> np.ndarray:
    """Key of each (shopper, episode) pair: ``mix(mix(mix(seed) + shopper) + episode)``."""
    base = np.uint64(mix_scalar((seed * GOLDEN) & MASK64))
    key = mix(base + np.asarray(shopper, dtype=np.uint64))
    return mix(key + np.asarray(episode, dtype=np.uint64))


def shopper_key_scalar(seed: int, shopper: int, episode: int) -> int:
    """Key of one (shopper, episode) pair, identical to :func:`shopper_key`."""
    key = mix_scalar((mix_scalar((seed * GOLDEN) & MASK64) + shopper) & MASK64)
    return mix_scalar((key + episode) & MASK64)


def uniform(key: np.ndarray, counter: np.ndarray) -> np.ndarray:
    """Uniform float64 in [0, 1) for each ``(key, counter)``; arrays broadcast."""
    bits = mix(key + np.asarray(counter, dtype=np.uint64) * np.uint64(GOLDEN))
    return (bits >> np.uint64(11)).astype(np.float64) * TO_UNIT


def uniform_scalar(key: int, counter: int) -> float:
    """One uniform in [0, 1), identical to :func:`uniform`."""
    bits = mix_scalar((key + counter * GOLDEN) & MASK64)
    return (bits >> 11) * TO_UNIT


def normal(key: np.ndarray, counter: np.ndarray, size: int) -> np.ndarray:
    """``size`` standard normals per key from counters ``counter .. counter + 2*size - 1``.

    Box-Muller: z = sqrt(-2 ln(1 - u1)) cos(2 pi u2), one normal per pair of uniforms
    (1 - u1 lies in (0, 1], so the logarithm is finite).
    """
    offsets = np.arange(2 * size, dtype=np.uint64)
    u = uniform(
        np.asarray(key)[..., None], np.asarray(counter, dtype=np.uint64)[..., None] + offsets
    )
    return np.sqrt(-2.0 * np.log(1.0 - u[..., 0::2])) * np.cos(2.0 * np.pi * u[..., 1::2])


def normal_scalar(key: int, counter: int, size: int) -> list[float]:
    """``size`` standard normals for one key, identical to :func:`normal`."""
    out = []
    for j in range(size):
        u1 = uniform_scalar(key, counter + 2 * j)
        u2 = uniform_scalar(key, counter + 2 * j + 1)
        out.append(math.sqrt(-2.0 * math.log(1.0 - u1)) * math.cos(2.0 * math.pi * u2))
    return out
