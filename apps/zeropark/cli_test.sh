#!/usr/bin/env bash
# End-to-end test of the zeropark command line: registry, import with a zero run and a bad row,
# queries, registry CSV round trip, demo generation, energy/carbon accounting (reports, exports,
# derivations, enterprise data, reference-data overrides, settings), and serve answering over
# loopback then stopping cleanly on SIGTERM. Usage: cli_test.sh PATH/TO/zeropark
set -u
ZP="$(readlink -f "$1")"
WORK="$(mktemp -d)"
SERVER_PID=""
cleanup() {
  if [[ -n "$SERVER_PID" ]]; then kill -TERM "$SERVER_PID" 2>/dev/null; wait "$SERVER_PID" 2>/dev/null; fi
  rm -rf "$WORK"
}
trap cleanup EXIT
cd "$WORK" || exit 1
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
for sub in serve demo import registry park zone enterprise meter query readings completeness flush version \
           energy carbon economic refdata accounting user token audit ledger green hj212-sim env; do
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

# Accounting on a small demo park (5 enterprises, January 1 - February 9, 2025; province liaoning).
ACC="$WORK/acc.zpdb"
expect_ok "accounting demo" "$ZP" demo --db "$ACC" --enterprises 5 --days 40 --no-serve
expect_ok "energy --help" "$ZP" energy --help
contains "energy help is bilingual" "$OUT" "综合能耗"
# py DESCRIPTION SCRIPT [ARGS...]: a python3 check reading $OUT on stdin; prints why it failed.
py() {
  local what="$1" script="$2"; shift 2
  local why
  why="$(python3 -c "$script" "$@" <<<"$OUT" 2>&1)" || fail "$what: $why"
}
for book in energy carbon; do
  for by in enterprise industry zone carrier park; do
    expect_ok "$book --by $by text" "$ZP" "$book" --db "$ACC" --year 2025 --by "$by"
    if [[ $book == energy ]]; then contains "$book $by text" "$OUT" "综合能源消费量"; fi
    if [[ $book == carbon ]]; then contains "$book $by text" "$OUT" "二氧化碳排放 / CO2 emissions"; fi
    expect_ok "$book --by $by csv" "$ZP" "$book" --db "$ACC" --year 2025 --by "$by" --format csv
    [[ "$OUT" == "group,name,period,"* ]] || fail "$book $by csv header: ${OUT:0:80}"
    (( $(wc -l <<<"$OUT") >= 2 )) || fail "$book $by csv has no rows"
    expect_ok "$book --by $by json" "$ZP" "$book" --db "$ACC" --year 2025 --by "$by" --format json
    py "$book $by json" '
import json, sys
d = json.load(sys.stdin)
assert d["group_by"] == sys.argv[1] and d["from"] == "2025-01" and d["to"] == "2025-12", d
assert d["rows"] and all(r["period"] == "2025" for r in d["rows"]), d["rows"]
' "$by"
  done
done
# Parts add up to the whole: enterprises (with PARK own use) = park total.
PARK_CSV="$("$ZP" energy --db "$ACC" --year 2025 --by park --format csv)"
expect_ok "energy by enterprise" "$ZP" energy --db "$ACC" --year 2025 --by enterprise --format csv
py "enterprises add up to the park" '
import csv, io, sys
rows = list(csv.DictReader(sys.stdin))
park = list(csv.DictReader(io.StringIO(sys.argv[1])))[0]
for k in ("tce_equivalent", "tce_coal_equivalent", "electricity_kwh"):
    total = sum(float(r[k]) for r in rows)
    assert abs(total - float(park[k])) <= 1e-9 * abs(total), (k, total, park[k])
assert len(rows) == 6 and rows[-1]["group"] == "PARK", [r["group"] for r in rows]
' "$PARK_CSV"
expect_ok "energy by month" "$ZP" energy --db "$ACC" --from 2025-01 --to 2025-02 --period month --format csv --header bilingual
contains "bilingual csv header" "$OUT" "综合能耗(当量值) / Energy (equivalent value) (tce)"
(( $(wc -l <<<"$OUT") == 3 )) || fail "energy by month: expected 2 rows: $OUT"
expect_fail "energy --year with --from" "$ZP" energy --db "$ACC" --year 2025 --from 2025-01
expect_fail "energy bad --by" "$ZP" energy --db "$ACC" --by meter
expect_fail "energy bad month" "$ZP" energy --db "$ACC" --from 2025-13
contains "energy bad month" "$ERR" "--from"
expect_fail "xlsx to the terminal" "$ZP" carbon --db "$ACC" --year 2025 --format xlsx
contains "xlsx needs --out" "$ERR" "--out"
expect_ok "xlsx" "$ZP" carbon --db "$ACC" --year 2025 --by enterprise --format xlsx --out "$WORK/carbon.xlsx"
contains "xlsx written" "$OUT" "wrote 6 rows to $WORK/carbon.xlsx"
python3 -c 'import sys, zipfile; z = zipfile.ZipFile(sys.argv[1]); assert "xl/workbook.xml" in z.namelist()' \
  "$WORK/carbon.xlsx" 2>/dev/null || fail "carbon.xlsx is not an xlsx zip"
expect_ok "csv --out --bom" "$ZP" energy --db "$ACC" --year 2025 --format csv --bom --out "$WORK/energy.csv"
[[ "$(head -c 3 "$WORK/energy.csv")" == $'\xEF\xBB\xBF' ]] || fail "energy.csv has no BOM"

