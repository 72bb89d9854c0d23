#!/usr/bin/env bash
# Installs the Debian packages faxmail needs, and checks Node.
#   scripts/install-deps.sh runtime   what a production server needs to run faxmail (`make install`)
#   scripts/install-deps.sh test      that, plus what the tests, the demo and the bench need (`make test`)
#   scripts/install-deps.sh --list runtime|test   print the package list and exit (nothing installed)
# Idempotent: packages already present are left alone; apt runs only when something is missing.
# The runtime list holds no compiler, no -dev package and no MTA: Postfix is yours to install and configure
# (test/install/deps.test.ts checks the list and its dependency closure).
set -euo pipefail

# Runtime: what sendfax and faxmail-notify run.
RUNTIME=(
  ghostscript        # documents -> fax TIFF
  libtiff-tools      # tiff2pdf, tiffinfo: validate fax TIFFs, received faxes to PDF
  fonts-ipafont-gothic  # a TrueType CJK font for the body page (Japanese text)
  tnef               # unpacks winmail.dat
  ca-certificates    # SMTP over TLS to a relay
)

# Tests, demo and bench only.
TEST=(
  libtiff-dev        # the fax line simulator links libtiff
  libspandsp-dev     # the fax engine inside Asterisk's res_fax_spandsp, for the line simulator
  gcc make pkg-config
  postfix            # the real MTA the end-to-end tests drive (private instances only)
  poppler-utils      # pdftoppm/pdfinfo: tests render the PDFs we mail
  fonts-dejavu-core
  # hostile (issue 10): a test dependency only. test/e2e/sasl.test.ts starts a private Dovecot (its own
  # config, loopback port) as the SASL server of a private Postfix; faxmail itself never needs it.
  dovecot-core
  strace             # tests: a slow disk for the busy race (fsync delayed by fault injection)
  # office stream: LibreOffice headless (no X11, no Java) converts .docx/.xlsx/.odt/.pptx to PDF.
  # Optional at runtime (paths.libreoffice empty or not installed: office files are refused with a note);
  # the tests and the bench make and convert real office files with it. About 250 MB installed. On a
  # production server that should fax office files: apt-get install --no-install-recommends these three.
  libreoffice-writer-nogui libreoffice-calc-nogui libreoffice-impress-nogui
  # office2 stream: `faxmail send` for members of send.group hands the fax to the spool owner through sudo;
  # the test runs the real sudo with faxmail's rule (bind-mounted over /etc/sudoers.d in a private mount
  # namespace, so the machine's sudo configuration is not touched). Needed in production only by servers
  # that set send.group: apt-get install sudo.
  sudo
  # sip (issue 14): the SIP trunk tests put two Asterisks in network namespaces (`ip netns`) joined by
  # tools/netwire (built with gcc; libc6-dev has linux/if_tun.h, gcc pulls it in).
  iproute2
)

MIN_NODE=20.15.0

mode=${1:-test}
if [ "$mode" = --list ]; then
  case "${2:-}" in
    runtime) printf '%s\n' "${RUNTIME[@]}" ;;
    test) printf '%s\n' "${RUNTIME[@]}" "${TEST[@]}" ;;
    *) echo "usage: $0 --list runtime|test" >&2; exit 64 ;;
  esac
  exit 0
fi
case "$mode" in
  runtime) PACKAGES=("${RUNTIME[@]}") ;;
  test) PACKAGES=("${RUNTIME[@]}" "${TEST[@]}") ;;
  *) echo "usage: $0 runtime|test|--list runtime|test" >&2; exit 64 ;;
esac

# Node: Debian 12's own nodejs is 18; faxmail needs $MIN_NODE (zlib.crc32). See README, "Getting Node".
NODE=${NODE:-$(command -v node || true)}
if [ -z "$NODE" ]; then
  echo "install-deps: Node.js is not installed. faxmail needs Node $MIN_NODE or later: on Debian 13," \
    "apt-get install nodejs; on Debian 12, Node 20 from NodeSource (README, \"Getting Node\")." >&2
  exit 1
fi
have=$("$NODE" -p 'process.versions.node' 2>/dev/null || echo 0)
if [ "$(printf '%s\n%s\n' "$MIN_NODE" "$have" | sort -V | head -n1)" != "$MIN_NODE" ]; then
  echo "install-deps: $NODE is Node $have; faxmail needs $MIN_NODE or later (Debian 12's own nodejs 18.20 is" \
    "too old): install Node 20 from NodeSource, or use Debian 13's nodejs (README, \"Getting Node\"), then run" \
    "this again." >&2
  exit 1
fi

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "install-deps: missing packages: ${missing[*]} (run as root to install them)" >&2
    exit 1
  fi
  echo "install-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  if [[ " ${missing[*]} " == *" postfix "* ]]; then
    # Test machines only: Postfix asks how to configure itself; the tests use private instances.
    echo "postfix postfix/main_mailer_type select Local only" | debconf-set-selections
    echo "postfix postfix/mailname string $(hostname -f 2>/dev/null || hostname)" | debconf-set-selections
  fi
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
echo "install-deps: all $mode packages present; Node $have"
