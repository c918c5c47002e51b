#!/usr/bin/env python3
"""Regenerate docs/screenshots/: every main page at desktop (1366×900) and phone (390×844) width.

Runs the browser test that takes them (tests/e2e/test_browser.py::test_screenshots_of_the_main_pages) against a
fresh tiny city on SQLite, writing into docs/screenshots/ instead of test-artifacts/screenshots/.
Needs Chromium at /usr/bin/chromium (apt-get install -y chromium fonts-noto-cjk; chromium-l10n for Chinese date
pickers).  Usage:  .venv/bin/python scripts/screenshots.py [extra pytest arguments]
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    target = ROOT / "docs" / "screenshots"
    target.mkdir(parents=True, exist_ok=True)
    for old in target.glob("[0-9][0-9]-*.png"):  # the numbered shots this script makes; demo-map-* are kept
        old.unlink()
    env = {**os.environ, "GONGZHI_SCREENSHOTS_DIR": str(target)}
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--backend", "sqlite",
           "tests/e2e/test_browser.py::test_screenshots_of_the_main_pages",
           "tests/e2e/test_appeals_browser.py::test_screenshots_of_the_appeal_pages",
           "tests/e2e/test_dashboard_browser.py",
           *sys.argv[1:]]
    code = subprocess.call(cmd, cwd=ROOT, env=env)
    shots = sorted(target.glob("*.png"))
    sys.stdout.write(f"{len(shots)} screenshots in {target.relative_to(ROOT)}/ "
                     f"({sum(p.stat().st_size for p in shots) // 1024} KiB)\n")
    return code


if __name__ == "__main__":
    raise SystemExit(main())
