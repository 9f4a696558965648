#!/usr/bin/env python3
"""Regenerates Sources/Batchwise/Data/digits.csv.gz, the built-in digits, from scikit-learn's
copy of the UCI optical handwritten digits (sklearn/datasets/data/digits.csv.gz, CC BY 4.0).

Usage: tools/make-digits-resource.py path/to/digits.csv.gz > Sources/Batchwise/Data/digits.csv.gz
(get the file with: pip download --no-deps --only-binary=:all: scikit-learn, then unzip it).

Each sample becomes one CSV line without a header: 64 pixels (integers 0..16), then the label
digit, in scikit-learn's order. The output is gzip with no name and no time stamp, so the same
input always gives the same bytes. SwiftPM embeds it in the code (`.embedInCode`), so no
resource bundle is looked up at run time; `Dataset.digits()` reads it with the gzip reader
and `CSVLoader`, and scales the pixels to 0...1.
"""
import gzip, sys

rows = [line.strip().split(",") for line in gzip.open(sys.argv[1], "rt") if line.strip()]
assert len(rows) == 1797 and all(len(r) == 65 for r in rows)
lines = []
for r in rows:
    pixels = [int(float(v)) for v in r[:64]]
    assert all(0 <= p <= 16 and p == float(v) for p, v in zip(pixels, r[:64]))
    label = int(float(r[64]))
    assert 0 <= label <= 9
    lines.append(",".join(map(str, pixels + [label])) + "\n")
sys.stdout.buffer.write(gzip.compress("".join(lines).encode("ascii"), compresslevel=9, mtime=0))
