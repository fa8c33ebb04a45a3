"""The stages of the engine, one module each.

``yaml_source`` (YAML with positions) -> ``loader`` (policy files into a
:class:`~ecfmg_policy.evaluator.model.Policy`) -> ``parser`` (expressions into
``nodes``) -> ``checker`` (names and types) -> ``compiler`` (Python, once per
policy) -> ``evaluate`` (one record at a time).
"""
