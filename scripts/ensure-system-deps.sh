#!/usr/bin/env bash
# Makes sure the tests have what they need outside npm: a Chromium (Debian's package, or
# CHROME_PATH); ffmpeg and DejaVu fonts (the WHEP test server's publisher encodes with ffmpeg
# and labels its frames in DejaVu; make-media regenerates the HLS media with them); for the
# other engines npm test runs, Firefox ESR (or FIREFOX_PATH), WebKitGTK's WebDriver with its
# MiniBrowser, Xvfb for it, and the GStreamer plugins its media stack plays H.264/AAC with.
# Installs them with apt-get when running as root; otherwise says exactly what is missing and
# fails (`ENGINES= BACKGROUND_ENGINES=chromium npm test` needs only Chromium, ffmpeg and fonts).
set -euo pipefail

need=()
chrome="${CHROME_PATH:-/usr/bin/chromium}"
[ -x "$chrome" ] || need+=(chromium)
command -v ffmpeg >/dev/null 2>&1 || need+=(ffmpeg)
fc-list 2>/dev/null | grep -i dejavu >/dev/null || need+=(fonts-dejavu-core)

# Firefox and WebKitGTK (MiniBrowser comes with the driver's libwebkit2gtk), where asked for:
# npm test's engine groups (ENGINES) and its hidden-tab check (BACKGROUND_ENGINES).
wanted=",${ENGINES-firefox,webkit},${BACKGROUND_ENGINES-chromium,firefox,webkit},"
installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }
if [[ "$wanted" == *,firefox,* ]]; then
  [ -x "${FIREFOX_PATH:-/usr/bin/firefox-esr}" ] || need+=(firefox-esr)
fi
if [[ "$wanted" == *,webkit,* ]]; then
  command -v WebKitWebDriver >/dev/null 2>&1 || need+=(webkit2gtk-driver)
  command -v Xvfb >/dev/null 2>&1 || need+=(xvfb)
  if command -v dpkg-query >/dev/null 2>&1; then
    for pkg in gstreamer1.0-plugins-good gstreamer1.0-plugins-bad gstreamer1.0-libav; do
      installed "$pkg" || need+=("$pkg")
    done
  fi
fi

[ ${#need[@]} -eq 0 ] && exit 0

if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing ${need[*]} with apt-get…"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${need[@]}" >/dev/null
else
  echo "Missing: ${need[*]}. Install them (Debian: sudo apt-get install ${need[*]}), or set CHROME_PATH to a Chromium/Chrome binary." >&2
  exit 1
fi
