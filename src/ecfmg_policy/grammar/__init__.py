"""The Lark grammar of the policy expression language (``expression.lark``)."""
