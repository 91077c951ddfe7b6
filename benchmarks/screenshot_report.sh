#!/bin/sh
# Render the HTML explanation of a failing example verdict to a PNG, to look at its layout.
#
# What it does:
#   1. Builds a failing verdict from rulesets/examples/collective-gd-0001.json with
#      members.aged_35_or_under = 11 (46 % < 50 %, so basic.youth_share fails) and, to show
#      every group, a second filing through another reporting line (filing.single_channel
#      fails) and no leader.birth_date (basic.leader_age is undetermined), evaluated
#      as_of 2017-09-20. It writes qnwmh_rules._explain.explain_html(verdict) to
#      $OUT_DIR/qnwmh-report-<lang>.html.
#   2. Renders that file with Debian's headless chromium (no network, a throw-away profile)
#      to $OUT_DIR/qnwmh-report-<lang>.png.
#
# Usage (from anywhere):
#   sh benchmarks/screenshot_report.sh [zh|en] [OUT_DIR]      # defaults: zh, /tmp
#   PYTHON=/path/to/python WINDOW=1200,2000 sh benchmarks/screenshot_report.sh en
#
# Needs: chromium and a CJK font so Chinese renders. On Debian, as root:
#   apt-get update && apt-get install -y chromium fonts-noto-cjk
# The script installs them itself if chromium is missing and it runs as root.
set -eu

LANG_ARG="${1:-zh}"
OUT_DIR="${2:-/tmp}"
HERE="$(cd "$(dirname "$0")/.." && pwd)"
PYTHON="${PYTHON:-/work/venv/bin/python}"
WINDOW="${WINDOW:-1200,2000}"
HTML="$OUT_DIR/qnwmh-report-$LANG_ARG.html"
PNG="$OUT_DIR/qnwmh-report-$LANG_ARG.png"

if ! command -v chromium >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ]; then
        apt-get update && apt-get install -y chromium fonts-noto-cjk
    else
        echo "chromium is not installed; as root: apt-get install -y chromium fonts-noto-cjk" >&2
        exit 1
    fi
fi

mkdir -p "$OUT_DIR"
cd "$HERE"
"$PYTHON" - "$LANG_ARG" "$HTML" <<'EOF'
import json
import sys

import qnwmh_rules
from qnwmh_rules._explain import explain_html

lang, out = sys.argv[1], sys.argv[2]
with open("rulesets/examples/collective-gd-0001.json", encoding="utf-8") as fh:
    facts = json.load(fh)
facts["members"]["aged_35_or_under"] = 11
del facts["leader"]["birth_date"]
facts["filings"].append({"channel": {"kind": "locality", "unit": "共青团广州市委"},
                         "submitted_at": "2017-09-12T09:30:00+08:00", "review": {"status": "pending"}})
verdict = qnwmh_rules.evaluate(facts, region="guangdong", as_of="2017-09-20")
with open(out, "w", encoding="utf-8") as fh:
    fh.write(explain_html(verdict, lang=lang))
print(f"{verdict.subject_id}: {verdict.outcome}; "
      + ", ".join(f"{r.id}={r.outcome}" for r in verdict.rules if r.outcome != "passed"))
EOF

PROFILE="$(mktemp -d)"
trap 'rm -rf "$PROFILE"' EXIT
chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --hide-scrollbars --user-data-dir="$PROFILE" \
    --screenshot="$PNG" --window-size="$WINDOW" "file://$HTML" 2>/dev/null
echo "wrote $HTML"
echo "wrote $PNG"
