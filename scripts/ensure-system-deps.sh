#!/usr/bin/env bash
# Makes sure the browser tests have what they need outside npm: a Chromium (Debian's
# package, or CHROME_PATH) and ffmpeg (only to regenerate test media); for the other engines
# (wtr --group firefox / --group webkit), Firefox ESR (or FIREFOX_PATH), WebKitGTK's
# WebDriver with its MiniBrowser, Xvfb for it, and the GStreamer plugins its media stack
# plays H.264/AAC with. Installs them with apt-get when running as root; otherwise says
# exactly what is missing (only a missing Chromium is fatal: the default run needs nothing else).
set -euo pipefail

need=()
chrome="${CHROME_PATH:-/usr/bin/chromium}"
[ -x "$chrome" ] || need+=(chromium)
command -v ffmpeg >/dev/null 2>&1 || need+=(ffmpeg)
fc-list 2>/dev/null | grep -i dejavu >/dev/null || need+=(fonts-dejavu-core)

# Firefox and WebKitGTK (MiniBrowser comes with the driver's libwebkit2gtk).
[ -x "${FIREFOX_PATH:-/usr/bin/firefox-esr}" ] || need+=(firefox-esr)
command -v WebKitWebDriver >/dev/null 2>&1 || need+=(webkit2gtk-driver)
command -v Xvfb >/dev/null 2>&1 || need+=(xvfb)
installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }
if command -v dpkg-query >/dev/null 2>&1; then
  for pkg in gstreamer1.0-plugins-good gstreamer1.0-plugins-bad gstreamer1.0-libav; do
    installed "$pkg" || need+=("$pkg")
  done
fi

[ ${#need[@]} -eq 0 ] && exit 0

if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing ${need[*]} with apt-get…"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${need[@]}" >/dev/null
else
  echo "Missing: ${need[*]}. Install them (Debian: sudo apt-get install ${need[*]}), or set CHROME_PATH to a Chromium/Chrome binary." >&2
  # ffmpeg and fonts are only needed to regenerate the committed test media; Firefox, WebKitGTK,
  # Xvfb and GStreamer only for `wtr --group firefox` / `--group webkit`.
  [ -x "$chrome" ] || exit 1
fi
