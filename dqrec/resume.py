"""Checkpoints of a training run: everything that shapes its future, saved and restored.

A checkpoint (``dqrec.checkpoint`` writes it atomically) holds the agent (weights and
optimizer), the replay buffer, the n-step window, the environment's state (``get_state`` of
``VecShopEnv`` or ``dqrec.envs.gym.GymVecEnv``), the last observations, the random generator
and the history so far, so that a resumed run continues exactly as the uninterrupted one
would have. ``restore_newest`` falls back to an older checkpoint when the newest does not
load, and says which one it skipped and why.
"""

import dataclasses
import json
import warnings

import numpy as np

from dqrec import checkpoint as ckpt
from dqrec.config import to_dict


class ResumeWarning(UserWarning):
    """A checkpoint that does not load was skipped; training resumed from an older one."""


class CheckpointConfigError(ckpt.CheckpointError):
    """The checkpoints belong to a run with another config (no older checkpoint can help)."""


def save_training_state(
    config, env_steps, obs, episode_returns, agent, replay, window, rng, env, history
):
    arrays = {f"agent/{k}": v for k, v in agent.get_state().items()}
    arrays.update({f"replay/{k}": v for k, v in replay.state_dict().items()})
    arrays.update({f"nstep/{k}": v for k, v in window.state_dict().items()})
    arrays.update({f"env/{k}": v for k, v in env.get_state().items()})
    arrays.update(obs=obs, episode_returns=episode_returns)
    meta = {
        "env_steps": env_steps,
        "config": to_dict(config),
        "rng": rng.bit_generator.state,
        "history": history.to_dict(),
    }
    ckpt.save_checkpoint(config.checkpoint_dir, env_steps, arrays, meta, config.keep_checkpoints)


def restore_newest(config, agent, replay, window, rng, env, history):
    """Resume from the newest checkpoint that loads; warn about each newer one skipped.

    Returns ``(env_steps, obs, episode_returns)``, or None when there is no checkpoint.
    Raises ``CheckpointError`` when none loads, ``CheckpointConfigError`` when they belong
    to a run with another config.
    """
    found = ckpt.list_checkpoints(config.checkpoint_dir)[::-1]  # newest first
    skipped = []
    for path in found:
        try:
            restored = _restore(path, config, agent, replay, window, rng, env, history)
        except CheckpointConfigError:
            raise
        except ckpt.CheckpointError as exc:
            skipped.append(exc)
            continue
        for exc in skipped:
            warnings.warn(f"skipped {exc}; resumed from {path}", ResumeWarning, stacklevel=4)
        return restored
    if skipped:
        older = len(skipped) - 1
        also = f" (nor do the {older} older checkpoint(s) there)" if older else ""
        raise ckpt.CheckpointError(f"{skipped[0]}{also}; use --no-resume or another folder")
    return None


def _check_meta(path, meta, arrays, config, replay_obs_dim, history_type):
    """Raise ``CheckpointError`` unless the record has every field, of the right type."""

    def bad(what):
        return ckpt.CheckpointError(f"checkpoint {path} is incomplete or corrupt ({what})")

    steps = meta.get("env_steps")
    if not isinstance(steps, int) or isinstance(steps, bool) or steps < 0:
        raise bad(f"env_steps must be a non-negative int, got {steps!r}")
    if not isinstance(meta.get("config"), dict):
        raise bad("no config record")
    try:
        np.random.PCG64().state = meta.get("rng")  # on a throwaway generator
    except (TypeError, ValueError, KeyError) as exc:
        raise bad(f"rng is not a PCG64 state: {type(exc).__name__}") from None
    saved = meta.get("history")
    fields = {f.name: f for f in dataclasses.fields(history_type) if f.name != "agent"}
    if not isinstance(saved, dict) or set(saved) - set(fields):
        raise bad("history is not a History record")
    for name, value in saved.items():
        kind = {"wall_time": (int, float), "final_eval": dict}.get(name, list)
        if not isinstance(value, kind):
            raise bad(f"history.{name} is a {type(value).__name__}")
    obs_dim = replay_obs_dim  # the env's observation size (the shop's or a Gymnasium env's)
    shapes = {"obs": (config.num_envs, obs_dim), "episode_returns": (config.num_envs,)}
    for name, shape in shapes.items():
        if name not in arrays or arrays[name].shape != shape:
            got = arrays[name].shape if name in arrays else "missing"
            raise bad(f"{name} must have shape {shape}, got {got}")


def _restore(path, config, agent, replay, window, rng, env, history):
    arrays, meta = ckpt.load_checkpoint(path)
    if not isinstance(meta.get("config"), dict):
        raise ckpt.CheckpointError(f"checkpoint {path} is incomplete or corrupt (no config)")
    saved = json.loads(json.dumps(meta.get("config")))
    current = json.loads(json.dumps(to_dict(config)))
    # Fields that may change between the pieces of one run without changing its numbers.
    for free in ("progress", "tensorboard_dir", "checkpoint_dir", "keep_checkpoints"):
        saved.pop(free, None), current.pop(free, None)
    if saved != current:
        changed = sorted(k for k in current if saved.get(k) != current[k]) if saved else ["all"]
        raise CheckpointConfigError(
            f"checkpoint {path} was written by a run with a different config "
            f"(differs in: {', '.join(changed)}); use another checkpoint_dir or the same config"
        )
    _check_meta(path, meta, arrays, config, replay.obs.shape[1], type(history))
    try:
        agent.set_state({k[6:]: v for k, v in arrays.items() if k.startswith("agent/")})
        replay.load_state_dict({k[7:]: v for k, v in arrays.items() if k.startswith("replay/")})
        window.load_state_dict({k[6:]: v for k, v in arrays.items() if k.startswith("nstep/")})
        env.set_state({k[4:]: v for k, v in arrays.items() if k.startswith("env/")})
        obs, episode_returns = arrays["obs"], arrays["episode_returns"]
        rng.bit_generator.state = meta["rng"]
    except (KeyError, ValueError, TypeError, AttributeError, IndexError) as exc:
        reason = (
            f"{type(exc).__name__}: {str(exc).strip().splitlines()[0] if str(exc).strip() else ''}"
        )
        raise ckpt.CheckpointError(
            f"checkpoint {path} is incomplete or mismatched ({reason})"
        ) from None
    for name, value in meta["history"].items():
        setattr(history, name, value)
    return int(meta["env_steps"]), obs, episode_returns
