#!/usr/bin/env bash
# Takes SANE's virtual "test" scanner off a clinic PC: earlier set-up scripts enabled it for
# every mode (it then shows up in the program's scanner list beside the real scanner, and a
# clerk could "scan" its test pattern into a chart). The tests do not need it system-wide:
# tests/conftest.py points SANE_CONFIG_DIR at a folder of its own that enables only "test".
#   bash installer/sane-hygiene.sh [DLL_CONF]    (default /etc/sane.d/dll.conf)
# Removes only a bare "test" line (what the old script appended); the distribution's commented
# "#test" and every other backend stay as they are.
set -euo pipefail
conf="${1:-/etc/sane.d/dll.conf}"
[ -f "$conf" ] || exit 0
grep -qx 'test' "$conf" || exit 0
if [ -w "$conf" ]; then SUDO=""; else SUDO="sudo"; fi
$SUDO sed -i '/^test$/d' "$conf"
echo "SANE's virtual test scanner is switched off in $conf."
