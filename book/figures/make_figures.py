"""Draw the book's diagrams from the package's own numbers and write them as SVG files.

    python book/figures/make_figures.py            # (re)write book/figures/*.svg (+ *.zh_CN.svg)
    python book/figures/make_figures.py --out DIR  # write them somewhere else

Every number a diagram shows is read from ``dqrec`` (the tiny shop's probabilities and
rewards from ``dqrec.tabular.tiny_shop_mdp``, the default sizes from ``dqrec.config``), so a
figure cannot disagree with the code it explains. The output is byte-for-byte reproducible
(no dates, fixed ids, text kept as text); ``tests/test_book_reference.py`` regenerates the
files and fails when a committed SVG is out of date. Only matplotlib is needed.
"""

import argparse
import io
import math
import re
import sys
import tempfile
from pathlib import Path

import matplotlib

matplotlib.use("svg")
import matplotlib.pyplot as plt  # noqa: E402
from fontTools.ttLib import TTFont  # noqa: E402
from matplotlib import font_manager  # noqa: E402
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch  # noqa: E402
from matplotlib.text import Text  # noqa: E402

from dqrec.config import AgentConfig, NetworkConfig, ShopConfig, TrainConfig  # noqa: E402
from dqrec.tabular import tiny_shop_mdp  # noqa: E402

HERE = Path(__file__).resolve().parent

STYLE = {
    "svg.hashsalt": "dqrec",  # fixed element ids
    "svg.fonttype": "none",  # text stays text: small files, the page's own font
    "font.family": "sans-serif",
    "font.size": 10,
}
TEXT_SCALE = 1.25  # every label, relative to the sizes written below
COLOURS = {
    "state": "#dbeafe",  # blue: what the agent sees or keeps
    "hidden": "#f3f4f6",  # grey: hidden from the agent
    "net": "#dcfce7",  # green: trainable network parts
    "op": "#fef9c3",  # yellow: computations without weights
    "end": "#fee2e2",  # red: the end of a session
    "edge": "#374151",
}
ACTION_COLOURS = {"bestseller": "#2563eb", "niche-match": "#16a34a", "clickbait": "#dc2626"}


def _box(ax, x, y, w, h, text, kind="state", fontsize=9, dashed=False, weight="normal"):
    """A rounded box centred on (x, y); returns its (x, y, w, h) for arrows."""
    ax.add_patch(
        FancyBboxPatch(
            (x - w / 2, y - h / 2),
            w,
            h,
            boxstyle="round,pad=0.02,rounding_size=0.08",
            facecolor=COLOURS[kind],
            edgecolor=COLOURS["edge"],
            linewidth=1.0,
            linestyle="--" if dashed else "-",
        )
    )
    ax.text(x, y, text, ha="center", va="center", fontsize=fontsize, fontweight=weight)
    return (x, y, w, h)


def _edge_point(box, towards):
    """Where the line from the centre of `box` to `towards` leaves the box."""
    x, y, w, h = box
    dx, dy = towards[0] - x, towards[1] - y
    if dx == 0 and dy == 0:
        return x, y
    scale = min(
        (w / 2 + 0.04) / abs(dx) if dx else math.inf, (h / 2 + 0.04) / abs(dy) if dy else math.inf
    )
    return x + dx * scale, y + dy * scale


def _arrow(ax, start, end, label=None, rad=0.0, colour=None, dashed=False, fontsize=8, at=0.5):
    """An arrow between two boxes (or points), with an optional label at its middle."""
    colour = colour or COLOURS["edge"]
    a = _edge_point(start, end[:2]) if len(start) == 4 else start
    b = _edge_point(end, start[:2]) if len(end) == 4 else end
    ax.add_patch(
        FancyArrowPatch(
            a,
            b,
            arrowstyle="-|>,head_length=6,head_width=3",
            connectionstyle=f"arc3,rad={rad}",
            color=colour,
            linewidth=1.1,
            linestyle="--" if dashed else "-",
            shrinkA=0,
            shrinkB=0,
        )
    )
    if label:
        # the point at fraction `at` along matplotlib's arc3 curve, a quadratic Bezier
        # curve whose control point is the midpoint + rad * (dy, -dx)
        dx, dy = b[0] - a[0], b[1] - a[1]
        cx, cy = (a[0] + b[0]) / 2 + rad * dy, (a[1] + b[1]) / 2 - rad * dx
        u = 1 - at
        lx = u * u * a[0] + 2 * u * at * cx + at * at * b[0]
        ly = u * u * a[1] + 2 * u * at * cy + at * at * b[1]
        ax.text(
            lx,
            ly,
            label,
            ha="center",
            va="center",
            fontsize=fontsize,
            color=colour,
            bbox={"boxstyle": "round,pad=0.15", "facecolor": "white", "edgecolor": "none"},
        )


