"""Browser tests: a real server (uvicorn in a subprocess) on a free port, against a database of its own that
holds the tiny generated city and the demo accounts, driven by Debian's headless Chromium via Playwright.

Without /usr/bin/chromium (or the playwright package) the browser tests skip with the reason, except on CI
(CI=true), where they fail instead. Screenshots go to test-artifacts/screenshots/ unless the environment
variable GONGZHI_SCREENSHOTS_DIR names another folder (scripts/screenshots.py sets it to docs/screenshots).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ON_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("GONGZHI_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
PASSWORD = "gongzhi2024"
PG_ADMIN_DEFAULT = "postgresql://postgres@127.0.0.1:5432/postgres"
DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}


def _unavailable(message: str) -> None:
    if ON_CI:
        pytest.fail(message + " (CI=true: browser tests may not be skipped)", pytrace=False)
    pytest.skip(message)


# ---- the server's database -----------------------------------------------------------------------------

def _pg_admin_url() -> str:
    """The maintenance database of the server the suite uses (GONGZHI_TEST_PG_URL with its name swapped)."""
    from sqlalchemy.engine import make_url

    base = os.environ.get("GONGZHI_TEST_PG_URL")
    if not base:
        return PG_ADMIN_DEFAULT
    return make_url(base).set(database="postgres").render_as_string(hide_password=False)


@dataclass
class E2EDatabase:
    url: str
    scopes: dict[str, str]  # demo account scope codes: city, street, community, grid
    other_grid: str  # a grid in another community than the demo community


def _build(url: str) -> E2EDatabase:
    from alembic import command
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from gongzhi.accounts.demo import demo_scopes, ensure_demo_accounts
    from gongzhi.cli import alembic_config
    from gongzhi.core.db import get_engine
    from gongzhi.regions.generate import generate_city
    from gongzhi.regions.models import Region

    command.upgrade(alembic_config(url), "head")
    generate_city(scale="tiny", seed=7, url=url)
    with Session(get_engine(url)) as s:
        ensure_demo_accounts(s, PASSWORD)
        scopes = {k: v.code for k, v in demo_scopes(s).items()}
        other = s.scalars(select(Region).where(Region.level == "grid").order_by(Region.path.desc())).first()
        assert other is not None
        assert scopes["community"] not in other.path.strip("/").split("/")
        other_grid = other.code
        s.commit()
    return E2EDatabase(url=url, scopes=scopes, other_grid=other_grid)


@contextmanager
def own_database(backend: str, name: str = "e2e") -> Iterator[E2EDatabase]:
    """A new database on `backend` with the tiny city and the demo accounts, removed afterwards."""
    from sqlalchemy import create_engine, text

    from gongzhi.core.db import get_engine

    if backend == "sqlite":
        folder = Path(tempfile.mkdtemp(prefix=f"gongzhi-{name}-"))
        url = f"sqlite:///{folder / 'e2e.db'}"
        try:
            yield _build(url)
        finally:
            get_engine(url).dispose()
            shutil.rmtree(folder, ignore_errors=True)
        return
    admin_url = _pg_admin_url().replace("postgresql://", "postgresql+psycopg://", 1)
    db_name = f"gongzhi_{name}_{os.getpid()}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{db_name}"'))
    from sqlalchemy.engine import make_url

    url = make_url(_pg_admin_url()).set(database=db_name).render_as_string(hide_password=False)
    try:
        yield _build(url)
    finally:
        get_engine(url).dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def e2e_db(pytestconfig: pytest.Config) -> Iterator[E2EDatabase]:
    """A database only the browser tests use (never the suite's `test` database), removed afterwards."""
    with own_database(pytestconfig.getoption("--backend")) as db:
        yield db


# ---- the server ----------------------------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class LiveServer:
    url: str
    db: E2EDatabase


@contextmanager
def serve(e2e_db: E2EDatabase) -> Iterator[LiveServer]:
    """A server (uvicorn in a subprocess) on a free port against `e2e_db`, stopped afterwards."""
    from gongzhi.core.settings import get_settings

    settings = get_settings()  # the keys the city's personal data was encrypted with in this process
    port = _free_port()
    env = {**os.environ, "GONGZHI_DATABASE_URL": e2e_db.url, "GONGZHI_SECRET_KEY": settings.secret_key,
           "GONGZHI_DATA_KEY": settings.data_key, "GONGZHI_ENVIRONMENT": "development"}
    log_path = ROOT / "test-artifacts" / f"e2e-server-{os.getpid()}-{port}.log"
    log_path.parent.mkdir(exist_ok=True)
    log = log_path.open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "gongzhi.app:create_app", "--factory", "--host", "127.0.0.1",
         "--port", str(port), "--log-level", "warning"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    try:
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"the server exited with {proc.returncode}; see {log_path}:\n"
                                   + log_path.read_text(errors="replace")[-3000:])
            try:
                with urllib.request.urlopen(base + "/healthz", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"the server did not answer within 60 s; see {log_path}")
            time.sleep(0.2)
        yield LiveServer(url=base, db=e2e_db)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


