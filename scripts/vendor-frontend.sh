#!/usr/bin/env bash
# Rebuilds app/static/vendor from the npm registry. The output is committed, so neither the
# app nor CI needs Node: run this only to upgrade GOV.UK Frontend, htmx or plotly.js. (The
# report's charts are SVG drawn by the app, app/reports/charts.py. Plotly's basic partial
# bundle draws only the collaboration map's interactive network chart, and is loaded only
# when that chart is shown: app/static/charts.js.)
# MAPS is not a GOV.UK service, so the GDS Transport font (licensed to GOV.UK only) and
# the crown/crest images are left out and the font stack falls back to Arial-metric fonts.
set -euo pipefail
GOVUK_VERSION=6.3.0   # the release govuk-frontend-jinja 4.1.0 targets
HTMX_VERSION=2.0.11
# The plotly.js that the pinned plotly (Python) writes figures for:
# .venv/bin/python -c "from plotly.offline import get_plotlyjs_version as v; print(v())"
# The basic partial bundle (scatter, bar, pie) is all a network of points and lines needs.
PLOTLY_VERSION=4.1.1
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
cd "$work"
npm pack --silent "govuk-frontend@$GOVUK_VERSION" "htmx.org@$HTMX_VERSION" \
    "plotly.js-basic-dist-min@$PLOTLY_VERSION" >/dev/null
mkdir g h p; tar xzf "govuk-frontend-$GOVUK_VERSION.tgz" -C g; tar xzf "htmx.org-$HTMX_VERSION.tgz" -C h
tar xzf "plotly.js-basic-dist-min-$PLOTLY_VERSION.tgz" -C p
out="$root/app/static/vendor"; rm -rf "$out"; mkdir -p "$out/govuk" "$out/htmx" "$out/plotly"
sed -e 's/@font-face{[^}]*}//g' -e 's/"GDS Transport",arial/arial/g; s/GDS Transport,arial/arial/g' \
    -e 's/url(\/assets\/images\/govuk-crest.svg)/none/g' \
    g/package/dist/govuk/govuk-frontend.min.css > "$out/govuk/govuk-frontend.min.css"
cp g/package/dist/govuk/govuk-frontend.min.js "$out/govuk/"
echo "govuk-frontend $GOVUK_VERSION, MIT licence (package.json: $(node -p "require('./g/package/package.json').license"))" > "$out/govuk/LICENSE.txt"
cp h/package/dist/htmx.min.js "$out/htmx/"; cp h/package/LICENSE "$out/htmx/LICENSE"
cp p/package/plotly-basic.min.js p/package/LICENSE "$out/plotly/"
# plotly.js injects its stylesheet with a <style> element, which a strict CSP (style-src
# 'self') refuses. It skips that when the page already has an element with id
# plotly.js-style-global and class no-inline-styles, so extract the rules it would inject
# (Chromium, headless) into plotly.css for the page to link with that id and class.
cat > extract.html <<'HTML'
<!DOCTYPE html><html><head><meta charset="utf-8"><script src="p/package/plotly-basic.min.js"></script></head>
<body><pre id="out"></pre><div id="g"></div><script>
Plotly.newPlot("g", [{x: [1], y: [1], type: "scatter"}]).then(function () {
  var sheet = document.getElementById("plotly.js-style-global").sheet, rules = [];
  for (var i = sheet.cssRules.length - 1; i >= 0; i--) rules.push(sheet.cssRules[i].cssText);
  document.getElementById("out").textContent = rules.join("\n");
});
</script></body></html>
HTML
chromium --headless --no-sandbox --disable-gpu --virtual-time-budget=5000 \
    --dump-dom "file://$work/extract.html" 2>/dev/null \
  | python3 -c 'import html, re, sys; print(html.unescape(re.search(r"<pre id=\"out\">(.*?)</pre>", sys.stdin.read(), re.S).group(1)))' \
  | { echo "/* plotly.js $PLOTLY_VERSION's own styles (MIT), extracted by scripts/vendor-frontend.sh for strict CSP */"; cat; } \
  > "$out/plotly/plotly.css"
echo "plotly.js-basic-dist-min $PLOTLY_VERSION, MIT licence (see LICENSE)" > "$out/plotly/VERSION.txt"
echo "vendored govuk-frontend $GOVUK_VERSION, htmx $HTMX_VERSION and plotly.js $PLOTLY_VERSION into $out"
