"""HJ 212-2017 over real TCP against the real `zeropark serve`: acknowledged frames survive a
kill -9; bad frames (wrong CRC, wrong length, truncated, garbage, oversized, unknown MN, wrong
password, HJ/T 212-2005) are refused and counted without disturbing other connections; many
loggers at once.

HJ 212 端到端: 已应答的数据在 kill -9 后不丢; 坏帧被拒收并计数, 不影响其他连接; 多数采仪并发。
"""

import datetime
import json
import re
import socket
import threading
import time
import unittest

import zp_harness as h

MN = "010000A8900016F000169D01"
PW = "it-pw1"
SOURCE = "IT.DA001"
BASE_LOCAL = (2025, 3, 1)  # data times from 2025-03-01 00:00 park time


def crc16(data: bytes) -> int:
    """HJ 212-2017 Appendix A."""
    crc = 0xFFFF
    for b in data:
        crc = (crc >> 8) ^ b
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
    return crc


def frame(segment: str) -> bytes:
    seg = segment.encode()
    return b"##%04d" % len(seg) + seg + b"%04X\r\n" % crc16(seg)


def data_time(minute_index):
    t = datetime.datetime(*BASE_LOCAL) + datetime.timedelta(minutes=minute_index)
    return t.strftime("%Y%m%d%H%M%S")


def minute_segment(i, mn=MN, pw=PW, flag=5, qn=None):
    qn = qn or "20250301%06d%03d" % (i % 1000000, i % 1000)
    dt = data_time(i)
    so2 = 100 + (i % 50)
    return (f"QN={qn};ST=31;CN=2051;PW={pw};MN={mn};Flag={flag};CP=&&DataTime={dt};"
            f"a21026-Min={so2 - 5}.0,a21026-Avg={so2}.0,a21026-Max={so2 + 5}.0,a21026-Flag=N;"
            f"a19001-Avg=9.5,a19001-Flag=N&&")


class Logger:
    """A data logger connection that reads the centre's replies."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.buf = b""

    def send(self, data: bytes):
        self.sock.sendall(data)

    def reply(self, timeout=10):
        """The next reply frame's data segment (str), or None on timeout/close."""
        self.sock.settimeout(timeout)
        while b"\r\n" not in self.buf:
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                return None
            if not chunk:
                return None
            self.buf += chunk
        line, self.buf = self.buf.split(b"\r\n", 1)
        assert line.startswith(b"##"), line
        seg = line[6:-4]
        assert int(line[2:6]) == len(seg), line
        assert int(line[-4:], 16) == crc16(seg), line
        return seg.decode()

    def close(self):
        self.sock.close()


def setup_db(tmp):
    db = tmp.join("env.zpdb")
    h.run_cli(["demo", "--db", db, "--enterprises", "3", "--days", "1", "--no-serve"])
    return db


def register_source(server):
    doc = server.get_json("/api/v1/env/sources")
    ents = server.get_json("/api/v1/enterprises")
    ent_rows = ents["enterprises"] if isinstance(ents, dict) else ents
    enterprise = ent_rows[0]["code"]
    sources = [{k: v for k, v in s.items() if k not in ("enterprise_name", "zone")}
               for s in doc["sources"]]
    sources.append({"code": SOURCE, "name": "集成测试锅炉", "enterprise": enterprise,
                    "kind": "stack", "mn": MN, "password": PW, "fuel": "coal",
                    "boiler_class": "in_use", "pollutants": ["a21026", "a19001"]})
    r = server.session.put(server.url + "/api/v1/env/sources", data=json.dumps({"sources": sources}),
                           headers={"Content-Type": "application/json"}, timeout=60)
    if r.status_code != 200:
        raise AssertionError(f"PUT /env/sources -> {r.status_code}: {r.text[:500]}")


def metric(text, name, label=None):
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        if label is None and re.match(rf"^{name} ", line):
            return float(line.split()[-1])
        if label is not None and line.startswith(f"{name}{{") and label in line:
            return float(line.split()[-1])
    return 0.0


