"""`zeropark import` of real metering data (../shared/data): the steel plant's 15-minute export
(end-labelled, midnight closes the day, BOM) and three Cambridge buildings' hourly electricity
(zero-filled gaps). The imported sums equal the file sums and the zero runs are reported as
suspected gaps.

真实数据导入：钢厂 15 分钟数据与剑桥三栋楼的小时电量；导入后合计与文件一致，零值段报告为疑似缺数。
"""

import csv
import os
import re
import unittest

import zp_harness as h

STEEL = os.path.join(h.SHARED_DATA, "steel-plant-2018", "steel_industry_data.csv")
CAMBRIDGE = os.path.join(h.SHARED_DATA, "cambridge-estates-2019", "electricity")
MAPPINGS = os.path.join(h.TEST_DATA, "mappings")
# b0 has no zeros at all; b88 and b92 each hold one long zero run (750 h and 270 h).
BUILDINGS = ["b0", "b88", "b92"]
GAP_MIN_HOURS = 3  # zero runs this long are suspected gaps (docs/csv-import.md)

METERS_CSV = """code,name,carrier,unit,kind,interval_s
STEEL-E,Steel plant electricity,electricity,kWh,interval,900
STEEL-Q-LAG,Steel plant lagging reactive energy,reactive_electricity,kvarh,interval,900
STEEL-Q-LEAD,Steel plant leading reactive energy,reactive_electricity,kvarh,interval,900
CAM-b0-E,Cambridge b0 electricity,electricity,kWh,interval,3600
CAM-b88-E,Cambridge b88 electricity,electricity,kWh,interval,3600
CAM-b92-E,Cambridge b92 electricity,electricity,kWh,interval,3600
"""


def steel_file_sums():
    cols = {"STEEL-E": "Usage_kWh",
            "STEEL-Q-LAG": "Lagging_Current_Reactive_Power_kVarh",
            "STEEL-Q-LEAD": "Leading_Current_Reactive_Power_kVarh"}
    sums = {m: 0.0 for m in cols}
    rows = 0
    with open(STEEL, encoding="utf-8-sig", newline="") as f:
        for row in csv.DictReader(f):
            rows += 1
            for m, c in cols.items():
                sums[m] += float(row[c])
    return sums, rows


def cambridge_file(building):
    """(sum, rows, zero runs of >= GAP_MIN_HOURS as (first_index, hours))."""
    values = []
    with open(os.path.join(CAMBRIDGE, f"{building}.csv"), newline="") as f:
        r = csv.reader(f)
        next(r)
        for row in r:
            values.append(float(row[1]))
    runs, start = [], None
    for i, v in enumerate(values + [1.0]):
        if v == 0 and start is None:
            start = i
        elif v != 0 and start is not None:
            if i - start >= GAP_MIN_HOURS:
                runs.append((start, i - start))
            start = None
    return sum(values), len(values), runs


def import_csv(db, mapping, files, *extra):
    return h.run_cli(["import", "--db", db, "--mapping-file", mapping, *extra, *files])


