"""Where one gradient step's time goes: its pieces timed in isolation, and its FLOPs.

    python benchmarks/bench_step_profile.py >> benchmarks/results/step_profile.jsonl

The default agent (``NetworkConfig()``, ``AgentConfig()``, batch 256) does ``K = 4`` gradient
steps per compiled call (``TrainConfig().gradient_steps``). This script compiles (with XLA, as
the agent does) one function per *prefix* of that call, each running its piece ``K`` times:

1. ``call``: the compiled call alone (the six batch tensors in, one number out);
2. ``encoder``: + the pooled history encoder on ``s`` and ``s'``;
3. ``forward``: + the three network passes of the loss (online ``s``, online ``s'`` for
   Double DQN, target ``s'``), the TD target and the Huber loss;
4. ``backward``: + the gradient of the loss;
5. ``optimizer``: + gradient clipping and Adam, and the step counter and hard target update
   (the agent's whole step).

The prefixes alternate in short bursts for ``--rounds`` rounds (the machine is shared), and the
median CPU microseconds (``time.process_time``, all threads) per gradient step of each prefix,
and the difference to the one before (``share``: that piece's part), are printed as
``step_piece`` lines; CPU time rather than wall time, since on a loaded machine the wall time
mostly measures waiting (the wall-clock median is there too, ``wall_us_per_step``). A ``step_flops`` line gives
the multiply-adds of one step counted from the layer shapes, and the FLOP rate the whole step
reaches, against the machine's peak (2 cores x 2 FMA units x 8 float32 lanes x 2 FLOPs at the
CPU's clock: ``--ghz``).
"""

import argparse
import json
import os
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
from machine import machine_info  # noqa: E402

PIECES = ("call", "encoder", "forward", "backward", "optimizer")
K, BATCH = 4, 256


def filled_replay(shop, rng):
    from dqrec.envs import VecShopEnv
    from dqrec.replay import ReplayBuffer

    env = VecShopEnv(shop, num_envs=256, seed=0)
    obs, _ = env.reset(seed=0)
    replay = ReplayBuffer(20_480, shop.obs_dim)
    for _ in range(80):
        actions = rng.integers(0, shop.num_items, 256)
        next_obs, rewards, term, trunc, info = env.step(actions)
        replay.add(obs, actions, rewards, info["final_obs"], term, trunc, np.full(256, 0.9))
        obs = next_obs
    return replay


def prefix_function(agent, piece):
    """A compiled function doing the pieces of the step up to ``piece``, ``K`` times."""
    import tensorflow as tf

    from dqrec.losses import per_example_td_loss

    depth = PIECES.index(piece)
    variables = agent.online.trainable_variables

    def run(obs, actions, rewards, next_obs, terminated, discounts):
        total = tf.constant(0.0)
        for k in range(K):
            batch = (obs[k], actions[k], rewards[k], next_obs[k], terminated[k], discounts[k])
            if depth == 0:
                total += rewards[k][0]
            elif depth == 1:
                encoded = agent.online.encode(obs[k]) + agent.online.encode(next_obs[k])
                total += tf.reduce_sum(encoded)
            elif depth == 2:
                total += tf.reduce_mean(
                    per_example_td_loss(agent.online, agent.target, batch, agent.config)[0]
                )
            elif depth == 3:
                with tf.GradientTape() as tape:
                    per_example, _ = per_example_td_loss(
                        agent.online, agent.target, batch, agent.config
                    )
                    loss = tf.reduce_mean(per_example)
                grads = tape.gradient(loss, variables)
                total += loss + tf.add_n([tf.reduce_sum(g) for g in grads])
            else:
                total += agent._gradient_step(*batch)[0]
        return total

    return tf.function(run, jit_compile=True)


