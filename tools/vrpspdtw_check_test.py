#!/usr/bin/env python3
"""Hand-made cases for tools/vrpspdtw-check, each worked out on paper.

Run: python3 tools/vrpspdtw_check_test.py (the Go test TestIndependentChecker
in dispatch/vrptw runs it inside make test).
"""

import copy
import importlib.machinery
import importlib.util
import json
import os
import subprocess
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
TOOL = os.path.join(HERE, "vrpspdtw-check")
_loader = importlib.machinery.SourceFileLoader("vrpspdtw_check", TOOL)
_spec = importlib.util.spec_from_loader("vrpspdtw_check", _loader)
chk = importlib.util.module_from_spec(_spec)
_loader.exec_module(chk)

# A line: office at 0, citizens at 1, 2, 3; 10 units between neighbours,
# time equal to distance.
POS = [0, 10, 20, 30]
N = len(POS)
D = [abs(POS[a] - POS[b]) for a in range(N) for b in range(N)]


def base():
    return {
        "problem": {
            "locations": N,
            "profiles": [{"distance": D, "time": D}],
            "jobs": [
                # 0, 1: results to deliver; 2, 3: dossiers to collect.
                {"location": 1, "demand": 1, "service": 5, "kind": "delivery"},
                {"location": 2, "demand": 1, "service": 5, "kind": "delivery", "windows": [[0, 40]]},
                {"location": 2, "demand": 1, "service": 5, "kind": "pickup"},
                {"location": 3, "demand": 1, "service": 5, "kind": "pickup"},
            ],
            "vehicles": [{"start": 0, "end": 0, "shift": [0, 200], "capacity": 2,
                          "break": {"window": [40, 60], "duration": 30}}],
        },
        "solution": {"routes": [{"vehicle": 0, "departure": 0, "jobs": [0, 1, 2, 3], "break_after": 2}],
                     "unassigned": []},
    }


class Cases(unittest.TestCase):
    def verdict(self, case):
        return chk.check(case)

    def test_feasible_day(self):
        # t: 10 arrive j0, 15 leave; 25 j1 (window 0-40), 30 leave; break
        # 40-70 at location 2; j2 70-75; j3 85-90; back 120.
        out = self.verdict(base())
        self.assertTrue(out["feasible"], out["errors"])
        self.assertEqual(out["max_load"], 2)
        self.assertEqual(out["distance"], 60)
        self.assertEqual((out["deliveries"], out["pickups"], out["breaks"]), (2, 2, 1))

    def test_pickups_first_overload(self):
        # Two results on board, the first pickup makes three.
        c = base()
        c["solution"]["routes"][0]["jobs"] = [2, 3, 0, 1]
        c["solution"]["routes"][0]["break_after"] = 4
        out = self.verdict(c)
        self.assertFalse(out["feasible"])
        self.assertIn("carries 3", " ".join(out["errors"]))

    def test_leaves_overloaded(self):
        c = base()
        c["problem"]["jobs"][0]["demand"] = 2
        out = self.verdict(c)
        self.assertFalse(out["feasible"])
        self.assertIn("leaves with 3", " ".join(out["errors"]))

    def test_delivery_window_missed(self):
        c = base()
        c["problem"]["jobs"][1]["windows"] = [[0, 20]]  # reached at 25
        out = self.verdict(c)
        self.assertFalse(out["feasible"])
        self.assertIn("job 1 reached at 25", " ".join(out["errors"]))

    def test_break_too_late(self):
        c = base()
        c["problem"]["vehicles"][0]["break"]["window"] = [40, 45]
        self.assertTrue(self.verdict(c)["feasible"])
        c["solution"]["routes"][0]["break_after"] = 4  # j3 done at 50
        out = self.verdict(c)
        self.assertFalse(out["feasible"])
        self.assertIn("break begins at 50", " ".join(out["errors"]))

    def test_break_at_start_waits(self):
        c = base()
        c["problem"]["vehicles"][0]["break"]["window"] = [0, 5]
        c["solution"]["routes"][0]["break_after"] = 0
        c["problem"]["jobs"][1]["windows"] = [[0, 60]]
        out = self.verdict(c)  # break 0-30, j0 40, j1 55 within 60
        self.assertTrue(out["feasible"], out["errors"])

    def test_break_missing_or_extra(self):
        c = base()
        c["solution"]["routes"][0]["break_after"] = None
        self.assertIn("takes no break", " ".join(self.verdict(c)["errors"]))
        c = base()
        c["problem"]["vehicles"][0]["break"] = None
        self.assertIn("no break to take", " ".join(self.verdict(c)["errors"]))

    def test_cod_skill(self):
        c = base()
        c["problem"]["jobs"][0]["skills"] = 1  # a fee to collect
        out = self.verdict(c)
        self.assertFalse(out["feasible"])
        self.assertIn("needs skills 1", " ".join(out["errors"]))
        c["problem"]["vehicles"][0]["skills"] = 3
        self.assertTrue(self.verdict(c)["feasible"])

    def test_allowed(self):
        c = base()
        c["problem"]["jobs"][3]["allowed"] = [1]
        self.assertIn("may not ride", " ".join(self.verdict(c)["errors"]))

    def test_max_duration_from_departure(self):
        c = base()
        c["problem"]["vehicles"][0]["max_duration"] = 119
        self.assertIn("out 120", " ".join(self.verdict(c)["errors"]))
        c["problem"]["vehicles"][0]["max_duration"] = 120
        self.assertTrue(self.verdict(c)["feasible"])

    def test_shift_end(self):
        c = base()
        c["problem"]["vehicles"][0]["shift"] = [0, 119]
        self.assertIn("back at 120", " ".join(self.verdict(c)["errors"]))

    def test_every_job_once(self):
        c = base()
        c["solution"]["unassigned"] = [3]
        self.assertIn("job 3 appears 2 times", " ".join(self.verdict(c)["errors"]))
        c = base()
        c["solution"]["routes"][0]["jobs"] = [0, 1, 2]
        self.assertIn("job 3 appears 0 times", " ".join(self.verdict(c)["errors"]))

    def test_alternative_windows(self):
        c = base()
        c["problem"]["jobs"][3]["windows"] = [[0, 50], [100, 110]]
        out = self.verdict(c)  # reached at 85: waits for 100, back at 135
        self.assertTrue(out["feasible"], out["errors"])
        c["problem"]["vehicles"][0]["max_duration"] = 130
        self.assertFalse(self.verdict(c)["feasible"])

    def test_claimed_distance(self):
        c = base()
        c["solution"]["distance"] = 61
        self.assertIn("claimed distance", " ".join(self.verdict(c)["errors"]))

    def test_cli(self):
        case = json.dumps(base()).encode()
        r = subprocess.run([sys.executable, TOOL, "-"], input=case, capture_output=True)
        self.assertEqual(r.returncode, 0, r.stdout)
        self.assertTrue(json.loads(r.stdout)["feasible"])
        bad = copy.deepcopy(base())
        bad["solution"]["routes"][0]["break_after"] = 4
        bad["problem"]["vehicles"][0]["break"]["window"] = [40, 45]
        r = subprocess.run([sys.executable, TOOL, "-"], input=json.dumps(bad).encode(), capture_output=True)
        self.assertEqual(r.returncode, 1)
        r = subprocess.run([sys.executable, TOOL, "-"], input=b"\xff{", capture_output=True)
        self.assertEqual(r.returncode, 2)


if __name__ == "__main__":
    unittest.main()
