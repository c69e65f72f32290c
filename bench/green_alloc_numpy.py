#!/usr/bin/python3
"""The green-power allocation of zp::green::Allocate (include/zp/green/allocation.h), in numpy.

Same rule, same integer results: priority rounds, pools of sources with the same eligibility,
ask/share passes, proportional split with the leftover Wh to the largest remainders (ties to the
lower index). Vectorised over blocks of hours and over all consumers/groups of a round at once;
Python loops only over rounds, passes and hour blocks. Reads the binary park written by
zp_green_alloc_bench; prints "seconds <best>" and "checksum <matched> <residual> <surplus>
<index-weighted matched> <index-weighted allocated>".
同一分配算法的 numpy 实现（用于性能对比）。

Usage: /usr/bin/python3 bench/green_alloc_numpy.py FILE [RUNS]
"""
import sys
import time

import numpy as np

MAX_PASSES = 16
BLOCK = 512  # hours per block (bounds memory: BLOCK x 3000 x int64 arrays)


def load(path):
    with open(path, "rb") as f:
        raw = f.read()
    head = np.frombuffer(raw, dtype="<i4", count=6)
    magic, hours, consumers, sources, rounds, eligible = (int(x) for x in head)
    assert magic == 0x5A50474E, "not a zp green allocation park"
    off = 24
    src_round = np.frombuffer(raw, "<i4", sources, off); off += 4 * sources
    offsets = np.frombuffer(raw, "<i4", sources + 1, off); off += 4 * (sources + 1)
    elig = np.frombuffer(raw, "<i4", eligible, off); off += 4 * eligible
    cons = np.frombuffer(raw, "<i8", hours * consumers, off).reshape(hours, consumers)
    off += 8 * hours * consumers
    gen = np.frombuffer(raw, "<i8", hours * sources, off).reshape(hours, sources)
    return hours, consumers, sources, rounds, src_round, offsets, elig, cons, gen


class Segments:
    """Entries split into consecutive segments; helpers for per-segment sums and splits."""

    def __init__(self, seg_of_entry, nseg):
        self.seg = np.asarray(seg_of_entry, dtype=np.int64)
        self.nseg = nseg
        counts = np.bincount(self.seg, minlength=nseg)
        self.start = np.zeros(nseg, dtype=np.int64)
        self.start[1:] = np.cumsum(counts)[:-1]
        self.end = self.start + counts
        self.pos = np.arange(len(self.seg)) - self.start[self.seg]  # index inside the segment

    def sums(self, x):  # x: (rows, entries) -> (rows, nseg); every segment is non-empty
        return np.add.reduceat(x, self.start, axis=1)

    def split(self, amount, w, total):
        """floor(amount*w/total) per entry + the leftover to the largest remainders, ties to the
        lower entry. amount, total: (rows, nseg), total > 0 where amount > 0."""
        seg = self.seg
        tot = np.where(total > 0, total, 1)[:, seg]
        prod = amount[:, seg] * w
        q = prod // tot
        rem = prod - q * tot
        k = amount - self.sums(q)  # (rows, nseg), 0 <= k < segment length
        need = k > 0
        if not need.any():
            return q
        rows = np.nonzero(need.any(axis=1))[0]
        r = rem[rows]
        kk = k[rows]
        # Sort remainders inside each segment (segment id in the high bits, stable order).
        key = (seg << 41) | r
        srt = np.sort(key, axis=1)
        # The k-th largest remainder of a segment sits at end - k in ascending order.
        idx = np.minimum(self.end[None, :] - kk, self.end[None, :] - 1)
        t = np.take_along_axis(srt, idx, axis=1) & ((1 << 41) - 1)
        t = np.where(kk > 0, t, np.int64(1) << 42)  # no leftover: threshold above everything
        te = t[:, seg]
        gt = r > te
        k_left = kk - self.sums(gt.astype(np.int64))
        eq = r == te
        ceq = np.cumsum(eq, axis=1)
        base = np.where(self.start > 0, ceq[:, np.maximum(self.start - 1, 0)], 0)
        rank = ceq - base[:, seg]  # 1-based rank among equal remainders in the segment
        extra = gt | (eq & (rank <= k_left[:, seg]))
        q[rows] += extra
        return q


