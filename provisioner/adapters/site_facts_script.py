"""Runs ON a web host, not here: `python3 - '<params JSON>'` with this file on stdin, as root
(through `sudo -n` where the host is reached as a user with sudo). It gathers every fact
the post-deploy host checks look at in one pass and prints them as ONE JSON object; the
checks (adapters/checks.py) read it and decide. Standard library only: the host's python3,
the one Ansible runs its modules with.

Each fact is what testinfra used to ask for with a command of its own: `test -L` and
`readlink -f` of a link, `test -e`/`test -d` and `stat -L` of a file, the output of a
command. A fact that cannot be gathered is {"error": "..."}, so one broken fact fails one
check, not the run.
"""

from __future__ import annotations

import grp
import json
import os
import pwd
import stat
import subprocess
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

Fact = dict[str, Any]

# Run by the site user with the site's own .env (which only that user can read): connects to
# the database the app would use and says who it is there. Prints one JSON line.
DB_PROBE_PHP = r"""
$env = @file_get_contents($argv[1]);
if ($env === false) {
    echo json_encode(["ok" => false, "reason" => "cannot read $argv[1]"]); exit;
}
$v = [];
foreach (preg_split('/\R/', $env) as $line) {
    if (preg_match('/^(DB_[A-Z]+)="(.*)"$/', $line, $m)) { $v[$m[1]] = $m[2]; }
}
if (($v["DB_NAME"] ?? "") === "" || ($v["DB_HOST"] ?? "") === "") {
    echo json_encode(["ok" => false, "reason" => "no DB_HOST/DB_NAME in .env"]); exit;
}
mysqli_report(MYSQLI_REPORT_OFF);
$db = mysqli_init();
$db->options(MYSQLI_OPT_CONNECT_TIMEOUT, 5);
$base = ["host" => $v["DB_HOST"], "user" => $v["DB_USER"] ?? "", "db" => $v["DB_NAME"]];
$ok = @$db->real_connect(
    $v["DB_HOST"], $v["DB_USER"] ?? "", $v["DB_PASSWORD"] ?? "", $v["DB_NAME"]
);
if (!$ok) {
    echo json_encode($base + ["ok" => false,
        "reason" => mysqli_connect_errno() . " " . mysqli_connect_error()]); exit;
}
$row = $db->query("SELECT DATABASE(), CURRENT_USER(), VERSION()")->fetch_row();
echo json_encode($base + ["ok" => $row[0] === $v["DB_NAME"], "as" => $row[1],
    "version" => $row[2], "reason" => $row[0] === $v["DB_NAME"] ? "" : "other database"]);
"""
# Between the two `ps` listings taken under one hold of the web lock.
PS_SPLIT = "--provisioner-ps--"


def command(argv: list[str], timeout: int = 60) -> Fact:
    """rc, stdout and stderr of `argv` (rc 127 when it is not installed, 124 on timeout)."""
    try:
        out = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                             errors="replace", timeout=timeout, check=False)
    except FileNotFoundError as exc:
        return {"rc": 127, "stdout": "", "stderr": str(exc)}
    except subprocess.TimeoutExpired:
        return {"rc": 124, "stdout": "", "stderr": f"{argv[0]}: no answer in {timeout} s"}
    return {"rc": out.returncode, "stdout": out.stdout, "stderr": out.stderr}


def link(path: str) -> Fact:
    """`test -L` and, for a link, `readlink -f`."""
    if not os.path.islink(path):
        return {"is_symlink": False, "target": ""}
    return {"is_symlink": True, "target": os.path.realpath(path)}


def _name(lookup: Callable[[int], tuple[Any, ...]], ident: int) -> str:
    try:
        return str(lookup(ident)[0])
    except KeyError:
        return "UNKNOWN"  # what `stat -c %U` says of an id with no name


def node(path: str) -> Fact:
    """`test -e`, `test -d` and `stat -L` (mode, owner, group) of `path`."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return {"exists": False, "is_dir": False}
    return {"exists": True, "is_dir": stat.S_ISDIR(st.st_mode), "mode": stat.S_IMODE(st.st_mode),
            "user": _name(pwd.getpwuid, st.st_uid), "group": _name(grp.getgrgid, st.st_gid)}


def release(root: str) -> Fact:
    """The `current` link and the commit checked out where it points."""
    current = link(f"{root}/current")
    if current["is_symlink"]:
        # The release belongs to the site user: root's git would refuse it as "dubious
        # ownership".
        current["head"] = command(
            ["git", "-c", "safe.directory=*", "-C", current["target"], "rev-parse", "HEAD"])
    return current


def processes(web_lock: str) -> Fact:
    """Every process's name, then every process's user and command line, both read under
    one shared hold of the web lock: the vhost role holds it exclusively while it reloads,
    so a reload half-done (PHP-FPM handing its workers over) is never seen."""
    listing = f"ps -e -o comm=; echo {PS_SPLIT}; ps -e -o user:40= -o args="
    out = command(["flock", "-s", "-w", "120", web_lock, "sh", "-c", listing], timeout=150)
    names, _, owners = out["stdout"].partition(f"{PS_SPLIT}\n")
    return {"rc": out["rc"], "stderr": out["stderr"], "comm": names, "user_args": owners}


def database(env_path: str, user: str) -> Fact:
    return command(["runuser", "-u", user, "--", "php", "-d", "display_errors=stderr",
                    "-r", DB_PROBE_PHP, env_path])


def _guarded(fn: Callable[..., Fact], *args: Any) -> Fact:
    try:
        return fn(*args)
    except Exception as exc:  # noqa: BLE001 - a fact that cannot be read is itself a fact
        return {"error": f"{type(exc).__name__}: {exc}"}


def collect(params: dict[str, Any]) -> dict[str, Fact]:
    """Every fact for one site, by name (side by side: most of the time is waiting)."""
    root, fqdn = params["site_root"], params["fqdn"]
    jobs: dict[str, tuple[Any, ...]] = {
        "site_link": (link, f"{params['sites_enabled']}/{fqdn}.conf"),
        "configtest": (command, ["apache2ctl", "configtest"]),
        "current": (release, root),
        "env": (node, f"{root}/shared/.env"),
        "tree": (node, root),
        "processes": (processes, params["web_lock"]),
    }
    if params.get("database"):
        jobs["database"] = (database, f"{root}/shared/.env", params["site_user"])
    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        futures = {name: pool.submit(_guarded, *job) for name, job in jobs.items()}
        return {name: future.result() for name, future in futures.items()}


if __name__ == "__main__":
    print(json.dumps(collect(json.loads(sys.argv[1]))))
