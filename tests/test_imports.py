"""The import graph: no cycle, and the light modules stay light (no TensorFlow, no Gymnasium).

Run it as a script to print the graph of dqrec's modules (read with ``ast``; nothing is
imported): ``python tests/test_imports.py`` (``--top-level`` for import-time edges only).
"""

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE_DIR = Path(__file__).resolve().parents[1] / "dqrec"


def module_names(package_dir=PACKAGE_DIR):
    """``{"dqrec.envs": path, ...}`` for every module of the package (``__init__`` as the package)."""
    names = {}
    for path in sorted(package_dir.rglob("*.py")):
        parts = path.relative_to(package_dir.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        names[".".join(parts)] = path
    return names


def _import_time_nodes(tree):
    """The nodes that run when the module is imported: everything outside function bodies."""
    stack = list(tree.body)
    while stack:
        node = stack.pop()
        yield node
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            stack.extend(ast.iter_child_nodes(node))


def import_graph(package_dir=PACKAGE_DIR, top_level_only=False):
    """``{module: sorted dqrec modules it imports}``, read with ``ast`` (nothing is imported).

    Every ``import`` counts, also those inside functions (a deferred import is still a
    dependency), unless ``top_level_only`` (then only those that run at import time).
    ``from dqrec.x import y`` points at ``dqrec.x.y`` when that is a module, else at
    ``dqrec.x``. A submodule's implicit import of its package's ``__init__`` is not an edge.
    """
    modules = module_names(package_dir)
    graph = {}
    for name, path in modules.items():
        tree = ast.parse(path.read_text(), str(path))
        nodes = _import_time_nodes(tree) if top_level_only else ast.walk(tree)
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        targets = set()
        for node in nodes:
            if isinstance(node, ast.Import):
                targets.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:  # relative import
                    anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                    base = f"{anchor}.{base}" if base else anchor
                for alias in node.names:
                    sub = f"{base}.{alias.name}"
                    targets.add(sub if sub in modules else base)
        graph[name] = sorted(t for t in targets if t in modules and t != name)
    return graph


def find_cycle(graph):
    """One import cycle as a list ``[a, b, ..., a]``, or ``None`` when the graph has none."""
    state = {}  # module -> "visiting" | "done"
    stack = []

    def visit(node):
        state[node] = "visiting"
        stack.append(node)
        for nxt in graph.get(node, ()):
            if state.get(nxt) == "visiting":
                return stack[stack.index(nxt) :] + [nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        stack.pop()
        state[node] = "done"
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_the_import_graph_has_no_cycle():
    graph = import_graph()
    expected = {"dqrec", "dqrec.config", "dqrec.envs", "dqrec.envs.codec", "dqrec.data.files"}
    assert expected <= set(graph)  # it read them, subpackages included
    assert find_cycle(graph) is None, f"import cycle: {' -> '.join(find_cycle(graph))}"


def test_find_cycle_finds_a_cycle():
    assert find_cycle({"a": ["b"], "b": ["c"], "c": ["a"]}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": ["b", "c"], "b": ["c"], "c": []}) is None


def _loaded_after(code: str) -> dict:
    """Which heavy packages a fresh interpreter has loaded after running ``code``."""
    probe = (
        f"{code}\nimport json, sys\n"
        "print(json.dumps({m: m in sys.modules for m in ('tensorflow', 'keras', 'gymnasium')}))"
    )
    env = {**os.environ, "PYTHONPATH": str(PACKAGE_DIR.parent)}
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, env=env, timeout=120
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


# the simulator, real data, replay, exploration, n-step returns, metrics, OPE, configs and the tabular
# (NumPy) TD target: none of them needs TensorFlow
NO_TENSORFLOW = [
    "dqrec.config",
    "dqrec.envs.vector",
    "dqrec.envs.scalar",
    "dqrec.data",
    "dqrec.replay",
    "dqrec.exploration",
    "dqrec.nstep",
    "dqrec.many_seeds",
    "dqrec.metrics",
    "dqrec.ope",
    "dqrec.ope_sim",
    "dqrec.tabular",
    "dqrec.evaluate",
    "dqrec.baselines",
    "dqrec.policy",
    "dqrec.rollout",
    "dqrec.seeds",
    "dqrec.seed_results",
    "dqrec.outputs",
    "dqrec.memory",
    "dqrec.modelfile",
    "dqrec.envs.gym",
]


def test_numpy_modules_do_not_import_tensorflow():
    loaded = _loaded_after("\n".join(f"import {m}" for m in NO_TENSORFLOW))
    assert not loaded["tensorflow"] and not loaded["keras"], loaded


def test_import_dqrec_metrics_and_help_load_neither_tensorflow_nor_gymnasium():
    help_run = (
        "import contextlib, io, runpy, sys\n"
        "sys.argv = ['dqrec', '--help']\n"
        "with contextlib.redirect_stdout(io.StringIO()) as out, contextlib.suppress(SystemExit):\n"
        "    runpy.run_module('dqrec', run_name='__main__')\n"
        "assert 'recommend' in out.getvalue()\n"
    )
    light = ("import dqrec", "import dqrec.metrics", "import dqrec.config", "import dqrec.envs")
    for code in (*light, help_run):
        loaded = _loaded_after(code)
        assert not any(loaded.values()), (code, loaded)


def test_lazy_names_of_the_package():
    import dqrec
    import dqrec.config
    import dqrec.envs

    assert dqrec.ConfigError is dqrec.config.ConfigError
    assert dqrec.ShopConfig is dqrec.config.ShopConfig is dqrec.envs.ShopConfig
    assert dqrec.ShopEnv is dqrec.envs.ShopEnv and dqrec.VecShopEnv is dqrec.envs.VecShopEnv
    assert {"ConfigError", "ShopConfig", "ShopEnv", "VecShopEnv"} <= set(dir(dqrec))
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        dqrec.Nope  # noqa: B018


@pytest.mark.parametrize(
    "code",
    [
        # Gymnasium imported first: import dqrec registers the shop
        "import gymnasium\nimport dqrec\nenv = gymnasium.make('dqrec/Shop-v0')",
        # any import of the simulator registers it
        "import dqrec\nimport gymnasium\nfrom dqrec.envs import ShopEnv\n"
        "env = gymnasium.make('dqrec/Shop-v0')",
        # the light package, then Gymnasium: register_shop() names it
        "import dqrec.envs\nimport gymnasium\ndqrec.envs.register_shop()\n"
        "env = gymnasium.make('dqrec/Shop-v0')",
        # after a bare import dqrec, Gymnasium's module:id form imports the simulator itself
        "import dqrec\nimport gymnasium\nassert 'dqrec/Shop-v0' not in gymnasium.registry\n"
        "env = gymnasium.make('dqrec.envs:dqrec/Shop-v0')",
    ],
    ids=["gymnasium-first", "import-env-class", "register-shop", "module-colon-id"],
)
def test_gymnasium_make_finds_the_shop(code):
    loaded = _loaded_after(f"{code}\nassert env.reset(seed=0)[0].shape == (24,)")
    assert loaded["gymnasium"] and not loaded["tensorflow"]


if __name__ == "__main__":
    top_level = "--top-level" in sys.argv
    graph = import_graph(top_level_only=top_level)
    width = max(map(len, graph))
    for module, imports in graph.items():
        print(f"{module:{width}}  -> {', '.join(i.removeprefix('dqrec.') for i in imports)}")
    cycle = find_cycle(graph)
    print("cycle:", " -> ".join(cycle) if cycle else "none")
