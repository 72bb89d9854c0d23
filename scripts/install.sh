#!/usr/bin/env bash
# Installs a built faxmail for production (run as root after `make build`):
#   - the program to $PREFIX (default /opt/faxmail): dist/, node_modules/ (production only), templates,
#     and a copy of asterisk/extensions_faxmail.conf for reference
#   - the two programs Postfix and Asterisk run, as wrappers in $LIBEXECDIR (default
#     /usr/local/libexec/faxmail): sendfax (named in master.cf) and faxmail-notify (FAXMAIL_NOTIFY in the
#     dialplan); the admin command faxmail in $BINDIR (default /usr/local/bin)
#   - $ETCDIR/faxmail.toml from faxmail.example.toml if there is none yet (never overwritten)
#   - every directory faxmail and Asterisk write, owned by $ASTERISK_USER (default asterisk): the spool
#     ($SPOOL, default /var/spool/faxmail) with jobs/ inbound/ outbox/ locks/ lines/, Asterisk's outgoing
#     dir ($OUTGOING, default /var/spool/asterisk/outgoing), the call-file tmp dir beside it
#     ($ASTERISK_TMP) and the log dir ($LOGDIR, default /var/log/faxmail)
# The Asterisk user must exist (README, "Production install"). Postfix and Asterisk configuration files are
# NOT edited for you: see README "Postfix" and "Asterisk".
set -euo pipefail
cd "$(dirname "$0")/.."

PREFIX=${PREFIX:-/opt/faxmail}
BINDIR=${BINDIR:-/usr/local/bin}
LIBEXECDIR=${LIBEXECDIR:-/usr/local/libexec/faxmail}
ETCDIR=${ETCDIR:-/etc/faxmail}
SPOOL=${SPOOL:-/var/spool/faxmail}
OUTGOING=${OUTGOING:-/var/spool/asterisk/outgoing}
ASTERISK_TMP=${ASTERISK_TMP:-/var/spool/asterisk/faxmail-tmp}
LOGDIR=${LOGDIR:-/var/log/faxmail}
ASTERISK_USER=${ASTERISK_USER:-asterisk}
NODE=${NODE:-$(command -v node)}

[ -f dist/bin/sendfax.js ] || { echo "install: run 'make build' first" >&2; exit 1; }
id "$ASTERISK_USER" >/dev/null 2>&1 || {
  echo "install: no user '$ASTERISK_USER': create it first (README: adduser --system --group --home /var/lib/asterisk --no-create-home asterisk), or set ASTERISK_USER" >&2
  exit 1
}
group=$(id -gn "$ASTERISK_USER")

# Directories on the way to the program must be searchable by the Asterisk user.
mkdir -p "$PREFIX" "$BINDIR" "$LIBEXECDIR" "$ETCDIR"
chmod 0755 "$PREFIX" "$LIBEXECDIR"
rm -rf "$PREFIX/dist" "$PREFIX/lib" "$PREFIX/asterisk"
cp -r dist package.json package-lock.json "$PREFIX/"
# Built-in mail templates are read from the source tree layout next to dist/.
mkdir -p "$PREFIX/lib/notify" "$PREFIX/asterisk"
cp -r lib/notify/templates "$PREFIX/lib/notify/"
cp asterisk/extensions_faxmail.conf "$PREFIX/asterisk/"
(cd "$PREFIX" && npm ci --omit=dev --prefer-offline --no-audit --no-fund --ignore-scripts >/dev/null)
rm -rf "$PREFIX/dist/test" "$PREFIX/dist/bench" "$PREFIX/dist/tools"
chmod -R u=rwX,go=rX "$PREFIX"

wrapper() { # wrapper DIR NAME: a wrapper that runs the installed program with node named in full
  local script="$PREFIX/dist/bundle/$2.mjs"
  # sendfax and faxmail-notify run once per mail and per call: they are bundled for a fast start.
  [ -f "$script" ] || script="$PREFIX/dist/bin/$2.js"
  cat > "$1/$2" <<WRAP
#!/bin/sh
# faxmail wrapper: Postfix and Asterisk run this with a minimal PATH, so node is named in full.
exec "$NODE" "$script" "\$@"
WRAP
  chmod 0755 "$1/$2"
}
wrapper "$LIBEXECDIR" sendfax
wrapper "$LIBEXECDIR" faxmail-notify
wrapper "$BINDIR" faxmail
# Earlier installs put all three in $BINDIR; Postfix and the dialplan now name $LIBEXECDIR.
for old in sendfax faxmail-notify; do
  if [ -f "$BINDIR/$old" ] && grep -q '^# faxmail wrapper' "$BINDIR/$old"; then rm -f "$BINDIR/$old"; fi
done

if [ ! -f "$ETCDIR/faxmail.toml" ]; then
  sed -e "s|^spool = .*|spool = \"$SPOOL\"|" -e "s|^outgoing = .*|outgoing = \"$OUTGOING\"|" \
      -e "s|^tmp = .*|tmp = \"$ASTERISK_TMP\"|" -e "s|^log = .*|log = \"$LOGDIR/faxmail.log\"|" \
      -e "s|^owner = .*|owner = \"$ASTERISK_USER\"|" -e "s|^group = .*|group = \"$group\"|" \
      faxmail.example.toml > "$ETCDIR/faxmail.toml"
  chmod 0640 "$ETCDIR/faxmail.toml"
  chgrp "$group" "$ETCDIR/faxmail.toml"
  echo "install: wrote $ETCDIR/faxmail.toml: set senders.allow, numbers.* and notify.from"
fi

# Every directory faxmail and Asterisk write: the first received fax must not find inbound/ missing.
for d in "$SPOOL" "$SPOOL/jobs" "$SPOOL/inbound" "$SPOOL/outbox" "$SPOOL/locks" "$SPOOL/lines" \
         "$OUTGOING" "$ASTERISK_TMP" "$LOGDIR"; do
  mkdir -p "$d"
  chown "$ASTERISK_USER:$group" "$d"
  chmod 0750 "$d"
done
echo "install: faxmail installed in $PREFIX; sendfax and faxmail-notify in $LIBEXECDIR; faxmail in $BINDIR"
