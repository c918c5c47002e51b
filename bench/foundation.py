"""`make bench-foundation`: the foundation's three performance figures, measured on this machine in one run.

1. Generation: the real `gongzhi generate --scale yantai --seed 1` into a fresh SQLite file, under
   `/usr/bin/time -v` (wall time, peak resident memory, CPU). Targets: < 10 min, < 4 GB.
2. Point → grid throughput: 1,000,000 random points in the city's bounding box (fixed seed) through
   `GridIndex.locate_many` and through a bare `shapely.STRtree(polys).query(points, predicate="intersects")` on
   the same polygons, best of 3 each, interleaved. Target: GridIndex ≥ 0.5 × the bare query.
3. Latency of one locate request: a real uvicorn server (`gongzhi serve`) on that database, a bearer token
   from POST /api/v1/auth/token, then sequential GET /api/v1/regions/locate?lat=&lon=&crs=wgs84 requests on
   one keep-alive connection; p50/p95/p99. (`wrk` is used as well when it is installed.)

The results replace the block between the markers in docs/benchmarks.md (the rest of that file is prose).
`--scale tiny` (or demo, anning) is a quick smoke run; it prints the report and leaves the docs alone unless
`--output` is given. Only public tools are used: /usr/bin/time (Debian package `time`), uvicorn, wrk.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import platform
import re
import resource
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from shapely.geometry import shape

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs" / "benchmarks.md"
BEGIN, END = "<!-- bench-foundation:begin -->", "<!-- bench-foundation:end -->"
SECRET = "bench-foundation-secret-key"  # the server and the generator must share the data key
USER, PASSWORD = "bench", "bench-foundation-pw"
TARGETS = {"generate_seconds": 600, "generate_rss_gb": 4.0, "locate_ratio": 0.5}


# ---- machine --------------------------------------------------------------------------------------------

def _first(path: str, key: str) -> str:
    try:
        for line in Path(path).read_text().splitlines():
            if line.startswith(key):
                return line[len(key):].strip('"') if key.endswith("=") else line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown"


def machine() -> dict[str, str]:
    import numpy
    import sqlalchemy

    mem_kb = _first("/proc/meminfo", "MemTotal").split()[0]
    os_name = _first("/etc/os-release", "PRETTY_NAME=")
    return {
        "CPU": _first("/proc/cpuinfo", "model name"),
        "Cores (logical)": str(os.cpu_count()),
        "RAM": f"{int(mem_kb) / 1024 / 1024:.1f} GiB" if mem_kb.isdigit() else "unknown",
        "OS": f"{os_name}, Linux {platform.release()}",
        "Python": platform.python_version(),
        "SQLite": sqlite3.sqlite_version,
        "shapely / GEOS": f"{shapely.__version__} / {shapely.geos_version_string}",
        "numpy": numpy.__version__,
        "SQLAlchemy": sqlalchemy.__version__,
    }


def say(message: str) -> None:
    print(message, flush=True)  # noqa: T201 - a command-line tool reporting progress


def load() -> str:
    return "/".join(f"{x:.2f}" for x in os.getloadavg())


# ---- 1. generation ----------------------------------------------------------------------------------------

def gongzhi_command() -> list[str]:
    exe = Path(sys.executable).parent / "gongzhi"
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "gongzhi.cli"]


def _seconds(clock: str) -> float:
    """'3:56.29' or '1:02:03' (h:mm:ss or m:ss, as /usr/bin/time prints) → seconds."""
    total = 0.0
    for part in clock.split(":"):
        total = total * 60 + float(part)
    return total


def generate(env: dict[str, str], scale: str, seed: int, work: Path) -> dict[str, Any]:
    cmd = [*gongzhi_command(), "generate", "--scale", scale, "--seed", str(seed)]
    timer = shutil.which("time", path="/usr/bin:/bin") if os.name == "posix" else None
    log = work / "generate.log"
    if not timer:
        say("warning: /usr/bin/time not found (Debian package `time`); measuring with getrusage instead")
    say(f"→ generating: {' '.join(cmd)}")
    started = time.perf_counter()
    with log.open("w") as out:
        if timer:
            proc = subprocess.run([timer, "-v", *cmd], env=env, stdout=out, stderr=subprocess.PIPE, text=True)
        else:  # fall back on getrusage of the child; say so in the report
            proc = subprocess.run(cmd, env=env, stdout=out, stderr=subprocess.PIPE, text=True)
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        sys.exit(f"generation failed ({proc.returncode}):\n{proc.stderr[-3000:]}\n{log.read_text()[-3000:]}")
    result: dict[str, Any] = {"command": " ".join(cmd), "timer": f"{timer} -v" if timer else "getrusage"}
    if timer:
        fields = dict(re.findall(r"^\s*(.+?): (.+)$", proc.stderr, flags=re.M))
        result["wall_s"] = _seconds(fields["Elapsed (wall clock) time (h:mm:ss or m:ss)"])
        result["max_rss_kb"] = int(fields["Maximum resident set size (kbytes)"])
        result["user_s"] = float(fields["User time (seconds)"])
        result["sys_s"] = float(fields["System time (seconds)"])
    else:
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        result.update(wall_s=wall, max_rss_kb=usage.ru_maxrss, user_s=usage.ru_utime, sys_s=usage.ru_stime)
    return result


def city_facts(db: Path) -> dict[str, Any]:
    with sqlite3.connect(db) as conn:
        counts = {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                  for t in ("regions", "buildings", "households", "residents", "units", "party_orgs",
                            "party_members", "grid_staff")}
        counts["grids"] = conn.execute("SELECT count(*) FROM regions WHERE level = 'grid'").fetchone()[0]
        code, name = conn.execute("SELECT code, name FROM regions WHERE level = 'city'").fetchone()
    wal = db.with_name(db.name + "-wal")
    return {"counts": counts, "city_code": code, "city_name": name, "db_bytes": db.stat().st_size,
            "wal_bytes": wal.stat().st_size if wal.exists() else 0}


# ---- 2. point → grid throughput ---------------------------------------------------------------------------

def grid_rows(db: Path) -> tuple[list[tuple[int, str]], tuple[float, float, float, float]]:
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT id, geometry FROM regions WHERE level = 'grid' AND geometry IS NOT NULL "
                            "ORDER BY id").fetchall()
        city = conn.execute("SELECT geometry FROM regions WHERE level = 'city'").fetchone()[0]
    return rows, shape(json.loads(city)).bounds


def _race(index: Any, tree: shapely.STRtree, polys: list[Any], ids: np.ndarray, lon: np.ndarray,
          lat: np.ndarray, repeats: int) -> dict[str, Any]:
    """Best of `repeats` for the bare query and for GridIndex on the same points, interleaved so that drift on
    a shared machine hits both alike; then check that they agree."""
    t0 = time.perf_counter()
    points = shapely.points(lon, lat)
    points_s = time.perf_counter() - t0
    bare, ours = [], []
    for _ in range(repeats):
        t0 = time.perf_counter()
        pt_idx, _ = tree.query(points, predicate="intersects")
        bare.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        found = index.locate_many(lon, lat)
        ours.append(time.perf_counter() - t0)
    hit = np.zeros(len(lon), dtype=bool)
    hit[pt_idx] = True
    assert np.array_equal(hit, found >= 0), "GridIndex and the bare STRtree disagree on which points hit"
    position = {int(gid): i for i, gid in enumerate(ids)}
    assert all(polys[position[int(found[i])]].intersects(points[i]) for i in np.flatnonzero(hit)[:2000])
    n = len(lon)
    return {"points": n, "hits": int(hit.sum()), "points_build_s": points_s, "bare_s": bare, "ours_s": ours,
            "bare_pps": n / min(bare), "ours_pps": n / min(ours), "ratio": min(bare) / min(ours),
            "found": found}


def locate_throughput(db: Path, n_points: int, seed: int, repeats: int = 3) -> dict[str, Any]:
    from gongzhi.core.geo import GridIndex

    rows, (minx, miny, maxx, maxy) = grid_rows(db)
    # GridIndex as the service builds it (service.grid_index): parsed GeoJSON, prepared, in an STRtree
    index = GridIndex()
    index.build("bench", [(gid, shape(json.loads(g))) for gid, g in rows])
    # the baseline: the same polygons parsed again, in a bare STRtree
    polys = [shape(json.loads(g)) for _, g in rows]
    tree = shapely.STRtree(polys)
    ids = np.array([gid for gid, _ in rows])
    rng = np.random.default_rng(seed)
    # the benchmark proper: uniform in the city's bounding box
    lon, lat = rng.uniform(minx, maxx, n_points), rng.uniform(miny, maxy, n_points)
    bbox = _race(index, tree, polys, ids, lon, lat, repeats)
    found = bbox.pop("found")
    hits = np.flatnonzero(found >= 0)
    # and a second mix, closer to real requests: every point inside some grid (uniform over the grids' area)
    union = shapely.union_all(polys)
    shapely.prepare(union)
    ux0, uy0, ux1, uy1 = union.bounds
    inside: list[np.ndarray] = []
    while sum(len(c) for c in inside) < n_points:
        x, y = rng.uniform(ux0, ux1, n_points), rng.uniform(uy0, uy1, n_points)
        keep = shapely.contains_xy(union, x, y)
        inside.append(np.column_stack([x[keep], y[keep]]))
    pts = np.concatenate(inside)[:n_points]
    in_grids = _race(index, tree, polys, ids, pts[:, 0], pts[:, 1], repeats)
    in_grids.pop("found")
    return {"seed": seed, "grids": len(rows), "bbox": [minx, miny, maxx, maxy], "city_bbox": bbox,
            "in_grids": in_grids, "ratio": bbox["ratio"],
            "hit_lonlat": [(float(lon[i]), float(lat[i])) for i in hits[:20000]]}


# ---- 3. HTTP latency ----------------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until_up(port: int, proc: subprocess.Popen[bytes], log: Path, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            sys.exit(f"the server exited ({proc.returncode}):\n{log.read_text()[-3000:]}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.2)
    sys.exit(f"the server did not answer /healthz within {timeout:.0f} s:\n{log.read_text()[-3000:]}")


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.array(values), q))


def http_latency(env: dict[str, str], city_code: str, targets: list[tuple[float, float]], n_requests: int,
                 work: Path, warmup: int = 200) -> dict[str, Any]:
    made = subprocess.run([*gongzhi_command(), "users", "create", "--username", USER, "--password", PASSWORD,
                           "--role", "admin", "--scope", city_code], env=env, capture_output=True, text=True)
    if made.returncode != 0 and "已存在" not in made.stdout:  # a reused --db already has the account
        sys.exit(f"could not create the benchmark account:\n{made.stdout}{made.stderr}")
    port = free_port()
    log = work / "server.log"
    cmd = [*gongzhi_command(), "serve", "--host", "127.0.0.1", "--port", str(port)]
    say(f"→ serving: {' '.join(cmd)}")
    with log.open("w") as out:
        server = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_until_up(port, server, log)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.request("POST", "/api/v1/auth/token", urllib.parse.urlencode({"username": USER, "password": PASSWORD}),
                     {"Content-Type": "application/x-www-form-urlencoded"})
        resp = conn.getresponse()
        body = resp.read()
        if resp.status != 200:
            sys.exit(f"login failed: {resp.status} {body[:300]!r}")
        headers = {"Authorization": f"Bearer {json.loads(body)['access_token']}"}

        def get(lon: float, lat: float) -> float:
            t0 = time.perf_counter()
            conn.request("GET", f"/api/v1/regions/locate?lat={lat:.7f}&lon={lon:.7f}&crs=wgs84", headers=headers)
            r = conn.getresponse()
            payload = r.read()
            elapsed = time.perf_counter() - t0
            if r.status != 200:
                sys.exit(f"locate answered {r.status}: {payload[:300]!r}")
            return elapsed

        cold = get(*targets[0])  # the first request also loads the grid polygons and builds the index
        for i in range(warmup):
            get(*targets[1 + i % (len(targets) - 1)])
        times = [get(*targets[1 + (warmup + i) % (len(targets) - 1)]) for i in range(n_requests)]
        result: dict[str, Any] = {
            "requests": n_requests, "warmup": warmup, "cold_ms": cold * 1000,
            "p50_ms": percentile(times, 50) * 1000, "p95_ms": percentile(times, 95) * 1000,
            "p99_ms": percentile(times, 99) * 1000, "mean_ms": float(np.mean(times)) * 1000,
            "max_ms": max(times) * 1000, "sequential_rps": n_requests / sum(times), "command": " ".join(cmd)}
        wrk = shutil.which("wrk")
        if wrk:
            lon, lat = targets[1]
            url = f"http://127.0.0.1:{port}/api/v1/regions/locate?lat={lat:.7f}&lon={lon:.7f}&crs=wgs84"
            out = subprocess.run([wrk, "-t1", "-c1", "-d10s", "--latency", "-H",
                                  f"Authorization: {headers['Authorization']}", url],
                                 capture_output=True, text=True, check=False).stdout
            result["wrk"] = out.strip()
        return result
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()


# ---- report -------------------------------------------------------------------------------------------------

def verdict(ok: bool) -> str:
    return "✅ met" if ok else "❌ missed"


def _relative(command: str) -> str:
    return command.replace(str(ROOT) + os.sep, "")


def render(args: argparse.Namespace, info: dict[str, str], gen: dict[str, Any] | None, facts: dict[str, Any],
           loc: dict[str, Any], lat: dict[str, Any] | None, loads: dict[str, str]) -> str:
    when = dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    c = facts["counts"]
    out = [BEGIN, "", f"## Latest run: `{args.scale}` scale, {when}", "",
           "Written by `bench/foundation.py`; everything between the markers is replaced on the next run.", "",
           "### Machine", "", "| | |", "|---|---|"]
    out += [f"| {k} | {v} |" for k, v in info.items()]
    out += [f"| Load average (1/5/15 min) at start, after generation, at end | {loads['start']}; "
            f"{loads.get('generated', 'n/a')}; {loads['end']} |", ""]
    out += ["### Commands", "", "```sh", "make bench-foundation            # = .venv/bin/python bench/foundation.py",
            f".venv/bin/python bench/foundation.py {' '.join(sys.argv[1:])}".rstrip(), "# inside it:"]
    if gen:
        out.append(f"GONGZHI_DATABASE_URL=sqlite:///$TMP/city.db {gen['timer']} {_relative(gen['command'])}")
    if lat:
        out.append(f"GONGZHI_DATABASE_URL=sqlite:///$TMP/city.db {_relative(lat['command'])}")
        out.append("curl -X POST -d 'username=…&password=…' http://127.0.0.1:$PORT/api/v1/auth/token")
        out.append("curl -H 'Authorization: Bearer …' "
                   "'http://127.0.0.1:$PORT/api/v1/regions/locate?lat=…&lon=…&crs=wgs84'  # × N, one connection")
    out += ["```", ""]
    out += [f"City: {facts['city_name']} ({facts['city_code']}), seed {args.seed}: {c['grids']:,} grids, "
            f"{c['regions']:,} region nodes, {c['buildings']:,} buildings, {c['households']:,} households, "
            f"{c['residents']:,} residents, {c['units']:,} units, {c['party_orgs']:,} Party organisations, "
            f"{c['party_members']:,} Party members, {c['grid_staff']:,} grid staff. SQLite file "
            f"{facts['db_bytes'] / 1e9:.2f} GB; write-ahead log after the run {facts['wal_bytes'] / 1e9:.2f} GB "
            "(the load is one transaction, so until its commit the log grows as large as the file).", ""]
    if gen:
        wall, rss_gb = gen["wall_s"], gen["max_rss_kb"] / 1024 / 1024
        m, s = divmod(wall, 60)
        ok_t = wall < TARGETS["generate_seconds"]
        ok_m = rss_gb < TARGETS["generate_rss_gb"]
        out += ["### (b) Generating the city", "", "| Measure | Value | Target | |", "|---|---|---|---|",
                f"| Wall time | {int(m)} min {s:.1f} s ({wall:.1f} s) | < 10 min | {verdict(ok_t)} |",
                f"| Peak memory (max RSS) | {rss_gb:.2f} GiB ({gen['max_rss_kb']:,} kB) | < 4 GB | "
                f"{verdict(ok_m)} |",
                f"| CPU time (user + system) | {gen['user_s']:.1f} s + {gen['sys_s']:.1f} s | | |",
                f"| Residents per second | {c['residents'] / wall:,.0f} | | |", ""]
    box, ins = loc["city_bbox"], loc["in_grids"]
    ok_r = box["ratio"] >= TARGETS["locate_ratio"]
    out += ["### (a) Point → grid: `GridIndex.locate_many` against a bare STRtree", "",
            f"{box['points']:,} uniform random points in the city's bounding box "
            f"({', '.join(f'{v:.4f}' for v in loc['bbox'])}), seed {loc['seed']}, over {loc['grids']:,} grid "
            f"polygons; {box['hits']:,} of them ({box['hits'] / box['points']:.1%}) fall in a grid (the rest is "
            "countryside and sea without grids). Second row pair: as many points drawn uniformly inside the grids "
            "(every point a hit), closer to real requests. Best of 3, the two interleaved, same points, same "
            "process; both answers are checked to agree.", "",
            "| Points | | Best time | Points per second | All runs (s) |", "|---|---|---|---|---|"]
    for label, r in (("city bbox", box), ("inside grids", ins)):
        out += [f"| {label} | bare `STRtree(polys).query(points, predicate=\"intersects\")`, points prebuilt | "
                f"{min(r['bare_s']):.3f} s | {r['bare_pps']:,.0f} | {', '.join(f'{t:.3f}' for t in r['bare_s'])} |",
                f"| {label} | `GridIndex.locate_many(lon, lat)` (makes the points, maps to grid ids) | "
                f"{min(r['ours_s']):.3f} s | {r['ours_pps']:,.0f} | {', '.join(f'{t:.3f}' for t in r['ours_s'])} |"]
    out += ["",
            f"**Ratio GridIndex / bare STRtree, city bounding box: {box['ratio']:.2f}** (target ≥ 0.5: "
            f"{verdict(ok_r)}); inside the grids: {ins['ratio']:.2f}. Making {box['points']:,} shapely points "
            f"alone takes {box['points_build_s']:.3f} s (city bbox) / {ins['points_build_s']:.3f} s (inside), "
            "which the bare query is spared; `GridIndex` makes points only where its raster of grid bounding "
            "boxes says a grid may be.", ""]
    if lat:
        out += ["### (a) Latency of one locate request over HTTP", "",
                f"A real `gongzhi serve` (uvicorn, 1 worker) on the generated database; {lat['requests']:,} "
                f"sequential `GET /api/v1/regions/locate?…&crs=wgs84` requests on one keep-alive connection "
                f"from this process, after {lat['warmup']} warm-up requests; each point lies in a grid (a 200 "
                "answer with the grid and its ancestors).", "",
                "| p50 | p95 | p99 | mean | max | sequential req/s | first (cold) request |",
                "|---|---|---|---|---|---|---|",
                f"| {lat['p50_ms']:.2f} ms | {lat['p95_ms']:.2f} ms | {lat['p99_ms']:.2f} ms | "
                f"{lat['mean_ms']:.2f} ms | {lat['max_ms']:.1f} ms | {lat['sequential_rps']:,.0f} | "
                f"{lat['cold_ms']:.0f} ms |", "",
                "The first request also loads the grid polygons from the database and builds the index.", ""]
        if lat.get("wrk"):
            out += ["`wrk -t1 -c1 -d10s --latency` on one point:", "", "```", lat["wrk"], "```", ""]
    out.append(END)
    return "\n".join(out)


def write_docs(path: Path, block: str) -> None:
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n\n"
    if BEGIN in text and END in text:
        text = text[: text.index(BEGIN)] + block + text[text.index(END) + len(END):]
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def replace_block(path: Path, block: str, begin: str, end: str, heading: str = "") -> None:
    """Put `block` (which starts with `begin` and ends with `end`) in place of the one between those markers in
    `path`, or append it under `heading` (a Markdown "## …" line) when the file has none yet."""
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n\n"
    if begin in text and end in text:
        text = text[: text.index(begin)] + block + text[text.index(end) + len(end):]
    else:
        text = text.rstrip("\n") + "\n\n" + (f"{heading}\n\n" if heading else "") + block + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", default="yantai", help="yantai (the benchmark) or tiny/demo/anning (smoke)")
    parser.add_argument("--seed", type=int, default=1, help="generator seed")
    parser.add_argument("--points", type=int, default=1_000_000, help="random points for the throughput test")
    parser.add_argument("--point-seed", type=int, default=20241)
    parser.add_argument("--requests", type=int, default=5000, help="sequential HTTP requests timed")
    parser.add_argument("--db", type=Path, help="reuse this generated SQLite file (skips generation)")
    parser.add_argument("--output", type=Path, help="Markdown file to update (default: docs/benchmarks.md for "
                                                    "the yantai scale, none otherwise)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary database and logs")
    args = parser.parse_args()

    info = machine()
    loads = {"start": load()}
    work = Path(tempfile.mkdtemp(prefix="gongzhi-bench-"))
    db = args.db.resolve() if args.db else work / "city.db"
    env = {**os.environ, "GONGZHI_DATABASE_URL": f"sqlite:///{db}", "GONGZHI_SECRET_KEY": SECRET,
           "GONGZHI_ENVIRONMENT": "development"}
    try:
        gen = None if args.db else generate(env, args.scale, args.seed, work)
        loads["generated"] = load()
        if gen:
            say(f"  {gen['wall_s']:.1f} s, max RSS {gen['max_rss_kb'] / 1024:.0f} MB")
        facts = city_facts(db)
        say(f"→ locate throughput: {args.points:,} points")
        loc = locate_throughput(db, args.points, args.point_seed)
        for label in ("city_bbox", "in_grids"):
            r = loc[label]
            say(f"  {label}: bare {r['bare_pps']:,.0f} pts/s, GridIndex {r['ours_pps']:,.0f} pts/s, "
                f"ratio {r['ratio']:.2f}")
        lat = None
        if args.requests:
            lat = http_latency(env, facts["city_code"], loc.pop("hit_lonlat"), args.requests, work)
            say(f"  p50 {lat['p50_ms']:.2f} ms, p95 {lat['p95_ms']:.2f} ms, p99 {lat['p99_ms']:.2f} ms")
        loads["end"] = load()
        block = render(args, info, gen, facts, loc, lat, loads)
        output = args.output or (DOCS if args.scale == "yantai" and not args.db else None)
        if output:
            write_docs(output, block)
            say(f"→ wrote {output}")
        else:
            say(block)
    finally:
        if args.keep:
            say(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