def _canvas(width, height):
    fig, ax = plt.subplots(figsize=(width, height))
    ax.set_xlim(0, width)
    ax.set_ylim(0, height)
    ax.set_aspect("equal")
    ax.axis("off")
    fig.subplots_adjust(0, 0, 1, 1)
    return fig, ax


def tiny_shop_figure():
    """The tiny shop of chapter 1: one panel per action, every non-zero transition drawn."""
    mdp = tiny_shop_mdp()
    names = mdp.state_names
    positions = {"browsing": (0.9, 2.55), "interested": (3.2, 2.55), "annoyed": (0.9, 0.95)}
    positions["left"] = (3.2, 0.95)
    # two panels a row, so that the labels stay legible in an 800-px column
    fig, axes = plt.subplots(2, 2, figsize=(8.4, 7.4))
    fig.subplots_adjust(0.005, 0.0, 0.995, 0.95, wspace=0.04, hspace=0.12)
    axes = axes.ravel()
    for a, action in enumerate(mdp.action_names):
        ax = axes[a]
        ax.set_xlim(0, 4.0)
        ax.set_ylim(-0.05, 3.45)
        ax.set_aspect("equal")
        ax.axis("off")
        colour = ACTION_COLOURS.get(action, COLOURS["edge"])
        ax.set_title(f"recommend {action}", color=colour, fontsize=12, fontweight="bold")
        boxes = {}
        for s, name in enumerate(names):
            x, y = positions[name]
            if mdp.terminal[s]:
                text, kind = f"{name}\n(terminal)", "end"
            else:
                text, kind = f"{name}\nR = {mdp.rewards[s, a]:.1f}", "state"
            boxes[name] = _box(ax, x, y, 1.25, 0.62, text, kind=kind, fontsize=9.5)
        for s, name in enumerate(names):
            if mdp.terminal[s]:
                continue
            for t, target in enumerate(names):
                p = mdp.transitions[s, a, t]
                if p <= 0:
                    continue
                label = f"{p:.2f}"
                if s == t:  # a self-loop above (or below) the box
                    x, y, w, h = boxes[name]
                    sign = 1 if y > 1.5 else -1
                    start = (x - 0.22, y + sign * h / 2)
                    end = (x + 0.22, y + sign * h / 2)
                    _arrow(ax, start, end, rad=-1.6 * sign, colour=colour)
                    ax.text(
                        x,
                        y + sign * (h / 2 + 0.42),
                        label,
                        ha="center",
                        va="center",
                        fontsize=8.5,
                        color=colour,
                    )
                    continue
                # labels sit nearer the source, so the two directions of a pair and the
                # crossing diagonals keep their labels apart
                _arrow(
                    ax,
                    boxes[name],
                    boxes[target],
                    label,
                    rad=0.3,
                    colour=colour,
                    fontsize=8.5,
                    at=0.3,
                )
    start = ", ".join(f"{n} {p:.1f}" for n, p in zip(names, mdp.start_probs, strict=True) if p > 0)
    legend = axes[-1]
    legend.axis("off")
    legend.set_xlim(0, 4.0)
    legend.set_ylim(-0.05, 3.45)
    legend.text(
        0.25,
        1.7,
        "R = the reward of the action\nin that mood\n\n"
        "arrows: the probability of\neach next mood\n\n"
        f"a session starts\n{start}",
        ha="left",
        va="center",
        fontsize=10,
        linespacing=1.4,
    )
    return fig


