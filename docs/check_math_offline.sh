#!/usr/bin/env bash
# Open a built tutorial page that holds math in headless Chromium, with no network, and
# check that MathJax (shipped with the site) typeset it; save a screenshot beside it.
#
#     bash docs/check_math_offline.sh BUILT_HTML_FOLDER [SCREENSHOT.png]
set -euo pipefail
site=$(cd "$1" && pwd)
shot=${2:-$site/math-check.png}
page="file://$site/tutorials/lecture_3_first_network.html"
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
flags=(--headless --no-sandbox --disable-gpu --no-first-run --disable-background-networking
       --disable-component-update --disable-sync --user-data-dir="$profile" --virtual-time-budget=15000)
typeset=$(chromium "${flags[@]}" --dump-dom "$page" 2>/dev/null | grep -c "<mjx-container" || true)
chromium "${flags[@]}" --window-size=1200,900 --screenshot="$shot" "$page" >/dev/null 2>&1
if [ "$typeset" -lt 1 ]; then
    echo "no math was typeset on $page (is MathJax in the site's _static?)" >&2
    exit 1
fi
echo "$typeset formulas typeset offline on $page; screenshot: $shot"
