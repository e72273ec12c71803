"""The one validation style of every config: ``ConfigError`` and the ``check_*`` helpers.

Each helper reads ``obj.name`` and raises ``ConfigError`` with the class, the field, the bad
value and the allowed range, e.g. ``AgentConfig.gamma must be a finite number in [0.0, 1.0],
got nan``. Numbers must be finite: NaN and infinity are rejected everywhere (a bound of ``inf``
means "no bound"), and ``True`` is not an int. A range is written ``[low, high]``, or
``(low, high]`` when ``low`` itself is not allowed.
"""

import math


class ConfigError(ValueError):
    """A configuration value is out of range; the message names the field, value and range."""


def _interval(low, high, low_open=False) -> str:
    return f"{'(' if low_open else '['}{low}, {high}]"


def fail(obj, name, allowed) -> None:
    """Raise ``ConfigError``: ``obj.name`` is not ``allowed`` (a phrase such as ``"a path"``)."""
    value = getattr(obj, name)
    raise ConfigError(f"{type(obj).__name__}.{name} must be {allowed}, got {value!r}")


def check_int(obj, name, low, high=math.inf) -> None:
    """Raise ``ConfigError`` unless ``obj.name`` is an int in ``[low, high]``."""
    value = getattr(obj, name)
    if not (isinstance(value, int) and not isinstance(value, bool) and low <= value <= high):
        fail(obj, name, f"an int in {_interval(low, high)}")


def check_float(obj, name, low=-math.inf, high=math.inf, low_open=False) -> None:
    """Raise ``ConfigError`` unless ``obj.name`` is a finite real number in ``[low, high]``
    (``(low, high]`` when ``low_open``)."""
    value = getattr(obj, name)
    ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    if not (ok and (value > low if low_open else value >= low) and value <= high):
        fail(obj, name, f"a finite number in {_interval(low, high, low_open)}")


def check_choice(obj, name, choices) -> None:
    """Raise ``ConfigError`` unless ``obj.name`` is one of ``choices``."""
    if getattr(obj, name) not in choices:
        fail(obj, name, f"one of {choices}")


def check_bool(obj, name) -> None:
    """Raise ``ConfigError`` unless ``obj.name`` is ``True`` or ``False``."""
    if not isinstance(getattr(obj, name), bool):
        fail(obj, name, "a bool in [False, True]")


def check_type(obj, name, kind) -> None:
    """Raise ``ConfigError`` unless ``obj.name`` is an instance of ``kind`` (a class)."""
    if not isinstance(getattr(obj, name), kind):
        fail(obj, name, f"a {kind.__name__}")


def check_optional_text(obj, name, what="a non-empty str") -> None:
    """Raise ``ConfigError`` unless ``obj.name`` is None or a non-empty string."""
    value = getattr(obj, name)
    if value is not None and not (isinstance(value, str) and value):
        fail(obj, name, f"None or {what}")
