# What a web host's Apache serves, read-only (provisioner/adapters/vhost_reader.py): each fact
# on a line of its own, paths and file contents in base64 (a path may hold any byte).
LC_ALL=C; export LC_ALL
b64() { printf '%s' "$1" | base64 -w0; }
if ! command -v apache2ctl >/dev/null 2>&1; then echo "@@noapache"; exit 0; fi
out=$(apache2ctl -S 2>&1); rc=$?
echo "@@summary $rc $(b64 "$out")"
files=$(printf '%s\n' "$out" | sed -n 's/.*(\(\/.*\):[0-9][0-9]*)[[:space:]]*$/\1/p' | sort -u)
printf '%s\n' "$files" | while IFS= read -r f; do
  [ -n "$f" ] && [ -f "$f" ] || continue
  if [ -L "$f" ]; then link=$(b64 "$(readlink -- "$f")"); else link=-; fi
  echo "@@file $(b64 "$f") $(b64 "$(readlink -f -- "$f")") $link $(base64 -w0 < "$f")"
done
printf '%s\n' "$files" | while IFS= read -r f; do
  [ -n "$f" ] && [ -f "$f" ] && sed -n 's/^[[:space:]]*[Dd][Oo][Cc][Uu][Mm][Ee][Nn][Tt][Rr][Oo][Oo][Tt][[:space:]]\{1,\}"\{0,1\}\([^"]*\)"\{0,1\}[[:space:]]*$/\1/p' "$f"
done | sort -u | while IFS= read -r d; do
  [ -d "$d" ] && [ -n "$(find "$d" -maxdepth 3 -name '*.php' -print -quit 2>/dev/null)" ] \
    && echo "@@php $(b64 "${d%/}")"
done
for c in /etc/apache2/conf-enabled/*.conf; do
  [ -f "$c" ] && grep -qiE '^[[:space:]]*SetHandler[[:space:]].*(php|fcgi)' "$c" \
    && echo "@@global $(b64 "conf-enabled/${c##*/}")"
done
for v in /etc/php/*/fpm; do [ -d "$v" ] && v=${v%/fpm} && echo "@@fpm ${v##*/}"; done
exit 0
