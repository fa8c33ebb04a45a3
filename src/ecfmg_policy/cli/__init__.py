"""The command line: argument parsing and output formatting only; the work is in ``evaluator``."""