def shopper_model_figure():
    """One step of the shop simulator (dqrec.envs): hidden shopper, click, purchase, reward."""
    shop = ShopConfig()
    fig, ax = _canvas(12.6, 5.4)
    agent = _box(ax, 1.7, 4.5, 2.1, 0.8, "recommender\nchooses item i", kind="net")
    hidden = _box(
        ax,
        5.6,
        4.5,
        3.6,
        1.3,
        "hidden shopper\npreference u (unit vector)\n"
        f"patience P (starts in [{shop.patience_min:g}, {shop.patience_max:g}])\n"
        "fatigue f per category",
        kind="hidden",
        dashed=True,
    )
    update = _box(
        ax,
        10.4,
        4.5,
        3.6,
        1.3,
        "after the step\nP −= step cost; P += satisfaction if clicked,\n"
        "P −= skip cost if not; fatigue of the\nitem's category += 1; u drifts to v_i",
        kind="hidden",
        fontsize=8.5,
        dashed=True,
    )
    item = _box(
        ax,
        1.7,
        2.6,
        2.2,
        1.2,
        f"item i\nlatent v_i, price p_i\nappeal a_i, satisfaction s_i\n"
        f"({shop.clickbait_fraction:.0%} clickbait)",
        kind="op",
        fontsize=8.5,
    )
    click = _box(
        ax,
        4.9,
        2.6,
        2.8,
        1.0,
        "click?\np_c = σ(bias + scale·⟨u, v_i⟩\n+ a_i − fatigue)",
        kind="op",
        fontsize=8.5,
    )
    buy = _box(
        ax,
        8.1,
        2.6,
        2.8,
        1.0,
        "purchase? (after a click)\np_b = σ(bias + ⟨u, v_i⟩ − price\n+ satisfaction)",
        kind="op",
        fontsize=8.5,
    )
    reward = _box(
        ax,
        11.35,
        2.6,
        1.9,
        1.0,
        f"reward\nr = {shop.click_weight:g}·click\n+ {shop.revenue_weight:g}·p_i·purchase",
        kind="op",
        fontsize=8.5,
    )
    obs = _box(
        ax,
        4.9,
        0.7,
        5.4,
        0.95,
        f"observation s': last {shop.history_len} items and feedback (skip / click / purchase)"
        "\n+ session features (time used, click rate, purchase rate, skips in a row)",
        kind="state",
        fontsize=8.5,
    )
    _box(
        ax,
        10.4,
        0.7,
        3.2,
        0.95,
        f"session ends: P ≤ 0 → terminated\nstep {shop.max_steps} reached → truncated",
        kind="end",
        fontsize=8.5,
    )
    _arrow(ax, agent, item)
    _arrow(ax, item, click)
    _arrow(ax, hidden, click, "u, f")
    _arrow(ax, click, buy, "clicked")
    _arrow(ax, buy, reward)
    _arrow(ax, (11.35, 3.14), (11.35, 3.81))
    _arrow(ax, update, hidden, "changes the future")
    _arrow(ax, click, obs, "feedback")
    _arrow(ax, (9.75, 3.81), (9.75, 1.21), "P", at=0.75)
    # the next state goes back to the recommender along the left margin
    ax.plot([2.15, 0.25, 0.25], [0.7, 0.7, 4.5], color=COLOURS["edge"], linewidth=1.1)
    _arrow(ax, (0.25, 4.5), (0.6, 4.5))
    ax.text(
        0.35,
        2.6,
        "next state",
        rotation=90,
        ha="left",
        va="center",
        fontsize=8,
        color=COLOURS["edge"],
    )
    return fig


