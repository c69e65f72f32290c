#!/usr/bin/env bash
# End-to-end test of the zeropark command line: registry, import with a zero run and a bad row,
# queries, registry CSV round trip, demo generation, and serve answering over loopback then
# stopping cleanly on SIGTERM. Usage: cli_test.sh PATH/TO/zeropark
set -u
ZP="$(readlink -f "$1")"
WORK="$(mktemp -d)"
SERVER_PID=""
cleanup() {
  if [[ -n "$SERVER_PID" ]]; then kill -TERM "$SERVER_PID" 2>/dev/null; wait "$SERVER_PID" 2>/dev/null; fi
  rm -rf "$WORK"
}
trap cleanup EXIT
cd "$WORK"
DB="$WORK/t.zpdb"
FAILURES=0

fail() { echo "FAIL: $*" >&2; FAILURES=$((FAILURES + 1)); }
# expect_ok DESCRIPTION CMD... : the command succeeds; its stdout is kept in $OUT.
expect_ok() {
  local what="$1"; shift
  OUT="$("$@" 2>"$WORK/err")" || fail "$what: exit $? ($(cat "$WORK/err"))"
}
expect_fail() {
  local what="$1"; shift
  if OUT="$("$@" 2>"$WORK/err")"; then fail "$what: succeeded but should fail"; fi
  ERR="$(cat "$WORK/err")"
}
contains() {  # contains DESCRIPTION TEXT NEEDLE
  [[ "$2" == *"$3"* ]] || fail "$1: '$3' not in: $2"
}

expect_ok "version" "$ZP" version
contains "version" "$OUT" "zeropark "
expect_ok "help" "$ZP" --help
for sub in serve demo import registry park zone enterprise meter query readings completeness flush version; do
  contains "help lists $sub" "$OUT" "$sub"
done
expect_ok "import --help" "$ZP" import --help
contains "import help is bilingual" "$OUT" "从CSV导入读数"

# Registry.
expect_ok "park set" "$ZP" park set --db "$DB" --name "测试园区" --grid-region northeast
expect_ok "park show" "$ZP" park show --db "$DB"
contains "park show" "$OUT" "测试园区"
expect_ok "zone add" "$ZP" zone add Z01 --db "$DB" --name "第一网格" --officer "王伟"
expect_fail "zone add twice" "$ZP" zone add Z01 --db "$DB" --name x
contains "duplicate zone error" "$ERR" "error:"
ENT=91210112MA0Y123452  # a valid unified social credit code (check character 2)
expect_ok "enterprise add" "$ZP" enterprise add "$ENT" --db "$DB" --name "测试公司" --industry C3670 --zone Z01
expect_fail "enterprise add with a bad check character" "$ZP" enterprise add 91210112MA0Y12345J --db "$DB" --name x
contains "credit code error" "$ERR" "check character"
expect_ok "meter add" "$ZP" meter add E1 --db "$DB" --enterprise "$ENT" --carrier electricity --interval 900
expect_ok "meter add gas" "$ZP" meter add G1 --db "$DB" --enterprise "$ENT" --carrier natural_gas
expect_fail "meter add bad unit" "$ZP" meter add G2 --db "$DB" --carrier natural_gas --unit kWh
expect_ok "meter set" "$ZP" meter set E1 --db "$DB" --name "总表"
expect_ok "meter list" "$ZP" meter list --db "$DB" --zone Z01 --carrier electricity
contains "meter list" "$OUT" "总表"
[[ "$OUT" != *"G1"* ]] || fail "meter list --carrier electricity shows G1"
expect_ok "enterprise list" "$ZP" enterprise list --db "$DB" --industry C36 --csv
contains "enterprise list csv" "$OUT" "$ENT,测试公司,C3670,Z01"

# Import: one day of 15-minute readings, zeros 04:00-08:00, one bad row (line 6).
{
  echo "time,kwh"
  for i in $(seq 0 95); do
    h=$((i / 4)); m=$(((i % 4) * 15)); v=$((20 + i % 7))
    if (( h >= 4 && h < 8 )); then v=0; fi
    if (( i == 4 )); then v=abc; fi
    printf '2025-01-02 %02d:%02d,%s\n' "$h" "$m" "$v"
  done
} > e1.csv
cat > map.json <<'JSON'
{"timestamp_column":"time","timestamp_format":"%Y-%m-%d %H:%M","value_column":"kwh","meter":"E1","interval_s":900}
JSON
expect_ok "import" "$ZP" import --db "$DB" --mapping-file map.json --save-mapping plant e1.csv
contains "import report" "$OUT" "96 readings received, 95 readings accepted, 1 rejected"
contains "import rejected line" "$OUT" "line 6:"
contains "import gap" "$OUT" "suspected gap"
contains "import gap range" "$OUT" "from 2025-01-02T04:00:00+08:00 to 2025-01-02T08:00:00+08:00 (16 readings"
expect_fail "strict import" "$ZP" import --db "$DB" --mapping plant --strict e1.csv
contains "strict import" "$ERR" "--strict"
expect_fail "import with no mapping" "$ZP" import --db "$DB" e1.csv
expect_fail "import with unknown mapping" "$ZP" import --db "$DB" --mapping nope e1.csv
contains "unknown mapping" "$ERR" "nope"
echo "time,kwh" > empty.csv
expect_fail "import of nothing" "$ZP" import --db "$DB" --mapping plant empty.csv
# --meter with {stem}: the file name names the meter.
sed 's/,abc$/,1/' e1.csv > G1.csv
cat > gas.json <<'JSON'
{"timestamp_column":"time","timestamp_format":"%Y-%m-%d %H:%M","value_column":"kwh","unit":"m3","interval_s":900}
JSON
expect_ok "import --meter {stem}" "$ZP" import --db "$DB" --mapping-file gas.json --meter "{stem}" G1.csv
contains "import --meter" "$OUT" "96 readings accepted"

