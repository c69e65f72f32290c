#!/usr/bin/env python3
"""Ingest benchmark client: the same data, load and query for zeropark, InfluxDB and VictoriaMetrics.

摄入基准客户端：对 zeropark、InfluxDB、VictoriaMetrics 使用同一份数据、同样的写入和查询。

Subcommands (bench/ingest_bench.sh drives them):
  gen DIR                 generate bodies.bin, expected.json and meters.csv in DIR
  sink                    trivial HTTP sink (answers 204 to every POST) to check the client's ceiling
  load URL DIR            POST every body of DIR/bodies.bin to URL with N threads; print JSON
  query-zeropark URL DIR  monthly sums per meter, timed and checked against DIR/expected.json
  query-influxdb URL DIR
  query-victoriametrics URL DIR
  report ...              write bench/results/ingest.json and the table in docs/performance.md

Data: 1,000 meters x 8,640 readings (90 days at 15 minutes from 2024-01-01T00:00:00+08:00), kWh with
two decimals (a smooth daily profile, a weekly pattern and noise from a fixed seed), line protocol
`energy,meter=m00042 kwh=12.34 1704038400` (precision s), 10,000 lines per request, time-ordered.
"""

import argparse
import http.client
import json
import math
import os
import random
import socket
import struct
import sys
import threading
import time
import urllib.parse

START_S = 1704038400  # 2024-01-01T00:00:00+08:00
STEP_S = 900
N_METERS = 1000
N_STEPS = 8640  # 90 days
LINES_PER_REQUEST = 10_000
SEED = 20240101
# Month boundaries in Asia/Shanghai (UTC+8, no DST): Jan, Feb, Mar (to the end of the 90 days).
MONTHS = [
    ("2024-01", 1704038400, 1706716800),
    ("2024-02", 1706716800, 1709222400),
    ("2024-03", 1709222400, START_S + N_STEPS * STEP_S),
]


def meter_code(m):
    return f"m{m:05d}"


# ---------------------------------------------------------------------------------------------
# gen


