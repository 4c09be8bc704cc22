"""Applications no one here wrote, as published, each in its own repository on the lab's git
host, so the whole path (dev, checks, production, redeploy, rollback) is proven with code the
team did not write (tests/integration/test_published_apps.py):

- `wordpress`: WordPress from Debian 12's `wordpress` package, with what Debian installs
  beside it (its recommended theme, and the files of the libraries it links to instead of
  shipping them). A CMS whose first visit redirects to its installer; keeps
  wp-content/uploads across releases.
- `codeigniter4`: CodeIgniter 4's application starter from the npm registry
  (`codeigniter4`): every path through public/index.php, its settings from .env.
- `sqlite-doc`: SQLite's web site with its documentation, static HTML, from Debian 12's
  `sqlite3-doc` package.

Each repository's first commit is the application as published (the package's tree); the
second adds only the files in published_apps/<name>/ here: a provisioner.json and, for
WordPress, a wp-config.php that reads the site's settings from its .env. `git show --stat
main` on the git host lists exactly those.

Packages are fetched with the registries' own clients (`apt-get download` + `dpkg-deb -x`,
`npm pack`) and never installed. Seeding is idempotent: an existing repository is left as it
is (pushes made since are kept), so a running lab can be seeded at any time:
`.venv/bin/python -c 'from provisioner.lab.published_apps import main; main()'`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from provisioner.config import Settings
from provisioner.lab.errors import LabError
from provisioner.lab.gitseed import git, publish_bare
from provisioner.lab.hosts import LabHost, Role, hosts_with_role
from provisioner.lab.layout import HostPaths

OVERLAYS = Path(__file__).parent / "published_apps"
Progress = Callable[[str], None]
# Building a tree: (scratch directory) -> (the tree, one line saying what was published).
Build = Callable[[Path], tuple[Path, str]]


@dataclass(frozen=True)
class PublishedApp:
    repo: str  # the repository's name on the git host (the request's "repo")
    build: Build

    @property
    def overlay(self) -> Path:
        return OVERLAYS / self.repo


def _run(command: list[str], cwd: Path, env: dict[str, str] | None = None) -> str:
    result = subprocess.run(
        command, cwd=cwd, env=env, capture_output=True, text=True, check=False, timeout=600
    )
    if result.returncode != 0:
        tail = (result.stderr or result.stdout).strip().splitlines()[-3:]
        raise LabError(f"{' '.join(command[:3])} gagal / failed: {' | '.join(tail)}")
    return result.stdout


def apt_download(packages: tuple[str, ...], dest: Path) -> dict[str, tuple[Path, str]]:
    """Debian's packages as .deb files in `dest` (nothing installed): name -> (file, version).
    Lists that do not know a package yet (a fresh machine) are updated once."""
    dest.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    try:
        _run(["apt-get", "download", "-q", *packages], dest, env)
    except LabError:
        _run(["apt-get", "update", "-q"], dest, env)
        _run(["apt-get", "download", "-q", *packages], dest, env)
    found: dict[str, tuple[Path, str]] = {}
    for deb in sorted(dest.glob("*.deb")):
        fields = _run(["dpkg-deb", "-f", str(deb), "Package", "Version"], dest)
        name, version = (line.split(":", 1)[1].strip() for line in fields.splitlines()[:2])
        found[name] = (deb, version)
    missing = [p for p in packages if p not in found]
    if missing:
        raise LabError(f"apt-get download: tidak ada / missing {', '.join(missing)}")
    return found


def npm_pack(spec: str, dest: Path) -> Path:
    """The npm registry's tarball of `spec` (name@version) in `dest`, unpacked: its
    package/ directory. No install scripts run; the npm cache stays in `dest`."""
    dest.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "npm_config_cache": str(dest / ".npm-cache"),
        "npm_config_update_notifier": "false",
        "npm_config_fund": "false",
        "npm_config_audit": "false",
    }
    if shutil.which("npm") is None:
        raise LabError("npm tidak terpasang / npm is not installed")
    name = _run(["npm", "pack", "--ignore-scripts", "--pack-destination", str(dest), spec],
                dest, env).strip().splitlines()[-1]  # fmt: skip
    unpacked = dest / "unpacked"
    with tarfile.open(dest / name) as archive:
        archive.extractall(unpacked, filter="data")
    return unpacked / "package"


def _unpack_debs(debs: list[Path], root: Path) -> None:
    root.mkdir(parents=True, exist_ok=True)
    for deb in debs:
        _run(["dpkg-deb", "-x", str(deb), str(root)], root)


def _installed_target(root: Path, installed_at: Path, link: Path) -> Path | None:
    """Where the symlink `link` (in the unpacked packages `root`, inside the directory they
    install at `installed_at`) points once the packages are installed, as a regular file of
    `root`; None when it points outside them (a file of the machine, e.g. the CA bundle)."""
    source_root = root / installed_at.relative_to("/")
    where = installed_at / link.parent.relative_to(source_root)
    system_path = Path(os.path.normpath(where / os.readlink(link)))
    for _ in range(10):  # links to links (cropper.js -> cropper.min.js)
        inside = root / system_path.relative_to("/")
        if not inside.is_symlink():
            return inside if inside.is_file() else None
        system_path = Path(os.path.normpath(system_path.parent / os.readlink(inside)))
    return None


def _tree_as_installed(root: Path, installed_at: Path, tree: Path) -> list[str]:
    """Copy the directory `installed_at` of the unpacked packages `root` to `tree`, each link
    to a file of the packages (Debian's links to its shared libraries instead of bundled
    copies) replaced by that file, as installing the packages makes it. The links it keeps
    (to the machine's own files) are returned."""
    shutil.copytree(root / installed_at.relative_to("/"), tree, symlinks=True)
    kept = []
    source_root = root / installed_at.relative_to("/")
    for dirpath, dirnames, filenames in os.walk(source_root):
        for entry in dirnames + filenames:
            link = Path(dirpath) / entry
            if not link.is_symlink():
                continue
            copy = tree / link.relative_to(source_root)
            target = _installed_target(root, installed_at, link)
            if target is None:
                kept.append(f"{copy.relative_to(tree)} -> {os.readlink(link)}")
                continue
            copy.unlink()
            shutil.copy2(target, copy)
    return kept


WORDPRESS_PACKAGES = (
    "wordpress",
    "wordpress-theme-twentytwentythree",  # Recommends: what apt-get install brings along
    "libjs-underscore",
    "libjs-cropper",
    "php-getid3",
)


def _wordpress(tmp: Path) -> tuple[Path, str]:
    debs = apt_download(WORDPRESS_PACKAGES, tmp / "debs")
    root = tmp / "root"
    _unpack_debs([deb for deb, _ in debs.values()], root)
    # Debian's wp-content for uploads is /var/lib/wordpress/wp-content; WordPress's own
    # default, which this tree keeps, is wp-content/ beside the code (its plugins and themes).
    tree = tmp / "tree"
    kept = _tree_as_installed(root, Path("/usr/share/wordpress"), tree)
    versions = ", ".join(f"{name} {version}" for name, (_, version) in sorted(debs.items()))
    note = f"Debian 12 packages: {versions}; /usr/share/wordpress as installed"
    if kept:
        note += " (links kept to the machine's files: " + "; ".join(kept) + ")"
    return tree, note


CODEIGNITER = "codeigniter4@4.1.3"


def _codeigniter(tmp: Path) -> tuple[Path, str]:
    return npm_pack(CODEIGNITER, tmp / "npm"), f"npm registry: {CODEIGNITER}, as packed"


def _sqlite_doc(tmp: Path) -> tuple[Path, str]:
    debs = apt_download(("sqlite3-doc",), tmp / "debs")
    root = tmp / "root"
    _unpack_debs([deb for deb, _ in debs.values()], root)
    tree = tmp / "tree"
    kept = _tree_as_installed(root, Path("/usr/share/doc/sqlite3"), tree)
    note = f"Debian 12 package: sqlite3-doc {debs['sqlite3-doc'][1]}; /usr/share/doc/sqlite3"
    return tree, note + (f" (links kept: {'; '.join(kept)})" if kept else "")


PUBLISHED_APPS: tuple[PublishedApp, ...] = (
    PublishedApp("wordpress", _wordpress),
    PublishedApp("codeigniter4", _codeigniter),
    PublishedApp("sqlite-doc", _sqlite_doc),
)


def seed_published_app(app: PublishedApp, git_root: Path) -> bool:
    """Create the bare repository <git_root>/<repo>.git: the app as published, then a commit
    adding only its overlay (provisioner.json …). False when it exists already."""
    repo = git_root / f"{app.repo}.git"
    if (repo / "HEAD").exists():
        return False
    with tempfile.TemporaryDirectory(prefix=f"lab-{app.repo}-") as tmp:
        tree, note = app.build(Path(tmp))
        work = Path(tmp) / "work"
        shutil.copytree(tree, work, symlinks=True)
        # git keeps no empty directory; the app's own .gitignore files stay as published.
        git(work, "init", "-q", "-b", "main")
        git(work, "add", "-A", "--force")
        git(work, "commit", "-q", "-m", f"{app.repo} as published\n\n{note}\n")
        shutil.copytree(app.overlay, work, dirs_exist_ok=True)
        git(work, "add", "-A", "--force")
        added = sorted(p.name for p in app.overlay.iterdir())
        git(work, "commit", "-q", "-m",
            f"provisioner: {', '.join(added)} (nothing else changed)")  # fmt: skip
        publish_bare(work, repo, ["main"])
    return True


def seed_published_apps(git_root: Path, progress: Progress = lambda m: None) -> list[str]:
    """Every published app's repository under `git_root` (the git host's /srv/git, seen from
    outside); the names of those created now. Raises LabError naming the first that failed
    (those before it are kept)."""
    seeded = []
    for app in PUBLISHED_APPS:
        try:
            created = seed_published_app(app, git_root)
        except (LabError, OSError, subprocess.SubprocessError, tarfile.TarError) as exc:
            raise LabError(f"{app.repo}: {exc}") from exc
        if created:
            progress(f"git: repositori {app.repo} dibuat / repository {app.repo} seeded")
            seeded.append(app.repo)
    return seeded


def git_root(lab_dir: Path) -> Path:
    """The git host's /srv/git, seen from outside."""
    return HostPaths.of(lab_dir, hosts_with_role(Role.GIT)[0]).inside("/srv/git")


def seed_on_git_host(host: LabHost, lab_dir: Path, progress: Progress) -> None:
    """`lab up`'s hook: on the git host, seed what is missing. A failure (no registry
    reachable) is reported, not raised: the lab still comes up, and the tests that need these
    repositories seed them again and fail naming the cause."""
    if host.role is not Role.GIT:
        return
    try:
        seed_published_apps(git_root(lab_dir), progress)
    except LabError as exc:
        progress(f"git: aplikasi terbitan belum ada / published apps not seeded: {exc}")


def main() -> None:
    """Seed the lab's git host, running or not (what `lab up` does for it)."""
    seeded = seed_published_apps(git_root(Settings().lab_dir), print)
    print(f"seeded: {', '.join(seeded) or '(all present)'}")
