"""`make bench-appeals`: the appeal loop's two performance figures, measured on this machine in one run.

1. Intake throughput. `POST /api/v1/appeals` through the whole pipeline (authenticate, locate the point in its
   grid, classify, route, working-day deadlines, timeline, duplicate check, one durable commit) against a real
   `gongzhi serve --no-worker`, on SQLite and on PostgreSQL, under sustained load from `wrk` (closed loop,
   `--connections` keep-alive connections, `--duration` seconds after a `--warmup`); and the same load on a bare
   FastAPI endpoint that only validates the same body with the same pydantic model (bench/bare_app.py), served
   by uvicorn with the same settings and worker count, measured in the same run (before and after the gongzhi
   runs; the ratio is taken to their mean). Target: intake ≥ 0.5 × the bare endpoint.
2. One deadline sweep over 1,000,000 open appeals: they are bulk-inserted (with their receive events) into the
   benchmark's database with a realistic spread of steps, tiers and deadlines, `--due-share` of them due at the
   sweep instant (past their 80 % warning point or their limit); then `gongzhi.appeals.tasks.sweep` runs once,
   timed. Target: < 10 s.

Each backend gets a database of its own made for the run (a new SQLite file; a new PostgreSQL database on
GONGZHI_TEST_PG_URL's server, dropped at the end), holding the generated city (`--scale`), the official
calendar, the demo accounts and one matter type per tier (tests/appeals/live_db.py builds it, as the
concurrency and crash tests do). Requests are filed by the demo resident at points drawn uniformly inside the
grids, with a mix of matter types and texts.

The results replace the block between the markers in docs/benchmarks.md. `--quick` is a smoke run (< 1 min:
the tiny city, a few seconds of load, a 10,000-row sweep) that prints the report and leaves the docs alone
unless `--output` is given. Tools: wrk (Debian package `wrk`); without it a Python load generator is used and
the report says so (its own CPU use then limits what it can measure on a small machine).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import http.client
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]
os.environ.setdefault("GONGZHI_SECRET_KEY", "bench-appeals-secret-key")  # the servers get the same keys
os.environ.setdefault("GONGZHI_ENVIRONMENT", "development")

from foundation import load, machine, say  # noqa: E402 — bench/ and the root are on the path only now
from tests.appeals import live_db  # noqa: E402

DOCS = ROOT / "docs" / "benchmarks.md"
BEGIN, END = "<!-- bench-appeals:begin -->", "<!-- bench-appeals:end -->"  # the intake runs
SWEEP_BEGIN, SWEEP_END = "<!-- bench-sweep:begin -->", "<!-- bench-sweep:end -->"  # the sweep, apart
TARGETS = {"ratio": 0.5, "sweep_seconds": 10.0}
TEXTS = [
    ("楼下有人占道经营", "每天晚上摆摊到十一点，油烟很大"), ("小区路灯坏了", "3号楼前的路灯一个星期不亮了"),
    ("垃圾清运不及时", "垃圾桶满了两天没人收"), ("装修噪音扰民", "周末早上七点就开始电钻"),
    ("下水道堵塞", "雨水井堵了，一下雨就积水"), ("违章搭建", "楼顶加盖了彩钢房"),
    ("井盖缺失", "人行道上井盖不见了，很危险"), ("共享单车乱停放", "地铁口单车堵住了盲道"),
    ("楼道堆放杂物", "消防通道被杂物堵住"), ("广场舞音响太吵", "晚上十点后还在放音乐"),
    ("路面破损", "路中间有个大坑"), ("绿化带毁坏", "有人在绿化带里种菜"), ("宠物扰民", "邻居的狗整夜叫"),
    ("电动车楼道充电", "有人把电动车推进楼道充电"), ("水管漏水", "小区主水管漏水好几天了"),
]


# ---- the databases ----------------------------------------------------------------------------------------

def build_city(backend: str, scale: str, matters: int, stack: contextlib.ExitStack) -> live_db.LiveCity:
    """A new database for `backend` holding the city and `matters` matter types, removed when `stack` closes."""
    url = stack.enter_context(live_db.new_database(backend, prefix="gongzhi_bench"))
    started = time.perf_counter()
    with live_db.pointed_at(url):
        city = live_db.build(url, scale=scale, seed=7, more_matters=max(0, matters // 4 - 1))
    say(f"  {backend}: {scale} city in {time.perf_counter() - started:.1f} s ({len(city.grid_points)} grids)")
    return city


def grid_polygons(city: live_db.LiveCity) -> list[Any]:
    from shapely.geometry import shape
    from sqlalchemy import select

    from gongzhi.regions.models import Region

    with city.session() as s:
        return [shape(json.loads(g)) for (g,) in s.execute(
            select(Region.geometry).where(Region.level == "grid", Region.geometry.is_not(None)))]


def bodies(city: live_db.LiveCity, n: int, seed: int) -> list[str]:
    """`n` intake bodies: points uniform over the grids' area, every matter type, varied texts."""
    import shapely

    polys = grid_polygons(city)
    weights = [p.area for p in polys]
    rnd = random.Random(seed)
    out = []
    matters = list(city.matters.values())
    for i in range(n):
        poly = rnd.choices(polys, weights)[0]
        x0, y0, x1, y1 = poly.bounds
        while True:
            x, y = rnd.uniform(x0, x1), rnd.uniform(y0, y1)
            if shapely.contains_xy(poly, x, y):
                break
        title, text = rnd.choice(TEXTS)
        out.append(json.dumps({"title": title, "description": f"{text}（{i}）", "lat": round(y, 7),
                               "lon": round(x, 7), "matter_code": matters[i % len(matters)], "channel": "h5"},
                              ensure_ascii=False))
    return out


