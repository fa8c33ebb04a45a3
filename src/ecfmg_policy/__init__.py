"""ecfmg-policy: the requirements of ECFMG Certification as policy-as-code.

The package is a pipeline whose stages each live in one module of
``evaluator/``: load (YAML with positions) -> parse (expressions into plain
nodes) -> check (names and types against the JSON Schemas) -> compile (to
Python, once per policy) -> evaluate (one record) -> report (``cli/``).
"""

__version__ = "0.1.0"
