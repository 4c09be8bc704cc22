"""Bodies over the limit get 413 before they are read: the real app served by a real
uvicorn on loopback, a raw socket that announces a 50 MB JSON body and sends only its first
bytes — the 413 comes back although the rest was never sent, and the route never ran (no
request was stored). Without a Content-Length the streamed bytes are counted and the
answer comes as soon as they pass the limit, long before 50 MB."""

from __future__ import annotations

import secrets
import select
import socket
import threading
import time
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
import uvicorn
from fastapi.testclient import TestClient

from provisioner.bootstrap.container import Container, build_container
from provisioner.bootstrap.serve import serve_app
from provisioner.config import Settings
from provisioner.domain.actors import Role
from provisioner.store.repositories import requests as requests_repo
from provisioner.workflow.letters import MAX_PDF_BYTES
from provisioner.workflow.people.users import add_user

pytestmark = pytest.mark.lab
MB = 1024 * 1024
FIFTY_MB = 50 * MB


class Served:
    def __init__(self, services: Container, port: int, token: str) -> None:
        self.services, self.port, self.token = services, port, token

    def stored_requests(self) -> int:
        with self.services.store.read() as s:
            return len(list(requests_repo.list_requests(s)))

    def head(self, *, length: int | None, content_type: str = "application/json") -> bytes:
        lines = [
            "POST /api/v1/requests HTTP/1.1", f"Host: 127.0.0.1:{self.port}",
            f"Authorization: Bearer {self.token}", f"Content-Type: {content_type}",
            f"Content-Length: {length}" if length is not None else "Transfer-Encoding: chunked",
        ]  # fmt: skip
        return ("\r\n".join(lines) + "\r\n\r\n").encode()


@pytest.fixture(scope="module")
def served(lab: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("limits"), lab_path=lab.lab_dir,
                        environment="lab", secret_key="limits-" + secrets.token_hex(16))
    services = build_container(settings)
    token = add_user(services.store, "opd", Role.OPD, "Dinas Kesehatan")
    app = serve_app(services, run_worker=False, run_scheduler=False)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="off",
                                           ws="none", log_level="warning"))  # fmt: skip
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    yield Served(services, port, token)
    server.should_exit = True
    thread.join(timeout=10)
    services.store.dispose()


def _answer(sock: socket.socket, timeout: float = 10) -> bytes:
    sock.settimeout(timeout)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


def test_50mb_json_body_is_413_before_read(served: Served) -> None:
    before = served.stored_requests()
    with socket.create_connection(("127.0.0.1", served.port)) as sock:
        sock.sendall(served.head(length=FIFTY_MB) + b'{"label": "' + b"a" * 65536)
        started = time.monotonic()
        answer = _answer(sock)
        took = time.monotonic() - started
    # 64 KiB of the announced 50 MB were sent: the server cannot have read the rest.
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert b"Request body too large (max 1 MB)" in answer and b"nosniff" in answer
    assert took < 5
    assert served.stored_requests() == before  # the route never ran


def test_50mb_chunked_json_body_is_413_once_past_the_limit(served: Served) -> None:
    before = served.stored_requests()
    piece = b"a" * 65536
    chunk = f"{len(piece):x}\r\n".encode() + piece + b"\r\n"
    sent = 0
    with socket.create_connection(("127.0.0.1", served.port)) as sock:
        sock.sendall(served.head(length=None))
        answered = False
        while sent < FIFTY_MB:
            readable, _, _ = select.select([sock], [], [], 0)
            if readable:
                answered = True
                break
            try:
                sock.sendall(chunk)
            except (BrokenPipeError, ConnectionResetError):
                answered = True  # the server closed after answering
                break
            sent += len(piece)
        assert answered, "the server read all 50 MB without answering"
        answer = _answer(sock)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    # Loopback socket buffers hold a few MB; the server stopped at 1 MB, not at 50.
    assert sent < 16 * MB, f"{sent / MB:.1f} MB were sent before the answer"
    assert served.stored_requests() == before


def _client(served: Served) -> TestClient:
    app = serve_app(served.services, run_worker=False, run_scheduler=False)
    return TestClient(app, headers={"Authorization": f"Bearer {served.token}"})


def _request(**over: Any) -> dict[str, Any]:
    b: dict[str, Any] = {
        "label": f"lim-{secrets.token_hex(3)}", "agency": "Dinas Kesehatan",
        "contact_name": "Siti", "contact_email": "siti@dinkes.demokab.go.id",
        "letter_number": "400.7/1/DINKES/2026", "letter_date": date.today().isoformat(),
        "hosting": False, "target_address": "127.0.2.12", "purpose": "Situs resmi",
    }  # fmt: skip
    b.update(over)
    return b


def test_json_body_one_byte_over_1mb_is_413_and_just_under_is_read(served: Served) -> None:
    client = _client(served)
    limit = served.services.settings.json_body_max_bytes
    over = client.post("/api/v1/requests", content=b" " * (limit + 1),
                       headers={"Content-Type": "application/json"})  # fmt: skip
    assert over.status_code == 413 and " / " in over.json()["detail"]
    # Within the limit the body is read and judged: here a purpose far over its length.
    under = client.post("/api/v1/requests", json=_request(purpose="x" * (limit - 4096)))
    assert under.status_code == 422 and under.json()["detail"][0]["loc"][-1] == "purpose"


def test_multipart_upload_of_the_largest_pdf_is_read_and_judged_not_413(served: Served) -> None:
    client = _client(served)
    big = b"%PDF-1.7\n" + b"0" * (MAX_PDF_BYTES + 10)
    answer = client.put("/api/v1/requests/1/letter-scan",
                        files={"file": ("s.pdf", big, "application/pdf")})  # fmt: skip
    assert answer.status_code != 413, answer.text  # past the size gate: the route judges it


def test_multipart_upload_far_over_the_largest_pdf_is_413(served: Served) -> None:
    client = _client(served)
    huge = b"%PDF-1.7\n" + b"0" * (MAX_PDF_BYTES + MB)
    answer = client.put("/api/v1/requests/1/letter-scan",
                        files={"file": ("s.pdf", huge, "application/pdf")})  # fmt: skip
    assert answer.status_code == 413 and "MB" in answer.json()["detail"]
