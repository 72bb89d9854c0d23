#!/usr/bin/env bash
# Installs a built faxmail for production (run as root after `make build`):
#   - the program to $PREFIX (default /opt/faxmail): dist/, node_modules/ (production only), templates
#   - wrappers sendfax, faxmail-notify, faxmail in $BINDIR (default /usr/local/bin)
#   - $ETCDIR/faxmail.toml from faxmail.example.toml if there is none yet (never overwritten)
#   - the spool ($SPOOL, default /var/spool/faxmail) and Asterisk's tmp dir for call files, owned by
#     $ASTERISK_USER (default asterisk), and the log directory
#   - the queue timer (`faxmail run` every 30 s): with systemd, faxmail-run.service and .timer in
#     $SYSTEMD_DIR (default /etc/systemd/system), enabled and started; without systemd, $CRON_DIR/faxmail
#     (default /etc/cron.d). TIMER=systemd|cron|none chooses; a test root sets the dirs and TIMER.
# Postfix and Asterisk snippets are NOT edited for you: see README "Production install".
set -euo pipefail
cd "$(dirname "$0")/.."

PREFIX=${PREFIX:-/opt/faxmail}
BINDIR=${BINDIR:-/usr/local/bin}
ETCDIR=${ETCDIR:-/etc/faxmail}
SPOOL=${SPOOL:-/var/spool/faxmail}
ASTERISK_TMP=${ASTERISK_TMP:-/var/spool/asterisk/faxmail-tmp}
LOGDIR=${LOGDIR:-/var/log/faxmail}
ASTERISK_USER=${ASTERISK_USER:-asterisk}
NODE=${NODE:-$(command -v node)}
SYSTEMD_DIR=${SYSTEMD_DIR:-/etc/systemd/system}
CRON_DIR=${CRON_DIR:-/etc/cron.d}
if [ -z "${TIMER:-}" ]; then
  if [ -d /run/systemd/system ]; then TIMER=systemd; else TIMER=cron; fi
fi

[ -f dist/bin/sendfax.js ] || { echo "install: run 'make build' first" >&2; exit 1; }
id "$ASTERISK_USER" >/dev/null 2>&1 || { echo "install: no user '$ASTERISK_USER' (install Asterisk first, or set ASTERISK_USER)" >&2; exit 1; }
group=$(id -gn "$ASTERISK_USER")

mkdir -p "$PREFIX" "$BINDIR" "$ETCDIR"
rm -rf "$PREFIX/dist" "$PREFIX/lib"
cp -r dist package.json package-lock.json "$PREFIX/"
# Built-in mail templates are read from the source tree layout next to dist/.
mkdir -p "$PREFIX/lib/notify"
cp -r lib/notify/templates "$PREFIX/lib/notify/"
(cd "$PREFIX" && npm ci --omit=dev --prefer-offline --no-audit --no-fund --ignore-scripts >/dev/null)
rm -rf "$PREFIX/dist/test" "$PREFIX/dist/bench"

for cmd in sendfax faxmail-notify faxmail; do
  # sendfax and faxmail-notify run once per mail and per call: they are bundled for a fast start.
  script="$PREFIX/dist/bundle/$cmd.mjs"
  [ -f "$script" ] || script="$PREFIX/dist/bin/$cmd.js"
  cat > "$BINDIR/$cmd" <<WRAP
#!/bin/sh
# faxmail wrapper: Postfix and Asterisk run this with a minimal PATH, so node is named in full.
exec "$NODE" "$script" "\$@"
WRAP
  chmod 0755 "$BINDIR/$cmd"
done

if [ ! -f "$ETCDIR/faxmail.toml" ]; then
  sed -e "s|^spool = .*|spool = \"$SPOOL\"|" -e "s|^tmp = .*|tmp = \"$ASTERISK_TMP\"|" -e "s|^log = .*|log = \"$LOGDIR/faxmail.log\"|" \
      -e "s|^owner = .*|owner = \"$ASTERISK_USER\"|" -e "s|^group = .*|group = \"$group\"|" \
      faxmail.example.toml > "$ETCDIR/faxmail.toml"
  chmod 0640 "$ETCDIR/faxmail.toml"
  chgrp "$group" "$ETCDIR/faxmail.toml"
  echo "install: wrote $ETCDIR/faxmail.toml: set senders.allow, numbers.* and notify.from"
fi

# The queue's directories too (call reports, flock files): faxmail-notify runs as the Asterisk user and must
# be able to store a report even if root ran `faxmail run` first.
for d in "$SPOOL" "$SPOOL/reports" "$SPOOL/reports/applied" "$SPOOL/locks" "$ASTERISK_TMP" "$LOGDIR"; do
  mkdir -p "$d"
  chown "$ASTERISK_USER:$group" "$d"
  chmod 0750 "$d"
done
# The queue timer. Values are paths and a user name we chose or were given; '|' never occurs in them.
fill() { sed -e "s|@ASTERISK_USER@|$ASTERISK_USER|g" -e "s|@GROUP@|$group|g" -e "s|@ETCDIR@|$ETCDIR|g" -e "s|@BINDIR@|$BINDIR|g" "$1"; }
case "$TIMER" in
  systemd)
    mkdir -p "$SYSTEMD_DIR"
    fill systemd/faxmail-run.service > "$SYSTEMD_DIR/faxmail-run.service"
    cp systemd/faxmail-run.timer "$SYSTEMD_DIR/faxmail-run.timer"
    chmod 0644 "$SYSTEMD_DIR/faxmail-run.service" "$SYSTEMD_DIR/faxmail-run.timer"
    if [ "$SYSTEMD_DIR" = /etc/systemd/system ] && [ -d /run/systemd/system ]; then
      systemctl daemon-reload
      systemctl enable --now faxmail-run.timer
      echo "install: faxmail-run.timer enabled (faxmail run every 30 s)"
    fi
    ;;
  cron)
    mkdir -p "$CRON_DIR"
    fill systemd/faxmail.cron > "$CRON_DIR/faxmail"
    chmod 0644 "$CRON_DIR/faxmail"
    echo "install: $CRON_DIR/faxmail runs faxmail run every 30 s"
    ;;
  none) ;;
  *) echo "install: TIMER must be systemd, cron or none, not '$TIMER'" >&2; exit 1 ;;
esac
echo "install: faxmail installed in $PREFIX; commands in $BINDIR"
