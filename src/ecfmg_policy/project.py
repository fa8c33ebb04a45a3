"""Where the project lives: the addresses that reports, schemas and messages point people to.

One home for them, so a move of the repository is one edit. The schemas' ``$id``
is the raw file on the default branch: an editor in another repository resolves
it with no copy of this checkout.
"""

PROJECT_URL = "https://github.com/ecfmg-policy/ecfmg-policy"
DEFAULT_BRANCH = "main"
BUG_REPORTS = f"{PROJECT_URL}/issues"
GUIDE_URL = f"{PROJECT_URL}/blob/{DEFAULT_BRANCH}/docs/policy-authors-guide.md"
SCHEMAS_PATH = "src/ecfmg_policy/schemas"
SCHEMA_BASE_URL = f"https://raw.githubusercontent.com/ecfmg-policy/ecfmg-policy/{DEFAULT_BRANCH}/{SCHEMAS_PATH}/"
