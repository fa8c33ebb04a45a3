"""Open an HTML file in a real headless Chromium and report what it rendered.

For tests of the HTML the tool writes (``explain --format html``, and any other
report): the text a reader sees (``document.body.innerText``), the values of
JavaScript expressions evaluated in the page (element counts, bounding boxes),
the URLs the page asked for, and a full-page PNG screenshot::

    with Browser() as browser:
        page = browser.render(path, {"rows": "document.querySelectorAll('tr').length"})
        page.text, page.values["rows"], page.requests, page.png

    render(path, expressions)       # the same, for one page: launches and closes a browser

No dependency beyond the standard library and Debian's ``chromium`` package:
Chromium is driven over its DevTools protocol on a pipe
(``--remote-debugging-pipe``): JSON messages, each ended by a NUL byte, read by
the browser from its file descriptor 3 and written by it to descriptor 4.  Each
``render`` opens a fresh tab (``Target.createTarget``), attaches to it with a
flat session, and navigates it to the ``file://`` URL; the browser stays up for
the next page, so a test module pays for one launch.  Every wait has a timeout,
and the browser's whole process group is killed on ``close``.

When Chromium is missing, :class:`Browser` raises :class:`ChromiumMissing`
saying how to install it: tests that need a browser fail, never skip.

:func:`png_rows` decodes a screenshot (zlib and struct only) so a test can
check it is not blank.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import queue
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# Headless, and nothing that reaches for the network: on a machine without one,
# Chromium otherwise stalls on start-up looking for updates, sync and QUIC.
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-extensions", "--disable-dev-shm-usage", "--hide-scrollbars", "--mute-audio",
         "--remote-debugging-pipe")
INSTALL = "apt-get install -y chromium"
# argv: the fd to become 3, the fd to become 4, then the browser's own argv.
_TRAMPOLINE = ("import os, sys\n"
               "reads, writes = int(sys.argv[1]), int(sys.argv[2])\n"
               "os.dup2(reads, 3); os.dup2(writes, 4); os.close(reads); os.close(writes)\n"
               "os.execv(sys.argv[3], sys.argv[3:])\n")


class ChromiumMissing(RuntimeError):
    """No Chromium to run the browser tests with."""


class BrowserError(RuntimeError):
    """The browser failed, answered with an error, or did not answer in time."""


@dataclass(frozen=True)
class Rendered:
    """What a page rendered: its visible text, the expressions' values (by the caller's
    names), every URL it requested (the page itself first), and a full-page PNG."""

    text: str
    values: dict[str, Any]
    png: bytes
    requests: list[str] = field(default_factory=list)


def find_chromium(candidates: list[str | None] | None = None) -> str:
    """The Chromium to run: the first executable of ``candidates``, by default ``$CHROMIUM``,
    ``chromium`` on the PATH, /usr/bin/chromium."""
    if candidates is None:
        candidates = [os.environ.get("CHROMIUM"), shutil.which("chromium"), "/usr/bin/chromium"]
    for candidate in candidates:
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    raise ChromiumMissing(f"Chromium is not installed; the browser tests need it: {INSTALL} "
                          "(or set CHROMIUM to a Chromium executable)")


class Browser:
    """One headless Chromium, driven over a DevTools pipe; a context manager."""

    def __init__(self, executable: str | None = None, timeout: float = 30.0) -> None:
        self.timeout = timeout
        self._scratch = Path(tempfile.mkdtemp(prefix="browser-"))
        self._ids = 0
        self._messages: queue.Queue[dict | None] = queue.Queue()
        self._events: list[dict] = []
        executable = executable or find_chromium()
        # The browser's end of each pipe must be its fd 3 (it reads commands there) and fd 4
        # (it writes answers).  pass_fds keeps descriptor numbers, so a small Python
        # trampoline moves them into place and then becomes the browser (execv: the same
        # process id, which close() kills).  Both ends go above 9 first, so moving one
        # cannot overwrite the other.
        reads, self._to_browser = os.pipe()
        self._from_browser, writes = os.pipe()
        reads, writes = self._high(reads), self._high(writes)
        self._log = open(self._scratch / "chromium.log", "wb")
        try:
            self._process = subprocess.Popen(
                [sys.executable, "-c", _TRAMPOLINE, str(reads), str(writes), executable, *FLAGS,
                 f"--user-data-dir={self._scratch / 'profile'}", "about:blank"],
                pass_fds=(reads, writes), stdin=subprocess.DEVNULL, stdout=self._log,
                stderr=subprocess.STDOUT, start_new_session=True)
        except OSError as error:
            self._log.close()
            shutil.rmtree(self._scratch, ignore_errors=True)
            raise ChromiumMissing(f"could not start Chromium ({executable}): {error}; {INSTALL}") from error
        finally:
            os.close(reads)
            os.close(writes)
        threading.Thread(target=self._read, name="chromium-pipe", daemon=True).start()
        try:
            self._call("Browser.getVersion")
        except BaseException:
            self.close()
            raise

    @staticmethod
    def _high(fd: int) -> int:
        """``fd`` moved to a descriptor number above 9."""
        moved = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10)
        os.close(fd)
        return moved

    # -- the protocol ------------------------------------------------------------------------

    def _read(self) -> None:
        """Split the browser's output into messages, until it closes the pipe."""
        buffer = b""
        with os.fdopen(self._from_browser, "rb", buffering=0) as pipe:
            while chunk := pipe.read(65536):
                buffer += chunk
                *messages, buffer = buffer.split(b"\0")
                for message in messages:
                    self._messages.put(json.loads(message))
        self._messages.put(None)

    def _next(self, deadline: float, waiting_for: str) -> dict:
        try:
            message = self._messages.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            raise BrowserError(f"Chromium did not answer {waiting_for} within {self.timeout:g}s"
                               f"{self._log_tail()}") from None
        if message is None:
            self._messages.put(None)  # for whoever waits next
            raise BrowserError(f"Chromium exited while waiting for {waiting_for}{self._log_tail()}")
        return message

    def _call(self, method: str, session: str | None = None, **params: Any) -> dict:
        """Send one command; its result (events that arrive meanwhile are kept for _wait)."""
        self._ids += 1
        message: dict[str, Any] = {"id": self._ids, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        try:
            os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        except OSError as error:
            raise BrowserError(f"Chromium is gone ({error}){self._log_tail()}") from error
        deadline = time.monotonic() + self.timeout
        while True:
            answer = self._next(deadline, method)
            if answer.get("id") != self._ids:
                if "method" in answer:
                    self._events.append(answer)
                continue
            if "error" in answer:
                raise BrowserError(f"{method} failed: {answer['error']}")
            return answer.get("result", {})

    def _wait(self, method: str, session: str) -> dict:
        """The next event ``method`` in ``session`` (events before it are kept)."""
        deadline = time.monotonic() + self.timeout
        while True:
            for event in self._events:
                if event["method"] == method and event.get("sessionId") == session:
                    self._events.remove(event)
                    return event.get("params", {})
            message = self._next(deadline, method)
            if "method" in message:
                self._events.append(message)

    def _log_tail(self) -> str:
        try:
            tail = (self._scratch / "chromium.log").read_bytes()[-2000:].decode(errors="replace")
        except OSError:
            return ""
        return f"; Chromium's log ends:\n{tail}" if tail.strip() else ""

    # -- pages -------------------------------------------------------------------------------

    def render(self, path: Path, expressions: dict[str, str] | None = None, *, media: str = "screen",
               width: int = 1024, height: int = 768) -> Rendered:
        """Open ``path`` in a fresh tab ``width`` x ``height`` CSS pixels wide, with CSS media
        ``media`` ("screen" or "print"), wait for its load event, and report what it rendered.

        ``expressions`` are JavaScript expressions, evaluated in the page in order; their
        values come back as JSON (so return plain data: numbers, strings, arrays, objects,
        e.g. ``el.getBoundingClientRect().toJSON()``).  An expression that throws fails the
        call with the page's error message.
        """
        url = Path(path).resolve().as_uri()
        target = self._call("Target.createTarget", url="about:blank")["targetId"]
        try:
            session = self._call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
            for domain in ("Page", "Runtime", "Network"):
                self._call(f"{domain}.enable", session)
            self._call("Emulation.setDeviceMetricsOverride", session, width=width, height=height,
                       deviceScaleFactor=1, mobile=False)
            self._call("Emulation.setEmulatedMedia", session, media=media)
            self._events = [e for e in self._events if e.get("sessionId") != session]
            navigated = self._call("Page.navigate", session, url=url)
            if navigated.get("errorText"):
                raise BrowserError(f"could not open {url}: {navigated['errorText']}")
            self._wait("Page.loadEventFired", session)
            values = {name: self._evaluate(session, expression) for name, expression in (expressions or {}).items()}
            text = self._evaluate(session, "document.body ? document.body.innerText : ''")
            png = self._screenshot(session)
            requests = [e["params"]["request"]["url"] for e in self._events
                        if e.get("sessionId") == session and e["method"] == "Network.requestWillBeSent"]
            return Rendered(text=text, values=values, png=png, requests=requests)
        finally:
            self._events = []
            self._call("Target.closeTarget", targetId=target)

    def _evaluate(self, session: str, expression: str) -> Any:
        answer = self._call("Runtime.evaluate", session, expression=expression, returnByValue=True,
                            awaitPromise=True)
        if "exceptionDetails" in answer:
            details = answer["exceptionDetails"]
            raise BrowserError(f"{expression!r} threw: {details.get('exception', {}).get('description') or details}")
        return answer["result"].get("value")

    def _screenshot(self, session: str) -> bytes:
        size = self._call("Page.getLayoutMetrics", session)["cssContentSize"]
        clip = {"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1}
        shot = self._call("Page.captureScreenshot", session, format="png", clip=clip, captureBeyondViewport=True)
        return base64.b64decode(shot["data"])

    # -- lifetime ----------------------------------------------------------------------------

    def close(self) -> None:
        """Ask the browser to quit, then kill its process group (whatever is left of it)."""
        if self._process.poll() is None:
            try:
                self._ids += 1
                os.write(self._to_browser, json.dumps({"id": self._ids, "method": "Browser.close"}).encode() + b"\0")
                self._process.wait(timeout=5)
            except (OSError, subprocess.TimeoutExpired):
                pass
        try:
            os.killpg(self._process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            self._process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        try:
            os.close(self._to_browser)
        except OSError:
            pass
        self._log.close()
        shutil.rmtree(self._scratch, ignore_errors=True)

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def render(path: Path, expressions: dict[str, str] | None = None, **options: Any) -> Rendered:
    """One page in a browser of its own (:meth:`Browser.render`'s options)."""
    with Browser() as browser:
        return browser.render(path, expressions, **options)


def png_rows(png: bytes) -> tuple[int, int, int, list[bytes]]:
    """Width, height, channels per pixel, and the rows of pixel bytes of an 8-bit,
    non-interlaced greyscale/RGB/RGBA PNG, such as Chromium's screenshots (zlib and struct only).

    Row ``y``'s pixel ``x`` is ``rows[y][x * channels:(x + 1) * channels]``.
    """
    if png[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    chunks, position, header = [], 8, None
    while position < len(png):
        length, kind = struct.unpack(">I4s", png[position:position + 8])
        data = png[position + 8:position + 8 + length]
        position += 12 + length
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", data)
        elif kind == b"IDAT":
            chunks.append(data)
        elif kind == b"IEND":
            break
    if header is None:
        raise ValueError("PNG without a header")
    width, height, depth, colour, _, _, interlace = header
    channels = {0: 1, 2: 3, 4: 2, 6: 4}.get(colour)
    if depth != 8 or channels is None or interlace:
        raise ValueError(f"unsupported PNG: depth {depth}, colour type {colour}, interlace {interlace}")
    raw = zlib.decompress(b"".join(chunks))
    stride = width * channels
    previous = bytes(stride)
    rows: list[bytes] = []
    for row in range(height):
        kind = raw[row * (stride + 1)]
        line = bytearray(raw[row * (stride + 1) + 1:(row + 1) * (stride + 1)])
        if kind == 1:  # Sub
            for i in range(channels, stride):
                line[i] = (line[i] + line[i - channels]) & 0xFF
        elif kind == 2:  # Up
            line = bytearray((a + b) & 0xFF for a, b in zip(line, previous))
        elif kind == 3:  # Average
            for i in range(stride):
                left = line[i - channels] if i >= channels else 0
                line[i] = (line[i] + ((left + previous[i]) >> 1)) & 0xFF
        elif kind == 4:  # Paeth
            for i in range(stride):
                a = line[i - channels] if i >= channels else 0
                b = previous[i]
                c = previous[i - channels] if i >= channels else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 0xFF
        elif kind != 0:
            raise ValueError(f"bad PNG filter type {kind} on row {row}")
        previous = bytes(line)
        rows.append(previous)
    return width, height, channels, rows
