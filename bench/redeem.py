"""Points redemption throughput (积分超市): N concurrent clients redeeming from a generated store, on PostgreSQL.

Two faces, one run:

1. Service layer: `--clients` threads, each with its own session and connection, call
   `gongzhi.points.service.redeem` in one transaction per redemption (what every route does), choosing a random
   holder and a random item each time, until `--redemptions` have been tried.
2. HTTP (unless `--no-http`): a real `gongzhi serve --no-worker` on the same database; `--clients` keep-alive
   connections POST /api/v1/points/items/{id}/redeem with the holders' bearer tokens.

The store: `--items` items in the demo community with stock for most of the tries (a few items run out, so
"out of stock" answers are part of the load, as on a real shelf), `--holders` residents with enough points
for a few redemptions each (some run dry: "insufficient points" answers too), and a per-person limit on some
items. A hot item with 10 pieces is redeemed by everyone at once at the start of each face.

After each face the invariants are checked on the database: the ledger sums to zero, every cached balance
equals the sum of its entries, no holder is below zero, one redeem posting per redemption, no item below
zero and every item's stock plus what was redeemed of it equals what it started with (less cancellations:
there are none here), and no code is open twice.

Prints redemptions/s and p50/p95 latency per face; writes the section "## Points redemption (issue 4)" of
docs/benchmarks.md (between markers). `--quick` is a smoke run (fewer tries) that prints and writes only with
`--output`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import random
import statistics
import sys
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]
os.environ.setdefault("GONGZHI_SECRET_KEY", "bench-redeem-secret-key")
os.environ.setdefault("GONGZHI_ENVIRONMENT", "development")

from foundation import load, machine, replace_block, say  # noqa: E402 — bench/ and the root are on the path only now
from tests.appeals import live_db  # noqa: E402

DOCS = ROOT / "docs" / "benchmarks.md"
BEGIN, END = "<!-- bench-redeem:begin -->", "<!-- bench-redeem:end -->"
HOT_STOCK = 10


def _setup(city: live_db.LiveCity, *, items: int, holders: int, seed: int) -> dict[str, Any]:
    """The store, the shop, the holders (one shared password hash: hashing is not what is measured)."""
    from sqlalchemy import select

    from gongzhi.accounts.models import User
    from gongzhi.core.db import unit_of_work
    from gongzhi.core.security import hash_password
    from gongzhi.orgs.models import Unit
    from gongzhi.points import ledger, service
    from gongzhi.points.models import StoreItem
    from gongzhi.regions.models import Region

    rnd = random.Random(seed)
    s = city.session()
    with unit_of_work(s):
        grid = s.scalars(select(Region).where(Region.code == city.grid_code)).one()
        community = service.community_of(s, grid.path)
        assert community is not None
        shop = Unit(name="压测便民超市", kind="商铺", region_id=community.id, scope_path=community.path)
        s.add(shop)
        s.flush()
        rows = []
        for i in range(items):
            rows.append(StoreItem(community_id=community.id, scope_path=community.path, unit_id=shop.id,
                                  kind="goods", name=f"压测商品{i + 1}", price=rnd.choice((10, 20, 30, 50)),
                                  stock=rnd.choice((20, 200, 2000)), per_person_limit=rnd.choice((None, None, 5)),
                                  limit_period="month", cancel_hours=72, active=True))
        hot = StoreItem(community_id=community.id, scope_path=community.path, unit_id=shop.id, kind="goods",
                        name="限量秒杀", price=10, stock=HOT_STOCK, limit_period="month", cancel_hours=72,
                        active=True)
        s.add_all([*rows, hot])
        pw = hash_password(live_db.PASSWORD)
        issuer = ledger.issuer_account(s, community)
        names = []
        for i in range(holders):
            u = User(username=f"bench{uuid.uuid4().hex[:10]}", display_name=f"压测居民{i}", password_hash=pw,
                     role="resident", scope_region_id=grid.id)
            s.add(u)
            s.flush()
            n = rnd.choice((100, 300, 1000))
            ledger.post(s, key=f"bench-seed:{u.id}", kind="adjust", community_id=community.id,
                        legs=[ledger.Leg(issuer, -n), ledger.Leg(ledger.user_account(s, u), n)])
            names.append(u.username)
        s.flush()
        out = {"items": [r.id for r in rows], "hot": hot.id, "holders": names,
               "stock": {r.id: r.stock for r in [*rows, hot]}}
    s.close()
    return out


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _service_face(city: live_db.LiveCity, store: dict[str, Any], *, clients: int, tries: int,
                  seed: int) -> dict[str, Any]:
    from gongzhi.core.db import unit_of_work
    from gongzhi.core.errors import AppError
    from gongzhi.points import service

    principals: dict[str, Any] = {}
    s0 = city.session()
    for name in store["holders"]:
        principals[name] = live_db.principal(s0, name)
    s0.close()

    def one(username: str, item_id: int) -> str:
        s = city.session()
        try:
            with unit_of_work(s):
                p = principals[username]
                service.redeem(s, p, service.get_item(s, p, item_id))
            return "ok"
        except AppError as exc:
            return exc.code
        finally:
            s.close()

    hot = _burst(lambda i: one(store["holders"][i % len(store["holders"])], store["hot"]), clients)
    rnd = random.Random(seed)
    plan = [(rnd.choice(store["holders"]), rnd.choice(store["items"])) for _ in range(tries)]
    return {**_drive(lambda i: one(*plan[i]), tries, clients), "hot": hot}


def _http_face(city: live_db.LiveCity, store: dict[str, Any], *, clients: int, tries: int,
               seed: int) -> dict[str, Any]:
    server = live_db.start_server(city.url, log=ROOT / "test-artifacts" / "bench-redeem-server.log")
    try:
        host, port = server.base.removeprefix("http://").split(":")
        holders = store["holders"][: max(clients * 2, 20)]  # each login verifies an argon2 hash: a few holders
        _top_up(city, holders, 3000)  # … with enough points for their share of the tries
        tokens = {name: live_db.login(server.base, name) for name in holders}
        local = threading.local()

        def one(username: str, item_id: int) -> str:
            conn = getattr(local, "conn", None)
            if conn is None:
                conn = local.conn = http.client.HTTPConnection(host, int(port), timeout=60)
            conn.request("POST", f"/api/v1/points/items/{item_id}/redeem", body=json.dumps({"quantity": 1}),
                         headers={"Authorization": f"Bearer {tokens[username]}",
                                  "Content-Type": "application/json"})
            r = conn.getresponse()
            body = r.read()
            if r.status == 201:
                return "ok"
            if r.status >= 500:
                return f"http_{r.status}"
            return str(json.loads(body)["error"]["code"])

        hot = _burst(lambda i: one(holders[i % len(holders)], store["hot"]), clients)
        rnd = random.Random(seed + 1)
        plan = [(rnd.choice(holders), rnd.choice(store["items"])) for _ in range(tries)]
        return {**_drive(lambda i: one(*plan[i]), tries, clients), "hot": hot}
    finally:
        live_db.stop_server(server)


def _top_up(city: live_db.LiveCity, usernames: list[str], points: int) -> None:
    from sqlalchemy import select

    from gongzhi.accounts.models import User
    from gongzhi.core.db import unit_of_work
    from gongzhi.points import ledger, service
    from gongzhi.regions.models import Region

    s = city.session()
    with unit_of_work(s):
        grid = s.scalars(select(Region).where(Region.code == city.grid_code)).one()
        community = service.community_of(s, grid.path)
        assert community is not None
        issuer = ledger.issuer_account(s, community)
        for name in usernames:
            user = s.scalars(select(User).where(User.username == name)).one()
            ledger.post(s, key=f"bench-top-up:{user.id}", kind="adjust", community_id=community.id,
                        legs=[ledger.Leg(issuer, -points), ledger.Leg(ledger.user_account(s, user), points)])
    s.close()


def _burst(work: Any, n: int) -> dict[str, int]:
    """n clients at the hot item at once (released by a barrier): exactly HOT_STOCK may succeed."""
    n = max(n, HOT_STOCK * 2)
    barrier = threading.Barrier(n, timeout=60)

    def go(i: int) -> str:
        barrier.wait()
        return str(work(i))

    with ThreadPoolExecutor(max_workers=n) as pool:
        return dict(Counter(pool.map(go, range(n))))


def _drive(work: Any, tries: int, clients: int) -> dict[str, Any]:
    """`tries` calls of work(i) by `clients` threads; throughput, latencies and outcomes."""
    latencies: list[float] = []
    outcomes: Counter[str] = Counter()
    lock = threading.Lock()
    counter = iter(range(tries))

    def worker() -> None:
        while True:
            with lock:
                i = next(counter, None)
            if i is None:
                return
            t0 = time.perf_counter()
            result = work(i)
            took = time.perf_counter() - t0
            with lock:
                latencies.append(took)
                outcomes[result] += 1

    started = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - started
    return {"tries": tries, "seconds": wall, "ok": outcomes["ok"], "outcomes": dict(outcomes),
            "per_second": tries / wall, "ok_per_second": outcomes["ok"] / wall,
            "p50_ms": _percentile(latencies, 0.5) * 1000, "p95_ms": _percentile(latencies, 0.95) * 1000,
            "mean_ms": statistics.fmean(latencies) * 1000 if latencies else 0.0}


def check_invariants(city: live_db.LiveCity, store: dict[str, Any]) -> dict[str, Any]:
    """The ledger's and the store's promises, on what the run left; raises AssertionError when one fails."""
    from sqlalchemy import func, select

    from gongzhi.points.models import PointAccount, PointEntry, PointPosting, Redemption, StoreItem

    s = city.session()
    try:
        total = int(s.scalar(select(func.coalesce(func.sum(PointEntry.amount), 0))) or 0)
        assert total == 0, f"the ledger sums to {total}"
        sums = dict(s.execute(select(PointEntry.account_id, func.sum(PointEntry.amount))
                              .group_by(PointEntry.account_id)).tuples().all())
        for acc in s.scalars(select(PointAccount)):
            assert acc.balance == int(sums.get(acc.id, 0)), f"{acc.owner_key}: cached ≠ sum"
            assert acc.kind == "issuer" or acc.balance >= 0, f"{acc.owner_key} below zero"
        redemptions = s.scalar(select(func.count()).select_from(Redemption)) or 0
        postings = s.scalar(select(func.count()).select_from(PointPosting).where(PointPosting.kind == "redeem")) or 0
        assert redemptions == postings, f"{redemptions} redemptions, {postings} redeem postings"
        taken = dict(s.execute(select(Redemption.item_id, func.sum(Redemption.quantity))
                               .group_by(Redemption.item_id)).tuples().all())
        for item in s.scalars(select(StoreItem).where(StoreItem.id.in_(list(store["stock"])))):
            assert item.stock >= 0
            assert item.stock + int(taken.get(item.id, 0)) == store["stock"][item.id], f"item {item.id} stock"
        hot_taken = int(taken.get(store["hot"], 0))
        codes = s.execute(select(Redemption.open_code, func.count()).where(Redemption.open_code.is_not(None))
                          .group_by(Redemption.open_code).having(func.count() > 1)).all()
        assert not codes, "an open code twice"
        return {"redemptions": redemptions, "hot_taken": hot_taken}
    finally:
        s.close()


def report(args: argparse.Namespace, results: dict[str, Any], invariants: dict[str, Any]) -> str:
    when = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    out = [BEGIN, "", f"### Latest run: {when}{' (quick)' if args.quick else ''}", "",
           "Written by `bench/redeem.py`; everything between the markers is replaced on the next run.", "",
           "#### Machine", "", "| | |", "|---|---|"]
    out += [f"| {k} | {v} |" for k, v in machine().items()]
    out += [f"| Load average at the end | {load()} |", "", "#### Command", "", "```sh",
            "make bench-cobuild     # runs, among others:",
            f".venv/bin/python bench/redeem.py --clients {args.clients} --redemptions {args.redemptions} "
            f"--holders {args.holders} --items {args.items}" + (" --quick" if args.quick else ""), "```", "",
            f"Database: {args.backend}, the tiny generated city; {args.items} items (+1 hot item with "
            f"{HOT_STOCK} pieces), {args.holders} holders with 100–1,000 points each (over HTTP the first "
            f"{max(args.clients * 2, 20)} holders, topped up with 3,000 points: each login verifies a password "
            f"hash); {args.clients} concurrent clients.", "",
            "#### Throughput", "",
            "| Face | Tries | Succeeded | Tries/s | Redemptions/s | p50 ms | p95 ms | Refusals |",
            "|---|---:|---:|---:|---:|---:|---:|---|"]
    for face, r in results.items():
        refusals = ", ".join(f"{k} {v}" for k, v in sorted(r["outcomes"].items()) if k != "ok") or "—"
        out.append(f"| {face} | {r['tries']} | {r['ok']} | {r['per_second']:.0f} | {r['ok_per_second']:.0f} | "
                   f"{r['p50_ms']:.1f} | {r['p95_ms']:.1f} | {refusals} |")
    busy = os.getloadavg()[0] > (os.cpu_count() or 1)
    if busy:
        out += ["", "The machine was busy with other work during the run (load average above the number of cores): "
                    "the figures are a floor, not what the code does on a machine of its own."]
    out += ["", "#### The hot item (10 in stock, everyone at once)", ""]
    for face, r in results.items():
        out.append(f"- {face}: " + ", ".join(f"{k} {v}" for k, v in sorted(r["hot"].items())))
    out += ["", f"Invariants checked after the run: the ledger sums to zero, cached balances equal the sums of "
                f"entries, no holder below zero, {invariants['redemptions']} redemptions = as many redeem "
                f"postings, stock + redeemed = starting stock for every item, the hot item gave exactly "
                f"{invariants['hot_taken']} pieces, no open code twice. ✅", "", END]
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="a smoke run: 300 tries per face")
    parser.add_argument("--backend", default="postgresql", choices=("postgresql", "sqlite"))
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--redemptions", type=int, default=3000, help="tries per face")
    parser.add_argument("--holders", type=int, default=400)
    parser.add_argument("--items", type=int, default=40)
    parser.add_argument("--no-http", action="store_true", help="only the service layer")
    parser.add_argument("--seed", type=int, default=4)
    parser.add_argument("--output", type=Path, help="Markdown file to update (default: docs/benchmarks.md, "
                                                    "not with --quick)")
    args = parser.parse_args()
    if args.quick:
        args.redemptions, args.holders = min(args.redemptions, 300), min(args.holders, 80)
    if args.backend == "postgresql":
        reason = live_db.pg_reachable(live_db.pg_server_url())
        if reason:
            raise SystemExit(f"PostgreSQL is not reachable at {live_db.pg_server_url()}: {reason}")
    results: dict[str, Any] = {}
    with live_db.new_database(args.backend, prefix="gongzhi_bench_redeem") as url, live_db.pointed_at(url):
        say(f"building the database ({args.backend}) …")
        city = live_db.build(url)
        store = _setup(city, items=args.items, holders=args.holders, seed=args.seed)
        say(f"service layer: {args.redemptions} tries by {args.clients} clients …")
        results["service layer"] = _service_face(city, store, clients=args.clients, tries=args.redemptions,
                                                 seed=args.seed)
        invariants = check_invariants(city, store)
        assert invariants["hot_taken"] == HOT_STOCK
        if not args.no_http:
            store = _setup(city, items=args.items, holders=args.holders, seed=args.seed + 7)
            say(f"HTTP (gongzhi serve): {args.redemptions} tries by {args.clients} connections …")
            results["HTTP (gongzhi serve)"] = _http_face(city, store, clients=args.clients, tries=args.redemptions,
                                                         seed=args.seed)
            invariants = check_invariants(city, store)
            assert invariants["hot_taken"] == HOT_STOCK
        for face, r in results.items():
            say(f"{face}: {r['per_second']:.0f} tries/s, {r['ok_per_second']:.0f} redemptions/s, "
                f"p50 {r['p50_ms']:.1f} ms, p95 {r['p95_ms']:.1f} ms, outcomes {r['outcomes']}, hot {r['hot']}")
        invariants["redemptions"] = check_invariants(city, store)["redemptions"]
    block = report(args, results, invariants)
    if args.output or not args.quick:
        replace_block(args.output or DOCS, block, BEGIN, END, "## Points redemption (issue 4)")
        say(f"wrote {args.output or DOCS}")
    else:
        say(block)


if __name__ == "__main__":
    main()
