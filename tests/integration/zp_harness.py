"""Shared pieces of the end-to-end tests: find the binary, run `zeropark serve` on a free loopback
port in a temporary folder, talk HTTP to it, and make sure every server started is stopped.

端到端测试的公共部分：定位可执行文件、在临时目录与空闲端口上启动服务、退出时全部停止。
"""

import atexit
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import unittest

import requests

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SHARED_DATA = os.path.normpath(os.path.join(ROOT, "..", "shared", "data"))
TEST_DATA = os.path.join(ROOT, "tests", "data")

_live = []  # servers to stop at exit


def binary():
    return os.environ.get("ZP_BINARY") or os.path.join(ROOT, "build", "apps", "zeropark",
                                                        "zeropark")


def slow_enabled():
    return os.environ.get("ZP_SLOW") == "1"


def free_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class TempDir:
    """A temporary folder removed at exit (kept when ZP_KEEP_TMP=1, for debugging)."""

    def __init__(self, prefix):
        self.path = tempfile.mkdtemp(prefix=f"zp-{prefix}-")
        atexit.register(self.remove)

    def remove(self):
        if os.environ.get("ZP_KEEP_TMP") == "1":
            print(f"kept {self.path}")
            return
        shutil.rmtree(self.path, ignore_errors=True)

    def join(self, *parts):
        return os.path.join(self.path, *parts)


def run_cli(args, timeout=600, check=True):
    """Runs `zeropark ARGS`; returns CompletedProcess (text)."""
    p = subprocess.run([binary(), *args], capture_output=True, text=True, timeout=timeout)
    if check and p.returncode != 0:
        raise AssertionError(f"zeropark {' '.join(args)} exited {p.returncode}\n"
                             f"stdout: {p.stdout[-2000:]}\nstderr: {p.stderr[-2000:]}")
    return p


