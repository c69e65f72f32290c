"""Bad input of every kind gets a 4xx whose message names the problem, and the server stays up
and keeps working (an oversized body gets 413).

各类错误输入返回 4xx 且说明问题所在，服务保持可用；超大请求体返回 413。
"""

import json
import socket
import time
import unittest

import zp_harness as h

TS = 1704038400  # 2024-01-01T00:00:00+08:00


class BadInputTest(h.ServerTestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = h.TempDir("badinput")

    def setUp(self):
        super().setUp()
        self.server = h.Server(self.tmp.join(f"{self._testMethodName}.zpdb"),
                               self.tmp.join("server.log")).start()
        self.server.import_meters_csv("code,carrier,unit\nE1,electricity,kWh\nW1,water,m3\n")

    def expect_4xx(self, resp, *words, status=None, line=None):
        """resp has a 4xx status (or exactly `status`), its body mentions each word, and, when
        `line` is given, names that 1-based line (an `errors` entry or the text "line N")."""
        body = resp.text
        if status is not None:
            self.assertEqual(resp.status_code, status, body[:500])
        else:
            self.assertTrue(400 <= resp.status_code < 500, f"{resp.status_code}: {body[:500]}")
        low = body.lower()
        for w in words:
            self.assertIn(w.lower(), low, f"message does not name {w!r}: {body[:500]}")
        if line is not None:
            try:
                lines = [e.get("line") for e in json.loads(body).get("errors", [])]
            except (ValueError, AttributeError):
                lines = []
            self.assertTrue(line in lines or f"line {line}" in low,
                            f"message does not name line {line}: {body[:500]}")
        self.assertTrue(self.server.alive(), "server died")

    def assert_still_serving(self):
        self.assertTrue(self.server.alive(), "server died")
        self.assertEqual(self.server.get("/health").status_code, 200)
        r = self.server.post("/write?precision=s", f"e,meter=E1 kwh=1.5 {TS}\n".encode())
        self.assertEqual(r.status_code, 204, r.text)

    def write(self, body, query="?precision=s"):
        if isinstance(body, str):
            body = body.encode()
        return self.server.post("/write" + query, body)

    def test_line_protocol_errors_name_line_and_problem(self):
        cases = [
            # (body, line named, words the message must contain)
            ("this is not line protocol\n", 1, []),
            (f"e,meter=E1 {TS}\n", 1, []),                                  # no field set
            (f"e,meter=E1 kwh= {TS}\n", 1, ["kwh"]),                        # empty value
            (f"e,meter=E1 kwh=abc {TS}\n", 1, ["abc", "number"]),           # bad number
            (f'e,meter=E1 kwh="12.5" {TS}\n', 1, ["string"]),               # string field
            (f"e,meter=E1 kwh=true {TS}\n", 1, ["boolean"]),                # boolean field
            (f"e,meter=E1 kwh=1.0 notatime\n", 1, ["timestamp"]),
            (f"e,meter=E1 furlongs=1.0 {TS}\n", 1, ["furlongs"]),           # unknown field key
            (f"e kwh=1.0 {TS}\n", 1, ["meter"]),                            # no meter tag
            (f"e,meter=NOPE kwh=1.0 {TS}\n", 1, ["NOPE"]),                  # unknown meter
            (f"e,meter=E1 m3=1.0 {TS}\n", 1, ["m3"]),                       # wrong dimension
            (f"e,meter=W1 kwh=1.0 {TS}\n", 1, ["kwh"]),                     # wrong dimension
            (f"e,meter=E1 kwh=1.0 {TS}\ne,meter=E1 kwh=x {TS + 900}\n", 2, ["'x'"]),
            (f"e,meter=E1 kwh=1.0 {TS + 100 * 365 * 86400}\n", 1, ["timestamp"]),  # far future
            (f"e,meter=E1 kwh=1.0 {TS * 1000}\n", 1, ["timestamp"]),        # ms sent as s
        ]
        for body, line, words in cases:
            with self.subTest(body=body):
                self.expect_4xx(self.write(body), *words, line=line)
        self.assert_still_serving()

    def test_bad_query_parameters_are_named(self):
        self.expect_4xx(self.write(f"e,meter=E1 kwh=1 {TS}\n", "?precision=fortnight"),
                        "precision")
        self.expect_4xx(self.server.get("/api/v1/sums", params={"period": "fortnight"}), "period")
        self.expect_4xx(self.server.get("/api/v1/sums", params={"by": "planet"}), "by")
        self.expect_4xx(self.server.get("/api/v1/sums", params={"from": "yesterday-ish"}), "from")
        self.expect_4xx(self.server.get("/api/v1/sums", params={"from": "2024-02-01",
                                                                "to": "2024-01-01"}), "from")
        self.expect_4xx(self.server.get("/api/v1/readings", params={"from": "2024-01-01"}),
                        "meter")
        r = self.server.get("/api/v1/readings", params={"meter": "NOPE", "from": "2024-01-01",
                                                        "to": "2024-01-02"})
        self.expect_4xx(r, "NOPE")
        self.expect_4xx(self.server.get("/api/v1/no-such-endpoint"), status=404)
        self.assert_still_serving()

    def test_json_readings_errors(self):
        def post(body):
            if isinstance(body, (dict, list)):
                body = json.dumps(body)
            return self.server.post("/api/v1/readings", body.encode(),
                                    headers={"Content-Type": "application/json"})

        self.expect_4xx(post('{"readings": [ {"meter": "E1", '), "json")
        self.expect_4xx(post("[1, 2, 3]"))
        self.expect_4xx(post({"readings": [{"meter": "E1", "ts": TS}]}), "value")
        self.expect_4xx(post({"readings": [{"meter": "E1", "value": 1.0}]}), "ts")
        self.expect_4xx(post({"readings": [{"meter": "E1", "ts": "not a time", "value": 1}]}),
                        "timestamp", "not a time", line=1)
        self.expect_4xx(post({"readings": [{"meter": "E1", "ts": TS, "value": "many"}]}),
                        "value")
        # All or nothing: a bad second row keeps the first one out too.
        r = post({"readings": [{"meter": "E1", "ts": TS + 86400, "value": 7.0},
                               {"meter": "NOPE", "ts": TS + 86400, "value": 1.0}]})
        self.expect_4xx(r, "NOPE")
        pts = self.server.readings("E1", TS + 86400, TS + 2 * 86400)
        self.assertEqual(pts, [], "JSON batch half-written")
        self.assert_still_serving()

    def test_registry_csv_errors(self):
        def post(text):
            return self.server.post("/api/v1/registry/meters.csv", text.encode(),
                                    headers={"Content-Type": "text/csv"})

        self.expect_4xx(post("name,carrier\nX,electricity\n"), "code")
        self.expect_4xx(post("code,carrier\nX1,plutonium\n"), "plutonium")
        self.expect_4xx(post("code,carrier,kind\nX2,electricity,sometimes\n"), "kind")
        self.expect_4xx(post("code,carrier,unit\nX3,electricity,m3\n"), "m3")
        self.expect_4xx(post("code,carrier\nbad code!,electricity\n"), "code")
        self.expect_4xx(post("code,carrier,interval_s\nX4,electricity,-5\n"), "interval")
        self.expect_4xx(post("code,carrier,parent\nX5,electricity,GHOST\n"), "GHOST")
        # Nothing of a refused file is kept.
        self.expect_4xx(post("code,carrier\nX6,electricity\nX7,plutonium\n"), "plutonium")
        self.assertEqual(self.server.get("/api/v1/meters/X6").status_code, 404)
        self.assert_still_serving()

    def test_invalid_utf8_and_binary_garbage(self):
        self.expect_4xx(self.write(b"e,meter=E1 kwh=\xff\xfe 1704038400\n"), line=1)
        self.expect_4xx(self.write(bytes(range(256)) * 4))
        self.expect_4xx(self.server.post("/api/v1/registry/meters.csv", b"\x00\x01\x02\xff\n",
                                         headers={"Content-Type": "text/csv"}))
        self.assert_still_serving()

    def test_oversized_body_gets_413(self):
        size = (64 << 20) + 1
        status, text = self.post_oversized("/write?precision=s", size)
        self.assertEqual(status, 413, text[:300])
        self.assert_still_serving()

    def post_oversized(self, path, size):
        """Sends the headers, waits briefly for an early answer, else streams the body."""
        s = socket.create_connection(("127.0.0.1", self.server.port), timeout=60)
        try:
            s.sendall((f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                       f"Content-Type: text/plain\r\nContent-Length: {size}\r\n\r\n").encode())
            s.settimeout(2)
            try:
                data = s.recv(65536)
            except socket.timeout:
                data = b""
            if not data:
                s.settimeout(60)
                chunk = b"e,meter=E1 kwh=1.0 1704038400\n" * 34000  # ~1 MiB
                sent = 0
                try:
                    while sent < size:
                        part = chunk[:size - sent]
                        s.sendall(part)
                        sent += len(part)
                except (BrokenPipeError, ConnectionResetError):
                    pass
                s.settimeout(60)
                try:
                    data = s.recv(65536)
                except (ConnectionResetError, socket.timeout):
                    data = b""
            deadline = time.monotonic() + 5
            while b"\r\n\r\n" not in data and time.monotonic() < deadline:
                more = s.recv(65536)
                if not more:
                    break
                data += more
        finally:
            s.close()
        text = data.decode("utf-8", "replace")
        if not text.startswith("HTTP/1."):
            return 0, text
        return int(text.split()[1]), text


if __name__ == "__main__":
    unittest.main()
