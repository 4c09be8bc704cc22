"""The host lines of the report: SSH (and sudo, where the inventory drives the host with
become) to every inventory host, then the software the roles need on the web and database
hosts, and the repository server as each web host sees it (`git ls-remote` from there)."""

from __future__ import annotations

import shlex

from provisioner.domain.doctor import CheckResult, InventoryHost, ShellOutcome, failed, passed
from provisioner.workflow.doctor.ports import Shell

_SSH_FIX = {
    "refused": "Tidak ada sshd di {address}:22: jalankan sshd atau perbaiki ansible_host di "
    "inventaris / Nothing listens on {address}:22: start sshd or correct ansible_host in "
    "the inventory",
    "timeout": "{address} tidak menjawab: periksa alamat, jaringan dan firewall (TCP 22) / "
    "{address} does not answer: check the address, the network and the firewall (TCP 22)",
    "host_key_unknown": "Kunci host {address} tidak ada di {known_hosts}: periksa sidik "
    "jarinya lalu tambahkan (`ssh-keyscan -t ed25519 {address} >> {known_hosts}`) / The "
    "host key of {address} is not in {known_hosts}: verify its fingerprint, then add it "
    "(`ssh-keyscan -t ed25519 {address} >> {known_hosts}`)",
    "host_key_changed": "Kunci host {address} BERUBAH dari yang ada di {known_hosts}: "
    "pastikan servernya benar sebelum mengganti baris itu / The host key of {address} "
    "CHANGED from the one in {known_hosts}: make sure it is the right server before "
    "replacing that line",
    "auth": "{user}@{address} menolak kunci {key}: tambahkan kunci publiknya ke "
    "~{user}/.ssh/authorized_keys / {user}@{address} refused the key {key}: add its public "
    "key to ~{user}/.ssh/authorized_keys",
    "other": "SSH ke {user}@{address} gagal: jalankan `ssh -v` dengan kunci dan known_hosts "
    "yang sama / SSH to {user}@{address} failed: run `ssh -v` with the same key and "
    "known_hosts",
}


def ssh_line(host: InventoryHost, shell: Shell, *, key: str, known_hosts: str) -> CheckResult:
    """A fresh SSH login as the inventory user, host key verified."""
    out = shell.run(host, "echo ok", as_root=False, timeout=15)
    if out.ok:
        return passed("ssh", host.label(), "login ok, host key verified")
    fix = _SSH_FIX[out.failure or "other"]
    return failed("ssh", host.label(), f"{out.failure or 'exit ' + str(out.rc)}: {out.reason()}",
                  fix.format(address=host.address, user=host.user, key=key,
                             known_hosts=known_hosts))  # fmt: skip


def sudo_line(host: InventoryHost, shell: Shell) -> CheckResult:
    """`sudo -n` to root works without a password (what Ansible's become needs)."""
    out = shell.run(host, "sudo -n id -u", as_root=False, timeout=15)
    if out.ok and out.stdout.strip() == "0":
        return passed("sudo", host.label(), f"{host.user} becomes root without a password")
    return failed(
        "sudo", host.label(), out.reason(),
        f"Beri {host.user} sudo tanpa kata sandi: `{host.user} ALL=(root) NOPASSWD: ALL` di "
        f"/etc/sudoers.d/provisioner (visudo -c) / Give {host.user} password-less sudo: "
        f"`{host.user} ALL=(root) NOPASSWD: ALL` in /etc/sudoers.d/provisioner (visudo -c)",
    )  # fmt: skip


def facts_of(out: ShellOutcome) -> dict[str, list[str]]:
    """`key=value` lines of a probe script, each key's values in order."""
    facts: dict[str, list[str]] = {}
    for line in out.stdout.splitlines():
        key, sep, value = line.partition("=")
        if sep:
            facts.setdefault(key.strip(), []).append(value.strip())
    return facts


def git_line(host: InventoryHost, shell: Shell, repo_url: str) -> CheckResult:
    """The repository server as the web host sees it: the deploy role clones from there."""
    command = (
        "GIT_TERMINAL_PROMPT=0 GIT_SSH_COMMAND='ssh -o BatchMode=yes -o ConnectTimeout=5' "
        f"timeout 25 git ls-remote --heads {shlex.quote(repo_url)}"
    )
    out = shell.run(host, command, timeout=40)
    refs = [line for line in out.stdout.splitlines() if "\trefs/heads/" in line]
    if out.ok and refs:
        return passed("git", f"{host.name} → {repo_url}", f"ls-remote from the host: {len(refs)} "
                      "branch(es)")  # fmt: skip
    return failed(
        "git", f"{host.name} → {repo_url}", out.reason(),
        f"{host.name} tidak dapat membaca {repo_url}: pasang git, beri root di host itu kunci "
        "yang diterima server repositori dan kunci host server itu di known_hosts root, atau "
        f"setel PROVISIONER_DOCTOR_GIT_REPOSITORY ke repositori yang ada / {host.name} cannot "
        f"read {repo_url}: install git, give root on that host a key the repository server "
        "accepts and that server's host key in root's known_hosts, or set "
        "PROVISIONER_DOCTOR_GIT_REPOSITORY to a repository that exists",
    )  # fmt: skip


_DB_PROBE = """\
echo "mariadb=$(mariadb --version 2>/dev/null || mysql --version 2>/dev/null)"
echo "answers=$(mariadb -N -B -e 'SELECT VERSION()' 2>&1 | tail -n 1)"
"""


def db_line(host: InventoryHost, shell: Shell) -> CheckResult:
    """MariaDB installed and answering root over its socket (as the database role asks)."""
    out = shell.run(host, "sh -s", stdin=_DB_PROBE, timeout=20)
    facts = facts_of(out)
    version = (facts.get("answers") or [""])[0]
    if out.ok and version[:1].isdigit():
        return passed("mariadb", host.label(), f"MariaDB {version} answers")
    client = (facts.get("mariadb") or [""])[0] or "no mariadb client"
    return failed(
        "mariadb", host.label(), f"{client}; {version or out.reason()}",
        "Pasang mariadb-server dan jalankan; root harus masuk lewat soket unix (unix_socket) / "
        "Install and start mariadb-server; root must log in over the unix socket "
        "(unix_socket)",
    )  # fmt: skip
