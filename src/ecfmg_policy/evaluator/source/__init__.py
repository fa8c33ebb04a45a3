"""Reading YAML with the position of every value, safely (no tags, no anchors, bounded)."""
