#!/usr/bin/env python3
"""Runs the end-to-end tests (tests/integration/*_test.py) against zeropark binaries and ends with
the line `integration: N passed, M failed[, K skipped]`. Exit status 0 only if none failed and
some ran.

运行端到端集成测试，最后一行输出通过/失败数。

Usage: python3 tests/integration/run.py [--binary PATH]... [--slow] [-k PATTERN] [FILE_test.py]...
  --binary  zeropark binary to test (repeatable: the suite runs once per binary);
            default build/apps/zeropark/zeropark
"""

import argparse
import glob
import os
import sys
import time
import unittest

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", action="append", help="zeropark binary (repeatable)")
    ap.add_argument("--slow", action="store_true", help="also run slow tests (ZP_SLOW=1)")
    ap.add_argument("-k", dest="pattern", action="append", help="only tests matching this")
    ap.add_argument("files", nargs="*")
    args = ap.parse_args()
    if args.slow:
        os.environ["ZP_SLOW"] = "1"
    sys.path.insert(0, HERE)
    binaries = [os.path.abspath(b) for b in (args.binary or [])] or [None]
    files = args.files or sorted(glob.glob(os.path.join(HERE, "*_test.py")))

    passed = failed = skipped = ran = 0
    t0 = time.monotonic()
    for b in binaries:
        if b is not None:
            os.environ["ZP_BINARY"] = b
            print(f"== {b}", flush=True)
        loader = unittest.TestLoader()
        if args.pattern:
            loader.testNamePatterns = [p if "*" in p else f"*{p}*" for p in args.pattern]
        suite = unittest.TestSuite()
        for f in files:
            name = os.path.splitext(os.path.basename(f))[0]
            try:
                suite.addTests(loader.loadTestsFromName(name))
            except Exception as e:  # noqa: BLE001 - an import error is a failed test file
                print(f"ERROR loading {name}: {e!r}")
                failed += 1
        result = unittest.TextTestRunner(stream=sys.stdout, verbosity=2).run(suite)
        # A test counts once however many of its subtests failed; an error outside any test
        # (setUpClass) counts as one failed test.
        bad_ids = {getattr(t, "test_case", t).id() for t, _ in result.failures + result.errors}
        bad_ids |= {t.id() for t in result.unexpectedSuccesses}
        bad = len(bad_ids)
        ran += result.testsRun
        failed += bad
        skipped += len(result.skipped)
        passed += max(0, result.testsRun - bad - len(result.skipped))
    print(f"({time.monotonic() - t0:.1f}s)")
    line = f"integration: {passed} passed, {failed} failed"
    if skipped:
        line += f", {skipped} skipped"
    print(line, flush=True)
    return 0 if failed == 0 and ran > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