def cmd_gen(args):
    os.makedirs(args.dir, exist_ok=True)
    n_meters, n_steps = args.meters, args.steps
    rng = random.Random(SEED)
    # Per meter: size (kWh per 15 min at full load, in cents), night floor, weekend factor, phase.
    base = [rng.uniform(500.0, 20000.0) for _ in range(n_meters)]
    floor = [rng.uniform(0.25, 0.6) for _ in range(n_meters)]
    weekend = [rng.uniform(0.55, 1.0) for _ in range(n_meters)]
    phase = [rng.randrange(-4, 5) for _ in range(n_meters)]  # +-1 h shift of the day shape
    # Smooth day shape over 96 slots: 0 at night, 1 in the early afternoon.
    day_shape = [max(0.0, math.sin(math.pi * (s - 28) / 56.0)) ** 1.5 if 28 <= s < 84 else 0.0
                 for s in range(96)]
    prefixes = [f"energy,meter={meter_code(m)} kwh=" for m in range(n_meters)]
    two = [f"{i:02d}" for i in range(100)]
    month_of_step = []
    for t in range(n_steps):
        ts = START_S + t * STEP_S
        month_of_step.append(next(i for i, (_, a, b) in enumerate(MONTHS) if a <= ts < b)
                             if ts < MONTHS[-1][2] else len(MONTHS) - 1)
    sums = [[0] * len(MONTHS) for _ in range(n_meters)]  # cents
    steps_per_req = max(1, LINES_PER_REQUEST // n_meters)
    t0 = time.monotonic()
    n_bodies = 0
    total_bytes = 0
    rnd = rng.random
    with open(os.path.join(args.dir, "bodies.bin"), "wb") as f:
        for first in range(0, n_steps, steps_per_req):
            parts = []
            n_lines = 0
            for t in range(first, min(n_steps, first + steps_per_req)):
                ts = START_S + t * STEP_S
                tail = f" {ts}\n"
                slot = t % 96
                weekday = (t // 96) % 7  # 2024-01-01 is a Monday
                mo = month_of_step[t]
                for m in range(n_meters):
                    shape = day_shape[(slot - phase[m]) % 96]
                    fl = floor[m]
                    level = fl + (1.0 - fl) * shape
                    if weekday >= 5:
                        level *= weekend[m]
                    c = int(base[m] * level * (0.94 + 0.12 * rnd()))
                    if c < 1:
                        c = 1
                    sums[m][mo] += c
                    parts.append(prefixes[m] + str(c // 100) + "." + two[c % 100] + tail)
                    n_lines += 1
            body = "".join(parts).encode()
            f.write(struct.pack("<II", len(body), n_lines))
            f.write(body)
            n_bodies += 1
            total_bytes += len(body)
    expected = {
        "start_s": START_S,
        "step_s": STEP_S,
        "meters": n_meters,
        "steps": n_steps,
        "readings": n_meters * n_steps,
        "requests": n_bodies,
        "body_bytes": total_bytes,
        "months": [{"name": n, "from_s": a, "to_s": b} for n, a, b in MONTHS],
        # sums_cents[meter][month]
        "sums_cents": {meter_code(m): sums[m] for m in range(n_meters)},
    }
    with open(os.path.join(args.dir, "expected.json"), "w") as f:
        json.dump(expected, f)
    with open(os.path.join(args.dir, "meters.csv"), "w") as f:
        f.write("code,name,carrier,unit,kind,interval_s\n")
        for m in range(n_meters):
            f.write(f"{meter_code(m)},Bench meter {m},electricity,kWh,interval,900\n")
    print(json.dumps({"generated_s": round(time.monotonic() - t0, 2), "requests": n_bodies,
                      "readings": n_meters * n_steps, "body_bytes": total_bytes}))


def read_bodies(directory):
    bodies = []
    with open(os.path.join(directory, "bodies.bin"), "rb") as f:
        data = f.read()
    pos = 0
    while pos < len(data):
        size, n_lines = struct.unpack_from("<II", data, pos)
        pos += 8
        bodies.append((data[pos:pos + size], n_lines))
        pos += size
    return bodies


def load_expected(directory):
    with open(os.path.join(directory, "expected.json")) as f:
        return json.load(f)


# ---------------------------------------------------------------------------------------------
# load


def cmd_load(args):
    bodies = read_bodies(args.dir)
    u = urllib.parse.urlsplit(args.url)
    path = u.path + ("?" + u.query if u.query else "")
    next_index = [0]
    lock = threading.Lock()
    acked = [0]
    failures = []

    def worker():
        conn = http.client.HTTPConnection(u.hostname, u.port, timeout=600)
        headers = {"Content-Type": "text/plain; charset=utf-8", **auth_headers()}
        mine = 0
        while True:
            with lock:
                i = next_index[0]
                next_index[0] += 1
            if i >= len(bodies):
                break
            body, n_lines = bodies[i]
            try:
                conn.request("POST", path, body, headers)
                resp = conn.getresponse()
                text = resp.read()
                status = resp.status
            except (OSError, http.client.HTTPException) as e:
                conn.close()
                conn = http.client.HTTPConnection(u.hostname, u.port, timeout=600)
                status, text = 0, str(e).encode()
            if status == 204 or status == 200:
                mine += n_lines
            else:
                with lock:
                    failures.append((i, status, text[:300].decode("utf-8", "replace")))
        conn.close()
        with lock:
            acked[0] += mine

    threads = [threading.Thread(target=worker) for _ in range(args.threads)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.monotonic() - t0
    total = sum(n for _, n in bodies)
    out = {
        "url": args.url,
        "threads": args.threads,
        "requests": len(bodies),
        "readings": total,
        "acknowledged": acked[0],
        "failed_requests": len(failures),
        "first_failures": failures[:3],
        "wall_s": round(wall, 3),
        "readings_per_s": round(acked[0] / wall, 1) if wall > 0 else 0,
    }
    print(json.dumps(out))
    return 0 if not failures else 1


# ---------------------------------------------------------------------------------------------
# sink: reads each request fully and answers 204, nothing else (measures the client's ceiling).


def cmd_sink(args):
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", args.port))
    srv.listen(16)
    print(srv.getsockname()[1], flush=True)
    buf = bytearray(1 << 20)
    lock = threading.Lock()

    def serve(conn):
        local = bytearray(1 << 20)
        view = memoryview(local)
        pending = b""
        try:
            while True:
                while b"\r\n\r\n" not in pending:
                    chunk = conn.recv(65536)
                    if not chunk:
                        return
                    pending += chunk
                head, _, rest = pending.partition(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n")[1:]:
                    k, _, v = line.partition(b":")
                    if k.strip().lower() == b"content-length":
                        length = int(v)
                got = len(rest)
                while got < length:
                    n = conn.recv_into(view, min(len(local), length - got))
                    if n == 0:
                        return
                    got += n
                pending = rest[length:] if len(rest) > length else b""
                conn.sendall(b"HTTP/1.1 204 No Content\r\n\r\n")
        finally:
            conn.close()

    del buf, lock
    while True:
        c, _ = srv.accept()
        threading.Thread(target=serve, args=(c,), daemon=True).start()


# ---------------------------------------------------------------------------------------------
# queries


def auth_headers():
    """zeropark needs credentials (ZP_TOKEN, set by ingest_bench.sh); the peers ignore them."""
    token = os.environ.get("ZP_TOKEN", "")
    return {"Authorization": "Bearer " + token} if token else {}


def http_get(url, timeout=600):
    u = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=timeout)
    conn.request("GET", u.path + ("?" + u.query if u.query else ""), headers=auth_headers())
    resp = conn.getresponse()
    data = resp.read()
    conn.close()
    return resp.status, data


def http_post(url, body, content_type, timeout=600):
    u = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=timeout)
    conn.request("POST", u.path + ("?" + u.query if u.query else ""), body,
                 {"Content-Type": content_type, **auth_headers()})
    resp = conn.getresponse()
    data = resp.read()
    conn.close()
    return resp.status, data


def compare(expected, got):
    """got: {(meter, month_index): kwh}. Returns (ok, max_abs_error, mismatches, missing)."""
    max_err = 0.0
    bad = []
    missing = 0
    for code, cents in expected["sums_cents"].items():
        for mi, c in enumerate(cents):
            want = c / 100.0
            v = got.get((code, mi))
            if v is None:
                missing += 1
                if len(bad) < 3:
                    bad.append((code, mi, want, None))
                continue
            err = abs(v - want)
            max_err = max(max_err, err)
            if err > 1e-6 * max(1.0, abs(want)) + 0.005:
                if len(bad) < 3:
                    bad.append((code, mi, want, v))
    extra = len([k for k in got if k[0] not in expected["sums_cents"]])
    ok = not bad and missing == 0 and extra == 0
    return {"sums_match": ok, "max_abs_error_kwh": max_err, "missing": missing,
            "unexpected_groups": extra, "first_mismatches": bad}


def month_index_of(expected, ts_s):
    for i, mo in enumerate(expected["months"]):
        if mo["from_s"] <= ts_s < mo["to_s"]:
            return i
    return None


def iso_local(ts_s):
    # Asia/Shanghai has no DST since 1991: a fixed +08:00 is exact here.
    return time.strftime("%Y-%m-%dT%H:%M:%S+08:00", time.gmtime(ts_s + 8 * 3600))


def cmd_query_zeropark(args):
    exp = load_expected(args.dir)
    frm, to = exp["months"][0]["from_s"], exp["months"][-1]["to_s"]
    q = urllib.parse.urlencode({"by": "meter", "period": "month", "from": iso_local(frm),
                                "to": iso_local(to)})
    url = f"{args.url}/api/v1/sums?{q}"
    t0 = time.monotonic()
    status, data = http_get(url)
    wall = time.monotonic() - t0
    if status != 200:
        print(json.dumps({"error": f"HTTP {status}: {data[:300]!r}"}))
        return 1
    doc = json.loads(data)
    rows = doc["rows"] if isinstance(doc, dict) else doc
    got = {}
    readings = 0
    for r in rows:
        start = r.get("period", r.get("period_start_s"))
        if isinstance(start, str):
            start = parse_iso(start)
        mi = month_index_of(exp, start)
        got[(r["group"], mi)] = got.get((r["group"], mi), 0.0) + float(r["value"])
        readings += int(r.get("readings", 0))
    out = {"query_s": round(wall, 4), "rows": len(rows), "readings_counted": readings}
    out.update(compare(exp, got))
    out["readings_match"] = readings == exp["readings"]
    print(json.dumps(out))
    return 0 if out["sums_match"] and out["readings_match"] else 1


def parse_iso(s):
    # "2024-01-01T00:00:00+08:00" or "...Z"
    from datetime import datetime
    return int(datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp())


def cmd_query_influxdb(args):
    exp = load_expected(args.dir)
    stmts = [f"SELECT sum(kwh) FROM energy WHERE time >= {mo['from_s']}s AND time < {mo['to_s']}s "
             "GROUP BY meter" for mo in exp["months"]]
    body = urllib.parse.urlencode({"db": "park", "q": ";".join(stmts)})
    t0 = time.monotonic()
    status, data = http_post(f"{args.url}/query", body, "application/x-www-form-urlencoded")
    wall = time.monotonic() - t0
    if status != 200:
        print(json.dumps({"error": f"HTTP {status}: {data[:300]!r}"}))
        return 1
    doc = json.loads(data)
    got = {}
    for res in doc.get("results", []):
        mi = res.get("statement_id", 0)
        if "error" in res:
            print(json.dumps({"error": res["error"]}))
            return 1
        for s in res.get("series", []):
            got[(s["tags"]["meter"], mi)] = float(s["values"][0][1])
    out = {"query_s": round(wall, 4), "statements": len(stmts)}
    out.update(compare(exp, got))
    print(json.dumps(out))
    return 0 if out["sums_match"] else 1


def cmd_query_victoriametrics(args):
    exp = load_expected(args.dir)
    got = {}
    t0 = time.monotonic()
    for mi, mo in enumerate(exp["months"]):
        # A lookbehind window covers (time - w, time]: end one second early to get [from, to).
        w = mo["to_s"] - mo["from_s"]
        q = urllib.parse.urlencode({"query": f"sum_over_time(energy_kwh[{w}s])",
                                    "time": str(mo["to_s"] - 1), "nocache": "1"})
        status, data = http_get(f"{args.url}/api/v1/query?{q}")
        if status != 200:
            print(json.dumps({"error": f"HTTP {status}: {data[:300]!r}"}))
            return 1
        for r in json.loads(data)["data"]["result"]:
            got[(r["metric"]["meter"], mi)] = float(r["value"][1])
    wall = time.monotonic() - t0
    out = {"query_s": round(wall, 4), "queries": len(exp["months"])}
    out.update(compare(exp, got))
    print(json.dumps(out))
    return 0 if out["sums_match"] else 1


# ---------------------------------------------------------------------------------------------
# report


BEGIN = "<!-- ingest-bench:begin -->"
END = "<!-- ingest-bench:end -->"


def fmt_rate(x):
    return f"{x / 1e6:.2f} M" if x else "n/a"


def fmt_num(x, digits=2):
    return f"{x:.{digits}f}" if x is not None else "n/a"


def cmd_report(args):
    with open(args.parts) as f:
        parts = json.load(f)
    res = {}
    for sysname in ("zeropark", "influxdb", "victoriametrics"):
        p = parts.get(sysname, {})
        res[f"{sysname}_readings_per_s"] = p.get("load", {}).get("readings_per_s")
        res[f"{sysname}_bytes_per_reading"] = p.get("bytes_per_reading")
        res[f"{sysname}_query_s"] = p.get("query", {}).get("query_s")

    def ratio(a, b):
        return round(a / b, 3) if a and b else None

    res["ratios"] = {
        "zeropark_vs_influxdb_ingest": ratio(res["zeropark_readings_per_s"],
                                             res["influxdb_readings_per_s"]),
        "zeropark_vs_victoriametrics_ingest": ratio(res["zeropark_readings_per_s"],
                                                    res["victoriametrics_readings_per_s"]),
        "influxdb_vs_zeropark_bytes": ratio(res["influxdb_bytes_per_reading"],
                                            res["zeropark_bytes_per_reading"]),
        "victoriametrics_vs_zeropark_bytes": ratio(res["victoriametrics_bytes_per_reading"],
                                                   res["zeropark_bytes_per_reading"]),
        "influxdb_vs_zeropark_query": ratio(res["influxdb_query_s"], res["zeropark_query_s"]),
        "victoriametrics_vs_zeropark_query": ratio(res["victoriametrics_query_s"],
                                                   res["zeropark_query_s"]),
    }
    res["demo_load_s"] = parts.get("demo_load_s")
    meta = dict(parts.get("meta", {}))
    meta["details"] = {k: parts.get(k) for k in ("sink", "zeropark", "influxdb", "victoriametrics")}
    res["meta"] = meta
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump(res, f, indent=2)
        f.write("\n")

    # docs/performance.md table between the markers.
    def cell_ok(sysname):
        q = parts.get(sysname, {}).get("query", {})
        if not q:
            return "n/a"
        return "yes" if q.get("sums_match") else "NO"

    rows = [
        "| system | ingest, readings/s | disk, bytes/reading | monthly sums per meter, s | sums exact |",
        "| --- | --- | --- | --- | --- |",
    ]
    for sysname, label in (("zeropark", f"zeropark {meta.get('zeropark_version', '')}".strip()),
                           ("victoriametrics", f"VictoriaMetrics {meta.get('victoriametrics_version', '')}".strip()),
                           ("influxdb", f"InfluxDB {meta.get('influxdb_version', '')}".strip())):
        rows.append(f"| {label} | {fmt_rate(res[sysname + '_readings_per_s'])} | "
                    f"{fmt_num(res[sysname + '_bytes_per_reading'])} | "
                    f"{fmt_num(res[sysname + '_query_s'], 3)} | {cell_ok(sysname)} |")
    sink = parts.get("sink", {}).get("readings_per_s")
    lines = [BEGIN, "", *rows, ""]
    lines.append(f"Client ceiling (same client against a sink that only reads and answers 204): "
                 f"{fmt_rate(sink)} readings/s. "
                 f"`zeropark demo --no-serve` (default park, generate + load): "
                 f"{fmt_num(res['demo_load_s'], 1)} s.")
    zp = parts.get("zeropark", {})
    if zp.get("flush_s") is not None:
        lines.append("")
        lines.append(f"zeropark's `POST /api/v1/flush` after the load (memtable to compressed "
                     f"chunks and rollups) took {zp['flush_s']:.2f} s; it is not counted in "
                     f"readings/s, as the peers' background work is not either.")
    if zp.get("sqlite_free_bytes", 0) > 2**20:
        lines.append("")
        lines.append(f"zeropark's database file after the flush still holds "
                     f"{zp['sqlite_free_bytes'] / 2**20:.1f} MiB of free pages left by the "
                     f"truncated ingest log; its live pages take "
                     f"{zp['live_bytes_per_reading']:.2f} bytes/reading.")
    lines.append("")
    lines.append(f"Produced by `{meta.get('command', 'bash bench/ingest_bench.sh')}` on "
                 f"{meta.get('date', '?')} ({meta.get('cpu', '?')}, {meta.get('cores', '?')} cores, "
                 f"zeropark build {meta.get('zeropark_build_type', '?')}); raw figures in "
                 f"`bench/results/ingest.json`.")
    lines += ["", END]
    block = "\n".join(lines)
    doc_path = args.doc
    text = open(doc_path).read() if os.path.exists(doc_path) else ""
    if BEGIN in text and END in text:
        a = text.index(BEGIN)
        b = text.index(END) + len(END)
        text = text[:a] + block + text[b:]
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    with open(doc_path, "w") as f:
        f.write(text)
    print(json.dumps({k: v for k, v in res.items() if k != "meta"}, indent=2))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("gen")
    g.add_argument("dir")
    g.add_argument("--meters", type=int, default=N_METERS)
    g.add_argument("--steps", type=int, default=N_STEPS)
    s = sub.add_parser("sink")
    s.add_argument("--port", type=int, default=0)
    ld = sub.add_parser("load")
    ld.add_argument("url")
    ld.add_argument("dir")
    ld.add_argument("--threads", type=int, default=2)
    for name in ("query-zeropark", "query-influxdb", "query-victoriametrics"):
        q = sub.add_parser(name)
        q.add_argument("url")
        q.add_argument("dir")
    r = sub.add_parser("report")
    r.add_argument("parts")
    r.add_argument("--out", required=True)
    r.add_argument("--doc", required=True)
    args = ap.parse_args()
    fn = {
        "gen": cmd_gen, "sink": cmd_sink, "load": cmd_load,
        "query-zeropark": cmd_query_zeropark, "query-influxdb": cmd_query_influxdb,
        "query-victoriametrics": cmd_query_victoriametrics, "report": cmd_report,
    }[args.cmd]
    sys.exit(fn(args) or 0)


if __name__ == "__main__":
    main()
