#!/bin/sh
# Rebuild assets/plotly-bar.min.js, the usage chart's partial plotly.js bundle (entry.js says
# what is in it). Needs node and network access to the npm registry; run it when upgrading
# plotly.js (keep PLOTLY_VERSION equal to the plotly.js that rx.plotly pins) and commit the output.
set -eu
PLOTLY_VERSION=3.7.0
ROLLDOWN_VERSION=1.2.19
here=$(cd "$(dirname "$0")" && pwd)
out="$(cd "$here/../../assets" && pwd)/plotly-bar.min.js"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
npm pack --silent "plotly.js@$PLOTLY_VERSION" >/dev/null
tar xzf "plotly.js-$PLOTLY_VERSION.tgz"
cd package
npm install --silent --omit=dev --ignore-scripts --no-audit --no-fund
cp "$here/entry.js" ./uc-entry.js
cp "$here/rolldown.config.mjs" ./rolldown.config.mjs
PLOTLY_VERSION=$PLOTLY_VERSION PLOTLY_BAR_OUT="$out" \
    npx --yes "rolldown@$ROLLDOWN_VERSION" -c rolldown.config.mjs
gzip -9c "$out" | wc -c | awk '{printf "plotly-bar.min.js: %.1f KiB gzip\n", $1 / 1024}'
