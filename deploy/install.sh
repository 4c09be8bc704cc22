#!/usr/bin/env bash
# Install (or upgrade) provisioner on a Debian 12 server, as root:
#
#   git clone <repository> /root/provisioner && /root/provisioner/deploy/install.sh
#
# System user `provisioner`; the source in /opt/provisioner/src (a clone of this
# repository at PROVISIONER_REF, default: the checked-out commit) and its virtualenv in
# /opt/provisioner/venv; settings and keys in /etc/provisioner (provisioner.env from
# deploy/provisioner.env.example the first time only); data in /var/lib/provisioner; the
# units provisioner-serve, -worker and -scheduler; /usr/local/bin/provisioner.
# Run it again with a newer PROVISIONER_REF to upgrade, then restart the units:
# provisioner-serve migrates the store before it starts (ExecStartPre).
set -euo pipefail

SOURCE=$(cd "$(dirname "$0")/.." && pwd)
REF=${PROVISIONER_REF:-$(git -C "$SOURCE" rev-parse HEAD)}
PREFIX=${PROVISIONER_PREFIX:-/opt/provisioner}
# Debian's Python, not whichever `python3` root's PATH finds first: a pyenv or conda one
# under /root would leave the service user a virtualenv it cannot execute.
PYTHON=${PROVISIONER_PYTHON:-/usr/bin/python3}
APT_PACKAGES=(
  python3-venv git openssh-client ca-certificates
  libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core  # letters (WeasyPrint)
)

say() { printf 'install: %s\n' "$*"; }

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  say "apt-get install ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if ! id provisioner >/dev/null 2>&1; then
  say "system user provisioner"
  useradd --system --user-group --home-dir /var/lib/provisioner --no-create-home \
    --shell /usr/sbin/nologin --comment "provisioner service" provisioner
fi
install -d -m 0700 -o provisioner -g provisioner /var/lib/provisioner

say "source $REF into $PREFIX/src"
install -d -m 0755 "$PREFIX"
if [ ! -d "$PREFIX/src/.git" ]; then
  git clone --quiet "$SOURCE" "$PREFIX/src"
fi
git -C "$PREFIX/src" fetch --quiet --tags "$SOURCE" '+refs/heads/*:refs/remotes/origin/*'
git -C "$PREFIX/src" checkout --quiet --detach "$REF"

say "virtualenv $PREFIX/venv"
[ -x "$PREFIX/venv/bin/python" ] || "$PYTHON" -m venv "$PREFIX/venv"
"$PREFIX/venv/bin/pip" install --quiet --upgrade pip
"$PREFIX/venv/bin/pip" install --quiet "$PREFIX/src"

say "settings in /etc/provisioner"
install -d -m 0750 -o root -g provisioner /etc/provisioner
install -d -m 0700 -o provisioner -g provisioner /etc/provisioner/ssh
if [ ! -e /etc/provisioner/provisioner.env ]; then
  install -m 0640 -o root -g provisioner "$PREFIX/src/deploy/provisioner.env.example" \
    /etc/provisioner/provisioner.env
  say "wrote /etc/provisioner/provisioner.env: edit every CHANGE line before starting"
fi
if [ ! -e /etc/provisioner/hosts.yml ]; then
  install -m 0640 -o root -g provisioner "$PREFIX/src/inventories/example/hosts.yml" \
    /etc/provisioner/hosts.yml
fi

install -m 0755 "$PREFIX/src/deploy/provisioner-cli" /usr/local/bin/provisioner
install -m 0644 "$PREFIX"/src/deploy/systemd/provisioner-*.service /etc/systemd/system/
if [ -d /run/systemd/system ]; then
  systemctl daemon-reload
fi
runuser -u provisioner -- "$PREFIX/venv/bin/provisioner" --help >/dev/null \
  || { say "the service user cannot run $PREFIX/venv/bin/provisioner"; exit 1; }
say "installed $("$PREFIX/venv/bin/provisioner" --help >/dev/null && git -C "$PREFIX/src" log -1 --format='%h %s')"
cat <<'NEXT'
install: next (README, "Install for production"):
  1. /etc/provisioner/provisioner.env, hosts.yml, tsig.json, ssh/id_ed25519 + ssh/known_hosts
  2. provisioner doctor
  3. systemctl enable --now provisioner-serve provisioner-worker provisioner-scheduler
  4. the Apache vhost: /opt/provisioner/src/deploy/apache/provisioner.conf
NEXT
