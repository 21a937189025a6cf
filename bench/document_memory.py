"""Peak memory of `huntfeed analyze` on 50 MB inputs of each kind (issue 12: under 500 MB whatever the input).

Run: python bench/document_memory.py [MB]   (default 50). Each input goes to a fresh process whose
peak resident set (ru_maxrss) and CPU time are printed; nothing is asserted here (see
tests/hostile/test_documents.py for the bound).
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

LINE = "The actor staged tools at 185.220.101.23 and ran vssadmin delete shadows /all before encrypting.\n"
PARA = "<p>" + LINE.strip() + "</p>\n"
MEASURE = ("import resource, sys\nfrom huntfeed.cli import main\nsys.argv = ['huntfeed', *sys.argv[1:]]\n"
           "try:\n    main()\nfinally:\n    r = resource.getrusage(resource.RUSAGE_SELF)\n"
           "    print('maxrss', r.ru_maxrss // 1024, 'cpu', round(r.ru_utime + r.ru_stime, 1), file=sys.stderr)\n")


def _write(path: Path, unit: str, mb: int, head: str = "", tail: str = "") -> Path:
    with path.open("w") as fh:
        fh.write(head)
        for _ in range(mb * 1024 * 1024 // len(unit)):
            fh.write(unit)
        fh.write(tail)
    return path


def main() -> None:
    mb = int(sys.argv[1]) if len(sys.argv) > 1 else 50
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        text = _write(d / "big.txt", LINE, mb)
        html = _write(d / "big.html", PARA, mb, "<html><body><article>", "</article></body></html>")
        jsonl = d / "big.jsonl"
        jsonl.write_text(json.dumps({"id": "big", "text": LINE * (mb * 1024 * 1024 // len(LINE))}) + "\n")
        cases = [("text file", ["analyze", str(text), "--format", "json"], None),
                 ("HTML file", ["analyze", str(html), "--format", "json"], None),
                 ("stdin", ["analyze", "-", "--format", "json"], text),
                 ("--jsonl line", ["analyze", "--jsonl", str(jsonl)], None)]
        for name, args, stdin in cases:
            with stdin.open("rb") if stdin else open("/dev/null", "rb") as inp:
                proc = subprocess.run([sys.executable, "-c", MEASURE, *args], stdin=inp, capture_output=True,
                                      text=True)
            figures = proc.stderr.rsplit("maxrss", 1)[-1].split()
            print(f"{name:14} {mb} MB: exit {proc.returncode}, peak RSS {figures[0]} MB, CPU {figures[2]} s")


if __name__ == "__main__":
    main()