# ---- servers ----------------------------------------------------------------------------------------------

def serve_cmd(app: str, port: int | str, workers: int) -> list[str]:
    if app == "bare":
        return [sys.executable, "-m", "uvicorn", "bench.bare_app:app", "--host", "127.0.0.1", "--port", str(port),
                "--workers", str(workers), "--proxy-headers"]
    return live_db.serve_command(port, workers=workers, group_commit=app == "batched")  # type: ignore[arg-type]


@contextlib.contextmanager
def server(app: str, url: str | None, workers: int, work: Path) -> Iterator[tuple[str, str, int]]:
    """(base URL, command, pid) of a running server; stopped after."""
    port = live_db.free_port()
    cmd = serve_cmd(app, port, workers)
    shown = " ".join(serve_cmd(app, "$PORT", workers)).replace(str(ROOT) + os.sep, "").replace(sys.executable,
                                                                                             "python")
    env = live_db.server_env(url or "sqlite:///" + str(work / "unused.db"))
    log = work / f"{app}-{port}.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                sys.exit(f"{app} server exited with {proc.returncode}:\n{log.read_text(errors='replace')[-3000:]}")
            try:
                c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                c.request("GET", "/healthz")
                if c.getresponse().status == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                sys.exit(f"{app} server did not answer within 60 s; see {log}")
            time.sleep(0.1)
        yield base, shown, proc.pid
    finally:  # requests still waiting inside the server (a lock, a pool) are of no interest once measured
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


# ---- CPU accounting (what a request costs, whatever else the machine is doing) ------------------------------

TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _stat(pid: int) -> tuple[int, float]:
    """(parent pid, CPU seconds user + system) of a live process."""
    raw = Path(f"/proc/{pid}/stat").read_text()
    fields = raw[raw.rindex(")") + 2:].split()
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / TICK


def tree_cpu(root: int) -> float:
    """CPU seconds used so far by `root` and its descendants (uvicorn's worker processes)."""
    parents: dict[int, int] = {}
    cpu: dict[int, float] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)], cpu[int(entry.name)] = _stat(int(entry.name))
            except (OSError, ValueError, IndexError):
                continue
    total, todo = 0.0, [root]
    while todo:
        pid = todo.pop()
        total += cpu.get(pid, 0.0)
        todo += [c for c, p in parents.items() if p == pid]
    return total


def pg_backend_cpu(city: live_db.LiveCity | None) -> float:
    """CPU seconds used so far by the PostgreSQL backends connected to the city's database."""
    if city is None or city.backend != "postgresql":
        return 0.0
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    url = make_url(city.url.replace("postgresql://", "postgresql+psycopg://", 1))
    eng = create_engine(url.set(database="postgres"))
    try:
        with eng.connect() as conn:
            pids = conn.execute(text("SELECT pid FROM pg_stat_activity WHERE datname = :d"),
                                {"d": url.database}).scalars().all()
    finally:
        eng.dispose()
    total = 0.0
    for pid in pids:
        try:
            total += _stat(pid)[1]
        except (OSError, ValueError, IndexError):
            continue  # not on this machine, or gone
    return total