# Derivations name factor rows and their sources.
ACC_ENT="$("$ZP" enterprise list --db "$ACC" --csv | sed -n 2p | cut -d, -f1)"
expect_ok "carbon explain" "$ZP" carbon explain --db "$ACC" --entity "$ACC_ENT" --year 2025
contains "explain entity" "$OUT" "$ACC_ENT 2025-01..2025-12"
contains "explain tce row id" "$OUT" "[tce-2020-equivalent-electricity]"
contains "explain tce source" "$OUT" "GB/T 2589"
contains "explain grid row id" "$OUT" "[gridef-2023-average-liaoning]"
expect_ok "energy explain json" "$ZP" energy explain --db "$ACC" --entity park --month 2025-02 --carrier electricity --format json
py "explain json" '
import json, sys
d = json.load(sys.stdin)
assert d["entity"] == "park" and d["from"] == "2025-02" and d["to"] == "2025-02", d["entity"]
assert d["readings"] and all(r["carrier"] == "electricity" for r in d["readings"])
rows = [r for f in d["co2_factors"] for r in f["rows"]] + [f["row"] for f in d["tce_factors"]]
assert rows and all(r["id"] and r["source"] for r in rows), rows
'
expect_fail "explain unknown entity" "$ZP" carbon explain --db "$ACC" --entity NOPE --year 2025
expect_fail "explain needs --entity" "$ZP" energy explain --db "$ACC"
expect_ok "carbon core" "$ZP" carbon core --db "$ACC" --year 2025
contains "core text" "$OUT" "tCO2/tce"
contains "core clean target" "$OUT" "≥ 90 %"
expect_ok "carbon core json" "$ZP" carbon core --db "$ACC" --year 2025 --format json
py "core json" '
import json, sys
d = json.load(sys.stdin)
assert d["year"] == 2025 and d["target_clean_share"] == 0.9 and d["tco2"]["market"] > 0, d
'

# Enterprise data: import, list, a bad file stores nothing, delete.
expect_ok "economic indicators" "$ZP" economic indicators
contains "indicators" "$OUT" "process_co2"
contains "indicators zh" "$OUT" "工业增加值"
carbon_ent() { "$ZP" carbon --db "$ACC" --year 2025 --by enterprise --enterprise "$ACC_ENT" --format csv; }
BEFORE="$(carbon_ent)"
printf 'enterprise_code,indicator,item,period,value,unit,note\n%s,added_value,,2025-01,1234.5,万元,测试\n%s,process_co2,,2025-01,77,tCO2,\n' \
  "$ACC_ENT" "$ACC_ENT" > econ.csv
expect_ok "economic import" "$ZP" economic import --db "$ACC" econ.csv
contains "economic import" "$OUT" "stored 2 rows"
expect_ok "economic list" "$ZP" economic list --db "$ACC" --enterprise "$ACC_ENT" --indicator added_value --format csv
contains "economic list csv" "$OUT" "$ACC_ENT,added_value,,2025-01,1234.5,10k CNY,测试"
expect_ok "economic list text" "$ZP" economic list --db "$ACC" --enterprise "$ACC_ENT"
contains "economic list source" "$OUT" "zeropark economic import econ.csv line 2"
OUT="$(carbon_ent)"
py "process CO2 counted" '
import csv, io, sys
before = list(csv.DictReader(io.StringIO(sys.argv[1])))[0]
after = list(csv.DictReader(sys.stdin))[0]
d = float(after["scope1_process"]) - float(before["scope1_process"])
assert abs(d - 77) < 1e-9, d
' "$BEFORE"
printf 'enterprise_code,indicator,item,period,value,unit\n%s,added_value,,2025-02,1,万元\n%s,added_value,,2025-13,1,万元\n' \
  "$ACC_ENT" "$ACC_ENT" > econ_bad.csv
expect_fail "economic import bad line" "$ZP" economic import --db "$ACC" econ_bad.csv
contains "economic bad line" "$ERR" "line 3"
contains "economic bad line nothing stored" "$ERR" "nothing"
expect_ok "economic list after bad import" "$ZP" economic list --db "$ACC" --enterprise "$ACC_ENT" --indicator added_value --format csv
[[ "$OUT" != *",2025-02,1,10k CNY"* ]] || fail "a bad economic file stored its good line"
expect_ok "economic delete" "$ZP" economic delete --db "$ACC" --enterprise "$ACC_ENT" --indicator added_value --period 2025-01
expect_ok "economic list after delete" "$ZP" economic list --db "$ACC" --enterprise "$ACC_ENT" --indicator added_value --format csv
[[ "$OUT" != *"1234.5"* ]] || fail "economic delete left the value"
expect_ok "economic history" "$ZP" economic list --db "$ACC" --enterprise "$ACC_ENT" --indicator added_value --history --format csv
contains "economic history keeps the value" "$OUT" "1234.5"
expect_fail "economic delete twice" "$ZP" economic delete --db "$ACC" --enterprise "$ACC_ENT" --indicator added_value --period 2025-01

