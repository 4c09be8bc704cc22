"""What the browser tests share: a real uvicorn server on 127.0.0.1 with its own data
directory against the lab (its store filled before it starts, if asked), Debian's Chromium
driven by Playwright, a fresh context per person, signing in, and screenshots to
test-artifacts/browser/."""

from __future__ import annotations

import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from playwright import sync_api

from provisioner.bootstrap.container import Container, build_container
from provisioner.config import PROJECT_ROOT, Settings
from provisioner.domain.actors import Role
from provisioner.workflow.people.users import add_user

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SHOTS = PROJECT_ROOT / "test-artifacts" / "browser"
PASSWORD = "Sandi-Uji-2026!browser"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


@dataclass
class Server:
    url: str
    settings: Settings
    services: Container
    undo: list[int]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def running_server(
    lab: Settings,
    data: Path,
    users: dict[str, tuple[Role, str | None]],
    *,
    seed: Callable[[Container], None] | None = None,
    worker: bool = True,
) -> Iterator[Server]:
    """uvicorn serving the app on `data` (its store migrated, `users` added with PASSWORD,
    then `seed` run on it) until the block ends; the jobs listed in `Server.undo` are
    undone afterwards, leaving the lab as it was. `worker=False`: no job runs."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "PROVISIONER_DATA_DIR": str(data),
        "PROVISIONER_LAB_PATH": str(lab.lab_dir),
        "PROVISIONER_SECRET_KEY": "browser-" + secrets.token_hex(16),
        "PROVISIONER_PUBLIC_URL": url,
        "PROVISIONER_ENVIRONMENT": "lab",
        "PROVISIONER_SCHEDULER_ENABLED": "false",
    }
    if not worker:
        env["PROVISIONER_WORKER_ENABLED"] = "false"
    settings = Settings(
        data_dir=data, lab_path=lab.lab_dir, secret_key=env["PROVISIONER_SECRET_KEY"],
        public_url=url,
    )
    services = build_container(settings)  # migrates the store the server will use
    for name, (role, agency) in users.items():
        add_user(services.store, name, role, agency, name, password=PASSWORD)
    if seed is not None:
        seed(services)
    log = (data / "uvicorn.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "provisioner.bootstrap.serve:app_from_environment",
         "--factory", "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
        cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    srv = Server(url, settings, services, [])
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                started = (data / "uvicorn.log").read_text()
                raise AssertionError("uvicorn did not start:\n" + started)
            time.sleep(0.3)
        yield srv
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
        for job_id in srv.undo:  # leave the lab as it was: DNS, vhosts, database, releases
            services.runner.undo(job_id)
        services.store.dispose()


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    assert shutil.which(CHROMIUM) or Path(CHROMIUM).exists(), "apt-get install chromium"
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


def _context(browser, tmp: Path, viewport: dict[str, int]):  # type: ignore[no-untyped-def]
    # A fresh context per role: its own cookies, like a different person's browser.
    return browser.new_context(viewport=viewport, accept_downloads=True, locale="id-ID")


def shot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def sign_in(page, url: str, username: str, password: str = PASSWORD) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{url}/login")
    page.get_by_label(re.compile("Nama pengguna|Username")).fill(username)
    page.get_by_label(re.compile("Kata sandi|Password")).fill(password)
    page.get_by_role("button", name=re.compile("^(Masuk|Sign in)$")).click()
    page.wait_for_load_state()
    assert page.locator("#who").inner_text() == username
