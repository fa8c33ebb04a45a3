"""The engine, one sub-package per stage; read top to bottom, it is the order a record meets them.

- ``source``: YAML read with the line and column of every value (``yaml_source``), and a
  policy folder as it is at a git revision (``git_revision``, behind ``diff --base-ref``).
- ``language``: the expression language: its tree (``nodes``), the Lark parser
  (``parser``), its values and calendar arithmetic, dates plus durations and how a
  value reads in a message (``values``), its types (``types``), and the table of
  built-in functions (``builtins``: how to add one).
- ``policy``: policy files into plain, immutable data (``model``, ``loader``,
  message templates included), versions and what changed between them (``versions``),
  and the set of versions with the one in force on a date (``policyset``).
- ``checker``: names and types checked (``checker``) and the bound on a record's
  work (``cost``), before anything runs.
- ``compiler``: a checked policy into one Python function: the layout and the line
  map (``compiler``), the code of each expression (``pycode``) in its ``frame``, the
  nullness pass (``nullness``), and what the code calls at run time (``runtime``).
- ``records``: applicant records and reference data read and validated (``records``)
  against the shipped JSON Schemas (``schemas``).
- ``evaluation``: one record at a time, into a result (``evaluate``); the reference
  interpreter the compiled code is tested against (``interpreter``), which also walks
  a record to say why it got its decision (``explanation``, behind ``explain``); and two
  results on the same records compared, only counts and examples kept (``comparison``,
  behind ``diff``).
- ``tools``: what policy editors run besides ``check``: ``lint``, the test-case
  runner behind ``ecfmg-policy test`` (``testing``), whose cases can be built on
  base records kept beside them, with only their changes written (``fixtures``),
  and the layout ``ecfmg-policy fmt`` writes (``fmt``).

``ecfmg_policy.api.Engine`` is the one place that wires them.
"""
