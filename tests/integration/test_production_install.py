"""The production install's files against the real tools (no lab): the systemd units pass
`systemd-analyze verify` and start commands that exist, the example Apache vhost passes
`apache2ctl -t` in a throw-away config dir of its own (never the lab's hosts) and proxies
to an upstream over TLS, and the install script parses."""

from __future__ import annotations

import re
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import httpx
import pytest

from provisioner.config import PROJECT_ROOT

DEPLOY = PROJECT_ROOT / "deploy"
UNITS = sorted((DEPLOY / "systemd").glob("provisioner-*.service"))
INSTALLED_CLI = "/opt/provisioner/venv/bin/provisioner"
THIS_CLI = PROJECT_ROOT / ".venv" / "bin" / "provisioner"
MODULES = ("mpm_event", "authz_core", "alias", "rewrite", "headers", "ssl", "socache_shmcb",
           "proxy", "proxy_http", "mime")
PROXY_ADDRESS = "127.0.3.80"  # not a lab address; the throw-away Apache listens only here


def test_there_is_a_unit_for_serve_worker_and_scheduler() -> None:
    assert [u.name for u in UNITS] == [
        "provisioner-scheduler.service", "provisioner-serve.service", "provisioner-worker.service"]


def test_units_pass_systemd_analyze_verify(tmp_path: Path) -> None:
    # verify checks that every Exec* binary exists: the units point at the installed venv,
    # so the copies here point at this checkout's (the only change made to them).
    for unit in UNITS:
        (tmp_path / unit.name).write_text(unit.read_text().replace(INSTALLED_CLI, str(THIS_CLI)))
    out = subprocess.run(["systemd-analyze", "verify", *sorted(map(str, tmp_path.iterdir()))],
                         capture_output=True, text=True, timeout=60, check=False)
    assert out.returncode == 0 and not out.stderr.strip(), out.stderr


@pytest.mark.parametrize("unit", UNITS, ids=lambda u: u.stem)
def test_unit_commands_are_real_cli_commands_as_the_system_user(unit: Path) -> None:
    text = unit.read_text()
    commands = re.findall(r"^ExecStart(?:Pre)?=(\S+) (\w+)$", text, flags=re.MULTILINE)
    assert commands and all(binary == INSTALLED_CLI for binary, _ in commands)
    for _, command in commands:
        help_out = subprocess.run([str(THIS_CLI), command, "--help"], capture_output=True,
                                  text=True, timeout=60, check=False)
        assert help_out.returncode == 0, (command, help_out.stderr)
    assert "User=provisioner\n" in text
    assert "EnvironmentFile=/etc/provisioner/provisioner.env\n" in text
    assert "StateDirectory=provisioner\n" in text  # data under /var/lib/provisioner


def test_only_serve_migrates_and_the_others_start_after_it() -> None:
    by_name = {u.stem: u.read_text() for u in UNITS}
    assert f"ExecStartPre={INSTALLED_CLI} migrate" in by_name["provisioner-serve"]
    assert "PROVISIONER_WORKER_ENABLED=false" in by_name["provisioner-serve"]
    for other in ("provisioner-worker", "provisioner-scheduler"):
        assert "After=network-online.target provisioner-serve.service" in by_name[other]
        assert "migrate" not in by_name[other]


def test_install_script_and_cli_wrapper_parse() -> None:
    for script in (DEPLOY / "install.sh", DEPLOY / "provisioner-cli"):
        shell = "bash" if script.suffix == ".sh" else "sh"
        out = subprocess.run([shell, "-n", str(script)], capture_output=True, text=True,
                             check=False)
        assert out.returncode == 0, out.stderr


