#!/usr/bin/env bash
# Builds and installs Asterisk 22.10.1 with res_fax_spandsp (and chan_pjsip for SIP trunks) from a source
# tarball, offline. Debian 12 and 13 ship no Asterisk package; this is the recipe the README gives admins
# and the one the test bed uses.
#
# Idempotent: does nothing when the installed asterisk reports 22.10.1, has every module below, and was
# built from this recipe (recorded in $RECIPE_FILE); a changed recipe rebuilds. Source: $ASTERISK_SRC (a
# directory holding asterisk-22.10.1.tar.xz and pjproject-2.17.tar.bz2), else ../shared/asterisk next to the
# checkout. Exits 3 with one line of advice when no source is found.
set -euo pipefail
cd "$(dirname "$0")/.."

VERSION=22.10.1
PJ_VERSION=2.17
BUILD_ROOT=${ASTERISK_BUILD_ROOT:-/usr/local/src/faxmail-asterisk}
MODDIR=/usr/lib/asterisk/modules
# What was built is recorded here; a build with another recipe (version, options, module list) is rebuilt.
RECIPE_FILE=/usr/lib/asterisk/faxmail-build-recipe

MODULES=(
  # faxmail's own needs
  pbx_spool pbx_config res_fax res_fax_spandsp res_timing_timerfd app_system app_exec app_stack
  # res_agi (and res_speech, which it needs): app_stack (Gosub, Return, and the hangup handlers'
  # subroutine runner) uses its API; README's modules.conf loads both.
  res_agi res_speech
  func_strings func_groupcount func_channel func_callerid func_logic func_env res_clioriginate
  # far ends in tests, fax detection on shared lines
  app_dial app_playback app_playtones app_echo app_milliwatt app_verbose app_read func_timeout func_math
  bridge_simple bridge_builtin_features codec_ulaw codec_alaw format_wav format_pcm
  # SIP trunks with T.38
  chan_pjsip res_pjsip res_pjsip_session res_pjsip_pubsub res_pjsip_sdp_rtp res_pjsip_t38
  res_pjsip_endpoint_identifier_ip res_pjsip_authenticator_digest res_pjsip_outbound_authenticator_digest
  res_pjsip_outbound_registration res_pjsip_logger res_pjproject res_sorcery_config res_sorcery_memory
  res_sorcery_astdb res_rtp_asterisk
  # caller ids over the trunk (From/P-Asserted-Identity: the office's number out, the sender's number in);
  # NAT handling for a server behind a router (rewrite_contact, force_rport)
  res_pjsip_caller_id res_pjsip_nat
)
# Compiler options kept from Asterisk's defaults after every menuselect category is switched off.
# OPTIONAL_API: without it a module's optional dependencies become hard ones (res_pjsip would not load
# without res_geolocation and res_statsd, app_stack not without res_agi).
CFLAGS_KEEP=(OPTIONAL_API)
RECIPE="asterisk $VERSION pjproject $PJ_VERSION cflags ${CFLAGS_KEEP[*]} modules ${MODULES[*]}"

installed_ok() {
  command -v asterisk >/dev/null 2>&1 || return 1
  asterisk -V 2>/dev/null | grep -q "Asterisk $VERSION" || return 1
  local m
  for m in "${MODULES[@]}"; do
    [ -f "$MODDIR/$m.so" ] || return 1
  done
  [ "$(cat "$RECIPE_FILE" 2>/dev/null)" = "$RECIPE" ]
}

if installed_ok; then
  echo "build-asterisk: Asterisk $VERSION with res_fax_spandsp and chan_pjsip is installed"
  exit 0
fi

src=""
for d in "${ASTERISK_SRC:-}" ../shared/asterisk "$(pwd)/../shared/asterisk" /work/shared/asterisk; do
  [ -n "$d" ] && [ -f "$d/asterisk-$VERSION.tar.xz" ] && { src=$(cd "$d" && pwd); break; }
done
if [ -z "$src" ]; then
  echo "build-asterisk: no Asterisk source: put asterisk-$VERSION.tar.xz and pjproject-$PJ_VERSION.tar.bz2" \
       "(from downloads.asterisk.org and github.com/pjsip/pjproject) in a directory and set ASTERISK_SRC to it" >&2
  exit 3
fi
[ "$(id -u)" = 0 ] || { echo "build-asterisk: run as root (it installs Debian packages and Asterisk)" >&2; exit 1; }

DEPS=(build-essential pkg-config libedit-dev libjansson-dev libxml2-dev uuid-dev libsqlite3-dev libssl-dev
      libncurses-dev libspandsp-dev libtiff-dev bzip2 patch xz-utils)
missing=()
for p in "${DEPS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "build-asterisk: installing build dependencies: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

mkdir -p "$BUILD_ROOT/cache"
cp -f "$src/pjproject-$PJ_VERSION.tar.bz2" "$BUILD_ROOT/cache/"
rm -rf "$BUILD_ROOT/asterisk-$VERSION"
tar -C "$BUILD_ROOT" -xJf "$src/asterisk-$VERSION.tar.xz"
cd "$BUILD_ROOT/asterisk-$VERSION"

log="$BUILD_ROOT/build.log"
echo "build-asterisk: configuring (log: $log)"
./configure --with-pjproject-bundled --with-externals-cache="$BUILD_ROOT/cache" \
  --without-jansson-bundled --without-libjwt-bundled --with-spandsp --with-tiff \
  --without-dahdi --without-pri --without-ss7 >"$log" 2>&1 \
  || { tail -n 30 "$log" >&2; exit 1; }
grep -q '^#define HAVE_SPANDSP 1' include/asterisk/autoconfig.h \
  || { echo "build-asterisk: configure did not find spandsp (libspandsp-dev, libtiff-dev)" >&2; exit 1; }

make menuselect.makeopts >>"$log" 2>&1
for cat in $(menuselect/menuselect --category-list 2>/dev/null || true); do
  menuselect/menuselect --disable-category "$cat" menuselect.makeopts >>"$log" 2>&1
done
for m in "${CFLAGS_KEEP[@]}" "${MODULES[@]}"; do
  menuselect/menuselect --enable "$m" menuselect.makeopts >>"$log" 2>&1 \
    || { echo "build-asterisk: menuselect cannot enable $m" >&2; exit 1; }
done

echo "build-asterisk: compiling (about 4 minutes on 2 cores)"
make -j"$(nproc)" >>"$log" 2>&1 || { tail -n 40 "$log" >&2; exit 1; }
make install >>"$log" 2>&1 || { tail -n 40 "$log" >&2; exit 1; }
ldconfig
echo "$RECIPE" > "$RECIPE_FILE"
installed_ok || { echo "build-asterisk: installed, but modules are missing (see $log)" >&2; exit 1; }
echo "build-asterisk: installed Asterisk $VERSION"
