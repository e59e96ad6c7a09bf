"""Customers at scale: seeds N customers, then times the issue's queries through a real HTTP server.

    python scripts/bench_customers.py --database-url postgres://postgres@127.0.0.1:5432/bench --customers 1000000
    python scripts/bench_customers.py --database-url sqlite:///tmp/bench.db --customers 100000

Add `--reuse` to measure a database an earlier run seeded with the same `--customers` again, without
seeding: the rows earlier measurements added (bulk and import) are deleted, the tables vacuumed and
analysed, and the bench organisation gets a new API key.

The database is created and migrated if needed; seeding writes straight through the driver (COPY on
PostgreSQL), because it is setup, not what is measured. The server runs as `voiceai serve` in a child
process with rate limits off, so its peak memory (VmHWM) during the CSV import can be read from /proc.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import os
import random
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.auth.api_keys import create_api_key
from app.db.setup import close_database, open_database
from app.organisations.service import create_organisation

FIRST = ["Aarav", "Priya", "Ravi", "Meera", "Jordan", "Ananya", "Kiran", "Sana", "Vikram", "Isha", "Rohan", "Zoë"]
LAST = ["Kumar", "Nair", "Iyer", "Ellis", "Sharma", "Patel", "Reddy", "Das", "Singh", "Menon", "Gupta", "Rao"]
REGIONS = [f"Region:R{n:02d}" for n in range(20)]
SEGMENTS = [f"Segment:S{n}" for n in range(5)]
BRANCHES = [f"Branch:B{n:02d}" for n in range(50)]


def phone(n: int) -> str:
    return f"+9198{n:08d}"


def person(n: int, rng: random.Random) -> tuple[str, list[str]]:
    name = f"{rng.choice(FIRST)} {rng.choice(LAST)} {n}"
    return name, [REGIONS[n % 20], SEGMENTS[n % 5], BRANCHES[(n // 7) % 50]]


async def seed(url: str, organisation_id: str, count: int) -> float:
    started = time.perf_counter()
    rng = random.Random(7)
    base = datetime(2026, 1, 1, tzinfo=UTC)
    tag_names = REGIONS + SEGMENTS + BRANCHES
    if url.startswith("postgres"):
        import asyncpg

        connection = await asyncpg.connect(url.replace("postgres://", "postgresql://", 1))
        tag_ids = {}
        for name in tag_names:
            tag_ids[name] = await connection.fetchval(
                "INSERT INTO tags (organisation_id, name) VALUES ($1, $2) RETURNING id", organisation_id, name
            )
        for start in range(0, count, 100_000):
            customers, links = [], []
            for n in range(start, min(count, start + 100_000)):
                name, tags = person(n, rng)
                cid = f"cst_{n:012x}"
                at = base + timedelta(seconds=n * 10)
                customers.append(
                    (
                        cid,
                        organisation_id,
                        name,
                        name.casefold(),
                        phone(n),
                        None,
                        json.dumps(tags),
                        "en",
                        json.dumps({"n": n}),
                        0,
                        0,
                        0,
                        None,
                        at,
                        at,
                    )
                )
                links.extend((cid, tag_ids[tag]) for tag in tags)
            await connection.copy_records_to_table(
                "customers",
                records=customers,
                columns=[
                    "id",
                    "organisation_id",
                    "name",
                    "search_name",
                    "phone",
                    "email",
                    "tags",
                    "preferred_language",
                    "metadata",
                    "total_calls",
                    "inbound_calls",
                    "outbound_calls",
                    "last_contact",
                    "created_at",
                    "updated_at",
                ],
            )
            await connection.copy_records_to_table("customer_tags", records=links, columns=["customer_id", "tag_id"])
        await connection.execute("VACUUM ANALYZE")  # what autovacuum does after a bulk load
        await connection.close()
    else:
        import sqlite3

        db = sqlite3.connect(url.removeprefix("sqlite://"))
        for name in tag_names:
            db.execute("INSERT INTO tags (organisation_id, name) VALUES (?, ?)", (organisation_id, name))
        tag_ids = dict(db.execute("SELECT name, id FROM tags WHERE organisation_id = ?", (organisation_id,)))
        for start in range(0, count, 50_000):
            customers, links = [], []
            for n in range(start, min(count, start + 50_000)):
                name, tags = person(n, rng)
                cid = f"cst_{n:012x}"
                at = (base + timedelta(seconds=n * 10)).isoformat(sep=" ")
                customers.append(
                    (
                        cid,
                        organisation_id,
                        name,
                        name.casefold(),
                        phone(n),
                        json.dumps(tags),
                        "en",
                        json.dumps({"n": n}),
                        at,
                        at,
                    )
                )
                links.extend((cid, tag_ids[tag]) for tag in tags)
            db.executemany(
                "INSERT INTO customers (id, organisation_id, name, search_name, phone, tags, "
                "preferred_language, metadata, total_calls, inbound_calls, outbound_calls, created_at, "
                "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, 0, 0, ?, ?)",
                customers,
            )
            db.executemany("INSERT INTO customer_tags (customer_id, tag_id) VALUES (?, ?)", links)
            db.commit()
        db.execute("ANALYZE")
        db.commit()
        db.close()
    return time.perf_counter() - started


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def memory_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


async def timed(session: aiohttp.ClientSession, method: str, url: str, runs: int, **options) -> dict[str, float]:
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        async with session.request(method, url, **options) as answer:
            await answer.read()
            assert answer.status < 300, (url, answer.status, await answer.text())
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return {
        "p50_ms": round(statistics.median(samples), 1),
        "p95_ms": round(samples[max(0, int(len(samples) * 0.95) - 1)], 1),
    }


def write_csv(path: Path, rows: int, offset: int) -> None:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["name", "phone", "email", "tags", "preferred_language", "metadata"])
        for n in range(offset, offset + rows):
            writer.writerow(
                [
                    f"Import Lead {n}",
                    phone(n),
                    f"lead{n}@example.com",
                    "Region:R01,Segment:S2",
                    "hi",
                    json.dumps({"cart_value": n % 1000, "lead_id": f"LD-{n}"}),
                ]
            )


async def reuse(url: str, count: int) -> tuple[str, str]:
    """The organisation an earlier run seeded with `count` customers, back to its seeded state, and a new key."""
    first_added = phone(count)  # every seeded phone sorts before it (same length), every added one after
    if url.startswith("postgres"):
        import asyncpg

        connection = await asyncpg.connect(url.replace("postgres://", "postgresql://", 1))
        organisation_id = await connection.fetchval(
            "SELECT organisation_id FROM customers WHERE phone < $1 GROUP BY organisation_id HAVING COUNT(*) = $2",
            first_added,
            count,
        )
        if organisation_id:
            await connection.execute(
                "DELETE FROM customers WHERE organisation_id = $1 AND phone >= $2", organisation_id, first_added
            )
            await connection.execute("VACUUM ANALYZE customers")
            await connection.execute("VACUUM ANALYZE customer_tags")
        await connection.close()
    else:
        import sqlite3

        db = sqlite3.connect(url.removeprefix("sqlite://"))
        row = db.execute(
            "SELECT organisation_id FROM customers WHERE phone < ? GROUP BY organisation_id HAVING COUNT(*) = ?",
            (first_added, count),
        ).fetchone()
        organisation_id = row[0] if row else None
        if organisation_id:
            db.execute("PRAGMA foreign_keys = ON")
            db.execute(
                "DELETE FROM customer_tags WHERE customer_id IN (SELECT id FROM customers "
                "WHERE organisation_id = ? AND phone >= ?)",
                (organisation_id, first_added),
            )
            db.execute("DELETE FROM customers WHERE organisation_id = ? AND phone >= ?", (organisation_id, first_added))
            db.commit()
            db.execute("ANALYZE")
            db.commit()
        db.close()
    if not organisation_id:
        raise SystemExit(f"--reuse: no organisation with {count} seeded customers in {url}")
    await open_database(url)
    try:
        _, key = await create_api_key(organisation_id, name="bench")
    finally:
        await close_database()
    return organisation_id, key


async def measure(base: str, key: str, count: int, runs: int, import_rows: int, pid: int) -> dict[str, object]:
    headers = {"Authorization": f"Bearer {key}"}
    api = base + "/api/voice"
    figures: dict[str, object] = {}
    async with aiohttp.ClientSession(headers=headers) as session:
        await timed(session, "GET", api + "/customers", 3)  # warm up
        figures["GET /customers?tags=Region:R03"] = await timed(
            session, "GET", api + "/customers", runs, params={"tags": "Region:R03"}
        )
        figures["GET /customers?tags (2 tags)"] = await timed(
            session, "GET", api + "/customers", runs, params=[("tags", "Region:R03"), ("tags", "Branch:B07")]
        )
        figures["GET /customers?search=<phone prefix>"] = await timed(
            session, "GET", api + "/customers", runs, params={"search": phone(count // 2)[:10]}
        )
        figures["GET /customers?search=<name part>"] = await timed(
            session, "GET", api + "/customers", runs, params={"search": "menon 12"}
        )
        figures["GET /customers/meta/count?tags (2 tags)"] = await timed(
            session, "GET", api + "/customers/meta/count", runs, params=[("tags", "Region:R03"), ("tags", "Segment:S1")]
        )
        figures["GET /customers/meta/tags"] = await timed(session, "GET", api + "/customers/meta/tags", runs)
        bulk = []
        for attempt in range(5):
            first = count + attempt * 500  # half of each batch is new, half updates the previous batch
            records = [
                {
                    "name": f"Bulk {n}",
                    "phone": phone(n - 500 if i % 2 else n),
                    "tags": ["Region:R01"],
                    "metadata": {"n": n},
                }
                for i, n in enumerate(range(first, first + 1000))
            ]
            started = time.perf_counter()
            async with session.post(api + "/customers/bulk", json={"customers": records}) as answer:
                assert answer.status == 200, await answer.text()
                await answer.read()
            bulk.append((time.perf_counter() - started) * 1000)
        figures["POST /customers/bulk (1000 records)"] = {
            "p50_ms": round(statistics.median(bulk), 1),
            "max_ms": round(max(bulk), 1),
        }
        with tempfile.TemporaryDirectory() as directory:
            path = Path(directory) / "leads.csv"
            write_csv(path, import_rows, offset=count + 10_000)
            rss_before = memory_kb(pid, "VmRSS")
            started = time.perf_counter()
            with path.open("rb") as handle:
                form = aiohttp.FormData()
                form.add_field("file", handle, filename="leads.csv", content_type="text/csv")
                async with session.post(
                    api + "/customers/import", data=form, timeout=aiohttp.ClientTimeout(total=600)
                ) as answer:
                    result = await answer.json()
                    assert answer.status == 200, result
            elapsed = time.perf_counter() - started
            peak = memory_kb(pid, "VmHWM")
            size_mb = round(path.stat().st_size / 1024 / 1024, 1)
        figures[f"POST /customers/import ({import_rows} rows, {size_mb} MB CSV)"] = {
            "seconds": round(elapsed, 2),
            "server_peak_rss_growth_mb": round(max(0, peak - rss_before) / 1024, 1),
            "imported": result["imported"],
            "skipped": result["skipped"],
        }
    return figures


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--import-rows", type=int, default=100_000)
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="measure a database an earlier run seeded with --customers again, without seeding",
    )
    args = parser.parse_args()

    if args.reuse:
        _, api_key = await reuse(args.database_url, args.customers)
        print(f"reusing the {args.customers} seeded customers", flush=True)
    else:
        await open_database(args.database_url, create_db=args.database_url.startswith("postgres"))
        organisation = await create_organisation(f"bench-{secrets.token_hex(3)}")
        await close_database()
        api_key = organisation.api_key
        seconds = await seed(args.database_url, organisation.organisation.id, args.customers)
        print(f"seeded {args.customers} customers in {seconds:.1f} s", flush=True)

    port = free_port()
    env = {
        **os.environ,
        "VOICEAI_DATABASE_URL": args.database_url,
        "VOICEAI_RATE_LIMITS": "off",
        "VOICEAI_LOG_LEVEL": "WARNING",
        "VOICEAI_MAX_BODY_BYTES": str(1024 * 1024),
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "serve", "--port", str(port)],
        env=env,
        cwd=Path(__file__).resolve().parents[1],
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                await asyncio.sleep(0.1)
        figures = await measure(base, api_key, args.customers, args.runs, args.import_rows, server.pid)
    finally:
        server.terminate()
        server.wait(timeout=30)
    print(
        json.dumps(
            {
                "database": args.database_url.split(":")[0],
                "customers": args.customers,
                "runs": args.runs,
                "figures": figures,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    asyncio.run(main())
