"""Run the real command line, as a user would, in a subprocess."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run_cli(*args: str, stdin: str | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """``ecfmg-policy ARGS…`` with the interpreter running the tests (so the installed package)."""
    return subprocess.run([sys.executable, "-m", "ecfmg_policy", *map(str, args)], input=stdin,
                          capture_output=True, text=True, cwd=cwd or ROOT, timeout=120)