def q_network_figure():
    """dqrec.networks.QNetwork with the default NetworkConfig: encoder, item head, dueling."""
    net = NetworkConfig()
    shop = ShopConfig()
    e, h = net.embedding_dim, shop.history_len
    hidden = " → ".join(str(u) for u in net.hidden_units)
    fig, ax = _canvas(13.0, 5.6)
    ids = _box(ax, 1.2, 4.7, 2.0, 0.7, f"item ids i_1 … i_{h}", kind="state")
    fb = _box(ax, 1.2, 3.6, 2.0, 0.7, f"feedback f_1 … f_{h}", kind="state")
    feats = _box(ax, 1.2, 1.5, 2.0, 0.7, "session features", kind="state")
    emb = _box(
        ax, 3.9, 4.7, 2.4, 0.7, f"item embedding E[i]\n({e} numbers)", kind="net", fontsize=8.5
    )
    gate = _box(
        ax, 3.9, 3.6, 2.4, 0.7, f"feedback gate F[f]\n({e} numbers)", kind="net", fontsize=8.5
    )
    pair = _box(ax, 6.3, 4.15, 1.7, 0.8, "e_t = E[i_t] ⊙ F[f_t]", kind="op", fontsize=8.5)
    pool = _box(
        ax,
        6.3,
        2.75,
        2.2,
        0.95,
        'masked mean of e_t\n(or a GRU, encoder="gru")\n+ last pair e_H',
        kind="op",
        fontsize=8.5,
    )
    concat = _box(ax, 6.3, 1.5, 1.7, 0.6, "concatenate", kind="op", fontsize=8.5)
    mlp = _box(
        ax, 8.5, 1.5, 1.9, 0.8, f"ReLU layers\n{hidden} units → z(s)", kind="net", fontsize=8.5
    )
    query = _box(ax, 8.5, 3.1, 1.9, 0.8, f"query g(z)\n({e} numbers)", kind="net", fontsize=8.5)
    adv = _box(
        ax, 10.5, 3.1, 1.7, 1.0, "advantage\nA(s, a) =\ng(z)·E[a] + b_a", kind="op", fontsize=8.5
    )
    value = _box(ax, 10.5, 1.5, 1.7, 0.7, "value V(s)", kind="net", fontsize=8.5)
    q = _box(
        ax,
        12.2,
        2.3,
        1.4,
        1.7,
        "Q(s, a) =\nV(s)\n+ A(s, a)\n− mean over a'\nof A(s, a')",
        kind="state",
        fontsize=8.5,
        weight="bold",
    )
    _arrow(ax, ids, emb)
    _arrow(ax, fb, gate)
    _arrow(ax, emb, pair)
    _arrow(ax, gate, pair)
    _arrow(ax, pair, pool)
    _arrow(ax, pool, concat)
    _arrow(ax, feats, concat)
    _arrow(ax, concat, mlp)
    _arrow(ax, mlp, query)
    _arrow(ax, mlp, value)
    _arrow(ax, query, adv)
    _arrow(ax, adv, q)
    _arrow(ax, value, q)
    # the item head scores every item with the same embedding table the history uses
    _arrow(
        ax,
        (3.9, 5.09),
        (10.5, 3.64),
        "the same E scores every item a",
        rad=-0.2,
        dashed=True,
        colour="#6b7280",
        at=0.55,
    )
    ax.text(
        6.5,
        0.35,
        f'defaults (NetworkConfig): encoder="{net.encoder}", head="{net.head}", '
        f"dueling={net.dueling}, embedding_dim={e}, hidden_units={net.hidden_units}",
        ha="center",
        fontsize=9,
        color="#374151",
    )
    return fig