def build_plan(consumers, sources, rounds, src_round, offsets, elig):
    keys = {}
    groups = []  # (round, [sources], sorted consumer list)
    for s in range(sources):
        lst = tuple(sorted(int(c) for c in elig[offsets[s]:offsets[s + 1]]))
        key = (int(src_round[s]), lst)
        if key not in keys:
            keys[key] = len(groups)
            groups.append((int(src_round[s]), [], lst))
        groups[keys[key]][1].append(s)
    order = sorted(range(len(groups)), key=lambda g: groups[g][0])  # stable
    plan = []
    for r in range(rounds):
        gs = [groups[g] for g in order if groups[g][0] == r and len(groups[g][2]) > 0]
        empty = [groups[g] for g in order if groups[g][0] == r and len(groups[g][2]) == 0]
        if not gs and not empty:
            plan.append(None)
            continue
        entry_c = np.array([c for g in gs for c in g[2]], dtype=np.int64)
        entry_g = np.array([i for i, g in enumerate(gs) for _ in g[2]], dtype=np.int64)
        counts = np.bincount(entry_c, minlength=consumers) if len(entry_c) else np.zeros(consumers, np.int64)
        multi_mask = counts[entry_c] > 1 if len(entry_c) else np.zeros(0, bool)
        single = np.nonzero(~multi_mask)[0]
        multi = np.nonzero(multi_mask)[0]
        multi = multi[np.lexsort((multi, entry_c[multi]))]  # by consumer, then entry
        mc, mseg = np.unique(entry_c[multi], return_inverse=True)
        # Source attribution: per group, its sources (entries of a segment per group).
        src_list = [s for g in gs for s in g[1]]
        src_seg = [i for i, g in enumerate(gs) for _ in g[1]]
        plan.append(dict(
            ng=len(gs), entry_c=entry_c, entry_g=entry_g,
            groups=Segments(entry_g, len(gs)) if gs else None,
            single=single, single_c=entry_c[single], multi=multi, multi_c=mc,
            multi_seg=Segments(mseg, len(mc)) if len(mc) else None,
            src=np.array(src_list, dtype=np.int64),
            src_seg=Segments(np.array(src_seg, dtype=np.int64), len(gs)) if gs else None,
            empty_src=[s for g in empty for s in g[1]]))
    return plan


def allocate(hours, consumers, sources, rounds, plan, cons, gen):
    matched_total = np.zeros(consumers, dtype=np.int64)
    alloc_total = np.zeros(sources, dtype=np.int64)
    for h0 in range(0, hours, BLOCK):
        d = np.array(cons[h0:h0 + BLOCK], dtype=np.int64)
        g = gen[h0:h0 + BLOCK]
        nh = d.shape[0]
        alloc = np.zeros((nh, sources), dtype=np.int64)
        for rp in plan:
            if rp is None or rp["ng"] == 0:
                continue
            gsrc = g[:, rp["src"]]
            pool0 = rp["src_seg"].sums(gsrc)  # (nh, ng)
            pool = pool0.copy()
            galloc = np.zeros_like(pool)
            eg, ec = rp["entry_g"], rp["entry_c"]
            single, multi = rp["single"], rp["multi"]
            has_multi = len(multi) > 0
            ask = np.empty((nh, len(ec)), dtype=np.int64)
            for _ in range(MAX_PASSES):
                ask[:, single] = d[:, rp["single_c"]]
                if has_multi:
                    ms = rp["multi_seg"]
                    w = pool[:, eg[multi]]
                    tot = ms.sums(w)
                    dc = d[:, rp["multi_c"]]
                    dc = np.where(tot > 0, dc, 0)
                    ask[:, multi] = ms.split(dc, w, tot)
                gs = rp["groups"]
                asked = gs.sums(ask)
                over = asked > pool
                give = ask
                if over.any():
                    split = gs.split(np.where(over, pool, 0), ask, np.where(over, asked, 1))
                    give = np.where(over[:, eg], split, ask)
                give = np.where((pool > 0)[:, eg], give, 0)
                given = gs.sums(give)
                # Subtract from each consumer: unique consumers directly, multi ones summed.
                d[:, rp["single_c"]] -= give[:, single]
                if has_multi:
                    d[:, rp["multi_c"]] -= rp["multi_seg"].sums(give[:, multi])
                pool -= given
                galloc += given
                if not has_multi or not given.any():
                    break
            alloc[:, rp["src"]] = rp["src_seg"].split(galloc, gsrc, pool0)
        matched_total += (np.asarray(cons[h0:h0 + BLOCK]) - d).sum(axis=0)
        alloc_total += alloc.sum(axis=0)
    return matched_total, alloc_total


def main():
    path = sys.argv[1]
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    hours, consumers, sources, rounds, src_round, offsets, elig, cons, gen = load(path)
    assert int(cons.max()) < (1 << 40) and int(gen.max()) < (1 << 40), "values too large"
    best = None
    for _ in range(runs):
        t0 = time.perf_counter()
        plan = build_plan(consumers, sources, rounds, src_round, offsets, elig)
        matched, allocated = allocate(hours, consumers, sources, rounds, plan, cons, gen)
        dt = time.perf_counter() - t0
        best = dt if best is None else min(best, dt)
    cons_total = cons.sum(axis=0, dtype=np.int64)
    gen_total = gen.sum(axis=0, dtype=np.int64)
    m = int(matched.sum())
    residual = int(cons_total.sum()) - m
    surplus = int(gen_total.sum()) - int(allocated.sum())
    wm = sum((c + 1) * int(v) for c, v in enumerate(matched))
    wa = sum((s + 1) * int(v) for s, v in enumerate(allocated))
    print(f"seconds {best:.6f}")
    print(f"checksum {m} {residual} {surplus} {wm} {wa}")


if __name__ == "__main__":
    main()
