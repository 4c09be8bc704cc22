# Shared by vhost_migrate.sh and vhost_migrate_back.sh (provisioner/adapters/vhost_migration.py
# puts the plan's values in front as shell assignments, then this, then the script).
umask 022
exec 9>>"$WEB_LOCK"
flock -w 300 9 || { echo "kunci web tidak didapat / web lock not acquired" >&2; exit 75; }
trap '' HUP PIPE
sha() { sha256sum < "$1" | cut -d' ' -f1; }
fpm_reload() {
  # USR2: the master re-executes itself; wait until it is back (a second USR2 meanwhile
  # would kill it) and, when a new pool comes with it, until that pool's socket exists.
  test -s "$FPM_PID" || return 0
  old=$(cat "$FPM_PID")
  kill -USR2 "$old" || return 1
  i=0
  while [ $i -lt 200 ]; do
    i=$((i + 1)); sleep 0.05
    pid=$(cat "$FPM_PID" 2>/dev/null)
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || continue
    case "$(tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null)" in "php-fpm: master"*) ;; *) continue ;; esac
    [ -n "$(pgrep -P "$pid")" ] || continue
    [ -z "$1" ] || [ -S "$1" ] || continue
    return 0
  done
  echo "PHP-FPM belum siap setelah reload / PHP-FPM not ready after reload" >&2
  return 1
}
