"""`make bench-dashboard`: every dashboard API request at 10 million appeals, on SQLite and PostgreSQL, against
the same figures computed by a DuckDB scan of the raw rows in the same run.

Per backend: a new database gets the demo city (Anning: 9 streets, 102 communities, 1,288 grids), the demo
accounts and duty catalog, and `gongzhi generate --appeals N --years 3` (timed; it writes the rows and builds
the roll-ups). Then `gongzhi serve --no-worker` answers each request of the list below `--repeat` times in turn,
as the city leader (city scope) and as the demo street's staff (street scope), over one keep-alive connection;
p50 and p95 are per request. The raw rows are then exported (the columns the figures need) and loaded into
DuckDB in memory (not timed), and each request's figures are computed there by a scan (the best of three runs is
kept). The ratio is scan time / dashboard p95: above 1, the dashboard answers faster than the scan.
Last, the worker's refresh of one month is timed after a change to an appeal of that month.

`--quick` is a smoke run (100,000 appeals, SQLite only, 5 repeats) that prints the report and leaves the docs
alone unless `--output` is given."""

from __future__ import annotations

import argparse
import contextlib
import csv
import datetime as dt
import http.client
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]
os.environ.setdefault("GONGZHI_SECRET_KEY", "bench-dashboard-secret-key")
os.environ.setdefault("GONGZHI_ENVIRONMENT", "development")

from foundation import load, machine, say  # noqa: E402
from tests.appeals import live_db  # noqa: E402

DOCS = ROOT / "docs" / "benchmarks.md"
BEGIN, END = "<!-- bench-dashboard:begin -->", "<!-- bench-dashboard:end -->"
TARGET_MS = 300.0
NOTES = "Requests are answered one at a time"
PASSWORD = "gongzhi2024"
RAW = ["id", "created_at", "scope_path", "region_id", "channel", "tier", "category_id", "matter_type_id",
       "assigned_department_id", "status", "registered_at", "accepted_at", "resolved_at", "rating", "ever_overdue",
       "supervised", "escalation_level", "overdue", "warned"]