def dqn_data_flow_figure():
    """The DQN loop of dqrec.train / dqrec.agent: acting, replay, target network, update."""
    agent, train = AgentConfig(), TrainConfig()
    fig, ax = _canvas(12.6, 5.8)
    env = _box(
        ax, 1.4, 4.2, 2.3, 0.9, f"shop: {train.num_envs} shoppers\n(VecShopEnv)", kind="hidden"
    )
    online = _box(ax, 5.0, 4.2, 2.4, 0.9, "online network\nQ(s, ·; θ)", kind="net")
    explore = _box(
        ax,
        9.4,
        4.2,
        2.9,
        0.9,
        f"ε-greedy, one coin per shopper\nε: {train.epsilon_start:g} → "
        f"{train.epsilon_end:g} over {train.epsilon_decay_steps:,} steps",
        kind="op",
        fontsize=8.5,
    )
    replay = _box(
        ax,
        1.4,
        2.2,
        2.3,
        1.1,
        f"replay buffer D\n{train.replay_capacity:,} transitions\n(s, a, r, s', terminated)",
        kind="state",
        fontsize=8.5,
    )
    target = _box(ax, 5.0, 0.7, 2.4, 0.8, "target network\nQ(s', ·; θ⁻)", kind="net")
    double = ",  a* chosen by θ" if agent.double_dqn else ""
    td = _box(
        ax,
        5.0,
        2.2,
        2.6,
        1.1,
        f"TD target\ny = r + γ (1 − terminated)\n· Q(s', a*; θ⁻){double}",
        kind="op",
        fontsize=8.5,
    )
    loss = _box(
        ax,
        8.1,
        2.2,
        2.3,
        1.0,
        f"Huber loss (κ = {agent.huber_delta:g})\nof y − Q(s, a; θ)",
        kind="op",
        fontsize=8.5,
    )
    step = _box(
        ax,
        11.2,
        2.2,
        2.2,
        1.0,
        f"gradient step on θ\nAdam, lr {agent.lr:g}\nclip norm {agent.grad_clip_norm:g}",
        kind="op",
        fontsize=8.5,
    )
    _arrow(ax, env, online, "states s")
    _arrow(ax, online, explore, "Q-values")
    _arrow(ax, (9.4, 4.69), (1.4, 4.69), "actions a (items)", rad=0.12)
    _arrow(ax, env, replay, "every transition")
    _arrow(ax, replay, td, f"batch of {agent.batch_size}")
    _arrow(ax, target, td, "next-state values")
    _arrow(ax, td, loss)
    _arrow(ax, loss, step)
    _arrow(ax, (11.2, 2.74), (6.24, 4.2), "new θ", rad=-0.1)
    if agent.target_update == "hard":
        copy = f"copy θ → θ⁻ every {agent.target_period} gradient steps"
    else:
        copy = f"θ⁻ ← τθ + (1 − τ)θ⁻, τ = {agent.tau:g}"
    _arrow(ax, (11.2, 1.66), (6.24, 0.7), copy, rad=-0.15, dashed=True)
    ax.text(
        6.3,
        5.55,
        f"acting: every environment step.  learning: from step {train.learning_starts:,} on, "
        f"{train.gradient_steps} gradient steps every {train.train_every} environment steps",
        ha="center",
        fontsize=9,
        color="#374151",
    )
    return fig


FIGURES = {
    "tiny_shop_mdp.svg": tiny_shop_figure,
    "shopper_model.svg": shopper_model_figure,
    "q_network.svg": q_network_figure,
    "dqn_data_flow.svg": dqn_data_flow_figure,
}