class Server:
    """One `zeropark serve` process on 127.0.0.1 and a free port."""

    def __init__(self, db, log_path, extra_args=()):
        self.db = db
        self.log_path = log_path
        self.extra_args = list(extra_args)
        self.proc = None
        self.port = None
        self.killed = False
        self.token = None
        self.session = requests.Session()

    def _new_session(self):
        s = requests.Session()
        if self.token:
            s.headers["Authorization"] = "Bearer " + self.token
        return s

    @property
    def auth_headers(self):
        return {"Authorization": "Bearer " + self.token} if self.token else {}

    def ensure_admin_token(self):
        """Every route but /health needs credentials: an administrator account and an API token,
        created once per database through the CLI (as an operator would)."""
        if self.token:
            return
        users = run_cli(["user", "list", "--db", self.db, "--csv"]).stdout
        if "it-admin" not in users:
            run_cli(["user", "add", "--db", self.db, "--username", "it-admin", "--role", "admin",
                     "--generate-password"])
        self.token = run_cli(["token", "issue", "--db", self.db, "--username", "it-admin",
                              "--name", "integration tests", "--expires-days", "0"]).stdout.strip()
        self.session = self._new_session()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout_s=60):
        self.ensure_admin_token()
        self.port = free_port()
        log = open(self.log_path, "ab")
        log.write(f"\n--- start on port {self.port}\n".encode())
        log.flush()
        self.proc = subprocess.Popen(
            [binary(), "serve", "--db", self.db, "--host", "127.0.0.1", "--port", str(self.port),
             "--hj212-port", "0", *self.extra_args],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        log.close()
        _live.append(self)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"zeropark serve exited {self.proc.returncode} at start:\n"
                                     f"{self.log_tail()}")
            try:
                r = requests.get(self.url + "/health", timeout=1)
                if r.status_code == 200:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.05)
        raise AssertionError(f"zeropark serve not healthy after {timeout_s}s:\n{self.log_tail()}")

    def hj212_port(self, timeout_s=10):
        """The HJ 212 port the server printed ("HJ 212 listening on port N") in this run."""
        import re
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            text = self.log_tail(1 << 20)
            runs = text.split(f"--- start on port {self.port}")
            found = re.findall(r"HJ 212 listening on port (\d+)", runs[-1])
            if found:
                return int(found[-1])
            time.sleep(0.05)
        raise AssertionError(f"no HJ 212 port in the log:\n{self.log_tail()}")

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def kill9(self):
        self.killed = True
        if self.alive():
            self.proc.send_signal(signal.SIGKILL)
        if self.proc is not None:
            self.proc.wait(timeout=30)
        self.session.close()
        self.session = self._new_session()

    def stop(self, check=True):
        """SIGTERM and wait. With `check`, a shutdown that is not clean (exit status not 0: a
        crash, a hang, a sanitizer report) fails the test."""
        problem = None
        if self.proc is not None and not self.alive() and not self.killed:
            problem = f"had already exited ({self.proc.returncode}) on its own"
        if self.alive():
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=60)
                if self.proc.returncode != 0:
                    problem = f"exited {self.proc.returncode} after SIGTERM"
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=30)
                problem = "did not stop within 60 s of SIGTERM"
        if self in _live:
            _live.remove(self)
        self.session.close()
        if check and problem:
            raise AssertionError(f"zeropark serve {problem}:\n{self.log_tail()}")

    def log_tail(self, n=4000):
        try:
            with open(self.log_path, "rb") as f:
                return f.read()[-n:].decode("utf-8", "replace")
        except OSError:
            return ""

    # --- HTTP helpers.
    def get(self, path, **kw):
        kw.setdefault("timeout", 120)
        return self.session.get(self.url + path, **kw)

    def post(self, path, data=b"", **kw):
        kw.setdefault("timeout", 120)
        return self.session.post(self.url + path, data=data, **kw)

    def get_json(self, path, **kw):
        r = self.get(path, **kw)
        if r.status_code != 200:
            raise AssertionError(f"GET {path} -> {r.status_code}: {r.text[:500]}")
        return r.json()

    def import_meters_csv(self, csv_text):
        r = self.post("/api/v1/registry/meters.csv", csv_text.encode(),
                      headers={"Content-Type": "text/csv"})
        if r.status_code // 100 != 2:
            raise AssertionError(f"meters.csv import -> {r.status_code}: {r.text[:500]}")
        return r

    def flush(self):
        r = self.post("/api/v1/flush", timeout=600)
        if r.status_code // 100 != 2:
            raise AssertionError(f"flush -> {r.status_code}: {r.text[:500]}")

    def readings(self, meter, from_s, to_s):
        """[(ts_s, value)] of one meter, as the API returns them (order kept)."""
        doc = self.get_json("/api/v1/readings",
                            params={"meter": meter, "from": str(from_s), "to": str(to_s)})
        return [(p[0], p[1]) for p in _points(doc)]

    def sums(self, **params):
        """Rows of /api/v1/sums as dicts with group, period_start_s, value, readings."""
        doc = self.get_json("/api/v1/sums", params=params)
        return [_sum_row(r) for r in _rows(doc)]

    def completeness(self, meters, from_s, to_s):
        doc = self.get_json("/api/v1/completeness",
                            params={"meter": ",".join(meters), "from": str(from_s),
                                    "to": str(to_s)})
        return _rows(doc)


def _rows(doc):
    if isinstance(doc, list):
        return doc
    for key in ("rows", "data", "readings", "points", "results"):
        if key in doc and isinstance(doc[key], list):
            return doc[key]
    raise AssertionError(f"no rows in response: {json.dumps(doc)[:300]}")


def _points(doc):
    out = []
    for p in _rows(doc):
        if isinstance(p, list):
            out.append((int(p[0]), float(p[1])))
            continue
        ts = p.get("ts_s", p.get("ts"))
        if isinstance(ts, str):
            ts = parse_instant(ts)
        out.append((int(ts), float(p["value"])))
    return out


def _sum_row(r):
    start = r.get("period", r.get("period_start_s"))
    if isinstance(start, str):
        start = parse_instant(start)
    return {"group": r.get("group"), "period_start_s": start, "value": float(r["value"]),
            "readings": int(r.get("readings", 0)), "raw": r}


def parse_instant(s):
    from datetime import datetime
    if s.isdigit():
        return int(s)
    return int(datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp())


def stop_all(check=False):
    """Stops every server still running; with `check`, raises if one did not stop cleanly."""
    problems = []
    for s in list(_live):
        try:
            s.stop(check=check)
        except AssertionError as e:
            problems.append(str(e))
        except Exception:  # noqa: BLE001 - best effort
            pass
    if problems:
        raise AssertionError("\n".join(problems))


atexit.register(stop_all)


class ServerTestCase(unittest.TestCase):
    """Fails every test when the binary is missing; stops servers after each test."""

    def setUp(self):
        if not os.path.exists(binary()):
            self.fail(f"zeropark binary not found: {binary()} (build it first)")

    def tearDown(self):
        stop_all(check=True)
