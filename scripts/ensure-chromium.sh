#!/usr/bin/env bash
# Make sure Debian's Chromium is at /usr/bin/chromium for the Mini App's browser tests
# (tests/web/test_browser.py drives it with Playwright; Playwright's own downloads are not used).
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
  exit 0
fi
echo "chromium: not installed, installing Debian's chromium package" >&2
apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
[ -x /usr/bin/chromium ] || { echo "chromium: /usr/bin/chromium still missing" >&2; exit 1; }