# ---- load ------------------------------------------------------------------------------------------------

LUA = """
local bodies = {
%(bodies)s
}
local headers = {["Content-Type"] = "application/json"%(auth)s}
local counter = 0
local created = 0
local others = 0
setup = function(thread)
  thread:set("id", counter)
  counter = counter + 1
end
init = function(args)
  i = id * 7919
end
request = function()
  i = i + 1
  return wrk.format("POST", "/api/v1/appeals", headers, bodies[(i %% #bodies) + 1])
end
response = function(status, hdrs, body)
  if status == 201 then created = created + 1 else others = others + 1 end
end
done = function(summary, latency, requests)
  io.write(string.format("RESULT {\\"requests\\": %%d, \\"duration_us\\": %%d, \\"non2xx\\": %%d, "
    .. "\\"connect\\": %%d, \\"read\\": %%d, \\"write\\": %%d, \\"timeout\\": %%d, \\"p50_us\\": %%d, "
    .. "\\"p95_us\\": %%d, \\"p99_us\\": %%d, \\"mean_us\\": %%f, \\"max_us\\": %%d}\\n",
    summary.requests, summary.duration, summary.errors.status, summary.errors.connect, summary.errors.read,
    summary.errors.write, summary.errors.timeout, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), latency.mean, latency.max))
end
"""


def lua_script(path: Path, payloads: list[str], token: str | None) -> Path:
    auth = f', ["Authorization"] = "Bearer {token}"' if token else ""
    lines = ",\n".join(f"  [==[{b}]==]" for b in payloads)
    path.write_text(LUA % {"bodies": lines, "auth": auth}, encoding="utf-8")
    return path


def run_wrk(base: str, script: Path, seconds: float, connections: int, threads: int) -> dict[str, Any]:
    cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds:g}s", "--timeout", "10s", "-s", str(script),
           base + "/api/v1/appeals"]
    out = subprocess.run(cmd, capture_output=True, text=True, check=False)
    line = next((ln for ln in out.stdout.splitlines() if ln.startswith("RESULT ")), None)
    if line is None:
        sys.exit(f"wrk failed ({out.returncode}):\n{out.stdout}\n{out.stderr}")
    r = json.loads(line[len("RESULT "):])
    seconds_run = r["duration_us"] / 1e6
    errors = r["non2xx"] + r["connect"] + r["read"] + r["write"] + r["timeout"]
    return {"requests": r["requests"], "seconds": seconds_run, "rps": r["requests"] / seconds_run,
            "errors": errors, "non2xx": r["non2xx"], "timeouts": r["timeout"], "p50_ms": r["p50_us"] / 1000,
            "p95_ms": r["p95_us"] / 1000, "p99_ms": r["p99_us"] / 1000, "mean_ms": r["mean_us"] / 1000,
            "max_ms": r["max_us"] / 1000}


