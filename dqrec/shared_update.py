"""One compiled update per shape of agent, shared by every agent of that shape in a process.

Tracing and XLA-compiling the default agent's update takes about 4 seconds: longer than a
short training run itself, and paid again by every new agent (each seed of a sweep, each
notebook run). Yet two agents built from the same configs compile the same program; only the
variables it reads and writes differ, and a TensorFlow concrete function receives those as its
*captured inputs*, one resource handle per variable. So the first agent of a shape traces and
compiles, and every later agent of that shape calls the same compiled function with its own
variables in place of the first agent's. It gives the same numbers bit for bit as compiling
afresh and leaves the first agent untouched (``tests/test_shared_update.py``).

The key must name everything the trace depends on (the agent builds it from its class, its
configs and sizes, and the batch shape). A function whose captured inputs are not all
variables of the agent is not shared: that agent keeps its own compiled function.
"""

_SHARED = {}  # key -> (concrete function, for each captured input its index in state_variables)


def clear() -> None:
    """Forget every shared compiled function: the next agent of each shape compiles again (a
    benchmark that times compilation calls this)."""
    _SHARED.clear()


def state_variables(agent) -> list:
    """Every variable a DQN update reads or writes, in a fixed order: the online and target
    weights, the optimizer's variables and the gradient-step counter."""
    return [
        *agent.online.weights,
        *agent.target.weights,
        *agent.optimizer.variables,
        agent.step_counter,
    ]


def _capture_order(concrete, agent):
    handles = [v.handle for v in state_variables(agent)]
    order = []
    for capture in concrete.captured_inputs:
        matches = [i for i, handle in enumerate(handles) if handle is capture]
        if len(matches) != 1:
            return None
        order.append(matches[0])
    return order


def compiled_update(agent, key, trace):
    """A function of the batch tensors that runs ``agent``'s compiled update (or any concrete
    function of the agent whose captured inputs are its variables, such as its Q-values).

    ``trace()`` returns the agent's own concrete function; it is called only for the first
    agent of ``key`` (or for an agent whose function cannot be shared).
    """
    try:
        entry = _SHARED.get(key)
    except TypeError:  # a config holding a list: unhashable, so not shared
        return trace()
    if entry is None:
        concrete = trace()
        order = _capture_order(concrete, agent)
        if order is None:
            return concrete
        entry = _SHARED[key] = (concrete, order)
    concrete, order = entry
    handles = [v.handle for v in state_variables(agent)]
    captures = [handles[i] for i in order]

    def update(*inputs):
        # a concrete function called with other captured inputs: TensorFlow's own call path
        # (ConcreteFunction.__call__ passes its stored captures the same way)
        return concrete._call_flat(list(inputs), captures)

    return update
