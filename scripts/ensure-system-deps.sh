#!/usr/bin/env bash
# Makes sure the browser tests have what they need outside npm: a Chromium (Debian's
# package, or CHROME_PATH) and ffmpeg (only to regenerate test media). Installs them with
# apt-get when running as root; otherwise says exactly what is missing.
set -euo pipefail

need=()
chrome="${CHROME_PATH:-/usr/bin/chromium}"
[ -x "$chrome" ] || need+=(chromium)
command -v ffmpeg >/dev/null 2>&1 || need+=(ffmpeg)
fc-list 2>/dev/null | grep -qi dejavu || need+=(fonts-dejavu-core)

[ ${#need[@]} -eq 0 ] && exit 0

if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing ${need[*]} with apt-get…"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${need[@]}" >/dev/null
else
  echo "Missing: ${need[*]}. Install them (Debian: sudo apt-get install ${need[*]}), or set CHROME_PATH to a Chromium/Chrome binary." >&2
  # ffmpeg and fonts are only needed to regenerate the committed test media.
  [ -x "$chrome" ] || exit 1
fi
