"""Lark's grammar cache is a pickle that Lark unpickles before checking it: it is kept in a
folder only this user can write, never in the shared temporary folder, where anyone could
plant one (a file that runs code when it is read)."""

from __future__ import annotations

import os
import pickle
import stat
import subprocess
import sys
from pathlib import Path

from cli_helpers import ROOT

CHECK = [sys.executable, "-m", "ecfmg_policy", "check", "examples/eligible.json", "--as-of", "2020-06-01"]


class _Planted:
    """Unpickled, it creates the file ``marker``: what a planted cache could do instead."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


def run_check(tmp_path: Path, cache_home: Path) -> subprocess.CompletedProcess:
    temp = tmp_path / "tmp"
    temp.mkdir(exist_ok=True)
    env = {**os.environ, "XDG_CACHE_HOME": str(cache_home), "TMPDIR": str(temp)}
    return subprocess.run(CHECK, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def test_the_cache_is_kept_in_a_folder_of_this_user_and_not_in_the_temporary_folder(tmp_path):
    done = run_check(tmp_path, tmp_path / "cache")
    assert done.returncode == 0 and "ELIGIBLE" in done.stdout
    folder = tmp_path / "cache" / "ecfmg-policy"
    assert (folder / "expression-grammar.lark-cache").is_file()
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert list((tmp_path / "tmp").iterdir()) == []  # nothing of Lark's in the shared folder
    again = run_check(tmp_path, tmp_path / "cache")  # read back: the same answer
    assert again.returncode == 0 and again.stdout == done.stdout


def test_a_cache_folder_others_can_write_is_not_read(tmp_path):
    folder = tmp_path / "cache" / "ecfmg-policy"
    folder.mkdir(parents=True)
    marker = tmp_path / "planted-code-ran"
    (folder / "expression-grammar.lark-cache").write_bytes(b"0" * 64 + b"\n" + pickle.dumps(_Planted(marker)))
    folder.chmod(0o777)
    done = run_check(tmp_path, tmp_path / "cache")
    assert done.returncode == 0 and "ELIGIBLE" in done.stdout
    assert not marker.exists()
    assert list((tmp_path / "tmp").iterdir()) == []


def test_a_planted_cache_is_what_the_test_above_refuses(tmp_path):
    """The payload is real: read from a folder of this user's, Lark runs it (why the folder's
    permissions are checked at all)."""
    folder = tmp_path / "cache" / "ecfmg-policy"
    folder.mkdir(parents=True, mode=0o700)
    marker = tmp_path / "planted-code-ran"
    (folder / "expression-grammar.lark-cache").write_bytes(b"0" * 64 + b"\n" + pickle.dumps(_Planted(marker)))
    run_check(tmp_path, tmp_path / "cache")
    assert marker.exists()
