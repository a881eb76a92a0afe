#!/usr/bin/env bash
# Rebuilds app/static/vendor from the npm registry. The output is committed, so neither the
# app nor CI needs Node: run this only to upgrade GOV.UK Frontend or htmx. (The report's
# charts are SVG drawn by the app, app/reports/charts.py: no charting library is vendored.)
# MAPS is not a GOV.UK service, so the GDS Transport font (licensed to GOV.UK only) and
# the crown/crest images are left out and the font stack falls back to Arial-metric fonts.
set -euo pipefail
GOVUK_VERSION=6.3.0   # the release govuk-frontend-jinja 4.1.0 targets
HTMX_VERSION=2.0.11
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
cd "$work"
npm pack --silent "govuk-frontend@$GOVUK_VERSION" "htmx.org@$HTMX_VERSION" >/dev/null
mkdir g h; tar xzf "govuk-frontend-$GOVUK_VERSION.tgz" -C g; tar xzf "htmx.org-$HTMX_VERSION.tgz" -C h
out="$root/app/static/vendor"; rm -rf "$out"; mkdir -p "$out/govuk" "$out/htmx"
sed -e 's/@font-face{[^}]*}//g' -e 's/"GDS Transport",arial/arial/g; s/GDS Transport,arial/arial/g' \
    -e 's/url(\/assets\/images\/govuk-crest.svg)/none/g' \
    g/package/dist/govuk/govuk-frontend.min.css > "$out/govuk/govuk-frontend.min.css"
cp g/package/dist/govuk/govuk-frontend.min.js "$out/govuk/"
echo "govuk-frontend $GOVUK_VERSION, MIT licence (package.json: $(node -p "require('./g/package/package.json').license"))" > "$out/govuk/LICENSE.txt"
cp h/package/dist/htmx.min.js "$out/htmx/"; cp h/package/LICENSE "$out/htmx/LICENSE"
echo "vendored govuk-frontend $GOVUK_VERSION and htmx $HTMX_VERSION into $out"
