"""DNS figures on the lab (printed, never asserted):

- availability answer: median ms of AvailabilityService.check (target < 50 ms);
- liveness of 10,000 names on both name servers: bounded-concurrency pipeline
  (provisioner.adapters.dns.query, QueryEngine.sweep) next to a plain one-by-one loop in
  the same run
  (target < 20 s);
- one record update on a zone of 50,000 records vs one of 100 (target ≤ 1.5×): two
  temporary zones loaded on ns1 with `rndc addzone` and removed with `rndc delzone -clean`
  afterwards, whatever happens.

    .venv/bin/python bench/dns.py [--names 10000] [--big 50000] [--updates 15]
"""

from __future__ import annotations

import os
import sys

# Run as a script, this file's directory comes first on sys.path and this module, named
# dns.py, would shadow dnspython's `dns` package: drop that entry before importing it.
_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _HERE]

import argparse  # noqa: E402
import secrets  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import dns.message  # noqa: E402
import dns.query  # noqa: E402

from provisioner.adapters.dns.query import QueryEngine  # noqa: E402
from provisioner.adapters.dns.tsig import TsigKey  # noqa: E402
from provisioner.adapters.dns.zones import DnsAdapter  # noqa: E402
from provisioner.adapters.ssh import SshClient  # noqa: E402
from provisioner.bootstrap.container import build_container  # noqa: E402
from provisioner.config import PROJECT_ROOT, Settings  # noqa: E402
from provisioner.domain.dns_plan import RecordChange  # noqa: E402
from provisioner.lab.hosts import host_by_name  # noqa: E402
from provisioner.lab.layout import HostPaths  # noqa: E402

NS = {"ns1.demokab.go.id": "127.0.2.53", "ns2.demokab.go.id": "127.0.2.54"}


def availability(settings: Settings, rounds: int) -> list[float]:
    with tempfile.TemporaryDirectory() as data:
        services = build_container(Settings(data_dir=Path(data), lab_path=settings.lab_dir))
        services.availability.check("bench-warmup")
        times = []
        for _ in range(rounds):
            label = f"bench-{secrets.token_hex(4)}"
            start = time.perf_counter()
            verdict = services.availability.check(label)
            times.append((time.perf_counter() - start) * 1000)
            assert verdict.available is True, verdict
        services.store.dispose()
    return times


def liveness(zone: str, count: int) -> None:
    names = [f"www.{zone}", f"portal.{zone}"] + [
        f"live-{i}-{secrets.token_hex(2)}.{zone}" for i in range(count - 2)
    ]
    start = time.perf_counter()
    answers = QueryEngine().sweep(names, NS, concurrency=256)
    concurrent = time.perf_counter() - start
    unreachable = sum(v[0] == "unreachable" for a in answers.values() for v in a.values())
    exists = sum(all(v[0] == "exists" for v in a.values()) for a in answers.values())
    start = time.perf_counter()
    for name in names:
        for address in NS.values():
            dns.query.udp(dns.message.make_query(name, "A"), address, timeout=2)
    loop = time.perf_counter() - start
    queries = len(names) * len(NS)
    print(f"liveness: {len(names)} names x {len(NS)} name servers = {queries} queries")
    print(f"  concurrent (bounded, 256 in flight): {concurrent:6.2f} s  "
          f"({queries / concurrent:,.0f} q/s; live on both: {exists}, unreachable: {unreachable})")
    print(f"  one-by-one loop:                     {loop:6.2f} s  ({queries / loop:,.0f} q/s)")
    print(f"  speed-up {loop / concurrent:.1f}x (target: concurrent < 20 s)")


def _zone_text(zone: str, size: int) -> str:
    lines = [
        f"$ORIGIN {zone}.",
        "$TTL 300",
        f"@ IN SOA ns1.demokab.go.id. hostmaster.{zone}. 1 3600 600 86400 300",
        "@ IN NS ns1.demokab.go.id.",
    ]
    lines += [f"h{i} IN A 127.0.3.{i % 250 + 1}" for i in range(size)]
    return "\n".join(lines) + "\n"


def update_cost(settings: Settings, sizes: tuple[int, ...], updates: int) -> dict[int, float]:
    """Median ms of one RFC 2136 update (create, with prerequisites) per zone size."""
    key = TsigKey.load(settings.tsig_key_path)
    ns1 = host_by_name("ns1")
    paths = HostPaths.of(settings.lab_dir, ns1)
    tag = secrets.token_hex(3)
    zones = {size: f"z{size}-{tag}.bench.test" for size in sizes}
    results: dict[int, float] = {}
    with SshClient(ns1.address, key=settings.ssh_key_path,
                   known_hosts=settings.known_hosts_path) as ssh:  # fmt: skip
        added: list[str] = []
        try:
            for size, zone in zones.items():
                path = paths.inside(f"/var/lib/bind/db.{zone}")
                path.write_text(_zone_text(zone, size))
                config = (
                    f'{{ type primary; file "/var/lib/bind/db.{zone}"; notify no; '
                    f"update-policy {{ grant {key.name} zonesub ANY; }}; }};"
                )
                started = time.perf_counter()
                out = ssh.run(f"chown bind:bind /var/lib/bind/db.{zone} && "
                              f"rndc -s {ns1.address} addzone {zone} '{config}'")  # fmt: skip
                assert out.rc == 0, out.stderr
                added.append(zone)
                adapter = DnsAdapter(zone=zone, primary=ns1.address, key=key)
                while True:
                    try:
                        adapter.soa_serial(ns1.address)
                        break
                    except Exception:  # noqa: BLE001 - loading; poll again
                        time.sleep(0.05)
                load = time.perf_counter() - started
                adapter.apply(RecordChange("create", f"warm.{zone}", "A", 300, "127.0.2.12"))
                times = []
                for i in range(updates):
                    change = RecordChange("create", f"u{i}.{zone}", "A", 300, "127.0.2.12")
                    start = time.perf_counter()
                    adapter.apply(change)
                    times.append((time.perf_counter() - start) * 1000)
                results[size] = statistics.median(times)
                print(f"  zone of {size:>6} records: loaded in {load:5.2f} s; one update: median "
                      f"{results[size]:6.2f} ms (min {min(times):.2f}, max {max(times):.2f})")
        finally:
            for zone in added:
                ssh.run(f"rndc -s {ns1.address} delzone -clean {zone}")
            for zone in zones.values():
                for leftover in paths.inside("/var/lib/bind").glob(f"db.{zone}*"):
                    leftover.unlink(missing_ok=True)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--names", type=int, default=10_000)
    parser.add_argument("--big", type=int, default=50_000)
    parser.add_argument("--small", type=int, default=100)
    parser.add_argument("--updates", type=int, default=15)
    parser.add_argument("--availability-rounds", type=int, default=50)
    args = parser.parse_args()
    settings = Settings(data_dir=PROJECT_ROOT / "var")

    times = availability(settings, args.availability_rounds)
    print(f"availability: median {statistics.median(times):.1f} ms, p90 "
          f"{statistics.quantiles(times, n=10)[-1]:.1f} ms over {len(times)} checks "
          "(target < 50 ms)")
    liveness(settings.zone, args.names)
    print("update cost vs zone size (rndc addzone on ns1, removed afterwards):")
    cost = update_cost(settings, (args.small, args.big), args.updates)
    print(f"  ratio {cost[args.big] / cost[args.small]:.2f}x (target <= 1.5x)")


if __name__ == "__main__":
    main()