# Reference data: a park grid factor for liaoning in 2025 (twice the built-in 0.4878) doubles
# location-based scope 2 of electricity; deleting it restores the result.
expect_ok "refdata provinces" "$ZP" refdata provinces --db "$ACC"
contains "provinces" "$OUT" "liaoning"
contains "provinces zh" "$OUT" "辽宁"
by_carrier() { "$ZP" carbon --db "$ACC" --year 2025 --by carrier --format csv; }
BEFORE="$(by_carrier)"
cat > park_rows.csv <<'CSV'
id,table,dataset,item,variant,region,value,unit,valid_from,valid_to,source,confidence,note
park-gridef-2025-liaoning,grid_ef,PARK-2025,electricity,average,liaoning,0.9756,tCO2/MWh,2025-01-01,2026-01-01,园区测算 park test,PARK,
CSV
expect_ok "refdata import" "$ZP" refdata import --db "$ACC" park_rows.csv
contains "refdata import" "$OUT" "imported 1"
expect_ok "refdata list" "$ZP" refdata list --db "$ACC" --table grid_ef --format csv
contains "refdata list park layer" "$OUT" "park-gridef-2025-liaoning,grid_ef,PARK-2025,electricity,average,liaoning,0.9756,tCO2/MWh,2025-01-01,2026-01-01,园区测算 park test,PARK,,park"
contains "refdata list builtin layer" "$OUT" ",builtin"
OUT="$(by_carrier)"
py "park grid factor doubles scope 2" '
import csv, io, sys
before = {r["group"]: r for r in csv.DictReader(io.StringIO(sys.argv[1]))}
after = {r["group"]: r for r in csv.DictReader(sys.stdin)}
b, a = float(before["electricity"]["scope2_location"]), float(after["electricity"]["scope2_location"])
assert b > 0 and abs(a - 2 * b) <= 1e-9 * a, (b, a)
assert after["electricity"]["scope2_market"] == before["electricity"]["scope2_market"]
assert after["heat"]["scope2_location"] == before["heat"]["scope2_location"]
' "$BEFORE"
expect_ok "explain shows the park row" "$ZP" carbon explain --db "$ACC" --entity park --month 2025-01 --carrier electricity
contains "explain park row" "$OUT" "[park-gridef-2025-liaoning]"
expect_ok "refdata export --park-only" "$ZP" refdata export --db "$ACC" --park-only
contains "refdata export park" "$OUT" "park-gridef-2025-liaoning"
(( $(wc -l <<<"$OUT") == 2 )) || fail "refdata export --park-only: $OUT"
expect_ok "refdata export" "$ZP" refdata export --db "$ACC" --out "$WORK/factors.csv"
contains "refdata export all" "$(cat "$WORK/factors.csv")" "gridef-2023-average-liaoning"
expect_ok "refdata delete" "$ZP" refdata delete --db "$ACC" park-gridef-2025-liaoning
[[ "$(by_carrier)" == "$BEFORE" ]] || fail "refdata delete did not restore the carbon result"
expect_fail "refdata delete twice" "$ZP" refdata delete --db "$ACC" park-gridef-2025-liaoning
# A park row with a built-in id replaces it: the built-in row is listed as overridden.
sed 's/^park-gridef-2025-liaoning,/gridef-2023-average-liaoning,/' park_rows.csv > override.csv
expect_ok "refdata override" "$ZP" refdata import --db "$ACC" override.csv
expect_ok "refdata list overridden" "$ZP" refdata list --db "$ACC" --table grid_ef
contains "refdata overridden" "$OUT" "overridden"
expect_ok "refdata delete override" "$ZP" refdata delete --db "$ACC" gridef-2023-average-liaoning
[[ "$(by_carrier)" == "$BEFORE" ]] || fail "deleting the override did not restore the result"
printf 'id,table,dataset,item,variant,region,value,unit,valid_from,valid_to,source,confidence,note\nx,grid_ef,P,electricity,average,liaoning,abc,tCO2/MWh,,,s,PARK,\n' > bad_rows.csv
expect_fail "refdata import bad row" "$ZP" refdata import --db "$ACC" bad_rows.csv
contains "refdata bad row line" "$ERR" "line 2"

# Settings: national grid scope changes location-based scope 2; a typo is refused.
expect_ok "settings show" "$ZP" accounting settings --db "$ACC"
contains "settings grid scope" "$OUT" "province"
contains "settings regions" "$OUT" "liaoning, northeast, CN"
expect_ok "settings national" "$ZP" accounting settings --db "$ACC" --grid-scope national
contains "settings national" "$OUT" "national"
[[ "$(by_carrier)" != "$BEFORE" ]] || fail "--grid-scope national did not change scope 2"
expect_ok "settings province" "$ZP" accounting settings --db "$ACC" --grid-scope province
[[ "$(by_carrier)" == "$BEFORE" ]] || fail "--grid-scope province did not restore scope 2"
expect_fail "settings bad fuel" "$ZP" accounting settings --db "$ACC" --fuel raw_coal=antracite
contains "settings bad fuel" "$ERR" "antracite"
expect_fail "settings bad scope" "$ZP" accounting settings --db "$ACC" --grid-scope county
expect_ok "settings fuel" "$ZP" accounting settings --db "$ACC" --fuel raw_coal=anthracite
contains "settings fuel" "$OUT" "anthracite"

# Accounts, tokens and the audit log.
contains "demo accounts file" "$(cat "$ACC.accounts.txt")" "demo-enterprise"
for role in admin analyst officer enterprise auditor device; do
  contains "demo account $role" "$(cat "$ACC.accounts.txt")" "$role"
