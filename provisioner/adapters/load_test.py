"""A bounded load test of one site for the feasibility tests ("Pengujian Kelayakan"): a
fixed number of GETs at a fixed concurrency, and the figures they gave.

Requests go to the web server's `address` with the site's name in the Host header (and as
SNI over HTTPS), so DNS plays no part. The bounds are the point: the address must lie in
the allowed networks and the request count and concurrency are capped, so this can never
become a load generator against somebody else's server. Facts only; whether the figures
are good enough is for the caller to decide.
"""

from __future__ import annotations

import ipaddress
import ssl
import statistics
import threading
import time
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import httpx

MAX_REQUESTS = 5000
MAX_CONCURRENCY = 100
MAX_ERRORS = 5


@dataclass(frozen=True)
class LoadResult:
    """What `requests` GETs at `concurrency` gave: `ok` 2xx/3xx answers, `failed` the rest
    (other statuses and requests without an answer); times in ms over the answered ones;
    `statuses` counts answers by status code; `errors` up to five distinct error texts."""

    url: str
    requests: int
    concurrency: int
    ok: int
    failed: int
    median_ms: float
    p95_ms: float
    max_ms: float
    requests_per_second: float
    statuses: dict[int, int] = field(default_factory=dict)
    errors: tuple[str, ...] = ()

    def to_data(self) -> dict[str, Any]:
        """JSON-able (status codes become string keys)."""
        return {
            "url": self.url,
            "requests": self.requests,
            "concurrency": self.concurrency,
            "ok": self.ok,
            "failed": self.failed,
            "median_ms": self.median_ms,
            "p95_ms": self.p95_ms,
            "max_ms": self.max_ms,
            "requests_per_second": self.requests_per_second,
            "statuses": {str(code): n for code, n in sorted(self.statuses.items())},
            "errors": list(self.errors),
        }


def check_address(address: str, allowed_networks: Sequence[str]) -> None:
    """Raise ValueError unless `address` is an IP address inside one of `allowed_networks`."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError as exc:
        raise ValueError(
            f"alamat harus berupa alamat IP, bukan {address!r} / "
            f"the address must be an IP address, not {address!r}"
        ) from exc
    networks = [ipaddress.ip_network(net, strict=False) for net in allowed_networks]
    if not any(ip.version == net.version and ip in net for net in networks):
        allowed = ", ".join(allowed_networks) or "-"
        raise ValueError(
            f"alamat {address} di luar jaringan yang diizinkan ({allowed}) / "
            f"address {address} is outside the allowed networks ({allowed})"
        )


def _check_bounds(requests: int, concurrency: int) -> None:
    if not 1 <= requests <= MAX_REQUESTS:
        raise ValueError(
            f"jumlah permintaan harus 1..{MAX_REQUESTS}, bukan {requests} / "
            f"the request count must be 1..{MAX_REQUESTS}, not {requests}"
        )
    if not 1 <= concurrency <= MAX_CONCURRENCY:
        raise ValueError(
            f"konkurensi harus 1..{MAX_CONCURRENCY}, bukan {concurrency} / "
            f"concurrency must be 1..{MAX_CONCURRENCY}, not {concurrency}"
        )


def _url_host(address: str) -> str:
    return f"[{address}]" if ":" in address else address


def _authority(name: str, scheme: str, port: int) -> str:
    default = 443 if scheme == "https" else 80
    return name if port == default else f"{name}:{port}"


def _percentile(sorted_ms: list[float], pct: float) -> float:
    """Nearest-rank percentile of an ascending list (0.0 when empty)."""
    if not sorted_ms:
        return 0.0
    rank = max(1, -(-len(sorted_ms) * pct // 100))  # ceil(n * pct / 100)
    return sorted_ms[int(rank) - 1]


def _verify(verify: bool | str) -> ssl.SSLContext | bool:
    return ssl.create_default_context(cafile=verify) if isinstance(verify, str) else verify


class _Tally:
    """What the requests of one run answered, gathered from the worker threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.times: list[float] = []
        self.statuses: Counter[int] = Counter()
        self.errors: list[str] = []

    def answer(self, status: int, elapsed_ms: float) -> None:
        with self._lock:
            self.times.append(elapsed_ms)
            self.statuses[status] += 1

    def error(self, text: str) -> None:
        with self._lock:  # each distinct error once, a few at most
            if text not in self.errors and len(self.errors) < MAX_ERRORS:
                self.errors.append(text)

    def result(self, url: str, requests: int, concurrency: int, wall: float) -> LoadResult:
        ok = sum(n for code, n in self.statuses.items() if 200 <= code < 400)
        ordered = sorted(self.times)
        return LoadResult(
            url=url,
            requests=requests,
            concurrency=concurrency,
            ok=ok,
            failed=requests - ok,
            median_ms=round(statistics.median(ordered), 2) if ordered else 0.0,
            p95_ms=round(_percentile(ordered, 95), 2),
            max_ms=round(ordered[-1], 2) if ordered else 0.0,
            requests_per_second=round(requests / wall, 2) if wall > 0 else 0.0,
            statuses=dict(sorted(self.statuses.items())),
            errors=tuple(self.errors),
        )


def run_load_test(
    address: str,
    host: str,
    *,
    path: str = "/",
    requests: int = 200,
    concurrency: int = 10,
    scheme: str = "http",
    port: int | None = None,
    timeout: float = 10.0,
    allowed_networks: Sequence[str] = ("127.0.0.0/8",),
    verify: bool | str = False,
) -> LoadResult:
    """GET `path` `requests` times, `concurrency` at once, from `address` with Host `host`
    (and SNI `host` over https). `verify`: False, True (system store) or a CA file path.

    Raises ValueError for an address outside `allowed_networks` or a request count or
    concurrency outside its bounds; failures of single requests are counted, not raised.
    """
    if scheme not in ("http", "https"):
        raise ValueError(
            f"skema harus http atau https, bukan {scheme!r} / "
            f"the scheme must be http or https, not {scheme!r}"
        )
    check_address(address, allowed_networks)
    _check_bounds(requests, concurrency)
    if not path.startswith("/"):
        path = "/" + path
    port = port or (443 if scheme == "https" else 80)
    target = f"{scheme}://{_authority(_url_host(address), scheme, port)}{path}"
    headers = {"Host": _authority(host, scheme, port)}
    extensions = {"sni_hostname": host} if scheme == "https" else {}

    tally = _Tally()
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    with httpx.Client(
        verify=_verify(verify),
        timeout=timeout,
        limits=limits,
        follow_redirects=False,
        trust_env=False,  # no proxy from the environment: straight to the address
    ) as client:

        def one() -> None:
            started = time.perf_counter()
            try:
                response = client.get(target, headers=headers, extensions=extensions)
            except httpx.HTTPError as exc:
                tally.error(f"{type(exc).__name__}: {exc}")
                return
            tally.answer(response.status_code, (time.perf_counter() - started) * 1000)

        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=concurrency) as pool:
            for future in [pool.submit(one) for _ in range(requests)]:
                future.result()
        wall = time.perf_counter() - started
    url = f"{scheme}://{_authority(host, scheme, port)}{path}"
    return tally.result(url, requests, concurrency, wall)