def run_python(base: str, payloads: list[str], token: str | None, seconds: float,
               connections: int) -> dict[str, Any]:
    """The fallback generator: `connections` threads, one keep-alive connection each, closed loop."""
    host, port = base.removeprefix("http://").split(":")
    headers = {"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})}
    stop = time.monotonic() + seconds
    lat: list[float] = []
    errors = [0]

    def client(k: int) -> None:
        conn = http.client.HTTPConnection(host, int(port), timeout=10)
        i = k * 7919
        while time.monotonic() < stop:
            i += 1
            t0 = time.perf_counter()
            try:
                conn.request("POST", "/api/v1/appeals", payloads[i % len(payloads)].encode(), headers)
                r = conn.getresponse()
                r.read()
                ok = r.status == 201
            except OSError:
                conn.close()
                conn = http.client.HTTPConnection(host, int(port), timeout=10)
                ok = False
            lat.append(time.perf_counter() - t0)
            if not ok:
                errors[0] += 1

    started = time.perf_counter()
    threads = [threading.Thread(target=client, args=(k,)) for k in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    took = time.perf_counter() - started
    lat.sort()

    def pct(p: float) -> float:
        return lat[min(len(lat) - 1, int(p / 100 * len(lat)))] * 1000 if lat else 0.0

    return {"requests": len(lat), "seconds": took, "rps": len(lat) / took, "errors": errors[0],
            "non2xx": errors[0], "timeouts": 0, "p50_ms": pct(50), "p95_ms": pct(95), "p99_ms": pct(99),
            "mean_ms": sum(lat) / max(1, len(lat)) * 1000, "max_ms": lat[-1] * 1000 if lat else 0.0}


def measure(app: str, city: live_db.LiveCity | None, payloads: list[str], args: argparse.Namespace,
            workers: int, work: Path) -> dict[str, Any]:
    with server(app, city.url if city else None, workers, work) as (base, cmd, pid):
        token = live_db.login(base, "resident") if app != "bare" else None
        script = lua_script(work / f"{app}.lua", payloads, token) if args.loader == "wrk" else None

        def go(seconds: float) -> dict[str, Any]:
            if script is not None:
                return run_wrk(base, script, seconds, args.connections, args.threads)
            return run_python(base, payloads, token, seconds, args.connections)

        if args.warmup:
            go(args.warmup)
        loads = [load()]
        cpu0, db0 = tree_cpu(pid), pg_backend_cpu(city)
        result = go(args.duration)
        cpu1, db1 = tree_cpu(pid), pg_backend_cpu(city)
        loads.append(load())
    n = max(1, result["requests"])
    result.update(app=app, backend=city.backend if city else "—", workers=workers, command=cmd, load=loads,
                  cpu_ms=(cpu1 - cpu0) / n * 1000, db_cpu_ms=max(0.0, db1 - db0) / n * 1000)
    say(f"  {app:8s} {result['backend']:10s} workers={workers}: {result['rps']:8,.0f} req/s  "
        f"p50 {result['p50_ms']:.1f} ms  p99 {result['p99_ms']:.1f} ms  errors {result['errors']}  "
        f"CPU/request {result['cpu_ms']:.2f} ms app + {result['db_cpu_ms']:.2f} ms db  "
        f"(load {loads[0]} → {loads[1]})")
    return result


# ---- the deadline sweep over many open appeals ------------------------------------------------------------

OPEN_MIX = (("received", 3), ("registered", 5), ("dispatched", 12), ("accepted", 15), ("in_progress", 40),
            ("resolved", 15), ("verified", 7), ("rated", 3))
TIER_MIX = (("grid", 35), ("community", 30), ("street", 15), ("department", 20))


def _regions(city: live_db.LiveCity) -> list[tuple[int, str, dict[str, int]]]:
    """(grid id, grid path, {level: id of the grid's street, community, grid})."""
    from sqlalchemy import select

    from gongzhi.regions.models import Region

    with city.session() as s:
        ids = dict(s.execute(select(Region.code, Region.id).where(
            Region.level.in_(("street", "community", "grid")))).tuples().all())
        levels = dict(s.execute(select(Region.code, Region.level)).tuples().all())
        out = []
        for gid, path in s.execute(select(Region.id, Region.path).where(Region.level == "grid")):
            codes = path.strip("/").split("/")
            out.append((gid, path, {levels[c]: ids[c] for c in codes if levels.get(c) in ("street", "community",
                                                                                        "grid")}))
    return out


def insert_open_appeals(city: live_db.LiveCity, n: int, due_share: float, at: dt.datetime,
                        seed: int) -> dict[str, Any]:
    """`n` open appeals (and their receive events), `due_share` of them due at `at` (half past their warning
    point, half past their limit), the rest waking up within the next ten days."""
    from sqlalchemy import func, select

    from gongzhi.appeals.models import Appeal, AppealEvent
    from gongzhi.core.db import copy_rows, reset_sequences
    from gongzhi.duties.models import MatterType

    rnd = random.Random(seed)
    grids = _regions(city)
    with city.session() as s:
        matters = {t: (mid, cat) for t, mid, cat in s.execute(
            select(MatterType.tier, MatterType.id, MatterType.category_id).where(
                MatterType.code.in_(list(city.matters.values()))))}
        first = int(s.scalar(select(func.coalesce(func.max(Appeal.id), 0))) or 0) + 1
    statuses = [s for s, _ in OPEN_MIX]
    s_weights = [w for _, w in OPEN_MIX]
    tiers = [t for t, _ in TIER_MIX]
    t_weights = [w for _, w in TIER_MIX]
    a_cols = ["id", "version", "title", "description", "channel", "status", "priority", "lat", "lon", "address",
              "grid_id", "region_id", "scope_path", "category_id", "matter_type_id", "tier", "assigned_region_id",
              "assigned_department_id", "escalation_level", "supervised", "anonymous", "reporter_name",
              "location_consent", "metoo_count", "reopen_count", "review_reopened", "reply", "close_reason",
              "due_at", "warn_at", "resolve_due_at", "warned", "overdue", "ever_overdue", "next_check_at",
              "event_seq", "created_at", "updated_at"]
    e_cols = ["appeal_id", "seq", "at", "actor_name", "actor_role", "action", "from_status", "to_status", "note",
              "data"]
    a_table, e_table = Appeal.__table__, AppealEvent.__table__
    due = {"warn": 0, "limit": 0}
    chunk = 50_000
    started = time.perf_counter()
    with city.engine().begin() as conn:
        for base in range(0, n, chunk):
            appeals, events = [], []
            for k in range(base, min(n, base + chunk)):
                aid = first + k
                status = rnd.choices(statuses, s_weights)[0]
                tier = rnd.choices(tiers, t_weights)[0]
                gid, path, chain = grids[rnd.randrange(len(grids))]
                created = at - dt.timedelta(seconds=rnd.uniform(3600, 20 * 86400))
                mid, cat = matters[tier]
                if status in ("received", "registered"):
                    tier_v, region_v, dep_v = None, None, None
                elif tier == "department":
                    tier_v, region_v, dep_v = tier, None, city.department_id
                else:
                    tier_v, region_v, dep_v = tier, chain.get(tier, gid), None
                r = rnd.random()
                if r < due_share / 2:  # past the warning point, before the limit
                    warn = at - dt.timedelta(seconds=rnd.uniform(60, 6 * 3600))
                    limit = at + dt.timedelta(seconds=rnd.uniform(600, 24 * 3600))
                    warned, wake = False, warn
                    due["warn"] += 1
                elif r < due_share:  # past the limit
                    limit = at - dt.timedelta(seconds=rnd.uniform(60, 24 * 3600))
                    warn = limit - dt.timedelta(hours=rnd.uniform(1, 24))
                    warned, wake = True, limit
                    due["limit"] += 1
                else:  # wakes within ten days
                    wake = at + dt.timedelta(seconds=rnd.uniform(60, 10 * 86400))
                    warned = rnd.random() < 0.2
                    if warned:
                        limit, warn = wake, wake - dt.timedelta(hours=rnd.uniform(1, 24))
                    else:
                        warn, limit = wake, wake + dt.timedelta(hours=rnd.uniform(1, 48))
                step_start = min(created, warn - dt.timedelta(hours=1))
                title, text = TEXTS[k % len(TEXTS)]
                appeals.append((aid, 1, title, text, "h5", status, "normal", None, None, "", gid, gid, path, cat,
                                mid, tier_v, region_v, dep_v, 0, False, False, "居民", False, 0, 0, False, "", "",
                                limit, warn, limit + dt.timedelta(days=3), warned, False, False, wake, 1,
                                step_start, step_start))
                events.append((aid, 1, step_start, "居民", "resident", "receive", None, "received", "",
                               {"channel": "h5"}))
            copy_rows(conn, a_table, a_cols, appeals)
            copy_rows(conn, e_table, e_cols, events)
        reset_sequences(conn, ["appeals", "appeal_events"])
    took = time.perf_counter() - started
    if city.backend == "postgresql":
        with city.engine().connect() as conn:
            conn.exec_driver_sql("ANALYZE appeals")
            conn.exec_driver_sql("ANALYZE appeal_events")
            conn.commit()
    say(f"  {city.backend}: {n:,} open appeals inserted in {took:.1f} s ({due['warn'] + due['limit']:,} due)")
    return {"rows": n, "insert_s": took, "due_warn": due["warn"], "due_limit": due["limit"]}


def time_sweep(city: live_db.LiveCity, at: dt.datetime) -> dict[str, Any]:
    from gongzhi.appeals import tasks

    with live_db.pointed_at(city.url):
        started = time.perf_counter()
        stats = tasks.sweep(city.session, at=at)
        took = time.perf_counter() - started
    say(f"  {city.backend}: sweep {took:.2f} s — examined {stats.examined:,}, warned {stats.warned:,}, "
        f"overdue {stats.overdue:,}, escalated {stats.escalated:,}, skipped {stats.skipped:,}")
    return {"seconds": took, "examined": stats.examined, "warned": stats.warned, "overdue": stats.overdue,
            "escalated": stats.escalated, "skipped": stats.skipped}


# ---- report -------------------------------------------------------------------------------------------------

LABELS = {"bare": "bare FastAPI", "gongzhi": "`gongzhi serve`", "batched": "group commit"}


def shown_args() -> list[str]:
    """This run's arguments, without where the report went."""
    out, skip = [], False
    for a in sys.argv[1:]:
        if skip or a.startswith("--output"):
            skip = a == "--output"
            continue
        out.append(a)
    return out


def verdict(ok: bool) -> str:
    return "✅ met" if ok else "❌ missed"


def error_text(r: dict[str, Any]) -> str:
    if not r["errors"]:
        return "0"
    parts = [f"{r['non2xx']} non-2xx" if r["non2xx"] else "", f"{r['timeouts']} timed out" if r["timeouts"] else "",
             f"{r['errors'] - r['non2xx'] - r['timeouts']} socket" if r["errors"] - r["non2xx"] - r["timeouts"] else ""]
    return f"{r['errors']} ({', '.join(p for p in parts if p)})"


def render(args: argparse.Namespace, info: dict[str, str], runs: list[dict[str, Any]],
           loads: dict[str, str]) -> str:
    """The intake runs' block of docs/benchmarks.md."""
    when = dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    loader = (f"wrk -t{args.threads} -c{args.connections} -d{args.duration:g}s --timeout 10s -s bodies.lua"
              if args.loader == "wrk" else f"Python threads × {args.connections} keep-alive connections")
    out = [BEGIN, "", f"### Latest run: {when}{' (quick)' if args.quick else ''}", "",
           "Written by `bench/appeals.py`; everything between the markers is replaced on the next run.", "",
           "#### Machine", "", "| | |", "|---|---|"]
    out += [f"| {k} | {v} |" for k, v in info.items()]
    out += [f"| Load average (1/5/15 min) at start; at end | {loads['start']}; {loads['end']} |", ""]
    out += ["#### Commands", "", "```sh", "make bench-appeals            # = .venv/bin/python bench/appeals.py",
            f".venv/bin/python bench/appeals.py {' '.join(shown_args())}".rstrip(), "# inside it, per backend "
            "and worker count (a city database of its own per backend):"]
    seen = set()
    for r in runs:
        if r["command"] not in seen:
            seen.add(r["command"])
            out.append(r["command"])
    out += [f"{loader} http://127.0.0.1:$PORT/api/v1/appeals  # after {args.warmup:g} s of warm-up", "```", ""]
    out += [f"Load: {args.connections} keep-alive connections, closed loop, {args.duration:g} s measured after "
            f"{args.warmup:g} s of warm-up; {args.bodies:,} different bodies (the demo resident, channel h5, "
            f"points uniform over the `{args.scale}` city's grids, {args.matters} matter types in turn (a quarter "
            "per handling tier), varied texts). The bare endpoint (bench/bare_app.py) is measured before and "
            "after the gongzhi runs of each worker count; the ratio is to their mean.", "",
            "#### Intake throughput", "",
            "| Workers | App | Database | Requests/s | Ratio to bare | p50 | p95 | p99 | Errors | Requests | "
            "CPU per request: app + database | Load (1 min) before → after |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for workers in sorted({r["workers"] for r in runs}):
        group = [r for r in runs if r["workers"] == workers]
        bare = [r["rps"] for r in group if r["app"] == "bare"]
        bare_mean = sum(bare) / len(bare) if bare else float("nan")
        for r in group:
            ratio = "—" if r["app"] == "bare" else f"**{r['rps'] / bare_mean:.2f}**"
            label = LABELS.get(r["app"], r["app"])
            out.append(f"| {workers} | {label} | {r['backend']} | {r['rps']:,.0f} | {ratio} | "
                       f"{r['p50_ms']:.1f} ms | {r['p95_ms']:.1f} ms | {r['p99_ms']:.1f} ms | {error_text(r)} | "
                       f"{r['requests']:,} | {r['cpu_ms']:.2f} + {r['db_cpu_ms']:.2f} ms | "
                       f"{r['load'][0].split('/')[0]} → {r['load'][1].split('/')[0]} |")
    out.append("")
    best = {}
    for r in runs:
        if r["app"] != "bare":
            group = [g["rps"] for g in runs if g["app"] == "bare" and g["workers"] == r["workers"]]
            ratio = r["rps"] / (sum(group) / len(group))
            key = (r["app"], r["backend"])
            best[key] = max(best.get(key, 0.0), ratio)
    for (app, backend), ratio in sorted(best.items()):
        out.append(f"- {LABELS.get(app, app)} on {backend}: best ratio **{ratio:.2f}** (target ≥ {TARGETS['ratio']}: "
                   f"{verdict(ratio >= TARGETS['ratio'])})")
    out += ["", "\"group commit\" is the same app with the intake route of src/gongzhi/appeals/intake_batch.py in "
            "front (not yet wired into `gongzhi serve`). CPU per request is the CPU time of the server's processes "
            "(and, for PostgreSQL, of the backends connected to the benchmark's database, approximately) over the "
            "requests answered: unlike requests/s it hardly depends on what else the machine is doing.", ""]
    out.append(END)
    return "\n".join(out)


def render_sweep(args: argparse.Namespace, info: dict[str, str], sweeps: dict[str, dict[str, Any]],
                 loads: dict[str, str]) -> str:
    """The sweep's block of docs/benchmarks.md (measured with the intake runs, or alone: `--parts sweep`)."""
    when = dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    out = [SWEEP_BEGIN, "", f"### Latest sweep run: {when}{' (quick)' if args.quick else ''}", "",
           "Written by `bench/appeals.py`; everything between the markers is replaced on the next run.", "",
           "```sh", f".venv/bin/python bench/appeals.py {' '.join(shown_args())}".rstrip(), "```", "",
           f"Machine: {info.get('CPU', '?')}; load average at start {loads['start']}, at end {loads['end']}.", ""]
    if sweeps:
        out += ["#### One deadline sweep over open appeals", "",
                "| Database | Open appeals | Due at the sweep (warning / limit) | Insert time | Sweep | Examined | "
                "Warned | Overdue | Escalated | Skipped | Target < 10 s |",
                "|---|---|---|---|---|---|---|---|---|---|---|"]
        for backend, sw in sweeps.items():
            out.append(f"| {backend} | {sw['rows']:,} | {sw['due_warn']:,} / {sw['due_limit']:,} | "
                       f"{sw['insert_s']:.0f} s | **{sw['seconds']:.2f} s** | {sw['examined']:,} | {sw['warned']:,} | "
                       f"{sw['overdue']:,} | {sw['escalated']:,} | {sw['skipped']:,} | "
                       f"{verdict(sw['seconds'] < TARGETS['sweep_seconds'])} |")
        out += ["", "Open appeals spread over the steps (received 3 %, registered 5 %, dispatched 12 %, accepted "
                "15 %, in progress 40 %, resolved 15 %, verified 7 %, rated 3 %) and tiers (grid 35 %, community "
                "30 %, street 15 %, department 20 %) over all grids; an overdue dispatched, accepted or in-progress "
                "step below the department tier is escalated one tier (a new acceptance step, notifications).", ""]
    out.append(SWEEP_END)
    return "\n".join(out)


def write_docs(path: Path, block: str, begin: str = BEGIN, end: str = END) -> None:
    """Replace the block between `begin` and `end` (the sweep's block follows the intake's)."""
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n\n"
    if begin in text and end in text:
        text = text[: text.index(begin)] + block + text[text.index(end) + len(end):]
    elif end != END and END in text:
        cut = text.index(END) + len(END)
        text = text[:cut] + "\n\n" + block + text[cut:]
    else:
        text = text.rstrip("\n") + "\n\n## Appeals (issue 3)\n\n" + block + "\n"
    path.write_text(text, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="a smoke run of under a minute (tiny city, 2 s of "
                                                             "load, 10,000-row sweep)")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--workers", default="1,2", help="uvicorn worker counts, comma-separated")
    parser.add_argument("--apps", default="gongzhi,batched",
                        help="what is measured against bare: gongzhi (`gongzhi serve`), batched (the same app with "
                             "the group-commit intake of gongzhi.appeals.intake_batch)")
    parser.add_argument("--scale", default="demo", help="city for the intake runs (tiny, demo)")
    parser.add_argument("--duration", type=float, default=25.0, help="seconds measured per run")
    parser.add_argument("--warmup", type=float, default=5.0, help="seconds of warm-up per run")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--bodies", type=int, default=2000, help="different request bodies")
    parser.add_argument("--matters", type=int, default=100, help="matter types in the catalog (a quarter per tier)")
    parser.add_argument("--sweep-rows", type=int, default=1_000_000)
    parser.add_argument("--due-share", type=float, default=0.02, help="share of the open appeals due at the sweep")
    parser.add_argument("--loader", choices=("auto", "wrk", "python"), default="auto")
    parser.add_argument("--seed", type=int, default=20241)
    parser.add_argument("--output", type=Path, help="Markdown file to update (default: docs/benchmarks.md, "
                                                    "none with --quick)")
    parser.add_argument("--keep", action="store_true", help="keep the logs and scripts")
    parser.add_argument("--parts", default="intake,sweep", help="what to measure: intake, sweep or both")
    args = parser.parse_args()
    if args.quick:
        args.scale, args.duration, args.warmup, args.sweep_rows, args.workers = "tiny", 2.0, 1.0, 10_000, "1"
        args.bodies = min(args.bodies, 500)
    if args.loader == "auto":
        args.loader = "wrk" if shutil.which("wrk") else "python"
        if args.loader == "python":
            say("warning: wrk not found (Debian package `wrk`); using the Python load generator, which shares "
                "the CPU with the servers")
    backends = [b for b in args.backends.split(",") if b]
    if "postgresql" in backends:
        reason = live_db.pg_reachable(live_db.pg_server_url())
        if reason:
            sys.exit(f"PostgreSQL is not reachable at {live_db.pg_server_url()}: {reason} "
                     "(set GONGZHI_TEST_PG_URL, or --backends sqlite)")
    workers_list = [int(w) for w in args.workers.split(",") if w]
    apps = [a for a in args.apps.split(",") if a]
    parts = {p for p in args.parts.split(",") if p}

    info = machine()
    info["wrk"] = subprocess.run(["wrk", "--version"], capture_output=True, text=True).stdout.split(" [")[0] \
        if args.loader == "wrk" else "not used"
    loads = {"start": load()}
    work = Path(tempfile.mkdtemp(prefix="gongzhi-bench-appeals-"))
    runs: list[dict[str, Any]] = []
    sweeps: dict[str, dict[str, Any]] = {}
    try:
        with contextlib.ExitStack() as stack:
            say(f"→ building the databases ({args.scale} city)")
            cities = {b: build_city(b, args.scale, args.matters, stack) for b in backends}
            payloads = bodies(next(iter(cities.values())), args.bodies, args.seed)
            for workers in workers_list if "intake" in parts else []:
                say(f"→ intake, {workers} worker(s): {args.duration:g} s per run after {args.warmup:g} s warm-up")
                runs.append(measure("bare", None, payloads, args, workers, work))
                for app in apps:
                    for b in backends:
                        runs.append(measure(app, cities[b], payloads, args, workers, work))
                if not args.quick:  # the bare rate again, after: the machine may have changed meanwhile
                    runs.append(measure("bare", None, payloads, args, workers, work))
            if args.sweep_rows and "sweep" in parts:
                say(f"→ deadline sweep over {args.sweep_rows:,} open appeals")
                for b in backends:
                    at = dt.datetime.now(dt.UTC)
                    facts = insert_open_appeals(cities[b], args.sweep_rows, args.due_share, at, args.seed)
                    sweeps[b] = {**facts, **time_sweep(cities[b], at)}
        loads["end"] = load()
        blocks = []
        if "intake" in parts:
            blocks.append((render(args, info, runs, loads), BEGIN, END))
        if sweeps:
            blocks.append((render_sweep(args, info, sweeps, loads), SWEEP_BEGIN, SWEEP_END))
        output = args.output or (None if args.quick else DOCS)
        for block, begin, end in blocks:
            if output:
                write_docs(output, block, begin, end)
            else:
                say(block)
        if output:
            say(f"→ wrote {output}")
    finally:
        if args.keep:
            say(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
