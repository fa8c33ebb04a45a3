"""Before anything runs: names and types are checked, and a record's work is bounded."""
