"""Co-building matching benchmark (issue 4): the whole-community assignment (SciPy `linear_sum_assignment` on a
capacity-slot expansion, gongzhi.cobuild.matching.assign) against greedy matching, on a generated Yantai-sized
street: all of its needs and resources.

Yantai (DESIGN.md §5): 65 streets, 495 communities, 5,158 grids — a street of ~15 communities of ~10 grids; a
community's 大党委 has ~70 member units (seed 003: "社区“大党委”70余家成员单位"). Each community here gets 10 grids ×
8 needs a year, one resource from each of its 70 member units plus 20 from volunteers and Party members; one
resource in ten is offered at the street and reaches every community. Capacities (1–3 needs) and time windows
are tight, so not every need can be met and the order of choices matters.

The figures replace the block between the markers in docs/benchmarks.md. `--quick` is a smoke run (3
communities). Matching runs on plain values (no database): this measures the solver, not SQL."""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from gongzhi.cobuild import matching  # noqa: E402 - after the path is set
from gongzhi.cobuild.matching import NeedIn, ResourceIn  # noqa: E402
from gongzhi.cobuild.models import NEED_TYPES  # noqa: E402

DOCS = ROOT / "docs" / "benchmarks.md"
BEGIN, END = "<!-- bench-cobuild:begin -->", "<!-- bench-cobuild:end -->"
SKILLS = ("理发", "陪伴", "电工", "维修", "辅导", "心理", "康复", "护理", "法律", "培训", "文艺", "书法")
STREET = "/370602/370602001/"


def say(message: str) -> None:
    print(message, flush=True)  # noqa: T201 - a command-line tool reporting progress


