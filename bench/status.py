"""Status endpoint throughput: `GET /api/v1/status/{fqdn}` at 100 concurrent clients next
to a static file served by the same uvicorn server in the same run.

    .venv/bin/python bench/status.py [--fqdn NAME] [--seconds 10] [--concurrency 100]

Needs the lab (the status path asks every name server and the web server). The load comes
from `wrk` (Debian package, installed by scripts/bootstrap) so that the client costs little
CPU on the same machine; without wrk it falls back to an httpx client (slower, so the
figures are then lower bounds). Prints requests/s, p50 and p99 for both, and the ratio
(target: status >= 50 % of static, p99 < 50 ms).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def hammer(url: str, total: int, concurrency: int) -> tuple[float, list[float], int]:
    latencies: list[float] = []
    errors = 0
    queue: asyncio.Queue[None] = asyncio.Queue()
    for _ in range(total):
        queue.put_nowait(None)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(limits=limits, timeout=30) as client:

        async def one() -> None:
            nonlocal errors
            while not queue.empty():
                queue.get_nowait()
                started = time.perf_counter()
                resp = await client.get(url)
                latencies.append(time.perf_counter() - started)
                errors += resp.status_code >= 500

        started = time.perf_counter()
        await asyncio.gather(*(one() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    return total / elapsed, sorted(latencies), errors


def _ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    assert match, f"wrk latency not understood: {text!r}"
    value, unit = match.groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}[unit]


def wrk(url: str, seconds: int, concurrency: int) -> tuple[float, float, float, int]:
    """(requests/s, p50 ms, p99 ms, non-2xx/3xx or socket errors) from one wrk run."""
    out = subprocess.run(
        ["wrk", "-t2", f"-c{concurrency}", f"-d{seconds}s", "--latency", url],
        capture_output=True, text=True, check=True,
    ).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p50 = _ms(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1))  # type: ignore[union-attr]
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    errors = (int(bad.group(1)) if bad else 0) + (sum(map(int, sock.groups())) if sock else 0)
    return rate, p50, p99, errors


def pct(values: list[float], p: float) -> float:
    return values[min(len(values) - 1, int(len(values) * p))] * 1000


def register_live_site(data: Path, fqdn: str) -> None:
    """The status endpoint answers only for names in the registry: make `fqdn` a live
    site's name in the bench's own store, so every request runs the whole check."""
    from datetime import date

    from provisioner.domain.states import RequestState
    from provisioner.store.db import Store, migrate
    from provisioner.store.models.requests import Request

    url = f"sqlite:///{data / 'provisioner.db'}"
    migrate(url)
    store = Store(url)
    label, zone = fqdn.split(".", 1)
    with store.session() as s:
        s.add(Request(ticket="SUB-BENCH-0001", label=label, zone=zone, fqdn=fqdn,
                      agency="Dinas Uji", purpose="bench", contact_name="Uji",
                      contact_email="uji@demokab.go.id", letter_number="1/UJI/2026",
                      letter_date=date(2026, 11, 29), hosting=False,
                      state=RequestState.LIVE, created_by="bench"))
    store.dispose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--fqdn", default="bench-status.demokab.go.id",
                        help="registered in the bench's store as a live site (only names in "
                             "the registry are answered)")
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--requests", type=int, default=2000, help="httpx fallback only")
    parser.add_argument("--concurrency", type=int, default=100)
    args = parser.parse_args()
    port = free_port()
    data = tempfile.mkdtemp(prefix="bench-status-")
    env = dict(os.environ, PROVISIONER_DATA_DIR=data,
               PROVISIONER_LAB_PATH=str(ROOT / "var" / "lab"),
               PROVISIONER_WORKER_ENABLED="false", PROVISIONER_SCHEDULER_ENABLED="false",
               PROVISIONER_ENVIRONMENT="development")
    register_live_site(Path(data), args.fqdn)
    server = subprocess.Popen(
        [sys.executable, "-m", "provisioner.cli", "serve", "--port", str(port)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        rows = []
        for name, url in (("static /static/site.css", f"{base}/static/site.css"),
                          (f"status {args.fqdn}", f"{base}/api/v1/status/{args.fqdn}")):
            asyncio.run(hammer(url, args.concurrency, args.concurrency))  # warm up
            if shutil.which("wrk"):
                rows.append((name, *wrk(url, args.seconds, args.concurrency)))
            else:
                rate, lat, errors = asyncio.run(hammer(url, args.requests, args.concurrency))
                rows.append((name, rate, pct(lat, 0.50), pct(lat, 0.99), errors))
        print(f"load generator: {'wrk -t2' if shutil.which('wrk') else 'httpx (fallback)'}, "
              f"{args.concurrency} concurrent connections")
        print(f"{'endpoint':<40} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>6}")
        for name, rate, p50, p99, errors in rows:
            print(f"{name:<40} {rate:8.0f} {p50:8.1f} {p99:8.1f} {errors:6d}")
        print(f"status / static rate: {rows[1][1] / rows[0][1]:.0%} (target >= 50%, p99 < 50 ms)")
    finally:
        server.terminate()
        server.wait(20)


if __name__ == "__main__":
    main()