class Hj212Test(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = h.TempDir("hj212")
        cls.db = setup_db(cls.tmp)
        cls.server = h.Server(cls.db, cls.tmp.join("serve.log")).start()
        register_source(cls.server)

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def history_times(self, first, last):
        # Park time is UTC+8: 2025-03-01 00:00 local = 2025-02-28 16:00 UTC.
        start = 1740758400 + first * 60
        doc = self.server.get_json("/api/v1/env/history", params={
            "source": SOURCE, "pollutant": "a21026", "from": str(start - 60),
            "to": str(1740758400 + (last + 1) * 60)})
        return sorted(p["t"] for p in doc["points"] if p["cn"] == 2051)

    def test_1_acknowledged_frames_survive_kill9(self):
        port = self.server.hj212_port()
        acked = []
        lock = threading.Lock()
        stop = threading.Event()

        def writer(offset):
            log = Logger(port)
            i = offset
            try:
                while not stop.is_set() and i < offset + 20000:
                    log.send(frame(minute_segment(i)))
                    seg = log.reply(timeout=5)
                    if seg is None:
                        return
                    self.assertIn("CN=9014", seg)
                    with lock:
                        acked.append(i)
                    i += 1
            except OSError:
                return
            finally:
                log.close()

        threads = [threading.Thread(target=writer, args=(k * 20000,)) for k in range(2)]
        for t in threads:
            t.start()
        time.sleep(1.5)
        self.server.kill9()
        stop.set()
        for t in threads:
            t.join(30)
        self.assertGreater(len(acked), 20, "too few frames acknowledged before the kill")
        self.server.start()
        for k in range(2):
            mine = sorted(i for i in acked if k * 20000 <= i < (k + 1) * 20000)
            if not mine:
                continue
            stored = set(self.history_times(mine[0], mine[-1]))
            missing = [i for i in mine if 1740758400 + i * 60 not in stored]
            self.assertEqual(missing[:10], [], f"acknowledged but lost: {len(missing)} of {len(mine)}")

    def test_2_bad_frames_refused_counted_others_unaffected(self):
        port = self.server.hj212_port()
        before = self.server.get("/metrics").text
        good = Logger(port)
        bad = Logger(port)
        seg = minute_segment(50000)
        f = frame(seg)
        # Wrong CRC, then a good frame on the same connection.
        bad.send(f[:-6] + b"0000\r\n")
        # Garbage between frames.
        bad.send(b"hello, world\r\n")
        # Wrong length field.
        bad.send(b"##0010" + seg.encode() + b"%04X\r\n" % crc16(seg.encode()))
        bad.send(frame(minute_segment(50001)))
        self.assertIn("CN=9014", bad.reply() or "")
        # Other connections keep working meanwhile.
        good.send(frame(minute_segment(50002)))
        self.assertIn("CN=9014", good.reply() or "")
        # Unknown MN and wrong password: 9011 with QnRtn 4 and 3.
        bad.send(frame(minute_segment(50003, mn="FFFF00000000000000000001")))
        self.assertIn("QnRtn=4", bad.reply() or "")
        bad.send(frame(minute_segment(50004, pw="wrong")))
        self.assertIn("QnRtn=3", bad.reply() or "")
        # HJ/T 212-2005 (Flag version 0): refused without a reply; the next good frame is answered.
        bad.send(frame(minute_segment(50005, flag=1)))
        bad.send(frame(minute_segment(50006)))
        r = bad.reply() or ""
        self.assertIn("CN=9014", r)
        self.assertIn("QN=20250301050006006", r)
        # Oversized: refused from its header; the connection resynchronises on the next "##".
        bad.send(b"##9999" + b"x" * 100 + b"\r\n")
        bad.send(frame(minute_segment(50007)))
        self.assertIn("CN=9014", bad.reply() or "")
        # Truncated: a frame cut short by the next one.
        bad.send(f[:30] + frame(minute_segment(50008)))
        self.assertIn("CN=9014", bad.reply() or "")
        good.send(frame(minute_segment(50009)))
        self.assertIn("CN=9014", good.reply() or "")
        good.close()
        bad.close()
        after = self.server.get("/metrics").text
        for reason in ("bad_crc", "garbage", "bad_length", "unknown_mn", "bad_password",
                       "version_2005", "oversized", "truncated"):
            label = f'reason="{reason}"'
            self.assertGreater(metric(after, "zp_hj212_frames_refused_total", label),
                               metric(before, "zp_hj212_frames_refused_total", label), reason)
        self.assertTrue(self.server.alive())

    def test_3_many_loggers(self):
        port = self.server.hj212_port()
        n, per = 200, 5
        loggers = [Logger(port) for _ in range(n)]
        for k, log in enumerate(loggers):
            for j in range(per):
                log.send(frame(minute_segment(60000 + k * per + j)))
        answered = 0
        for log in loggers:
            for _ in range(per):
                if "CN=9014" in (log.reply() or ""):
                    answered += 1
            log.close()
        self.assertEqual(answered, n * per)


if __name__ == "__main__":
    unittest.main()