def gongzhi(url: str, *args: str) -> float:
    started = time.perf_counter()
    env = live_db.server_env(url)
    subprocess.run([*live_db.gongzhi_command(), *args], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def build(url: str, appeals: int, years: float) -> dict[str, float]:
    say(f"  migrating, loading the demo city, accounts and catalog into {url.split('@')[-1]}")
    gongzhi(url, "db", "upgrade")
    gongzhi(url, "generate", "--scale", "demo", "--seed", "20241")
    gongzhi(url, "demo-accounts")
    say(f"  gongzhi generate --appeals {appeals:,} --years {years:g} …")
    took = gongzhi(url, "generate", "--appeals", str(appeals), "--years", str(years), "--seed", "20241")
    say(f"  {appeals:,} appeals and their roll-ups in {took:.0f} s")
    return {"generate_s": took}


# ---- the requests -----------------------------------------------------------------------------------------

def requests_for(street: str, community: str, grid: str, today: dt.date) -> list[tuple[str, str, dict[str, str]]]:
    """(label, path, query) of every dashboard request, at a realistic period each."""
    month = f"{today:%Y-%m}"
    year_ago = f"{(today.replace(day=1) - dt.timedelta(days=330)):%Y-%m}"
    three_months = f"{(today.replace(day=1) - dt.timedelta(days=62)):%Y-%m}"
    three_years = f"{(today.replace(day=1) - dt.timedelta(days=365 * 3 - 40)):%Y-%m}"
    last = f"{(today.replace(day=1) - dt.timedelta(days=1)):%Y-%m}"
    y = {"from": year_ago, "to": month}
    out: list[tuple[str, str, dict[str, str]]] = [
        ("summary, this month", "summary", {}),
        ("summary, 12 months", "summary", y),
        ("trend by day, 3 months", "trend", {"by": "day", "from": three_months, "to": month}),
        ("trend by week, 12 months", "trend", {"by": "week", **y}),
        ("trend by month, 36 months", "trend", {"by": "month", "from": three_years, "to": month}),
    ]
    out += [(f"breakdown by {d}, 12 months", "breakdown", {"dim": d, **y})
            for d in ("child", "channel", "tier", "category", "matter", "department")]
    out += [
        ("grid load of a street, 12 months", "grids", {"region": street, **y}),
        ("cases behind a figure (unsatisfied, 12 months), page 1", "cases", {"metric": "unsatisfied", **y}),
        ("cases of a grid, this month", "cases", {"region": grid}),
        ("cases of a community by channel, page 5", "cases", {"region": community, "dim": "channel",
                                                             "key": "hotline", "page": "5", **y}),
        ("cases of one day", "cases", {"day": f"{today - dt.timedelta(days=3):%Y-%m-%d}"}),
        ("open overdue list", "open", {"kind": "overdue"}),
        ("co-building and points", "activity", y),
        ("map of the next level", "map", y),
        ("export: breakdown by matter (xlsx)", "export.xlsx", {"table": "breakdown", "dim": "matter", **y}),
        ("monthly bulletin (docx)", "report.docx", {"month": last}),
    ]
    return out


def token(port: int, username: str) -> str:
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    c.request("POST", "/api/v1/auth/token", urlencode({"username": username, "password": PASSWORD}),
              {"Content-Type": "application/x-www-form-urlencoded"})
    r = c.getresponse()
    body = json.loads(r.read())
    if r.status != 200:
        sys.exit(f"cannot sign in as {username}: {body}")
    return str(body["access_token"])


def measure(port: int, bearer: str, path: str, query: dict[str, str], repeat: int) -> dict[str, Any]:
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    url = f"/api/v1/dashboard/{path}" + ("?" + urlencode(query) if query else "")
    times, status, size = [], 0, 0
    for i in range(repeat + 1):
        t0 = time.perf_counter()
        c.request("GET", url, headers={"Authorization": f"Bearer {bearer}"})
        r = c.getresponse()
        body = r.read()
        took = (time.perf_counter() - t0) * 1000
        status, size = r.status, len(body)
        if status != 200:
            return {"status": status, "error": body[:300].decode(errors="replace"), "url": url}
        if i:  # the first answers warm the caches
            times.append(took)
    times.sort()
    return {"status": status, "bytes": size, "p50": statistics.median(times),
            "p95": times[min(len(times) - 1, round(0.95 * (len(times) - 1)))], "url": url,
            "body": body if path in ("summary",) else b""}


# ---- the DuckDB scan --------------------------------------------------------------------------------------

def export_raw(url: str, path: Path) -> float:
    """The appeal rows' columns the figures need, as CSV (timestamps in UTC)."""
    from sqlalchemy import create_engine

    t0 = time.perf_counter()
    if url.startswith("postgresql"):
        eng = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
        with eng.connect() as conn, path.open("wb") as out:
            raw = conn.connection.driver_connection
            with raw.cursor() as cur, cur.copy(
                    f"COPY (SELECT {', '.join(RAW)} FROM appeals) TO STDOUT WITH (FORMAT csv, HEADER true)") as cp:
                for chunk in cp:
                    out.write(chunk)
        eng.dispose()
    else:
        import sqlite3

        db = sqlite3.connect(url.split("///", 1)[1])
        with path.open("w", newline="") as out:
            w = csv.writer(out)
            w.writerow(RAW)
            cur = db.execute(f"SELECT {', '.join(RAW)} FROM appeals")
            while rows := cur.fetchmany(100_000):
                w.writerows(rows)
        db.close()
    return time.perf_counter() - t0


REG = "registered_at IS NOT NULL AND status NOT IN ('rejected','merged')"
FIGS = f"""count(*) AS received, count(*) FILTER (WHERE {REG}) AS registered,
  count(*) FILTER (WHERE {REG} AND accepted_at IS NOT NULL) AS responded,
  count(*) FILTER (WHERE {REG} AND resolved_at IS NOT NULL) AS resolved,
  count(*) FILTER (WHERE {REG} AND resolved_at IS NOT NULL AND NOT ever_overdue) AS on_time,
  count(rating) AS rated, count(*) FILTER (WHERE rating >= 4) AS satisfied,
  count(*) FILTER (WHERE ever_overdue) AS ever_overdue, count(*) FILTER (WHERE supervised) AS supervised,
  median(date_diff('second', created_at, resolved_at) / 3600.0) FILTER (WHERE {REG}) AS median_hours"""


def duck_queries(city_path: str, street_path: str, community_path: str, grid_id: int, today: dt.date
                 ) -> dict[str, str]:
    """The scan each request stands for, over table `a` (the raw rows)."""
    def local(col: str) -> str:
        return f"(({col}) AT TIME ZONE 'Asia/Shanghai')"

    def since(days: int) -> str:
        start = (today.replace(day=1) - dt.timedelta(days=days)).replace(day=1)
        return f"{local('created_at')} >= TIMESTAMP '{start}'"

    month = f"{local('created_at')} >= TIMESTAMP '{today.replace(day=1)}'"
    y = since(330)
    city = f"starts_with(scope_path, '{city_path}')"
    street = f"starts_with(scope_path, '{street_path}')"
    comm = f"starts_with(scope_path, '{community_path}')"
    child_len = len(street_path)  # the city's children are streets here: group by the street's part of the path
    q = {
        "summary, this month": f"SELECT {FIGS} FROM a WHERE {city} AND {month}",
        "summary, 12 months": f"SELECT {FIGS} FROM a WHERE {city} AND {y}",
        "trend by day, 3 months": f"SELECT CAST({local('created_at')} AS DATE) d, {FIGS} FROM a WHERE {city} AND "
                                  f"{since(62)} GROUP BY d",
        "trend by week, 12 months": f"SELECT date_trunc('week', {local('created_at')}) w, {FIGS} FROM a WHERE {city} "
                                    f"AND {y} GROUP BY w",
        "trend by month, 36 months": f"SELECT date_trunc('month', {local('created_at')}) m, {FIGS} FROM a WHERE "
                                     f"{city} AND {since(365 * 3 - 40)} GROUP BY m",
        "breakdown by child, 12 months": f"SELECT substr(scope_path, 1, {child_len}) k, {FIGS} FROM a WHERE {city} "
                                         f"AND {y} GROUP BY k",
        "grid load of a street, 12 months": f"SELECT region_id, {FIGS} FROM a WHERE {street} AND {y} GROUP BY "
                                            f"region_id",
        "cases behind a figure (unsatisfied, 12 months), page 1": f"SELECT id FROM a WHERE {city} AND {y} AND "
                                                                   f"rating <= 3 ORDER BY created_at DESC, id DESC "
                                                                   f"LIMIT 20",
        "cases of a grid, this month": f"SELECT id FROM a WHERE region_id = {grid_id} AND {month} ORDER BY "
                                       f"created_at DESC, id DESC LIMIT 20",
        "cases of a community by channel, page 5": f"SELECT id FROM a WHERE {comm} AND {y} AND channel = 'hotline' "
                                                   f"ORDER BY created_at DESC, id DESC LIMIT 20 OFFSET 80",
        "cases of one day": f"SELECT id FROM a WHERE {city} AND CAST({local('created_at')} AS DATE) = DATE "
                            f"'{today - dt.timedelta(days=3)}' ORDER BY created_at DESC LIMIT 20",
        "open overdue list": f"SELECT id FROM a WHERE {city} AND status IN ('received','registered','dispatched',"
                             f"'accepted','in_progress','resolved','verified','rated') AND overdue ORDER BY id "
                             f"LIMIT 20",
    }
    for d, col in (("channel", "channel"), ("tier", "tier"), ("category", "category_id"),
                   ("matter", "matter_type_id"), ("department", "assigned_department_id")):
        q[f"breakdown by {d}, 12 months"] = f"SELECT {col} k, {FIGS} FROM a WHERE {city} AND {y} GROUP BY k"
    q["export: breakdown by matter (xlsx)"] = q["breakdown by matter, 12 months"]
    q["map of the next level"] = q["breakdown by child, 12 months"]
    last_start = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    q["monthly bulletin (docx)"] = (
        f"SELECT substr(scope_path, 1, {child_len}) k, date_trunc('day', {local('created_at')}) d, channel, "
        f"matter_type_id, {FIGS} FROM a WHERE {city} AND {local('created_at')} >= TIMESTAMP '{last_start}' AND "
        f"{local('created_at')} < TIMESTAMP '{today.replace(day=1)}' GROUP BY GROUPING SETS ((), (k), (d), (channel), "
        f"(matter_type_id))")
    return q


def duck_scan(csv_path: Path, queries: dict[str, str]) -> tuple[dict[str, float], float]:
    import duckdb

    con = duckdb.connect()
    t0 = time.perf_counter()
    con.execute(f"CREATE TABLE a AS SELECT * FROM read_csv('{csv_path}', header=true, "
                "types={'created_at': 'TIMESTAMPTZ', 'registered_at': 'TIMESTAMPTZ', 'accepted_at': 'TIMESTAMPTZ', "
                "'resolved_at': 'TIMESTAMPTZ', 'ever_overdue': 'BOOLEAN', 'supervised': 'BOOLEAN', "
                "'overdue': 'BOOLEAN', 'warned': 'BOOLEAN', 'tier': 'VARCHAR', 'rating': 'INTEGER'})")
    loaded = time.perf_counter() - t0
    con.execute("SET TimeZone = 'UTC'")
    out = {}
    for label, sql in queries.items():
        best = float("inf")
        for _ in range(3):
            t = time.perf_counter()
            con.execute(sql).fetchall()
            best = min(best, time.perf_counter() - t)
        out[label] = best * 1000
    con.close()
    return out, loaded


# ---- one backend --------------------------------------------------------------------------------------------

def scope_codes(url: str) -> dict[str, Any]:
    from sqlalchemy import create_engine, select

    from gongzhi.accounts.models import User
    from gongzhi.regions.models import Region

    eng = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with eng.connect() as conn:
        street_user = conn.execute(select(User.scope_region_id).where(User.username == "street")).scalar_one()
        street = conn.execute(select(Region).where(Region.id == street_user)).one()
        community = conn.execute(select(Region).where(Region.parent_id == street.id, Region.level == "community")
                                 .order_by(Region.code)).first()
        grid = conn.execute(select(Region).where(Region.path.startswith(community.path), Region.level == "grid")
                            .order_by(Region.code)).first()
        city = conn.execute(select(Region).where(Region.parent_id.is_(None))).first()
    eng.dispose()
    return {"street": street.code, "street_path": street.path, "community": community.code,
            "community_path": community.path, "grid": grid.code, "grid_id": grid.id, "city_path": city.path}


def refresh_time(url: str) -> dict[str, float]:
    """The worker's refresh after one appeal of the current month changed (an event written now)."""
    from sqlalchemy import func, insert, select

    from gongzhi.appeals.models import Appeal, AppealEvent
    from gongzhi.core.db import now
    from gongzhi.dashboard import rollup

    with live_db.pointed_at(url):
        from sqlalchemy.orm import sessionmaker

        from gongzhi.core.db import make_engine

        engine = make_engine(url)  # this database's own engine (the process's cached one may be another's)
        factory = sessionmaker(bind=engine, expire_on_commit=False)
        with factory() as s:
            rollup.refresh_in_worker(lambda: factory())  # catch up first
            last = s.scalar(select(func.max(Appeal.id)))
            seq = (s.scalar(select(func.max(AppealEvent.seq)).where(AppealEvent.appeal_id == last)) or 0) + 1
            s.execute(insert(AppealEvent).values(appeal_id=last, seq=seq, at=now(), actor_name="bench",
                                                 actor_role="system", action="note", to_status="received",
                                                 note="bench", data={}))
            s.commit()
        t0 = time.perf_counter()
        months = rollup.refresh_in_worker(lambda: factory())
        took = time.perf_counter() - t0
        engine.dispose()
    return {"months": months, "seconds": took}


@contextlib.contextmanager
def database(backend: str, args: argparse.Namespace) -> Iterator[tuple[str, dict[str, Any]]]:
    """A new database with the city and its history (removed afterwards), or the SQLite file of an earlier run
    (`--sqlite-db`, kept: generating 10 M appeals takes longer than measuring them), migrated to head."""
    if backend == "sqlite" and args.sqlite_db:
        url = f"sqlite:///{args.sqlite_db.resolve()}"
        say(f"  reusing {args.sqlite_db} (migrated to head)")
        gongzhi(url, "db", "upgrade")
        yield url, {"generate_s": None}
        return
    with live_db.new_database(backend, prefix="gongzhi_bench_dash") as url:
        yield url, build(url, args.appeals, args.years)


def run_backend(backend: str, args: argparse.Namespace, work: Path) -> dict[str, Any]:
    say(f"== {backend}")
    with database(backend, args) as (url, built):
        result: dict[str, Any] = {"backend": backend, **built}
        codes = scope_codes(url)
        today = dt.datetime.now(dt.UTC).astimezone(dt.timezone(dt.timedelta(hours=8))).date()
        server = live_db.start_server(url, log=work / f"serve-{backend}.log")
        port = int(server.base.rsplit(":", 1)[1])
        try:
            rows = []
            for who in ("leader", "street"):
                bearer = token(port, who)
                for label, path, query in requests_for(codes["street"], codes["community"], codes["grid"], today):
                    if who == "street" and path in ("export.xlsx", "report.docx", "map"):
                        continue
                    if who == "street" and "region" in query and query["region"] != codes["street"]:
                        query = {k: v for k, v in query.items() if k != "region"}
                    r = measure(port, bearer, path, query, args.repeat)
                    r.update(label=label, who=who)
                    rows.append(r)
                    say(f"  {who:7} {label:58} " + (f"p50 {r['p50']:7.1f} ms  p95 {r['p95']:7.1f} ms"
                                                     if r["status"] == 200 else f"HTTP {r['status']} {r['error']}"))
        finally:
            live_db.stop_server(server)
        result["requests"] = rows
        result["refresh"] = refresh_time(url)
        say(f"  refresh of the current month after a change: {result['refresh']['seconds']:.2f} s")
        raw = work / f"raw-{backend}.csv"
        result["export_s"] = export_raw(url, raw)
        scans, loaded = duck_scan(raw, duck_queries(codes["city_path"], codes["street_path"], codes["community_path"],
                                                    codes["grid_id"], today))
        raw.unlink()
        result["duck"], result["duck_load_s"] = scans, loaded
        say(f"  DuckDB: raw rows exported in {result['export_s']:.0f} s, loaded in {loaded:.0f} s")
        for label, ms in scans.items():
            say(f"  duckdb  {label:58} {ms:7.1f} ms")
        result["sizes"] = table_sizes(url)
    return result


def table_sizes(url: str) -> dict[str, int]:
    from sqlalchemy import create_engine, func, select

    from gongzhi.appeals.models import Appeal
    from gongzhi.dashboard.models import AppealStat

    eng = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with eng.connect() as conn:
        out = {"appeals": conn.scalar(select(func.count()).select_from(Appeal)),
               "rollup_rows": conn.scalar(select(func.count()).select_from(AppealStat))}
    eng.dispose()
    return out


# ---- the report -----------------------------------------------------------------------------------------------

def _sub(backend: str) -> tuple[str, str]:
    return f"<!-- bench-dashboard-{backend}:begin -->", f"<!-- bench-dashboard-{backend}:end -->"


def render_backend(args: argparse.Namespace, run: dict[str, Any], load_avg: str) -> str:
    """One backend's part of the block, between its own markers (a later run of one backend replaces only it)."""
    b = run["backend"]
    when = dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    begin, end = _sub(b)
    out = [begin, f"#### {b}: {run['sizes']['appeals']:,} appeals, {run['sizes']['rollup_rows']:,} roll-up rows", "",
           f"Run {when}{' (quick)' if args.quick else ''}, load average at the start {load_avg}: "
           f"`.venv/bin/python bench/dashboard.py {' '.join(sys.argv[1:])}`.", "",
           (f"`gongzhi generate --appeals {args.appeals:,} --years {args.years:g}` (rows and roll-ups): "
            f"{run['generate_s']:.0f} s." if run["generate_s"] is not None else
            f"The database of an earlier run (`--sqlite-db`), generated by `gongzhi generate --appeals "
            f"{args.appeals:,} --years {args.years:g}` and migrated to head.")
           + f" The worker's refresh of the current month after a change: {run['refresh']['seconds']:.2f} s "
           f"({run['refresh']['months']} month). Raw rows exported for DuckDB in {run['export_s']:.0f} s and loaded "
           f"in {run['duck_load_s']:.0f} s (not counted below).",
           "", "| Request | Scope | p50 | p95 | target p95 < 300 ms | DuckDB scan | scan / p95 |",
           "|---|---|---|---|---|---|---|"]
    for r in run["requests"]:
        if r["status"] != 200:
            out.append(f"| {r['label']} | {r['who']} | HTTP {r['status']} | | ✗ | | |")
            continue
        scan = run["duck"].get(r["label"]) if r["who"] == "leader" else None
        ratio = f"{scan / r['p95']:.1f}×" if scan else ""
        ok = "✓" if r["p95"] < TARGET_MS else "✗"
        out.append(f"| {r['label']} | {'city' if r['who'] == 'leader' else 'street'} | {r['p50']:.1f} ms | "
                   f"{r['p95']:.1f} ms | {ok} | {f'{scan:.1f} ms' if scan else ''} | {ratio} |")
    worst = max((r["p95"] for r in run["requests"] if r["status"] == 200), default=0)
    figures, pages = [], []
    for r in run["requests"]:
        if r["status"] == 200 and r["who"] == "leader" and r["label"] in run["duck"]:
            (pages if r["label"].startswith(("cases", "open")) else figures).append(run["duck"][r["label"]] / r["p95"])
    faster = sum(x > 1 for x in figures)
    out += ["", f"Worst p95: **{worst:.1f} ms** ({'under' if worst < TARGET_MS else 'over'} the 300 ms target). "
            f"Figures (aggregates): the dashboard answers faster than the DuckDB scan in **{faster}"
            f" of {len(figures)}** requests (median {statistics.median(figures) if figures else 0:.0f}×). Pages of "
            f"cases (one page of rows, no aggregate): {sum(x > 1 for x in pages)} of {len(pages)} faster (median "
            f"{statistics.median(pages) if pages else 0:.1f}×).", "", end]
    return "\n".join(out)


def render(args: argparse.Namespace, info: dict[str, str], runs: list[dict[str, Any]], loads: dict[str, str]) -> str:
    out = [BEGIN, "", "Written by `bench/dashboard.py`; everything between the markers is replaced by the next run "
           "(one backend's part, when only that backend ran).", "",
           "```sh", "make bench-dashboard   # = .venv/bin/python bench/dashboard.py", "```", "",
           "| Machine | |", "|---|---|", *[f"| {k} | {v} |" for k, v in info.items()], ""]
    out += [render_backend(args, run, loads[run["backend"]]) + "\n" for run in runs]
    out += [NOTES + " over one keep-alive connection, after one warm-up request each; "
            "\"city\" is the demo `leader` (the whole city), \"street\" the demo `street` account. The DuckDB "
            "column is the best of three runs of the equivalent SQL over the raw rows held in memory (DuckDB "
            f"{_duck_version()}), so it is the scan alone, without HTTP or JSON.", "", END]
    return "\n".join(out)


def _duck_version() -> str:
    try:
        import duckdb

        return str(duckdb.__version__)
    except ImportError:  # pragma: no cover
        return "?"


def write_docs(path: Path, block: str, runs: list[dict[str, Any]]) -> None:
    """Replace the block; or, when one backend ran and the docs hold the block, only that backend's part (added
    if it was not there), so the two backends can be measured in separate runs."""
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n\n"
    if BEGIN in text and END in text and len(runs) == 1:
        b, e = _sub(runs[0]["backend"])
        part = block[block.index(b):block.index(e) + len(e)]
        if b in text and e in text:
            text = text[: text.index(b)] + part + text[text.index(e) + len(e):]
        else:  # the other backend's part stays; this one goes before the closing notes
            at = text.index(NOTES, text.index(BEGIN))
            text = text[:at] + part + "\n\n" + text[at:]
    elif BEGIN in text and END in text:
        text = text[: text.index(BEGIN)] + block + text[text.index(END) + len(END):]
    else:
        text = text.rstrip("\n") + "\n\n## Dashboards (issue 5)\n\n" + block + "\n"
    path.write_text(text, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--appeals", type=int, default=10_000_000)
    parser.add_argument("--years", type=float, default=3.0)
    parser.add_argument("--repeat", type=int, default=30, help="timed answers per request")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--quick", action="store_true", help="100,000 appeals on SQLite, 5 repeats")
    parser.add_argument("--sqlite-db", type=Path, default=None,
                        help="measure this SQLite file of an earlier run instead of generating a new one")
    parser.add_argument("--output", type=Path, default=None, help="write the report here (default: docs/"
                                                                    "benchmarks.md unless --quick)")
    args = parser.parse_args()
    if args.quick:
        args.appeals, args.repeat, args.backends = min(args.appeals, 100_000), 5, "sqlite"
    work = Path(tempfile.mkdtemp(prefix="gongzhi-bench-dash-"))
    info = machine()
    runs, loads = [], {}
    try:
        for backend in args.backends.split(","):
            if backend == "postgresql" and (reason := live_db.pg_reachable(live_db.pg_server_url())):
                sys.exit(f"PostgreSQL is not reachable: {reason}")
            loads[backend] = load()
            runs.append(run_backend(backend, args, work))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    block = render(args, info, runs, loads)
    print(block)  # noqa: T201
    target = args.output or (None if args.quick else DOCS)
    if target:
        write_docs(target, block, runs)
        say(f"written to {target}")


if __name__ == "__main__":
    main()