@pytest.fixture(scope="session")
def live_server(e2e_db: E2EDatabase) -> Iterator[LiveServer]:
    with serve(e2e_db) as server:
        yield server


# ---- the browser ---------------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright package is not installed (pip install -e '.[dev]')")
    if not Path(CHROMIUM).exists():
        _unavailable(f"Chromium not found at {CHROMIUM} (apt-get install -y chromium fonts-noto-cjk)")
    with sync_playwright() as p:
        # Chinese browser UI (date pickers, built-in messages) where Debian's chromium-l10n is installed
        env = {**os.environ, "LANG": "zh_CN.UTF-8", "LANGUAGE": "zh_CN:zh"}
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True, env=env)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def new_page(browser: Any, live_server: LiveServer) -> Iterator[Callable[..., Any]]:
    """new_page(viewport=DESKTOP) → a page in a fresh context (own cookies) whose relative URLs hit the server.
    Console errors and failed requests fail the test."""
    contexts: list[Any] = []
    problems: list[str] = []

    def _new(viewport: dict[str, int] | None = None) -> Any:
        ctx = browser.new_context(base_url=live_server.url, viewport=viewport or DESKTOP, locale="zh-CN",
                                  timezone_id="Asia/Shanghai", device_scale_factor=1)
        ctx.set_default_timeout(10_000)
        contexts.append(ctx)
        page = ctx.new_page()
        page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
        page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}")
                if m.type == "error" and "status of 4" not in m.text else None)
        page.on("requestfailed", lambda r: problems.append(f"request failed: {r.url} {r.failure}")
                if "ERR_ABORTED" not in (r.failure or "") else None)
        return page

    yield _new
    for ctx in contexts:
        ctx.close()
    assert not problems, "\n".join(problems)


def login(page: Any, username: str, password: str = PASSWORD) -> None:
    page.goto("/login")
    page.fill("#username", username)
    page.fill("#password", password)
    with page.expect_navigation():
        page.click("form[action='/login'] button[type=submit]")
    assert "/login" not in page.url, page.inner_text("main")


def wait_for_map(page: Any, minimum: int = 1) -> int:
    """Wait until Leaflet has drawn the region polygons; the number of drawn shapes."""
    page.wait_for_selector("#map[data-ready]")
    page.wait_for_function(f"document.querySelectorAll('#map .leaflet-overlay-pane path').length >= {minimum}")
    return int(page.eval_on_selector_all("#map .leaflet-overlay-pane path", "els => els.length"))


@pytest.fixture(scope="session")
def shots_dir() -> Path:
    folder = Path(os.environ.get("GONGZHI_SCREENSHOTS_DIR") or ROOT / "test-artifacts" / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def no_horizontal_overflow(page: Any) -> None:
    """Nothing sticks out sideways: a phone user never has to scroll left and right."""
    width = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], f"{page.url}: the page is {width[0]}px wide in a {width[1]}px window"


def shot(page: Any, folder: Path, name: str) -> None:
    """A full-page PNG of what the user sees, once the page and its fonts have loaded (no overflow either)."""
    page.wait_for_load_state("networkidle")
    page.evaluate("document.fonts.ready")
    no_horizontal_overflow(page)
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


@pytest.fixture(scope="session")
def photo_file() -> Iterator[Path]:
    """A small JPEG to upload (an ASCII name: Playwright drops files whose path is not)."""
    from PIL import Image

    folder = Path(tempfile.mkdtemp(prefix="gongzhi-photo-"))
    path = folder / "photo.jpg"
    img = Image.new("RGB", (320, 240), "#334455")
    for x in range(140, 180):  # a post in the middle, so the thumbnail is not a flat colour
        for y in range(40, 240):
            img.putpixel((x, y), (200, 200, 200))
    img.save(path, format="JPEG", quality=85)
    yield path
    path.unlink(missing_ok=True)
    folder.rmdir()
