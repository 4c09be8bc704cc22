# The way back: the hand-made vhost restored byte for byte, the managed vhost and pool
# removed (provisioner/adapters/vhost_migration.py). On failure the managed vhost stays.
grep -q "^# Managed by provisioner for $FQDN" "$CONF" 2>/dev/null || {
  echo "$CONF bukan vhost terkelola situs ini / is not this site's managed vhost" >&2; exit 2; }
install -d -m 0700 "$STATE" || exit 1
if [ -f "$STATE/original" ] && [ "$(sha "$STATE/original")" = "$OLD_SHA" ]; then
  cp -p "$STATE/original" "$STATE/restore"
else
  printf '%s' "$ORIGINAL_B64" | base64 -d > "$STATE/restore" && chmod 0644 "$STATE/restore"
fi
[ "$(sha "$STATE/restore")" = "$OLD_SHA" ] || { echo "salinan asli rusak / original copy broken" >&2; exit 2; }
cp -p "$CONF" "$STATE/managed.conf" || exit 1
had_pool=0
if [ -n "$POOL" ] && [ -f "$POOL" ]; then had_pool=1; cp -p "$POOL" "$STATE/managed.pool" || exit 1; fi
managed_back() {
  [ "$LINK" = "$OLD_LINK" ] || rm -f "$OLD_LINK"
  cp -p "$STATE/managed.conf" "$CONF"
  ln -sfn "../sites-available/${CONF##*/}" "$LINK"
  [ $had_pool = 0 ] || cp -p "$STATE/managed.pool" "$POOL"
}
fail() { echo "$*" >&2; managed_back; echo "vhost terkelola tetap / the managed vhost stays" >&2; exit 1; }
if [ "$LINK" != "$OLD_LINK" ]; then rm -f "$LINK"; fi
if [ "$CONF" != "$OLD" ]; then rm -f "$CONF"; fi
cp -p "$STATE/restore" "$OLD" && rm -f "$STATE/restore" || fail "restore $OLD"
if [ -n "$OLD_TARGET" ]; then ln -sfn "$OLD_TARGET" "$OLD_LINK" || fail "enable $OLD_LINK"; fi
[ "$(sha "$OLD")" = "$OLD_SHA" ] || fail "$OLD tidak sama / differs"
[ $had_pool = 0 ] || rm -f "$POOL"
out=$(apache2ctl configtest 2>&1) || fail "apache2ctl configtest: $out"
out=$(apache2ctl graceful 2>&1) || fail "apache2ctl graceful: $out"
[ $had_pool = 0 ] || fpm_reload "" || echo "php-fpm reload: $?" >&2
# Back where it began: what the way back kept is no longer needed on the host.
rm -rf "$STATE"
echo "restored:$OLD"
