# Migrate a hand-made vhost as its approved plan says (provisioner/adapters/vhost_migration.py).
# Every step is taken back, in reverse, when a later one fails.
[ -f "$OLD" ] && [ "$(sha "$OLD")" = "$OLD_SHA" ] || {
  echo "berkas $OLD berubah sejak rencana / $OLD changed since the plan" >&2; exit 2; }
if [ "$CONF" != "$OLD" ] && [ -e "$CONF" ]; then echo "$CONF sudah ada / exists already" >&2; exit 2; fi
if [ "$LINK" != "$OLD_LINK" ] && [ -e "$LINK" ]; then echo "$LINK sudah ada / exists already" >&2; exit 2; fi
if [ -n "$POOL" ] && [ -e "$POOL" ]; then echo "$POOL sudah ada / exists already" >&2; exit 2; fi
[ -d "$DOCROOT" ] || { echo "$DOCROOT tidak ada / does not exist" >&2; exit 2; }
had_state=0; [ -d "$STATE" ] && had_state=1
install -d -m 0700 "$STATE" && cp -p "$OLD" "$STATE/original" || exit 1
had_user=0; id -u "$SITE_USER" >/dev/null 2>&1 && had_user=1
had_group=0; getent group "$SITE_USER" >/dev/null && had_group=1
had_tree=0; [ -d "$TREE" ] && had_tree=1
old_current=$(readlink "$TREE/current" 2>/dev/null)
release=""; pool_live=0; switched=0; mods=""
revert() {
  if [ $switched = 1 ]; then
    rm -f "$LINK"
    [ "$CONF" = "$OLD" ] || rm -f "$CONF"
    # Back from the copy when the file was replaced (same path) or disabled by moving it.
    if [ "$CONF" = "$OLD" ] || [ ! -f "$OLD" ]; then cp -p "$STATE/original" "$OLD"; fi
    [ -z "$OLD_TARGET" ] || ln -sfn "$OLD_TARGET" "$OLD_LINK"
  fi
  [ -z "$mods" ] || a2dismod -q -f $mods >/dev/null 2>&1
  if [ $switched = 1 ]; then apache2ctl configtest >/dev/null 2>&1 && apache2ctl graceful >/dev/null 2>&1; fi
  if [ -n "$POOL" ] && [ -f "$POOL" ]; then rm -f "$POOL"; [ $pool_live = 0 ] || fpm_reload ""; fi
  if [ $had_tree = 0 ]; then rm -rf "$TREE"
  else
    [ -z "$release" ] || rm -rf "$release" "$release.tmp"
    if [ -n "$old_current" ]; then ln -sfn "$old_current" "$TREE/.current.tmp" && mv -Tf "$TREE/.current.tmp" "$TREE/current"; fi
  fi
  [ $had_user = 1 ] || userdel "$SITE_USER" >/dev/null 2>&1
  [ $had_group = 1 ] || groupdel "$SITE_USER" >/dev/null 2>&1
  rm -f "$CONF.new" "$POOL.new"
  [ $had_state = 1 ] || rm -rf "$STATE"
}
fail() { echo "$*" >&2; revert; echo "dikembalikan / taken back" >&2; exit 1; }

[ $had_group = 1 ] || groupadd --system "$SITE_USER" || fail "groupadd $SITE_USER"
[ $had_user = 1 ] || useradd --system --gid "$SITE_USER" --home-dir "$TREE" --no-create-home \
  --shell /usr/sbin/nologin "$SITE_USER" || fail "useradd $SITE_USER"
install -d -o "$SITE_USER" -g www-data -m 0750 "$TREE" \
  && install -d -o root -g root -m 0755 "$TREE/releases" /var/www/.acme \
  && install -d -o root -g "$SITE_USER" -m 0750 "$TREE/shared" \
  && install -d -o "$SITE_USER" -g "$SITE_USER" -m 0750 "$TREE/logs" "$TREE/tmp" \
  || fail "install -d $TREE"
release="$TREE/releases/$(date -u +%Y%m%d%H%M%S)$RELEASE_SUFFIX"
mkdir "$release.tmp" && cp -a "$DOCROOT" "$release.tmp/public" \
  && chown -R "$SITE_USER:$SITE_USER" "$release.tmp" && mv -T "$release.tmp" "$release" \
  || fail "copy $DOCROOT"
ln -sfn "releases/${release##*/}" "$TREE/.current.tmp" && mv -Tf "$TREE/.current.tmp" "$TREE/current" \
  || fail "current"
for m in $MODULES; do
  [ -e "/etc/apache2/mods-enabled/$m.load" ] && continue
  a2enmod -q "$m" >/dev/null || fail "a2enmod $m"
  mods="$mods $m"
done
if [ -n "$POOL" ]; then
  printf '%s' "$POOL_B64" | base64 -d > "$POOL.new" && mv -f "$POOL.new" "$POOL" || fail "write $POOL"
  out=$("php-fpm$PHP_VERSION" -t 2>&1) || fail "php-fpm$PHP_VERSION -t: $out"
  pool_live=1
  fpm_reload "$SOCKET" || fail "php-fpm reload"
fi
printf '%s' "$CONF_B64" | base64 -d > "$CONF.new" || fail "write $CONF"
switched=1
if [ "$LINK" != "$OLD_LINK" ]; then rm -f "$OLD_LINK" || fail "disable $OLD_LINK"; fi
mv -f "$CONF.new" "$CONF" && ln -sfn "../sites-available/${CONF##*/}" "$LINK" || fail "enable $CONF"
out=$(apache2ctl configtest 2>&1) || fail "apache2ctl configtest: $out"
out=$(apache2ctl graceful 2>&1) || fail "apache2ctl graceful: $out"
echo "release:$release"
