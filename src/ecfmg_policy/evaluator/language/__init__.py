"""The policy language: its tree, its parser, its values and dates, its types, its built-in functions."""