def throwaway_apache(tmp_path: Path, upstream: str) -> Path:
    """A config dir of its own: envvars, apache2.conf loading the modules the vhost needs,
    a self-signed certificate, and the example vhost included unchanged."""
    conf = tmp_path / "apache2"
    (conf / "certs").mkdir(parents=True)
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=provisioner.test", "-addext",
                    "subjectAltName=DNS:provisioner.test",
                    "-keyout", str(conf / "certs" / "privkey.pem"),
                    "-out", str(conf / "certs" / "fullchain.pem")],
                   check=True, capture_output=True, timeout=60)
    run = tmp_path / "run"
    run.mkdir()
    (conf / "envvars").write_text(
        f"export APACHE_RUN_DIR={run}\nexport APACHE_PID_FILE={run}/apache2.pid\n"
        f"export APACHE_LOCK_DIR={run}\nexport APACHE_LOG_DIR={run}\n"
        "export APACHE_RUN_USER=www-data APACHE_RUN_GROUP=www-data LANG=C\n")
    loads = "\n".join(f"LoadModule {m}_module /usr/lib/apache2/modules/mod_{m}.so"
                      for m in MODULES)
    (conf / "apache2.conf").write_text(f"""\
ServerRoot {conf}
ServerName localhost
TypesConfig /etc/mime.types
DefaultRuntimeDir {run}
PidFile {run}/apache2.pid
Mutex file:{run} default
ErrorLog {run}/error.log
{loads}
Listen {PROXY_ADDRESS}:80
Listen {PROXY_ADDRESS}:443
User www-data
Group www-data
Define PROVISIONER_NAME provisioner.test
Define PROVISIONER_CERT_DIR {conf}/certs
Define PROVISIONER_UPSTREAM {upstream}
Include {DEPLOY}/apache/provisioner.conf
""")
    return conf


def apache2ctl(conf: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["apache2ctl", *args], env={"APACHE_CONFDIR": str(conf),
                          "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"},
                          capture_output=True, text=True, timeout=60, check=False)


@pytest.fixture
def upstream() -> Iterator[tuple[str, list[dict[str, str]]]]:
    """A plain HTTP server on 127.0.0.1 standing in for provisioner-serve."""
    seen: list[dict[str, str]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            seen.append({k.lower(): v for k, v in self.headers.items()} | {"path": self.path})
            body = b'{"status": "ok"}'
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_: object) -> None:
            return

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", seen
    finally:
        server.shutdown()
        server.server_close()


def wait_for_port(address: str, port: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex((address, port)) == 0:
                return
        time.sleep(0.1)
    raise AssertionError(f"{address}:{port} never answered")


def test_apache_vhost_passes_configtest_and_proxies_https_with_forwarded_proto(
    tmp_path: Path, upstream: tuple[str, list[dict[str, str]]]
) -> None:
    url, seen = upstream
    conf = throwaway_apache(tmp_path, url)
    test = apache2ctl(conf, "-t")
    assert test.returncode == 0 and "Syntax OK" in test.stderr, test.stderr
    start = apache2ctl(conf, "-k", "start")
    assert start.returncode == 0, start.stderr
    try:
        wait_for_port(PROXY_ADDRESS, 443)
        context = ssl.create_default_context(cafile=str(conf / "certs" / "fullchain.pem"))
        transport = httpx.HTTPTransport(verify=context)
        with httpx.Client(transport=transport, timeout=10) as client:
            plain = client.get(f"http://{PROXY_ADDRESS}/readyz",
                               headers={"host": "provisioner.test"})
            assert plain.status_code == 301
            assert plain.headers["location"] == "https://provisioner.test/readyz"
            secure = client.get(f"https://{PROXY_ADDRESS}/readyz",
                                headers={"host": "provisioner.test"},
                                extensions={"sni_hostname": "provisioner.test"})
        assert secure.status_code == 200 and secure.json() == {"status": "ok"}
        assert secure.headers["strict-transport-security"].startswith("max-age=")
        assert seen[-1]["path"] == "/readyz"
        assert seen[-1]["x-forwarded-proto"] == "https"
        assert seen[-1]["host"] == "provisioner.test"
    finally:
        apache2ctl(conf, "-k", "stop")
