"""Acknowledged means durable: SIGKILL the server while two writers post line protocol, restart it
on the same database, and check every acknowledged reading is there exactly once (twice over,
once with a flush racing the writers).

已确认即持久：写入过程中 kill -9 服务，重启后每条已确认读数恰好存在一次。
"""

import threading
import time
import unittest

import requests

import zp_harness as h

N_METERS = 40
STEPS_PER_BATCH = 5  # timestamps per batch; each batch = N_METERS * STEPS_PER_BATCH lines
BASE_S = 1577808000  # 2020-01-01T00:00:00+08:00
STEP_S = 900
MAX_BATCHES_PER_WRITER = 2000  # per round: bounds the test however fast the server is
MAX_ROUNDS = 8  # slots stay within 2020-01 .. 2024-07 (8 * 2 * 2000 * 5 slots of 15 min)


def meter(m):
    return f"k{m:03d}"


def value(m, slot):
    # Distinct, exactly representable with 2 decimals, never zero.
    return ((slot * 131 + m * 17) % 99991) / 100.0 + 0.01


def batch_slots(round_no, writer, k):
    first = ((round_no * 2 + writer) * MAX_BATCHES_PER_WRITER + k) * STEPS_PER_BATCH
    assert round_no < MAX_ROUNDS
    return range(first, first + STEPS_PER_BATCH)


def batch_body(slots):
    lines = []
    for slot in slots:
        ts = BASE_S + slot * STEP_S
        for m in range(N_METERS):
            lines.append(f"energy,meter={meter(m)} kwh={value(m, slot):.2f} {ts}")
    return ("\n".join(lines) + "\n").encode()


class Writer(threading.Thread):
    """Posts batches until the server goes away, the stop flag is set or the batch limit."""

    def __init__(self, url, round_no, writer, stop, headers=None):
        super().__init__(daemon=True)
        self.url, self.round_no, self.writer, self.stop = url, round_no, writer, stop
        self.headers = headers or {}
        self.acked = []       # batch slot ranges answered 204
        self.unacked = []     # sent but not acknowledged (error or connection lost)
        self.refused = []     # (status, text) of non-204 answers

    def run(self):
        s = requests.Session()
        s.headers.update(self.headers)
        for k in range(MAX_BATCHES_PER_WRITER):
            if self.stop.is_set():
                break
            slots = batch_slots(self.round_no, self.writer, k)
            try:
                r = s.post(self.url + "/write?precision=s", data=batch_body(slots), timeout=30)
            except requests.RequestException:
                self.unacked.append(slots)
                break
            if r.status_code == 204:
                self.acked.append(slots)
            else:
                self.unacked.append(slots)
                self.refused.append((r.status_code, r.text[:300]))
                break
        s.close()


class Kill9Test(h.ServerTestCase):
    def test_acknowledged_readings_survive_kill9(self):
        self.run_kills(2)

    @unittest.skipUnless(h.slow_enabled(), "slow: run with scripts/test.sh --slow")
    def test_acknowledged_readings_survive_many_kills(self):
        self.run_kills(MAX_ROUNDS)

    def run_kills(self, rounds):
        tmp = h.TempDir("kill9")
        db = tmp.join("park.zpdb")
        server = h.Server(db, tmp.join("server.log")).start()
        csv = "code,carrier\n" + "".join(f"{meter(m)},electricity\n" for m in range(N_METERS))
        server.import_meters_csv(csv)

        acked, unacked = [], []
        for round_no in range(rounds):
            stop = threading.Event()
            writers = [Writer(server.url, round_no, w, stop, server.auth_headers) for w in range(2)]
            for w in writers:
                w.start()
            # Let acknowledgements pile up, then kill while batches are in flight.
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                n = sum(len(w.acked) for w in writers)
                if n >= 30 or not any(w.is_alive() for w in writers):
                    break
                time.sleep(0.01)
            if round_no % 2 == 1:
                server.flush()  # a flush racing the writers, then more acknowledgements
                time.sleep(0.2)
            self.assertTrue(any(w.is_alive() for w in writers),
                            "writers finished before the kill; raise MAX_BATCHES_PER_WRITER")
            server.kill9()
            stop.set()
            for w in writers:
                w.join(timeout=60)
                self.assertFalse(w.is_alive())
                self.assertEqual(w.refused, [], f"server refused a good batch: {w.refused}")
                acked += w.acked
                unacked += w.unacked
            self.assertGreater(sum(len(w.acked) for w in writers), 0)
            print(f"round {round_no + 1}: {sum(len(w.acked) for w in writers)} batches "
                  f"acknowledged, {sum(len(w.unacked) for w in writers)} in flight at the kill",
                  flush=True)

            server = h.Server(db, tmp.join("server.log")).start()
            self.check(server, acked, unacked, f"after kill {round_no + 1}")

        # A clean flush after recovery keeps everything too.
        server.flush()
        self.check(server, acked, unacked, "after recovery and flush")
        server.stop()
        server = h.Server(db, tmp.join("server.log")).start()
        self.check(server, acked, unacked, "after a clean restart")
        server.stop()

    def check(self, server, acked, unacked, when):
        acked_slots = {s for r in acked for s in r}
        maybe_slots = {s for r in unacked for s in r}
        last_slot = max(acked_slots | maybe_slots)
        from_s, to_s = BASE_S, BASE_S + (last_slot + 1) * STEP_S
        present_by_slot = {}
        for m in range(N_METERS):
            pts = server.readings(meter(m), from_s, to_s)
            seen = set()
            for ts, v in pts:
                self.assertEqual((ts - BASE_S) % STEP_S, 0, f"{when}: odd timestamp {ts}")
                slot = (ts - BASE_S) // STEP_S
                self.assertNotIn(ts, seen, f"{when}: {meter(m)} has {ts} twice")
                seen.add(ts)
                self.assertTrue(slot in acked_slots or slot in maybe_slots,
                                f"{when}: {meter(m)} has a reading never sent at {ts}")
                self.assertAlmostEqual(v, value(m, slot), places=6,
                                       msg=f"{when}: {meter(m)} at {ts}")
                present_by_slot[slot] = present_by_slot.get(slot, 0) + 1
            missing = sorted(s for s in acked_slots if BASE_S + s * STEP_S not in seen)
            self.assertEqual(missing, [], f"{when}: {meter(m)} lost acknowledged readings at "
                             f"slots {missing[:10]} ({len(missing)} in all)")
        # A batch is one commit: an unacknowledged batch is there whole or not at all.
        for r in unacked:
            counts = {present_by_slot.get(s, 0) for s in r}
            self.assertTrue(counts in ({0}, {N_METERS}),
                            f"{when}: unacknowledged batch half-written: {sorted(counts)}")
        # The sums see the same readings, once each.
        rows = server.sums(by="meter", period="year", **{"from": str(from_s), "to": str(to_s)})
        counted = sum(r["readings"] for r in rows)
        total = sum(present_by_slot.values())
        self.assertEqual(counted, total, f"{when}: sums count {counted} readings, raw has {total}")


if __name__ == "__main__":
    unittest.main()