def flops_per_step(shop, network, batch):
    """Multiply-adds of one gradient step, from the layer shapes (the default network)."""
    from dqrec.envs.codec import NUM_FEEDBACK_CODES
    from dqrec.networks import PooledHistoryEncoder

    encoder = PooledHistoryEncoder(shop.history_len, shop.num_items, network.embedding_dim)
    e, h = network.embedding_dim, shop.history_len
    features = shop.obs_dim - 2 * h
    width = 2 * e + features  # encoder output
    macs = 0
    for units in network.hidden_units:
        macs += width * units
        width = units
    macs += width * e + e * shop.num_items  # query g(z) and scores g . E[a]
    macs += width if network.dueling else 0  # value head
    if encoder.counts_pairs():
        macs += NUM_FEEDBACK_CODES * (shop.num_items + 1) * e  # pair counts times pair table
    else:
        macs += 2 * h * e  # the gathered pairs and their masked mean (elementwise)
    # the loss runs the network three times (online s, online s', target s'); the backward
    # pass through online(s) costs about twice its forward pass
    return 2 * macs * batch * (3 + 2)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10, help="alternating rounds")
    parser.add_argument("--seconds", type=float, default=0.5, help="burst per piece per round")
    parser.add_argument("--ghz", type=float, default=2.5, help="clock for the peak FLOP rate")
    args = parser.parse_args()

    import tensorflow as tf

    from dqrec.agent import DQNAgent
    from dqrec.config import AgentConfig, NetworkConfig
    from dqrec.envs import ShopConfig

    print(json.dumps(machine_info(tensorflow=tf.__version__)), flush=True)
    shop, network = ShopConfig(), NetworkConfig()
    agent = DQNAgent(
        shop.obs_dim,
        shop.num_items,
        AgentConfig(batch_size=BATCH),
        network,
        history_len=shop.history_len,
        num_items=shop.num_items,
    )
    rng = np.random.default_rng(0)
    replay = filled_replay(shop, rng)
    batches = []
    for _ in range(8):
        b = replay.sample_many(K, BATCH, rng)
        discounts = np.full((K, BATCH), 0.9, np.float32)
        fields = (b.obs, b.actions, b.rewards, b.next_obs, b.terminated, discounts)
        batches.append(tuple(tf.constant(x) for x in fields))
    functions = {piece: prefix_function(agent, piece) for piece in PIECES}
    for fn in functions.values():
        fn(*batches[0]).numpy()  # compile
    micros = {piece: [] for piece in PIECES}  # CPU time (all threads) per step
    wall = {piece: [] for piece in PIECES}
    for _ in range(args.rounds):
        for piece, fn in functions.items():
            calls, start, cpu = 0, time.perf_counter(), time.process_time()
            while time.perf_counter() - start < args.seconds:
                fn(*batches[calls % 8]).numpy()
                calls += 1
            micros[piece].append(1e6 * (time.process_time() - cpu) / (calls * K))
            wall[piece].append(1e6 * (time.perf_counter() - start) / (calls * K))
    previous = 0.0
    whole = statistics.median(micros["optimizer"])
    for piece in PIECES:
        value = statistics.median(micros[piece])
        line = {"bench": "step_piece", "piece": piece, "batch_size": BATCH, "steps_per_call": K}
        line.update(us_per_step=round(value, 1), piece_us=round(value - previous, 1))
        line.update(share=round((value - previous) / whole, 3))
        line.update(wall_us_per_step=round(statistics.median(wall[piece]), 1))
        line.update(load1=round(os.getloadavg()[0], 2))
        print(json.dumps(line), flush=True)
        previous = value
    flops = flops_per_step(shop, network, BATCH)
    peak = 2 * 2 * 8 * 2 * args.ghz * 1e9
    achieved = flops / (whole * 1e-6)  # per CPU-second
    line = {"bench": "step_flops", "batch_size": BATCH, "flops_per_step": flops}
    line.update(achieved_gflops=round(achieved / 1e9, 2), peak_gflops=round(peak / 1e9))
    line.update(flop_bound_steps_per_second=round(peak / flops), load1=os.getloadavg()[0])
    print(json.dumps(line), flush=True)


if __name__ == "__main__":
    main()