done
[[ "$(stat -c %a "$ACC.accounts.txt")" == "600" ]] || fail "demo accounts file is not mode 600"
expect_fail "user add without a password" "$ZP" user add --db "$DB" --username ops --role admin
contains "user add without a password" "$ERR" "password-stdin"
expect_fail "weak password" bash -c "echo short | '$ZP' user add --db '$DB' --username ops --role admin --password-stdin"
expect_ok "user add" bash -c "echo 'a much longer secret 42' | '$ZP' user add --db '$DB' --username ops --role admin --password-stdin"
expect_fail "user add twice" bash -c "echo 'a much longer secret 42' | '$ZP' user add --db '$DB' --username OPS --role admin --password-stdin"
expect_fail "enterprise user without enterprise" "$ZP" user add --db "$DB" --username e1 --role enterprise --generate-password
expect_ok "enterprise user" "$ZP" user add --db "$DB" --username e1 --role enterprise --enterprise "$ENT" --generate-password
contains "generated password printed" "$OUT" "password"
expect_ok "user list" "$ZP" user list --db "$DB" --csv
contains "user list" "$OUT" "ops"
contains "user list" "$OUT" "enterprise"
expect_ok "token issue" "$ZP" token issue --db "$DB" --username ops --name cli-test --expires-days 1
TOKEN="$OUT"
contains "token format" "$TOKEN" "zp_"
expect_ok "token list" "$ZP" token list --db "$DB" --csv
contains "token list" "$OUT" "cli-test"
[[ "$OUT" != *"$TOKEN"* ]] || fail "token list shows the secret"
TOKEN_ID="$(echo "$OUT" | awk -F, '/cli-test/ {print $1}')"
expect_ok "user disable" "$ZP" user update --db "$DB" --username e1 --disable
expect_ok "audit" "$ZP" audit --db "$DB" --csv --limit 1000
contains "audit user add" "$OUT" "user add"
contains "audit meter set" "$OUT" "meter set"
contains "audit zone add before/after" "$OUT" "第一网格"
expect_ok "token issue 2" "$ZP" token issue --db "$DB" --username ops --name to-revoke
expect_ok "token list 2" "$ZP" token list --db "$DB" --csv
REVOKE_ID="$(echo "$OUT" | awk -F, '/to-revoke/ {print $1}')"
expect_ok "token revoke" "$ZP" token revoke "$REVOKE_ID" --db "$DB"
expect_ok "token list 3" "$ZP" token list --db "$DB" --csv
contains "token revoked" "$(echo "$OUT" | grep to-revoke)" "revoked"

# Serve on any port; talk HTTP over loopback with bash's /dev/tcp; stop with SIGTERM.
"$ZP" serve --db "$DB" --port 0 --hj212-port 0 2>"$WORK/serve.err" &
SERVER_PID=$!
PORT=""
for _ in $(seq 1 100); do
  PORT="$(grep -o 'http://127\.0\.0\.1:[0-9]*' "$WORK/serve.err" | head -1 | cut -d: -f3)"
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
  http_req() {  # http_req METHOD PATH [HEADER_LINES]
    exec 3<>"/dev/tcp/127.0.0.1/$PORT"
    printf '%s %s HTTP/1.1\r\nHost: localhost\r\n%sContent-Length: 0\r\nConnection: close\r\n\r\n' \
      "$1" "$2" "${3:-}" >&3
    RESPONSE="$(cat <&3)"
    exec 3<&-
  }
  http_get() { http_req GET "$@"; }
  http_get /api/v1/enterprises
  contains "anonymous is refused" "$RESPONSE" "401"
  http_get /api/v1/enterprises "Authorization: Bearer $TOKEN"$'\r\n'
  contains "token works" "$RESPONSE" "200 OK"
  contains "token works" "$RESPONSE" "$ENT"
  # The database is locked by the server: revoke over HTTP, with the token itself.
  http_req DELETE "/api/v1/me/tokens/$TOKEN_ID" "Authorization: Bearer $TOKEN"$'\r\n'
  contains "token revoked" "$RESPONSE" "204"
  http_get /api/v1/enterprises "Authorization: Bearer $TOKEN"$'\r\n'
  contains "revoked token is refused" "$RESPONSE" "401"
fi
kill -TERM "$SERVER_PID"
wait "$SERVER_PID"
RC=$?
SERVER_PID=""
[[ $RC -eq 0 ]] || fail "serve exit code $RC after SIGTERM"
contains "serve stopping" "$(cat "$WORK/serve.err")" "stopping"

# --- green-power ledger: verify and export, of the database and of an exported file. The chain is
# built here independently (the documented recipe: hash = sha256(prev_hash "\n" canonical)).
GENESIS="$(printf '0%.0s' {1..64})"
LEDGER="$WORK/ledger.jsonl"
: > "$LEDGER"
PREV="$GENESIS"
SQL=""
ledger_rec() {  # ledger_rec SEQ TIME KIND ACTOR FIELDS_JSON
  local canon="{\"actor\":\"$4\",\"fields\":$5,\"kind\":\"$3\",\"prev_hash\":\"$PREV\",\"seq\":$1,\"time_s\":$2}"
  local hash
  hash="$(printf '%s\n%s' "$PREV" "$canon" | sha256sum | cut -d' ' -f1)"
  printf '{"actor":"%s","fields":%s,"hash":"%s","kind":"%s","prev_hash":"%s","seq":%s,"time_s":%s}\n' \
    "$4" "$5" "$hash" "$3" "$PREV" "$1" "$2" >> "$LEDGER"
  SQL+="INSERT INTO ledger VALUES ($1, $2, '$3', '$4', '$5', '$PREV', '$hash');"
  PREV="$hash"
}
ledger_rec 1 1718236800 issuance "王芳" '{"device":"pv-01","from_wh":0,"to_wh":1500}'
ledger_rec 2 1718236900 allocation "alloc" '{"consumer":"E001","device":"pv-01","from_wh":0,"to_wh":1000}'
ledger_rec 3 1718237000 claim "E001" '{"device":"pv-01","from_wh":0,"note":"绿电 2024","to_wh":1000}'
HEAD="$PREV"

