#!/usr/bin/env bash
# Builds the program for Linux from this checkout:
#   dist/ClinicRecords/clinicrecords        one-folder PyInstaller bundle (Python, Qt, SQLCipher…)
#   dist/clinicrecords_<version>_amd64.deb  the bundle under /opt/clinicrecords, /usr/bin link,
#                                           desktop entry and icon; depends on Tesseract
#   bash installer/build.sh            build both
#   bash installer/build.sh --smoke    build, then run installer/smoke.py on the bundle
# Uses .venv (made by installer/setup.sh) or $PYTHON, and installs the `build` extra into it.
set -euo pipefail
cd "$(dirname "$0")/.."
smoke=0
[ "${1:-}" = "--smoke" ] && smoke=1

if [ -n "${PYTHON:-}" ]; then PY="$PYTHON"
elif [ -x .venv/bin/python ]; then PY=.venv/bin/python
else echo "build: run installer/setup.sh install first (or set PYTHON)" >&2; exit 1; fi
# The build tools only (the `build` extra): the program itself is analysed from this checkout
# (the spec puts it first on the path), so an existing install of it is left alone.
"$PY" -c 'import tomllib; print("\n".join(tomllib.load(open("pyproject.toml", "rb"))["project"]["optional-dependencies"]["build"]))' \
  | xargs "$PY" -m pip install -q

version="$("$PY" -c 'import tomllib; print(tomllib.load(open("pyproject.toml","rb"))["project"]["version"])')"
t0=$(date +%s)
rm -rf dist/ClinicRecords build/pyinstaller
"$PY" -m PyInstaller --noconfirm --clean --log-level WARN \
  --distpath dist --workpath build/pyinstaller installer/clinicrecords.spec
t1=$(date +%s)

# The Debian package: the bundle as it is, under /opt.
pkg=build/deb/clinicrecords_${version}_amd64
rm -rf "$pkg"
mkdir -p "$pkg/DEBIAN" "$pkg/opt/clinicrecords" "$pkg/usr/bin" "$pkg/usr/share/applications" \
  "$pkg/usr/share/icons/hicolor/256x256/apps" "$pkg/usr/share/icons/hicolor/scalable/apps"
cp -a dist/ClinicRecords/. "$pkg/opt/clinicrecords/"
ln -s /opt/clinicrecords/clinicrecords "$pkg/usr/bin/clinicrecords"
install -m 644 resources/clinicrecords.png "$pkg/usr/share/icons/hicolor/256x256/apps/clinicrecords.png"
install -m 644 resources/clinicrecords.svg "$pkg/usr/share/icons/hicolor/scalable/apps/clinicrecords.svg"
install -m 644 installer/linux/clinicrecords.desktop "$pkg/usr/share/applications/clinicrecords.desktop"
size_kb=$(du -sk "$pkg" | cut -f1)
sed -e "s/@VERSION@/${version}/" -e "s/@SIZE@/${size_kb}/" installer/linux/control > "$pkg/DEBIAN/control"
find "$pkg" -type d -exec chmod 755 {} +
# gzip: every dpkg reads it, and it compresses the ~300 MB bundle in seconds; xz -6 had not
# finished after 2 min 46 s of CPU (7 min on the loaded 2-core build machine).
# DEB_COMPRESS=xz for a smaller package when time does not matter.
dpkg-deb --root-owner-group -Z"${DEB_COMPRESS:-gzip}" -z"${DEB_LEVEL:-6}" \
  --build "$pkg" "dist/clinicrecords_${version}_amd64.deb" >/dev/null
t2=$(date +%s)
echo "build: dist/ClinicRecords/clinicrecords ($(du -sm dist/ClinicRecords | cut -f1) MB, bundle $((t1 - t0)) s)"
echo "build: dist/clinicrecords_${version}_amd64.deb ($(du -m "dist/clinicrecords_${version}_amd64.deb" | cut -f1) MB, package $((t2 - t1)) s)"

if [ "$smoke" = 1 ]; then
  "$PY" installer/smoke.py dist/ClinicRecords/clinicrecords
fi
