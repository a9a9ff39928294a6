"""Headless Chromium (Debian's `chromium`) through Playwright's Python package."""

from __future__ import annotations

import os
import shutil

CHROMIUM = os.environ.get("FEDIANON_CHROMIUM", shutil.which("chromium") or "/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