expect_ok "ledger help" "$ZP" ledger --help
contains "ledger help" "$OUT" "verify"
contains "ledger help" "$OUT" "export"
expect_ok "ledger export empty" "$ZP" ledger export --db "$DB"
[[ -z "$OUT" ]] || fail "ledger export of an empty ledger printed: $OUT"
expect_ok "ledger verify empty" "$ZP" ledger verify --db "$DB"
contains "ledger verify empty" "$OUT" "ledger OK: 0 records, head $GENESIS"
contains "ledger verify empty" "$OUT" "账本完好"
expect_fail "ledger verify of a missing db" "$ZP" ledger verify --db "$WORK/none.zpdb"
contains "ledger verify of a missing db" "$ERR" "no database"
[[ ! -e "$WORK/none.zpdb" ]] || fail "ledger verify created a database"

expect_ok "ledger verify file" "$ZP" ledger verify --file "$LEDGER"
contains "ledger verify file" "$OUT" "ledger OK: 3 records, head $HEAD"
expect_ok "ledger verify file head" "$ZP" ledger verify --file "$LEDGER" --head "$HEAD"
expect_fail "ledger verify file cut tail" "$ZP" ledger verify --file <(head -n 2 "$LEDGER") --head "$HEAD"
contains "ledger verify file cut tail" "$ERR" "seq 3"
expect_fail "ledger verify bad head" "$ZP" ledger verify --file "$LEDGER" --head xyz
# Edit, delete, reorder: each is found and the first bad seq named.
sed '2s/"to_wh":1000/"to_wh":1400/' "$LEDGER" > "$WORK/edited.jsonl"
expect_fail "ledger edited" "$ZP" ledger verify --file "$WORK/edited.jsonl"
contains "ledger edited" "$ERR" "ledger seq 2: hash mismatch"
contains "ledger edited" "$ERR" "账本第 2 条"
sed '2d' "$LEDGER" > "$WORK/deleted.jsonl"
expect_fail "ledger deleted" "$ZP" ledger verify --file "$WORK/deleted.jsonl"
contains "ledger deleted" "$ERR" "ledger seq 2: missing"
{ sed -n 1p "$LEDGER"; sed -n 3p "$LEDGER"; sed -n 2p "$LEDGER"; } > "$WORK/reordered.jsonl"
expect_fail "ledger reordered" "$ZP" ledger verify --file "$WORK/reordered.jsonl"
contains "ledger reordered" "$ERR" "ledger seq 2: out of order"
sed '1s/"time_s":1718236800/"time_s":1.7e9/' "$LEDGER" > "$WORK/float.jsonl"
expect_fail "ledger float" "$ZP" ledger verify --file "$WORK/float.jsonl"
contains "ledger float" "$ERR" "line 1"
# An export that starts after seq 1 (`ledger export --from-seq 2`) verifies on its own; --prev-hash
# (the published hash of seq 1) anchors its first link.
H1=$(sed -n '1s/.*"hash":"\([0-9a-f]*\)".*/\1/p' "$LEDGER")
sed -n '2,3p' "$LEDGER" > "$WORK/segment.jsonl"
expect_ok "ledger verify segment" "$ZP" ledger verify --file "$WORK/segment.jsonl" --prev-hash "$H1" --head "$HEAD"
contains "ledger verify segment" "$OUT" "ledger OK: 2 records, head $HEAD"
expect_ok "ledger verify segment unanchored" "$ZP" ledger verify --file "$WORK/segment.jsonl"
contains "ledger verify segment unanchored" "$(cat "$WORK/err")" "not anchored"
expect_fail "ledger verify segment wrong anchor" "$ZP" ledger verify --file "$WORK/segment.jsonl" --prev-hash "$GENESIS"
contains "ledger verify segment wrong anchor" "$ERR" "ledger seq 2"
expect_fail "ledger verify prev-hash on a full export" "$ZP" ledger verify --file "$LEDGER" --prev-hash "$H1"

if command -v sqlite3 >/dev/null; then
  sqlite3 "$DB" "$SQL" || fail "inserting ledger rows with sqlite3"
  expect_ok "ledger verify db" "$ZP" ledger verify --db "$DB" --head "$HEAD"
  contains "ledger verify db" "$OUT" "ledger OK: 3 records, head $HEAD"
  expect_ok "ledger export" "$ZP" ledger export --db "$DB"
  [[ "$OUT" == "$(cat "$LEDGER")" ]] || fail "ledger export differs: $OUT"
  expect_ok "ledger export from seq" "$ZP" ledger export --db "$DB" --from-seq 3
  [[ "$OUT" == "$(sed -n 3p "$LEDGER")" ]] || fail "ledger export --from-seq 3: $OUT"
  # The triggers refuse edits; an attacker with the file drops them first, and is caught.
  sqlite3 "$DB" "UPDATE ledger SET actor = 'x' WHERE seq = 2" 2>/dev/null && fail "ledger UPDATE allowed"
  sqlite3 "$DB" "DROP TRIGGER ledger_no_update; UPDATE ledger SET fields = replace(fields, '1000', '1400') WHERE seq = 2" \
    || fail "tampering with sqlite3"
  expect_fail "ledger verify tampered db" "$ZP" ledger verify --db "$DB"
  contains "ledger verify tampered db" "$ERR" "ledger seq 2: hash mismatch"
  contains "ledger verify tampered db" "$ERR" "1 records verified"