# Queries.
expect_ok "readings" "$ZP" readings --db "$DB" --meter E1 --from 2025-01-02 --to "2025-01-02 01:00" --csv
[[ "$OUT" == $'ts,value\n2025-01-02T00:00:00+08:00,20\n2025-01-02T00:15:00+08:00,21\n2025-01-02T00:30:00+08:00,22\n2025-01-02T00:45:00+08:00,23' ]] \
  || fail "readings csv: $OUT"
expect_ok "query" "$ZP" query --db "$DB" --by meter --period hour --meter E1 --from "2025-01-02 04:00" --to "2025-01-02 05:00" --csv
contains "query" "$OUT" "E1,electricity,kWh,2025-01-02T04:00:00+08:00,0,4"
expect_ok "query zone" "$ZP" query --db "$DB" --by zone --period day --from 2025-01-02 --to 2025-01-03
contains "query zone" "$OUT" "Z01"
expect_fail "query bad range" "$ZP" query --db "$DB" --from 2025-01-03 --to 2025-01-02
contains "query bad range" "$ERR" "--from"
expect_fail "query bad date" "$ZP" query --db "$DB" --from 2025-13-01 --to 2025-01-02
expect_fail "query bad by" "$ZP" query --db "$DB" --by building --from 2025-01-01 --to 2025-01-02
expect_ok "completeness" "$ZP" completeness --db "$DB" --meter E1 --from 2025-01-02 --to 2025-01-03 --csv
contains "completeness" "$OUT" "E1,2025-01-02,96,95,16,0"
expect_ok "flush" "$ZP" flush --db "$DB"
# Register replacement (换表) of a cumulative meter.
expect_ok "meter add cumulative" "$ZP" meter add C1 --db "$DB" --carrier electricity --kind cumulative --digits 6
expect_fail "replace an interval meter" "$ZP" meter replace E1 --db "$DB" --at "2025-01-02 10:00" --old-final 1 --new-initial 0
contains "replace an interval meter" "$ERR" "not cumulative"
expect_ok "meter replace" "$ZP" meter replace C1 --db "$DB" --at "2025-01-02 10:20" --old-final 5014 --new-initial 3
contains "meter replace" "$OUT" "2025-01-02T10:20:00+08:00"

# Registry CSV round trip into a second database.
expect_ok "export zones" "$ZP" registry export zones --db "$DB" -o zones.csv
expect_ok "export enterprises" "$ZP" registry export enterprises --db "$DB" -o ent.csv
expect_ok "export meters" "$ZP" registry export meters --db "$DB" -o meters.csv
DB2="$WORK/t2.zpdb"
expect_ok "import zones" "$ZP" registry import zones zones.csv --db "$DB2"
expect_ok "import enterprises" "$ZP" registry import enterprises ent.csv --db "$DB2"
expect_ok "import meters" "$ZP" registry import meters meters.csv --db "$DB2"
expect_ok "export meters again" "$ZP" registry export meters --db "$DB2"
[[ "$OUT" == "$(cat meters.csv)" ]] || fail "meters CSV round trip differs"
printf 'code,name\nZ02,ok\nZ03,\n' > bad.csv
expect_fail "registry import with a bad row" "$ZP" registry import zones bad.csv --db "$DB2"
contains "registry import error line" "$ERR" "line 3"
expect_ok "zone list" "$ZP" zone list --db "$DB2" --csv
[[ "$OUT" != *"Z02"* ]] || fail "registry import was not all or nothing"
expect_ok "meter delete" "$ZP" meter delete G1 --db "$DB2"

# Demo: small park, then the second run finds it.
DEMO="$WORK/demo.zpdb"
expect_ok "demo" "$ZP" demo --db "$DEMO" --enterprises 3 --days 2 --no-serve
contains "demo summary" "$(cat "$WORK/err")" "demo park ready"
expect_ok "demo again" "$ZP" demo --db "$DEMO" --no-serve
contains "demo again" "$(cat "$WORK/err")" "already"
expect_fail "demo over a non-demo database" "$ZP" demo --db "$DB" --no-serve

# Serve on any port; talk HTTP over loopback with bash's /dev/tcp; stop with SIGTERM.
"$ZP" serve --db "$DB" --port 0 2>"$WORK/serve.err" &
SERVER_PID=$!
PORT=""
for _ in $(seq 1 100); do
  PORT="$(grep -o '127\.0\.0\.1:[0-9]*' "$WORK/serve.err" | head -1 | cut -d: -f2)"
  [[ -n "$PORT" ]] && break
  sleep 0.05
done
if [[ -z "$PORT" ]]; then
  fail "serve did not report its port: $(cat "$WORK/serve.err")"
else
  exec 3<>"/dev/tcp/127.0.0.1/$PORT"
  printf 'GET /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n' >&3
  RESPONSE="$(cat <&3)"
  exec 3<&-
  contains "serve /health" "$RESPONSE" "200 OK"
  contains "serve /health body" "$RESPONSE" '"status":"ok"'
fi
kill -TERM "$SERVER_PID"
wait "$SERVER_PID"
RC=$?
SERVER_PID=""
[[ $RC -eq 0 ]] || fail "serve exit code $RC after SIGTERM"
contains "serve stopping" "$(cat "$WORK/serve.err")" "stopping"

if (( FAILURES > 0 )); then
  echo "$FAILURES failures" >&2
  exit 1
fi
echo "all CLI checks passed"
