"""ecfmg-policy: the requirements of ECFMG Certification as policy-as-code.

The package is a pipeline whose stages each live in one module of
``evaluator/``: load (YAML with positions) -> parse (expressions into plain
nodes) -> check (names and types against the JSON Schemas) -> compile (to
Python, once per policy) -> evaluate (one record) -> report (``cli/``).
"""

__version__ = "0.1.0"

__all__ = ["Engine", "RecordResult", "check_lines", "PolicyError", "InputError", "UsageError", "__version__"]


def __getattr__(name: str):
    """``from ecfmg_policy import Engine``, imported only when asked for (the command line
    starts without loading the engine it may not need)."""
    if name == "Engine":
        from ecfmg_policy.api import Engine
        return Engine
    if name == "check_lines":
        from ecfmg_policy.partition import check_lines
        return check_lines
    if name == "RecordResult":
        from ecfmg_policy.evaluator.evaluation.evaluate import RecordResult
        return RecordResult
    if name in ("PolicyError", "InputError", "UsageError"):
        from ecfmg_policy import errors
        return getattr(errors, name)
    raise AttributeError(f"module 'ecfmg_policy' has no attribute {name!r}")