fi

# --- green supply registry: default from the meters, validate, import (all or nothing), export.
GDB="$WORK/green.zpdb"
expect_ok "green enterprise" "$ZP" enterprise add "$ENT" --db "$GDB" --name "绿电公司" --industry C3670
expect_ok "green main meter" "$ZP" meter add G.MAIN --db "$GDB" --enterprise "$ENT" --carrier electricity
expect_ok "green pv meter" "$ZP" meter add G.PV --db "$GDB" --enterprise "$ENT" --carrier electricity --flow generation
expect_ok "green storage out" "$ZP" meter add G.BESS.OUT --db "$GDB" --enterprise "$ENT" --carrier electricity --flow generation
expect_ok "green storage in" "$ZP" meter add G.BESS.IN --db "$GDB" --enterprise "$ENT" --carrier electricity --parent G.MAIN
expect_ok "green park pv" "$ZP" meter add PARK.PV --db "$GDB" --carrier electricity --flow generation
expect_ok "green supply help" "$ZP" green supply --help
for sub in show export import validate; do contains "green supply help lists $sub" "$OUT" "$sub"; done
expect_ok "green supply show default" "$ZP" green supply show --db "$GDB"
contains "green supply default" "$OUT" "not stored"
contains "green supply default zh" "$OUT" "未保存"
contains "green supply default contract" "$OUT" "SAME_SITE.$ENT"
expect_ok "green supply export default" "$ZP" green supply export --db "$GDB"
py "green supply default json" '
import json, sys
d = json.load(sys.stdin)
assert [a["code"] for a in d["assets"]] == ["G.BESS.OUT", "G.PV", "PARK.PV"], d["assets"]
assert [(c["code"], c["kind"]) for c in d["contracts"]] == [("PARK_POOL", "park_pool"), ("SAME_SITE.'"$ENT"'", "same_site")], d
'
cat > supply.json <<JSON
{"contracts": [
  {"code": "SS", "kind": "same_site", "assets": ["PV", "BESS"], "buyers": ["$ENT"]},
  {"code": "POOL", "kind": "park_pool", "priority": 2, "assets": ["PPV"], "buyers": ["$ENT"]},
  {"code": "GT.2025", "kind": "green_trading", "assets": ["WIND.X"], "buyers": ["$ENT"],
   "valid_from": "2025-01-01", "valid_to": "2026-01-01", "profile": "hourly",
   "hourly_profile": [0,0,0,0,0,0,1,1,1,1,1,1,1,1,1,1,1,1,0,0,0,0,0,0],
   "volumes": [{"month": "2025-01", "kwh": 1200.5}, {"month": "2025-02", "kwh": 900}]},
  {"code": "GEC.2025", "kind": "gec", "buyers": ["$ENT"], "bundled_with": "GT.2025",
   "gec": [{"month": "2025-01", "buyer": "$ENT", "certificates": 1}]}],
 "assets": [
  {"code": "PV", "name": "屋顶光伏", "technology": "rooftop_pv", "site": "$ENT", "meter": "G.PV", "capacity_kw": 250},
  {"code": "BESS", "name": "储能", "technology": "storage", "site": "$ENT", "meter": "G.BESS.OUT", "charge_meter": "G.BESS.IN"},
  {"code": "PPV", "technology": "ground_pv", "meter": "PARK.PV"},
  {"code": "WIND.X", "name": "外部风电", "technology": "wind", "external": true}]}
JSON
expect_ok "green supply validate" "$ZP" green supply validate supply.json --db "$GDB"
contains "green supply validate" "$OUT" "valid, 4 assets, 4 contracts"
expect_ok "green supply still default" "$ZP" green supply show --db "$GDB"
contains "validate stores nothing" "$OUT" "not stored"
expect_ok "green supply import" "$ZP" green supply import supply.json --db "$GDB"
contains "green supply import" "$OUT" "stored the supply registry"
expect_ok "green supply show stored" "$ZP" green supply show --db "$GDB"
contains "green supply stored" "$OUT" "supply registry: stored / 绿电供给登记：已保存"
contains "green supply stored gec" "$OUT" "1 GEC, with GT.2025"
contains "green supply stored volumes" "$OUT" "hourly, 2 months 2100.5 kWh"
expect_ok "green supply export stored" "$ZP" green supply export --db "$GDB" -o "$WORK/exported.json"
python3 - "$WORK/exported.json" supply.json <<'PY' || fail "green supply export does not match the import"
import json, sys
out, src = (json.load(open(p)) for p in sys.argv[1:3])
assert [a["code"] for a in out["assets"]] == ["BESS", "PPV", "PV", "WIND.X"], out["assets"]
assert [c["code"] for c in out["contracts"]] == ["GEC.2025", "GT.2025", "POOL", "SS"]
by = {c["code"]: c for c in out["contracts"]}
assert by["GT.2025"]["volumes"] == [{"kwh": 1200.5, "month": "2025-01"}, {"kwh": 900, "month": "2025-02"}]
assert by["SS"]["assets"] == ["BESS", "PV"] and by["POOL"]["priority"] == 2
assert by["GEC.2025"]["gec"][0]["certificates"] == 1 and by["GEC.2025"]["bundled_with"] == "GT.2025"
bess = [a for a in out["assets"] if a["code"] == "BESS"][0]
assert bess["charge_meter"] == "G.BESS.IN" and bess["technology"] == "storage"
for c in src["contracts"]:
    for k, v in c.items():
        if k not in ("assets", "volumes"):
            assert by[c["code"]][k] == v, (c["code"], k)