@unittest.skipUnless(os.path.isdir(h.SHARED_DATA), "../shared/data is absent")
class RealDataImportTest(h.ServerTestCase):
    @classmethod
    def setUpClass(cls):
        if not os.path.isdir(h.SHARED_DATA) or not os.path.exists(h.binary()):
            return
        cls.tmp = h.TempDir("realdata")
        cls.db = cls.tmp.join("park.zpdb")
        meters = cls.tmp.join("meters.csv")
        with open(meters, "w") as f:
            f.write(METERS_CSV)
        h.run_cli(["registry", "import", "meters", meters, "--db", cls.db])
        cls.steel_output = import_csv(cls.db, os.path.join(MAPPINGS, "steel-plant-2018.json"),
                                      [STEEL])
        # One mapping for every Cambridge file; the meter code comes from the file name.
        cls.cambridge_output = import_csv(
            cls.db, os.path.join(MAPPINGS, "cambridge-electricity.json"),
            [os.path.join(CAMBRIDGE, f"{b}.csv") for b in BUILDINGS], "--meter", "CAM-{stem}-E")

    def setUp(self):
        super().setUp()
        self.server = h.Server(self.db, self.tmp.join("server.log")).start()

    def year_sums(self, meter):
        rows = self.server.sums(by="meter", period="year", meter=meter,
                                **{"from": "2017-01-01", "to": "2021-01-01"})
        return sum(r["value"] for r in rows), sum(r["readings"] for r in rows)

    def test_steel_plant_sums_equal_file(self):
        want, rows = steel_file_sums()
        self.assertEqual(rows, 35040)
        out = self.steel_output.stdout
        self.assertTrue(re.search(rf"\b{3 * rows} (readings )?accepted, 0 rejected", out),
                        out[:500])
        for meter, total in want.items():
            with self.subTest(meter=meter):
                got, n = self.year_sums(meter)
                # Every row is its own 15 minutes: none collapsed by the midnight trap.
                self.assertEqual(n, rows, f"{meter}: {n} readings stored, file has {rows}")
                self.assertAlmostEqual(got, total, delta=1e-6 * max(1.0, total))

    def test_steel_plant_timestamps_are_interval_starts(self):
        # First row "01/01/2018 00:15" (end label, Asia/Seoul) is the interval starting
        # 2018-01-01T00:00+09:00 = 2017-12-31T15:00:00Z; the last row "31/12/2018 00:00" closes
        # 31 December, i.e. starts 2018-12-31T23:45+09:00 = 2018-12-31T14:45:00Z.
        first, last = 1514732400, 1546267500
        pts = self.server.readings("STEEL-E", first - 86400, first + 3600)
        self.assertEqual(pts[0], (first, 3.17))
        pts = self.server.readings("STEEL-E", last - 3600, last + 86400)
        self.assertEqual(pts[-1], (last, 3.67))
        # The day-closing row of 1 January: "01/01/2018 00:00" = 2018-01-02T00:00+09:00 end.
        pts = self.server.readings("STEEL-E", first + 95 * 900, first + 96 * 900)
        self.assertEqual(pts, [(first + 95 * 900, 3.42)])

    def test_cambridge_sums_equal_file(self):
        for b in BUILDINGS:
            with self.subTest(building=b):
                total, rows, _ = cambridge_file(b)
                got, n = self.year_sums(f"CAM-{b}-E")
                self.assertEqual(n, rows)
                self.assertAlmostEqual(got, total, delta=1e-6 * max(1.0, total))

    def test_cambridge_zero_runs_are_suspected_gaps(self):
        for b in BUILDINGS:
            with self.subTest(building=b):
                _, _, runs = cambridge_file(b)
                meter = f"CAM-{b}-E"
                out = self.cambridge_output.stdout
                reported = parse_gaps(out, meter)
                self.assertEqual(len(reported), len(runs),
                                 f"{meter}: file has zero runs {runs}, import reported "
                                 f"{reported}\n{out[-2000:]}")
                start_2019 = 1546300800  # 2019-01-01T00:00:00Z
                for (i, hours), gap in zip(runs, reported):
                    self.assertEqual(gap["from_s"], start_2019 + i * 3600)
                    self.assertEqual(gap["to_s"], start_2019 + (i + hours) * 3600)
                # The completeness report flags the same readings as suspect zeros.
                rows = self.server.completeness([meter], start_2019 - 86400,
                                                start_2019 + 366 * 86400)
                suspect = sum(r["suspect_zero"] for r in rows)
                self.assertEqual(suspect > 0, bool(runs), f"{meter}: {suspect} suspect zeros")


def parse_gaps(text, meter):
    """Suspected gaps the CLI reported for `meter`: lines
    `suspected gap / 疑似缺数: meter M from ISO to ISO (N readings of exact zero)`."""
    gaps = []
    iso = r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2})?(?:Z|[+-]\d{2}:\d{2})"
    for line in text.splitlines():
        if "suspected gap" in line and f"meter {meter} " in line:
            found = re.findall(iso, line)
            if len(found) >= 2:
                gaps.append({"from_s": h.parse_instant(found[0]),
                             "to_s": h.parse_instant(found[1])})
    return gaps


if __name__ == "__main__":
    unittest.main()
