#!/usr/bin/env bash
# Start (or stop) a dovecot IMAP server for the tests on a non-privileged loopback port.
#   tests/imap/dovecot.sh start DIR [PORT]   -> prints the IMAP_URL to use
#   tests/imap/dovecot.sh stop DIR
# The user is "foi" with password "practice"; mail lives under DIR/mail.
set -euo pipefail
cmd=${1:?start or stop}; dir=${2:?run folder}; port=${3:-10143}
here="$(cd "$(dirname "$0")" && pwd)"
dovecot_bin=${DOVECOT:-$(command -v dovecot || echo /usr/sbin/dovecot)}
if [ "$cmd" = stop ]; then
  [ -f "$dir/dovecot.conf" ] && "$dovecot_bin" -c "$dir/dovecot.conf" stop 2>/dev/null || true
  exit 0
fi
[ -x "$dovecot_bin" ] || { echo "dovecot is not installed (apt-get install dovecot-imapd)" >&2; exit 2; }
mkdir -p "$dir/run" "$dir/state" "$dir/mail"
dir="$(cd "$dir" && pwd)"
if [ "$(id -u)" = 0 ]; then
  login_user=dovenull; internal_user=dovecot; mail_user=dovecot; mail_group=dovecot
  chown -R dovecot:dovecot "$dir/mail" "$dir/state"
  chmod 755 "$dir"
else
  login_user=$(id -un); internal_user=$(id -un); mail_user=$(id -un); mail_group=$(id -gn)
fi
password=practice  # a throwaway server on loopback, for the tests only
printf 'foi:{PLAIN}%s\n' "$password" > "$dir/users"
chmod 644 "$dir/users"
sed -e "s#@DIR@#$dir#g" -e "s#@PORT@#$port#g" -e "s#@LOGIN_USER@#$login_user#g" \
    -e "s#@INTERNAL_USER@#$internal_user#g" -e "s#@MAIL_USER@#$mail_user#g" -e "s#@MAIL_GROUP@#$mail_group#g" \
    "$here/dovecot.conf.in" > "$dir/dovecot.conf"
"$dovecot_bin" -c "$dir/dovecot.conf" </dev/null >/dev/null 2>&1
for _ in $(seq 1 50); do
  if (exec 3<>/dev/tcp/127.0.0.1/"$port") 2>/dev/null; then
    echo "imap://foi:${password}@127.0.0.1:$port/INBOX"; exit 0
  fi
  sleep 0.1
done
echo "dovecot did not start on port $port; see $dir/dovecot.log" >&2
cat "$dir/dovecot.log" >&2 || true
exit 1
