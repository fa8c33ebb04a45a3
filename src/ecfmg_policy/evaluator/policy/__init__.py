"""Policy files into plain data: the model, the loader, versions and the set of versions in force."""
