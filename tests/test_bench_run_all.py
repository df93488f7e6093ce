"""bench/run_all.py's collector: RESULT lines of a benchmark's output into the one-session table (no benchmark run)."""

import importlib.util
from datetime import datetime
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent.parent / "bench" / "run_all.py"


def load():
    spec = importlib.util.spec_from_file_location("bench_run_all", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


OUTPUT = """what is compared: ...
RESULT {"bench": "revrec", "measure": "build: OCA / ours", "size": "1,000 obligations", "median": 12.1, "low": 10.1, "high": 17.6, "unit": "x", "target": ">= 3x", "met": true}
RESULT {not json
  RESULT {"bench": "indented", "measure": "not a RESULT line"}
RESULT {"bench": "cpq_contracts", "measure": "posted: OCA / ours", "size": "1000 contracts", "median": 1.44, "low": 1.2, "high": 1.6, "unit": "x", "target": ">= 1.5x", "met": false}
RESULT {"bench": "analytics_kpis", "measure": "get_kpis", "size": "985,770 items", "median": 1784.2, "low": 1700.1, "high": 1900, "unit": "ms", "target": "< 2000 ms", "met": true}
"""  # noqa: E501 - the lines are as benchmarks print them


def test_collector_reads_result_lines_and_builds_the_table(tmp_path, capsys):
    run_all = load()
    results = run_all.parse_results(OUTPUT)
    # the malformed line and the one not starting with RESULT are left out, the order is kept
    assert [(r["bench"], r["median"]) for r in results] == [("revrec", 12.1), ("cpq_contracts", 1.44),
                                                            ("analytics_kpis", 1784.2)]
    rows = run_all.table(results).splitlines()
    assert rows[0] == "| bench | measure | size | median | per-round range | unit | target | met |"
    assert rows[2] == "| revrec | build: OCA / ours | 1,000 obligations | 12.10 | 10.10 – 17.60 | x | >= 3x | yes |"
    assert rows[3].endswith("| 1.44 | 1.20 – 1.60 | x | >= 1.5x | **no** |")  # a missed target stands out
    assert "| 1,784 | 1,700 – 1,900 | ms |" in rows[4]
    log = tmp_path / "revrec.log"
    log.write_text(OUTPUT)
    out = tmp_path / "table.md"
    assert run_all.main(["--collect", str(log), "--out", str(out)]) == 0
    assert out.read_text().count("\n| ") == 4  # header and three rows
    empty = tmp_path / "empty.log"
    empty.write_text("no figures\n")
    assert run_all.main(["--collect", str(empty)]) == 1  # nothing collected is a failure, not an empty success
    capsys.readouterr()


def test_durations_table_adds_up_the_total():
    run_all = load()
    text = run_all.durations_table([("cpq_quote", 0, 372.0, 4), ("revrec", 1, 60.0, 0)])
    assert "| cpq_quote | 0 | 6.2 min | 4 |" in text
    assert "| **total** | | **7.2 min** | 4 |" in text
    report = run_all.report([], [("revrec", 1, 60.0, 0)], "quick", datetime(2026, 12, 3))
    assert "No figures or a failed run (see their logs): revrec." in report
