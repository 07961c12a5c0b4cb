#!/bin/sh
# Rebuild assets/plotly-bar.min.js, the usage chart's partial plotly.js bundle (entry.js says
# what is in it). Needs node and network access to the npm registry; run it when upgrading
# plotly.js (keep PLOTLY_VERSION equal to the plotly.js that rx.plotly pins) and commit the output.
set -eu
PLOTLY_VERSION=3.7.0
ROLLDOWN_VERSION=1.2.19
here=$(cd "$(dirname "$0")" && pwd)
out="$here/../../assets/plotly-bar.min.js"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
npm pack --silent "plotly.js@$PLOTLY_VERSION" >/dev/null
tar xzf "plotly.js-$PLOTLY_VERSION.tgz"
cd package
npm install --silent --omit=dev --ignore-scripts --no-audit --no-fund
cp "$here/entry.js" ./uc-entry.js
npx --yes "rolldown@$ROLLDOWN_VERSION" uc-entry.js --minify --format esm --platform browser \
    --module-types .css=empty \
    --banner "/*! plotly.js $PLOTLY_VERSION (MIT License, Plotly, Inc.), partial build for the usage chart: bar, legend, hover. Rebuild: deploy/plotly_bundle/build.sh */" \
    -o "$out"
gzip -9c "$out" | wc -c | awk '{printf "plotly-bar.min.js: %.1f KiB gzip\n", $1 / 1024}'