def generate_street(seed: int, communities: int, grids: int = 10, needs_per_grid: int = 8, units: int = 70,
                    volunteers: int = 20) -> tuple[list[NeedIn], list[ResourceIn]]:
    """All needs and resources of one generated street (fixed seed: the same street every run)."""
    rnd = random.Random(seed)
    base = dt.date(2026, 1, 1)
    needs: list[NeedIn] = []
    resources: list[ResourceIn] = []
    types = NEED_TYPES[:-1]  # 其他 is rare; leave it out of the generated street
    for c in range(communities):
        cpath = f"{STREET}{c:03d}/"
        lat0, lon0 = 37.45 + 0.01 * (c % 5), 121.40 + 0.012 * (c // 5)
        for g in range(grids):
            gpath = f"{cpath}{g:02d}/"
            for _ in range(needs_per_grid):
                start = base + dt.timedelta(days=rnd.randrange(350))
                needs.append(NeedIn(len(needs) + 1, rnd.choice(types),
                                    frozenset(rnd.sample(SKILLS, rnd.choice((0, 1, 1, 2)))),
                                    lat=lat0 + rnd.random() * 0.01, lon=lon0 + rnd.random() * 0.01, path=gpath,
                                    window=(start, start + dt.timedelta(days=rnd.randrange(3, 21))),
                                    urgency=rnd.choices(("high", "normal", "low"), (2, 5, 3))[0]))
        for _ in range(units + volunteers):
            start = base + dt.timedelta(days=rnd.randrange(300))
            on_street = rnd.random() < 0.1
            resources.append(ResourceIn(
                100000 + len(resources), rnd.choice(types), capacity_left=(cap := rnd.choice((1, 1, 2, 3))),
                capacity=cap, skills=frozenset(rnd.sample(SKILLS, rnd.randrange(1, 4))),
                lat=lat0 + rnd.random() * 0.01, lon=lon0 + rnd.random() * 0.01,
                path=STREET if on_street else cpath,
                windows=((start, start + dt.timedelta(days=rnd.randrange(20, 90))),),
                rating=rnd.choice((None, None, 3.0, 4.0, 4.5, 5.0))))
    return needs, resources


def timed(fn: Any, *args: Any) -> tuple[Any, float]:
    t0 = time.perf_counter()
    out = fn(*args)
    return out, time.perf_counter() - t0


def run(seed: int, communities: int) -> dict[str, Any]:
    needs, resources = generate_street(seed, communities)
    solved, t_solve = timed(matching.assign, needs, resources)
    greedy, t_greedy = timed(matching.greedy, needs, resources)
    problems = matching.check_feasible(solved, needs, resources)
    assert not problems, problems[:5]
    assert not matching.check_feasible(greedy, needs, resources)
    # per community, the way the desk runs it (street-level resources shared, each community solved alone)
    t_per = 0.0
    per_matched = 0
    left = {r.id: r.capacity_left for r in resources}
    for c in range(communities):
        cpath = f"{STREET}{c:03d}/"
        cn = [n for n in needs if n.path.startswith(cpath)]
        cr = [ResourceIn(r.id, r.type, left[r.id], r.capacity, r.skills, r.lat, r.lon, r.path, r.windows, r.rating)
              for r in resources if cpath.startswith(r.path) and left[r.id] > 0]
        pairs, t = timed(matching.assign, cn, cr)
        t_per += t
        per_matched += len(pairs)
        for _, rid, _ in pairs:
            left[rid] -= 1
    return {"seed": seed, "communities": communities, "needs": len(needs), "resources": len(resources),
            "slots": sum(r.capacity_left for r in resources), "solver": len(solved), "greedy": len(greedy),
            "t_solve": t_solve, "t_greedy": t_greedy, "per_community": per_matched, "t_per": t_per,
            "score_solver": sum(s for *_, s in solved), "score_greedy": sum(s for *_, s in greedy)}


def machine() -> dict[str, str]:
    """The machine table of bench/foundation.py, plus SciPy (the solver)."""
    import scipy

    sys.path.insert(0, str(ROOT / "bench"))
    from foundation import machine as foundation_machine

    return {**foundation_machine(), "SciPy": scipy.__version__}


def render(args: argparse.Namespace, rows: list[dict[str, Any]]) -> str:
    when = dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    out = [BEGIN, "", f"### Latest run: {when}{' (quick)' if args.quick else ''}", "",
           "Written by `bench/cobuild.py`; everything between the markers is replaced on the next run.", "",
           "#### Machine", "", "| | |", "|---|---|", *[f"| {k} | {v} |" for k, v in machine().items()], "",
           "#### Command", "", "```sh", "make bench-cobuild            # = .venv/bin/python bench/cobuild.py",
           f".venv/bin/python bench/cobuild.py{' --quick' if args.quick else ''} --seeds {args.seeds}"
           f" --communities {args.communities}", "```", "",
           "#### A generated Yantai-sized street: whole-street assignment vs greedy", "",
           "Needs matched under the same capacities; share = matched / all needs. Greedy takes needs in urgency "
           "order, each its best-scoring compatible resource with capacity left. Every solver answer is checked "
           "for feasibility (no need twice, every pair compatible, no resource over capacity).", "",
           "| Seed | Communities | Needs | Resources (slots) | Solver matched (share) | Greedy matched (share) "
           "| Solver gain | Solver time | Greedy time | Per-community runs matched (total time) |",
           "|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        n = r["needs"]
        out.append(f"| {r['seed']} | {r['communities']} | {n:,} | {r['resources']:,} ({r['slots']:,}) "
                   f"| {r['solver']:,} ({r['solver'] / n:.1%}) | {r['greedy']:,} ({r['greedy'] / n:.1%}) "
                   f"| +{r['solver'] - r['greedy']} | {r['t_solve']:.2f} s | {r['t_greedy']:.2f} s "
                   f"| {r['per_community']:,} ({r['t_per']:.2f} s) |")
    gain = sum(r["solver"] - r["greedy"] for r in rows)
    never_fewer = "never fewer" if all(r["solver"] >= r["greedy"] for r in rows) else "FEWER in some run"
    out += ["", f"Over {len(rows)} generated street(s) the solver matched {gain:,} more needs than greedy in total, "
            f"{never_fewer}. The desk's \"统筹匹配\" button solves one community at a time (last column: the "
            "communities of the street in turn, street-level resources shared), which is what a community "
            "worker waits for.", "", END]
    return "\n".join(out)


def write_docs(path: Path, block: str) -> None:
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n\n"
    if BEGIN in text and END in text:
        text = text[: text.index(BEGIN)] + block + text[text.index(END) + len(END):]
    else:
        text = text.rstrip("\n") + "\n\n## Co-building matching (issue 4)\n\n" + block + "\n"
    path.write_text(text, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run: 3 communities, 1 seed")
    parser.add_argument("--communities", type=int, default=15, help="communities in the street (Yantai: 10–20)")
    parser.add_argument("--seeds", type=int, default=3, help="how many generated streets")
    parser.add_argument("--output", type=Path, default=DOCS, help="Markdown file to update")
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args()
    if args.quick:
        args.communities, args.seeds = 3, 1
    rows = []
    for seed in range(1, args.seeds + 1):
        r = run(seed, args.communities)
        say(f"seed {seed}: {r['needs']} needs, {r['resources']} resources — solver {r['solver']} in "
            f"{r['t_solve']:.2f} s, greedy {r['greedy']} in {r['t_greedy']:.2f} s")
        rows.append(r)
    block = render(args, rows)
    if args.no_write:
        say(block)
    else:
        write_docs(args.output, block)
        say(f"written to {args.output}")


if __name__ == "__main__":
    main()