PY
# The export imports back to the same registry.
expect_ok "green supply reimport" "$ZP" green supply import "$WORK/exported.json" --db "$GDB"
expect_ok "green supply export again" "$ZP" green supply export --db "$GDB"
[[ "$OUT" == "$(cat "$WORK/exported.json")" ]] || fail "green supply export is not stable"
# Errors name the record and field; nothing is stored.
sed 's/"meter": "G.PV"/"meter": "NO.SUCH"/' supply.json > bad_meter.json
expect_fail "green supply validate unknown meter" "$ZP" green supply validate bad_meter.json --db "$GDB"
contains "unknown meter error" "$ERR" "asset PV: unknown meter NO.SUCH"
contains "unknown meter error zh" "$ERR" "资产 PV"
expect_fail "green supply import unknown meter" "$ZP" green supply import bad_meter.json --db "$GDB"
contains "import error says nothing stored" "$ERR" "nothing was stored"
expect_ok "green supply export after failed import" "$ZP" green supply export --db "$GDB"
[[ "$OUT" == "$(cat "$WORK/exported.json")" ]] || fail "a refused import changed the stored registry"
sed 's/"kind": "park_pool"/"kind": "grid"/' supply.json > bad_kind.json
expect_fail "green supply bad kind" "$ZP" green supply validate bad_kind.json --db "$GDB"
contains "bad kind error" "$ERR" "contract POOL: field 'kind' 'grid' is not one of"
sed 's/"storage"/"storage", "colour": "red"/' supply.json > bad_field.json
expect_fail "green supply unknown field" "$ZP" green supply validate bad_field.json --db "$GDB"
contains "unknown field error" "$ERR" "asset BESS: field 'colour' is unknown"
sed 's/"assets": \["PV", "BESS"\]/"assets": ["PV"]/; s/"assets": \["PPV"\]/"assets": ["PPV", "BESS"]/' supply.json > bad_storage.json
expect_fail "green supply storage in park pool" "$ZP" green supply validate bad_storage.json --db "$GDB"
contains "storage error" "$ERR" "contract POOL: storage asset BESS can only be in a same_site contract"
printf '{"assets": [' > broken.json
expect_fail "green supply broken json" "$ZP" green supply validate broken.json --db "$GDB"
contains "broken json error" "$ERR" "not valid JSON"
expect_fail "green supply missing file" "$ZP" green supply import "$WORK/none.json" --db "$GDB"
expect_fail "green supply missing db" "$ZP" green supply show --db "$WORK/none.zpdb"
contains "green supply missing db" "$ERR" "no database"
[[ ! -e "$WORK/none.zpdb" ]] || fail "green supply show created a database"
expect_ok "green supply audit" "$ZP" audit --db "$GDB" --csv --limit 1000
contains "green supply import audited" "$OUT" "green supply import"

