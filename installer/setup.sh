#!/usr/bin/env bash
# ClinicRecords set-up for Debian/Ubuntu (as root, or as a user with sudo).
#   bash installer/setup.sh demo   install everything, then start the program on a demo clinic
#   bash installer/setup.sh test   install everything, then run the whole test suite
#   bash installer/setup.sh install  just install
set -euo pipefail
cd "$(dirname "$0")/.."
mode="${1:-install}"

if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi

# System packages: OCR, PDF tools, scanner tools, and the libraries Qt needs (offscreen and X11).
APT_PACKAGES=(
  python3 python3-venv python3-dev
  tesseract-ocr tesseract-ocr-eng tesseract-ocr-osd
  poppler-utils qpdf sane-utils
  libgl1 libegl1 libglib2.0-0 libfontconfig1 libdbus-1-3 libxkbcommon0 libxkbcommon-x11-0
  libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-shape0 libxcb-xinerama0 libxcb-randr0
  libxcb-render-util0 libxcb-image0 libxcb-xkb1 libnss3 fonts-dejavu-core
)
# The test suite starts its own throwaway PostgreSQL cluster (clinic network tests): it needs
# the server binaries. Clinic PCs do not (psycopg brings its own client library). cron: the
# nightly-backup tests register a real crontab line (a clinic PC's scheduler is its own).
if [ "$mode" = "test" ]; then APT_PACKAGES+=(postgresql cron); fi
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
install_pkgs() {
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}
if [ "${#missing[@]}" -gt 0 ]; then
  echo "Installing system packages: ${missing[*]}"
  $SUDO apt-get update -qq
  if ! install_pkgs "${missing[@]}"; then
    # A distribution may name a library differently (Ubuntu 24.04's "t64" renames): install
    # what exists one by one and say what could not be had.
    for pkg in "${missing[@]}"; do
      install_pkgs "$pkg" || echo "setup: package $pkg is not available here; skipped" >&2
    done
  fi
fi

# SANE's virtual 'test' scanner is for the tests only, and they enable it for themselves
# (SANE_CONFIG_DIR in tests/conftest.py): never system-wide. A PC set up by an earlier version
# of this script has it in /etc/sane.d/dll.conf; a clinic PC (demo, install) loses it here.
if [ "$mode" != "test" ]; then bash installer/sane-hygiene.sh; fi

PY="${PYTHON:-python3}"
if ! "$PY" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
  echo "ClinicRecords needs Python 3.11 or newer; found $("$PY" --version 2>&1)." >&2
  exit 1
fi
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e '.[dev]'

case "$mode" in
  install)
    echo "Installed. Start with: .venv/bin/clinicrecords" ;;
  test)
    # A real print queue for the printing tests: CUPS with a PDF printer (tests skip without it).
    if ! dpkg-query -W -f='${Status}' printer-driver-cups-pdf 2>/dev/null | grep -q "install ok installed"; then
      DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends cups printer-driver-cups-pdf >/dev/null || true
    fi
    if command -v lpstat >/dev/null 2>&1; then
      lpstat -r 2>/dev/null | grep -q "scheduler is running" || $SUDO /usr/sbin/cupsd || true
      for _ in $(seq 1 40); do lpstat -r 2>/dev/null | grep -q "scheduler is running" && break; sleep 0.25; done
      lpstat -p ClinicPDF >/dev/null 2>&1 || $SUDO lpadmin -p ClinicPDF -E -v cups-pdf:/ -m lsb/usr/cups-pdf/CUPS-PDF_opt.ppd || true
    fi
    export QT_QPA_PLATFORM=offscreen
    exec .venv/bin/python -m pytest -q -p no:cacheprovider ;;
  demo)
    data_dir="$(.venv/bin/python -c 'from clinicrecords.clinic.store import default_data_dir; print(default_data_dir())')"
    export CLINICRECORDS_PASSPHRASE="${CLINICRECORDS_PASSPHRASE:-demo-clinic-passphrase}"
    if [ ! -f "$data_dir/clinic.db" ]; then
      echo "Creating the demo clinic in $data_dir (synthetic patients and documents)..."
      .venv/bin/clinicrecords --data-dir "$data_dir" demo
    fi
    echo "Sign in as frontdesk, manager or admin; password: demo-password"
    if [ -z "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ] && [ "${QT_QPA_PLATFORM:-}" != "offscreen" ]; then
      echo "No desktop session (DISPLAY) found: start the program from a desktop with:" >&2
      echo "  CLINICRECORDS_PASSPHRASE=demo-clinic-passphrase .venv/bin/clinicrecords --data-dir '$data_dir'" >&2
      exit 1
    fi
    exec .venv/bin/clinicrecords --data-dir "$data_dir" gui ;;
  *)
    echo "usage: bash installer/setup.sh demo|test|install" >&2; exit 2 ;;
esac
