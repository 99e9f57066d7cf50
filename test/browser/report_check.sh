#!/bin/bash
# Opens the pipeline's HTML report in a real headless browser (Debian's
# chromium) and checks that every chart drew something: the page's own
# script counts the SVG charts whose shapes have a size and writes the count
# into <body data-charts-drawn>, which --dump-dom shows after the page ran.
# Runs inside scripts/test.sh's throwaway cluster (PG* variables set), in a
# database of its own, on a small generated data set, observed up to its
# last day in UTC whatever the clock and zone of the machine.
set -euo pipefail
cd "$(dirname "$0")/../.."

if ! command -v chromium >/dev/null; then
    echo "report_check: chromium is not installed (scripts/setup.sh installs it)" >&2
    exit 1
fi
out=$(mktemp -d)
chmod 755 "$out"
trap 'rm -rf "$out"; dropdb --if-exists clv_report_check' EXIT

psql() { command psql -X -q -v ON_ERROR_STOP=1 -d clv_report_check "$@"; }
createdb clv_report_check
psql -c "CREATE EXTENSION clv"
psql -v customers=2000 -f demo/generate.sql >/dev/null
psql -c "SET client_min_messages = error" \
     -c "SELECT count(*) FROM clv_create_pipeline('orders', 'customer_id', 'ordered_at', 'amount', gross_margin => 0.35, channel => 'channel', as_of => '2026-06-30 23:59:59+00', time_zone => 'UTC')" >/dev/null
# the README's one-line command, run by sh as written but for its database:
# it must write the page itself, with no psql padding or header around it
readme_command=$(python3 - <<'EOF2'
import re
text = open("README.md", encoding="utf-8").read()
lines = [l for info, body in re.findall(r"^```(\w*)\n(.*?)^```$", text, re.S | re.M) if info == "sh"
         for l in body.splitlines() if "clv_report_html" in l]
if len(lines) != 1:
    raise SystemExit(f"README.md has {len(lines)} shell lines writing the report, expected 1")
print(lines[0])
EOF2
)
(cd "$out" && sh -c "${readme_command//-d mydb/-d clv_report_check}")
readme_ok=0
if head -c 15 "$out/report.html" | grep -qx '<!DOCTYPE html>' && grep -v '^$' "$out/report.html" | tail -n 1 | grep -qx '</body></html>'; then
    readme_ok=1
fi

psql -At -c "SELECT clv_report_html('clv_report', 'Report <check> & \"quotes\"', currency => 'EUR ')" > "$out/report.html"

# the page as the browser left it, after its script ran
dom=$(timeout 120 chromium --headless=new --no-sandbox --disable-gpu --dump-dom "file://$out/report.html" 2>/dev/null)
fail=0
check() {
    if grep -q -- "$2" <<<"$dom"; then
        echo "ok - $1"
    else
        echo "not ok - $1"
        fail=1
    fi
}
if [ "$readme_ok" = 1 ]; then echo "ok - the README's one-line command writes the page and nothing else"
else echo "not ok - the README's one-line command writes the page and nothing else"; fail=1; fi
check "chromium ran the page's script and all four charts drew shapes" 'data-charts-drawn="4"'
check "the title is escaped, not markup" '<h1>Report &lt;check&gt; &amp; "quotes"</h1>'
check "the distribution has its 20 bars" "$(printf 'class="bar" x="%s"' 610)"
check "the declining customers table has rows" '<tr><td>[0-9]'
check "the heat map's cells show their percentage" 'class="cellnum" x="[0-9]*" y="[0-9]*">[0-9]'
check "the heat map's rows show the cohort's size" 'class="label">20[0-9][0-9]-[0-9][0-9] ([0-9,]*)</text>'
check "the distribution has a log scale and a labelled y axis" 'x axis, log scale'
check "the distribution's x axis has ticks labelled with amounts" \
    'class="tick" x1="190" .*class="axis tickl">EUR [0-9][0-9.,]*</text>.*class="axis tickl">EUR [0-9][0-9.,]*</text>.*class="axis tickl">EUR [0-9][0-9.,]*</text>'
check "the heat map has a legend of its shades" 'class="cellnum" x="[0-9]*" y="[0-9]*">[0-9.]*%</text>.*shade: retention'
cohorts=$(psql -At -c "SELECT count(DISTINCT cohort) FROM clv_report.cohorts")
rows=$(grep -o 'class="label">20[0-9][0-9]-[0-9][0-9] ([0-9,]*)</text>' <<<"$dom" | sort -u | wc -l)
check_count() {
    if [ "$2" = "$3" ] && [ "$2" -gt 12 ]; then echo "ok - $1 ($2)"; else echo "not ok - $1: $2 against $3"; fail=1; fi
}
check_count "the heat map has a row for every cohort, not only the last 12" "$rows" "$cohorts"
check "the page says what predicted CLV is: horizon, discount, margin and models" \
    'id="clv-basis">Predicted CLV: the gross margin of the next 12 periods of 30 days, discounted at 1% a period, at a gross margin of 0.35; purchases from BG/NBD, spend from Gamma-Gamma. Amounts (public.orders.amount) are shown in EUR.'
check "the page gives the data's as-of date (the pipeline's end of observation), not only the refresh time" \
    'data up to 2026-06-30 ([^)]*), refreshed '
check "amounts are written with the currency asked for" '<b>EUR [0-9][0-9,]*</b>net revenue so far'
check "the monthly chart has 24 bars and a seasonally adjusted line" \
    'class="bar[a-z ]*" x="668" .*<polyline class="line" points="80,[0-9]* '
check "the monthly chart names every third month and labels its y axis" \
    'class="axis">20[0-9][0-9]-[0-9][0-9]</text>.*class="axis">EUR [0-9][0-9,]*</text><text x="2" y="232" class="axis">0</text>'
check "the monthly chart has a legend" 'class="axis">seasonally adjusted</text>'
check "the value tiers are listed best first" '<tr><td>top 1%</td>.*<tr><td>top 5%</td>.*<tr><td>top 20%</td>.*<tr><td>rest</td>'
check "predicted CLV by channel lists the demo's four channels" \
    'id="channels">.*<tr><td>\(web\|store\|phone\|marketplace\)</td>.*<tr><td>\(web\|store\|phone\|marketplace\)</td>.*<tr><td>\(web\|store\|phone\|marketplace\)</td>.*<tr><td>\(web\|store\|phone\|marketplace\)</td>'
exit $fail