# --- environment: the pollution-source registry and the data-logger simulator.
EDB="$WORK/env.zpdb"
expect_ok "env enterprise" "$ZP" enterprise add "$ENT" --db "$EDB" --name "环保公司" --industry C2614
expect_ok "env sources help" "$ZP" env sources --help
for sub in show export import validate; do contains "env sources help lists $sub" "$OUT" "$sub"; done
expect_ok "env sources show empty" "$ZP" env sources show --db "$EDB"
contains "no sources yet" "$OUT" "no pollution sources registered / 未登记污染源"
expect_ok "hj212-sim print sources" "$ZP" hj212-sim --db "$EDB" --loggers 4 --seed 5 --print-sources
echo "$OUT" > fleet_sources.json
py "fleet sources" '
import json, sys
d = json.load(sys.stdin)["sources"]
assert len(d) == 4, d
assert all(len(s["password_sha256"]) == 64 and "password" not in s for s in d)
kinds = sorted(s["kind"] for s in d)
assert kinds == ["outfall", "stack", "stack", "stack"], kinds
out = [s for s in d if s["kind"] == "outfall"][0]
assert all("demo" in l["basis"] and "演示数据" in l["basis"] for l in out["limits"]), out'
expect_ok "hj212-sim print sources again" "$ZP" hj212-sim --db "$EDB" --loggers 4 --seed 5 --print-sources
[[ "$OUT" == "$(cat fleet_sources.json)" ]] || fail "hj212-sim --print-sources is not deterministic"
expect_ok "env sources validate" "$ZP" env sources validate --db "$EDB" --file fleet_sources.json
contains "env sources validate" "$OUT" "valid, 4 sources (3 stacks, 1 outfalls)"
expect_ok "env sources still empty" "$ZP" env sources show --db "$EDB"
contains "validate stores nothing" "$OUT" "no pollution sources registered"
# Errors name the source and field; nothing is stored.
sed "s/\"enterprise\":\"$ENT\"/\"enterprise\":\"91210112MA0Y000000\"/" fleet_sources.json > bad_ent.json
expect_fail "env sources unknown enterprise" "$ZP" env sources validate --db "$EDB" --file bad_ent.json
contains "unknown enterprise error" "$ERR" "is not an enterprise of the park"
sed 's/"a21026"/"x99999"/' fleet_sources.json > bad_pollutant.json
expect_fail "env sources unknown pollutant" "$ZP" env sources import --db "$EDB" --file bad_pollutant.json
contains "unknown pollutant error" "$ERR" "x99999"
contains "import error says nothing stored" "$ERR" "nothing was stored"
printf '{"sources": [' > broken_sources.json
expect_fail "env sources broken json" "$ZP" env sources validate --db "$EDB" --file broken_sources.json
contains "broken json error" "$ERR" "not valid JSON"
expect_fail "env sources missing db" "$ZP" env sources show --db "$WORK/none.zpdb"
contains "env sources missing db" "$ERR" "no database"
# Import from stdin, then show and export.
expect_ok "env sources import" "$ZP" env sources import --db "$EDB" --file - < fleet_sources.json
contains "env sources import" "$OUT" "stored the source registry: 4 sources"
expect_ok "env sources show" "$ZP" env sources show --db "$EDB"
contains "env sources show stack" "$OUT" "$ENT.DA001"
contains "env sources show outfall" "$OUT" "$ENT.DW001"
contains "env sources show limits" "$OUT" "SO2"
expect_ok "env sources export" "$ZP" env sources export --db "$EDB"
[[ "$OUT" != *password_sha256* ]] || fail "env sources export shows password hashes without --with-secrets"
expect_ok "env sources export with secrets" "$ZP" env sources export --db "$EDB" --with-secrets
[[ "$OUT" == "$(cat fleet_sources.json)" ]] || fail "env sources export --with-secrets differs from the import"
# An edited registry without passwords keeps the stored hashes.
"$ZP" env sources export --db "$EDB" | sed 's/"name":"1号/"name":"一号/' > renamed.json
expect_ok "env sources reimport without secrets" "$ZP" env sources import --db "$EDB" --file renamed.json
expect_ok "env sources export renamed" "$ZP" env sources export --db "$EDB" --with-secrets
contains "renamed source" "$OUT" "一号"
contains "hashes kept" "$OUT" "password_sha256"
expect_ok "env sources audit" "$ZP" audit --db "$EDB" --csv --limit 1000
contains "env sources import audited" "$OUT" "env sources import"
# The simulator: the fleet as options for a database a server holds; no server -> clear error.
expect_ok "hj212-sim print fleet" "$ZP" hj212-sim --db "$EDB" --loggers 4 --seed 5 --print-fleet
echo "$OUT" > fleet.json
contains "fleet json" "$OUT" '"loggers":4'
expect_ok "hj212-sim sources from the fleet file" "$ZP" hj212-sim --fleet fleet.json --print-sources
[[ "$OUT" == "$(cat fleet_sources.json)" ]] || fail "hj212-sim --fleet plays another fleet"
expect_fail "hj212-sim without a port" "$ZP" hj212-sim --fleet fleet.json
contains "port required" "$ERR" "--port is required"
expect_fail "hj212-sim without a server" "$ZP" hj212-sim --fleet fleet.json --port 1 --duration 1
contains "no server" "$ERR" "cannot connect"
# Against the server's HJ 212 port: every frame acknowledged.
"$ZP" serve --db "$EDB" --port 0 --hj212-port 0 2>"$WORK/env_serve.err" &
SERVER_PID=$!
HJ_PORT=""
for _ in $(seq 1 100); do
  HJ_PORT="$(sed -n 's/.*HJ 212.* port \([0-9][0-9]*\).*/\1/p' "$WORK/env_serve.err" | head -1)"
  [[ -n "$HJ_PORT" ]] && break
  sleep 0.05
done
if [[ -z "$HJ_PORT" ]]; then
  fail "serve did not report its HJ 212 port: $(cat "$WORK/env_serve.err")"
else
  expect_ok "hj212-sim against serve" "$ZP" hj212-sim --fleet fleet.json --port "$HJ_PORT" \
    --backfill 900 --duration 2 --no-faults
  contains "hj212-sim progress" "$OUT" "replies"
  contains "hj212-sim done" "$OUT" "done:"
  py "hj212-sim: every frame answered" '
import re, sys
m = re.search(r"sent (\d+) frames .*replies (\d+), refused (\d+), timeouts (\d+)", sys.stdin.read())
assert m, "no summary"
sent, replies, refused, timeouts = map(int, m.groups())
assert sent > 4 * 900 // 60 and replies == sent and refused == 0 and timeouts == 0, m.groups()'
  # Another server on the same HJ 212 port: refused with a hint.
  expect_fail "serve on a taken HJ 212 port" "$ZP" serve --db "$DB" --port 0 --hj212-port "$HJ_PORT"
  contains "serve on a taken HJ 212 port" "$ERR" "--hj212-port 0"
fi
kill -TERM "$SERVER_PID"
wait "$SERVER_PID"
SERVER_PID=""

if (( FAILURES > 0 )); then
  echo "$FAILURES failures" >&2
  exit 1
fi
echo "all CLI checks passed"
