#!/usr/bin/env bash
# Installs the Debian packages faxmail's build, tests, demo and bench need.
# Idempotent: packages already present are left alone; apt runs only when something is missing.
set -euo pipefail

PACKAGES=(
  ghostscript        # documents -> fax TIFF
  libtiff-tools      # tiff2pdf, tiffinfo, tiffcp
  libtiff-dev        # the fax line simulator links libtiff
  libspandsp-dev     # the fax engine inside Asterisk's res_fax_spandsp, for the line simulator
  gcc make pkg-config
  postfix            # the real MTA the end-to-end tests drive
  poppler-utils      # pdftoppm/pdfinfo: tests render the PDFs we mail
  fonts-ipafont-gothic  # a TrueType CJK font for the body page (Japanese text)
  fonts-dejavu-core
  tnef               # unpacks winmail.dat
  strace             # tests: a slow disk for the busy race (fsync delayed by fault injection)
  # office stream: LibreOffice headless (no X11, no Java) converts .docx/.xlsx/.odt/.pptx to PDF.
  # Optional at runtime (paths.libreoffice empty: office files are refused with a note); the tests and
  # the bench make and convert real office files with it. About 250 MB installed.
  libreoffice-writer-nogui libreoffice-calc-nogui libreoffice-impress-nogui
  ca-certificates
)

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
  # Postfix asks how to configure itself; faxmail's snippets are added later, so "Local only" is enough.
  echo "postfix postfix/main_mailer_type select Local only" | debconf-set-selections
  echo "postfix postfix/mailname string $(hostname -f 2>/dev/null || hostname)" | debconf-set-selections
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
echo "install-deps: all packages present"