# The Chinese edition's labels (Sphinx shows NAME.zh_CN.svg there instead of NAME.svg):
# (regular expression, replacement) applied in order to every label, longest phrases first.
# Numbers come from the code and pass through; a label left with an English word fails.
ZH_CN = [
    (r"R = the reward of the action\nin that mood", "R = 该情绪下\n该动作的奖励"),
    (r"arrows: the probability of\neach next mood", "箭头：转到每种\n下一情绪的概率"),
    (r"a session starts\n", "会话开始时\n"),
    (r"left\n\(terminal\)", "离开\n（终止）"),
    (r"recommend bestseller", "推荐畅销品"),
    (r"recommend clickbait", "推荐标题党"),
    (r"recommend niche-match", "推荐小众匹配"),
    (
        r"after the step\nP −= step cost; P \+= satisfaction if clicked,\nP −= skip cost if not; "
        r"fatigue of the\nitem's category \+= 1; u drifts to v_i",
        "这一步之后\nP −= 每步代价；若点击则 P += 满意度，\n否则 P −= 跳过代价；\n"
        "该商品类别的疲劳度 += 1；u 向 v_i 漂移",
    ),
    (r"changes the future", "改变未来"),
    (r"click\?\n", "点击？\n"),
    (r"hidden shopper", "隐藏的顾客"),
    (r"preference u \(unit vector\)", "偏好 u（单位向量）"),
    (r"patience P \(starts in (\[[^]]*\])\)", r"耐心 P（初值取自 \1）"),
    (r"fatigue f per category", "每个类别的疲劳度 f"),
    (
        r"item i\nlatent v_i, price p_i\nappeal a_i, satisfaction s_i\n\((\d+)% clickbait\)",
        r"商品 i\n潜在向量 v_i，价格 p_i\n吸引力 a_i，满意度 s_i\n（\1% 为标题党）",
    ),
    (
        r"observation s': last (\d+) items and feedback \(skip / click / purchase\)",
        r"观测 s'：最近 \1 件商品及其反馈（跳过 / 点击 / 购买）",
    ),
    (
        r"session features \(time used, click rate, purchase rate, skips in a row\)",
        "会话特征（已用时间、点击率、购买率、连续跳过次数）",
    ),
    (r"purchase\? \(after a click\)", "购买？（点击之后）"),
    (r"recommender\nchooses item i", "推荐系统\n选择商品 i"),
    (r"reward\nr = ", "奖励\nr = "),
    (r"·click", "·点击"),
    (r"·purchase", "·购买"),
    (r"session ends: ", "会话结束："),
    (r"step (\d+) reached", r"到达第 \1 步"),
    (r"→ terminated", "→ 终止"),
    (r"→ truncated", "→ 截断"),
    (r"next state", "下一个状态"),
    (r"clicked", "已点击"),
    (r"\bbias\b", "偏置"),
    (r"\bscale\b", "尺度"),
    (r"\bfatigue\b", "疲劳度"),
    (r"\bprice\b", "价格"),
    (r"\bsatisfaction\b", "满意度"),
    (r"− mean over a'\nof A\(s, a'\)", "− A(s, a') 对 a'\n的均值"),
    (r"ReLU layers\n(\d+) units", r"ReLU 层\n\1 个单元"),
    (r"advantage\n", "优势\n"),
    (r"concatenate", "拼接"),
    (r"defaults \(NetworkConfig\): ", "默认值（NetworkConfig）："),
    (r"feedback gate", "反馈门"),
    (r"feedback f_", "反馈 f_"),
    (r"\((\d+) numbers\)", r"（\1 个数）"),
    (r"item embedding", "商品嵌入"),
    (r"item ids", "商品编号"),
    (r"masked mean of e_t", "e_t 的掩码均值"),
    (r'\(or a GRU, encoder="gru"\)', '（或 GRU，encoder="gru"）'),
    (r"\+ last pair e_H", "+ 最后一对 e_H"),
    (r"query g\(z\)", "查询 g(z)"),
    (r"session features", "会话特征"),
    (r"the same E scores every item a", "同一个 E 为每件商品 a 打分"),
    (r"value V\(s\)", "价值 V(s)"),
    (r"Huber loss \(κ = ([\d.]+)\)\nof ", r"Huber 损失（κ = \1）\n作用于 "),
    (r"Q-values", "Q 值"),
    (r"TD target\n", "TD 目标\n"),
    (r",  a\* chosen by θ", "，a* 由 θ 选出"),
    (
        r"acting: every environment step\.  learning: from step ([\d,]+) on, "
        r"(\d+) gradient steps every (\d+) environment steps",
        r"行动：每个环境步。  学习：从第 \1 步起，每 \3 个环境步做 \2 个梯度步",
    ),
    (r"actions a \(items\)", "动作 a（商品）"),
    (r"batch of (\d+)", r"\1 条转移的批次"),
    (r"copy θ → θ⁻ every ([\d,]+) gradient steps", r"每 \1 个梯度步复制 θ → θ⁻"),
    (r"every transition", "每个转移"),
    (r"gradient step on θ", "对 θ 做梯度步"),
    (r"\blr ", "学习率 "),
    (r"clip norm ", "梯度裁剪范数 "),
    (r"new θ", "新的 θ"),
    (r"next-state values", "下一状态的价值"),
    (r"online network", "在线网络"),
    (r"replay buffer D", "回放缓冲区 D"),
    (r"([\d,]+) transitions", r"\1 个转移"),
    (r"shop: (\d+) shoppers", r"商店：\1 位顾客"),
    (r"states s", "状态 s"),
    (r"target network", "目标网络"),
    (r"ε-greedy, one coin per shopper", "ε-贪心，每位顾客各抛一枚硬币"),
    (r"over ([\d,]+) steps", r"在 \1 步内"),
    (r"\bbrowsing\b", "浏览"),
    (r"\binterested\b", "感兴趣"),
    (r"\bannoyed\b", "恼火"),
    (r"\bfeedback\b", "反馈"),
    (r"\breward\b", "奖励"),
]
# Names that stay English on the Chinese figures: code identifiers and proper names.
KEEP_ENGLISH = {"NetworkConfig", "VecShopEnv", "ReLU", "GRU", "Adam", "Huber", "terminated"}
LANGUAGES = {"en": None, "zh_CN": ZH_CN}
CJK_FONT = HERE.parent / "static" / "fonts" / "noto-sans-sc-subset.woff"


