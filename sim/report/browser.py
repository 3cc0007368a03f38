"""Open a report in headless Chromium: what a reader's browser makes of it.

Like asking a colleague to open the file on their own computer: the browser
loads the page (no network: every figure is inline), runs the page's small
check script, which records script errors and counts the figures that decoded,
and either returns the resulting DOM with the browser's console log or saves a
screenshot. Used by ``courtsim report --screenshot`` and by the tests.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

__all__ = ["BrowserCheck", "check_page", "find_chromium", "pdf_pages", "print_pdf", "screenshot"]

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
"""Executable names tried in order (Debian's package installs ``chromium``)."""

_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
    "--mute-audio",
)
"""No sandbox: CI runs as root, where Chromium refuses to start with one."""

_CONSOLE = re.compile(r":(?:INFO|WARNING|ERROR):CONSOLE[^\]]*\]\s*\"(?P<message>.*)\", source: (?P<source>.*)$")


def find_chromium() -> str | None:
    """Path of a Chromium/Chrome executable (``COURTSIM_CHROMIUM`` first), or None."""
    override = os.environ.get("COURTSIM_CHROMIUM")
    if override:
        return shutil.which(override) or (override if Path(override).is_file() else None)
    return next((path for name in CANDIDATES if (path := shutil.which(name))), None)


def _run(args: list[str], timeout_s: float) -> subprocess.CompletedProcess[str]:
    binary = find_chromium()
    if binary is None:
        raise FileNotFoundError("no Chromium found: install it (Debian: apt-get install chromium)")
    with tempfile.TemporaryDirectory(prefix="courtsim-chromium-") as profile:
        command = [binary, *_FLAGS, f"--user-data-dir={profile}", *args]
        return subprocess.run(command, capture_output=True, text=True, timeout=timeout_s, check=False)


@dataclass(frozen=True)
class BrowserCheck:
    """What the browser saw: the final DOM, the console messages and the exit code."""

    dom: str
    console: tuple[str, ...]
    returncode: int

    def attribute(self, name: str) -> str | None:
        """The value of ``name="…"`` on the first element that has it (e.g. ``data-figures-ok``)."""
        match = re.search(rf'\b{re.escape(name)}="([^"]*)"', self.dom)
        return match.group(1) if match else None

    @property
    def errors(self) -> tuple[str, ...]:
        """Script errors recorded by the page, and console messages reporting errors."""
        recorded = [e for e in (self.attribute("data-errors") or "").split("\u241e") if e]
        logged = [m for m in self.console if "error" in m.lower() or "uncaught" in m.lower()]
        return (*recorded, *logged)


def check_page(html: Path, timeout_s: float = 120.0) -> BrowserCheck:
    """Load ``html`` headless and return its DOM after the load event, with the console log."""
    url = Path(html).resolve().as_uri()
    done = _run(
        ["--enable-logging=stderr", "--v=0", "--virtual-time-budget=15000", "--dump-dom", url],
        timeout_s,
    )
    console = tuple(m.group("message") for line in done.stderr.splitlines() if (m := _CONSOLE.search(line)))
    return BrowserCheck(done.stdout, console, done.returncode)


def screenshot(html: Path, png: Path, width: int = 1280, height: int = 2400, timeout_s: float = 120.0) -> Path:
    """Save a ``width`` × ``height`` screenshot of the top of ``html`` to ``png``."""
    png = Path(png).resolve()
    png.parent.mkdir(parents=True, exist_ok=True)
    url = Path(html).resolve().as_uri()
    args = [
        f"--screenshot={png}",
        f"--window-size={width},{height}",
        "--virtual-time-budget=15000",
        url,
    ]
    done = _run(args, timeout_s)
    if done.returncode != 0 or not png.is_file():
        raise RuntimeError(f"Chromium did not write {png} (exit {done.returncode}): {done.stderr[-500:]}")
    return png


def print_pdf(html: Path, pdf: Path, timeout_s: float = 120.0) -> Path:
    """Print ``html`` to ``pdf`` as the browser's print dialog would (the page's ``@page`` size)."""
    pdf = Path(pdf).resolve()
    pdf.parent.mkdir(parents=True, exist_ok=True)
    args = [
        "--no-pdf-header-footer",
        f"--print-to-pdf={pdf}",
        "--virtual-time-budget=15000",
        Path(html).resolve().as_uri(),
    ]
    done = _run(args, timeout_s)
    if done.returncode != 0 or not pdf.is_file():
        raise RuntimeError(f"Chromium did not write {pdf} (exit {done.returncode}): {done.stderr[-500:]}")
    return pdf


def pdf_pages(pdf: Path) -> tuple[int, tuple[float, float]]:
    """The number of pages of ``pdf`` and the size in millimetres of its first ``/MediaBox``.

    Chromium's PDFs keep their page objects uncompressed: one ``/Type /Page`` each (the page
    tree is ``/Type /Pages``), the size in points in a ``/MediaBox`` of a page or of the tree.
    """
    data = Path(pdf).read_bytes()
    pages = len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", data))
    box = re.search(rb"/MediaBox\s*\[\s*([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s*\]", data)
    if box is None:
        raise ValueError(f"{pdf}: no /MediaBox, not a PDF Chromium wrote")
    x0, y0, x1, y1 = (float(v) for v in box.groups())
    return pages, (round((x1 - x0) * 25.4 / 72, 1), round((y1 - y0) * 25.4 / 72, 1))
