"""A checked policy into one Python function, and what that function calls at run time."""