def translate(text: str, table) -> str:
    """`text` with the table's replacements; ValueError if an English word is left."""
    for pattern, replacement in table:
        text = re.sub(pattern, replacement, text)
    rest = re.sub(r"[\w.]+=(\"[^\"]*\"|[^,\s)]+)", " ", text)  # encoder="pooled" stays code
    left = [w for w in re.findall(r"[A-Za-z]{3,}", rest) if w not in KEEP_ENGLISH]
    if left:
        raise ValueError(f"figure label {text!r}: no translation for {left}")
    return text


_REGISTERED: list = []  # [family name, {glyph index: code point}] once registered


def _cjk_family() -> str:
    """Register the site's CJK font (book/static/fonts) with matplotlib; its family name."""
    if not _REGISTERED:
        font = TTFont(CJK_FONT)
        font.flavor = None
        path = Path(tempfile.mkdtemp(prefix="dqrec-font-")) / "noto-sans-sc-subset.ttf"
        font.save(path)
        font_manager.fontManager.addfont(str(path))
        code_of = {name: code for code, name in font.getBestCmap().items()}
        order = font.getGlyphOrder()
        _REGISTERED[:] = [
            font["name"].getDebugName(1),
            {i: code_of.get(n) for i, n in enumerate(order)},
        ]
    return _REGISTERED[0]


def _stable_glyph_ids(svg: bytes) -> bytes:
    """Name each CJK glyph outline by its character, not by its index in the subset font,
    so that a font made for more characters draws the same bytes."""
    codes = _REGISTERED[1]

    def rename(match: re.Match) -> bytes:
        code = codes.get(int(match.group(1), 16))  # matplotlib writes the index in hex
        return f"cjk-{code:x}".encode() if code else match.group(0)

    return re.sub(rb"NotoSansSC-Regular-([0-9a-f]+)\b", rename, svg)


def render(make, language: str = "en") -> bytes:
    """The SVG bytes of one figure, reproducibly. The Chinese figures draw their text as
    outlines from the site's CJK font: an SVG shown by <img> cannot use the page's fonts,
    and a reader's machine may have no Chinese font."""
    style = dict(STYLE)
    if LANGUAGES[language] is not None:
        style |= {"svg.fonttype": "path", "font.family": ["DejaVu Sans", _cjk_family()]}
    with plt.rc_context(style):
        fig = make()
        for text in fig.findobj(Text):  # a page shows the figure about 800 px wide
            text.set_fontsize(text.get_fontsize() * TEXT_SCALE)
            if LANGUAGES[language] is not None:
                text.set_text(translate(text.get_text(), LANGUAGES[language]))
        buffer = io.BytesIO()
        fig.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
        plt.close(fig)
    if LANGUAGES[language] is not None:
        return _stable_glyph_ids(buffer.getvalue())
    return buffer.getvalue()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE, help="folder for the SVG files")
    args = parser.parse_args(argv)
    if not args.out.is_dir():
        print(f"error: --out {args.out} is not an existing folder", file=sys.stderr)
        return 2
    for name, make in FIGURES.items():
        for language in LANGUAGES:
            path = args.out / figure_name(name, language)
            tmp = path.with_suffix(".svg.tmp")
            tmp.write_bytes(render(make, language))
            tmp.replace(path)  # atomic: never a half-written figure
            print(path)
    return 0


def figure_name(name: str, language: str) -> str:
    """'q_network.svg' in English, 'q_network.zh_CN.svg' in Chinese (Sphinx's default
    figure_language_filename, so the Chinese build picks it up by itself)."""
    return name if language == "en" else name.replace(".svg", f".{language}.svg")


if __name__ == "__main__":
    sys.exit(main())
