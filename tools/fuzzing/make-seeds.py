#!/usr/bin/env python3
"""Writes the fuzz seed corpora under tools/fuzzing/corpus/TARGET/: small valid files of each
format (plain and gzip), made byte for byte here with the standard library so that the same
files come out on every machine. The checkpoint seed is not made here (its header is the
library's JSON); see README.md for how corpus/FuzzCheckpoint/ was made.

Run from anywhere: python3 tools/fuzzing/make-seeds.py
"""
import gzip
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))


def write(target, name, data):
    folder = os.path.join(HERE, "corpus", target)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data)


def gz(data):
    return gzip.compress(data, mtime=0)


# CSV: header or not, class labels or numbers, quoting, other delimiters, a BOM, CRLF.
csvs = {
    "labels-last.csv": b"0.1,0.2,0\n0.3,0.4,1\n0.5,0.6,0\n0.7,0.8,1\n",
    "header.csv": b"x1,x2,label\n1,2,cat\n3,4,dog\n5,6,cat\n",
    "regression.csv": b"a;b;y\n1.5;-2e3;0.25\n3;4;5.5\n",
    "quoted.csv": b'"f 1","f,2","class"\n"1","2","a ""b"""\n3,4,c\n',
    "tabs-crlf.csv": b"\xef\xbb\xbf1\t2\t3\r\n4\t5\t6\r\n",
    "pipe.csv": b"1|2|3|0\n4|5|6|1\n7|8|9|2\n",
    "missing.csv": b"1,,0\n2,3,1\n,4,0\n",
}
for name, data in csvs.items():
    write("FuzzCSV", name, data)


# IDX: two zero bytes, type code, dimension count, big-endian UInt32 sizes, big-endian values.
def idx(code, fmt, shape, values):
    header = bytes([0, 0, code, len(shape)]) + b"".join(struct.pack(">I", n) for n in shape)
    return header + b"".join(struct.pack(">" + fmt, v) for v in values)


idxs = {
    "images-u8.idx": idx(0x08, "B", [2, 3, 3], range(18)),
    "labels-u8.idx": idx(0x08, "B", [4], [0, 1, 2, 9]),
    "i8.idx": idx(0x09, "b", [2, 2], [-1, 2, -3, 4]),
    "i16.idx": idx(0x0B, "h", [3], [-300, 0, 300]),
    "i32.idx": idx(0x0C, "i", [2, 1], [-70000, 70000]),
    "f32.idx": idx(0x0D, "f", [2, 2], [0.5, -1.25, 3.0, 1e-3]),
    "f64.idx": idx(0x0E, "d", [3], [1.0, -2.5, 1e10]),
}
for name, data in idxs.items():
    write("FuzzIDX", name, data)
write("FuzzIDX", "images-u8.idx.gz", gz(idxs["images-u8.idx"]))
write("FuzzIDX", "f32.idx.gz", gz(idxs["f32.idx"]))


# NPY: \x93NUMPY, version, header length, Python-literal header padded to 64 bytes, data.
def npy(descr, shape, fmt, values, version=(1, 0), fortran=False):
    shape_text = "(" + "".join(f"{n}, " for n in shape).rstrip(" ") + ")" if len(shape) != 1 else f"({shape[0]},)"
    header = f"{{'descr': '{descr}', 'fortran_order': {fortran}, 'shape': {shape_text}, }}".encode()
    length_size = 2 if version[0] == 1 else 4
    total = 6 + 2 + length_size + len(header) + 1
    header += b" " * ((64 - total % 64) % 64) + b"\n"
    length = struct.pack("<H" if length_size == 2 else "<I", len(header))
    return b"\x93NUMPY" + bytes(version) + length + header + b"".join(struct.pack("<" + fmt, v) for v in values)


npys = {
    "f32-2x3.npy": npy("<f4", [2, 3], "f", [0.0, 1.0, -2.0, 3.5, 1e-7, 100.0]),
    "f64.npy": npy("<f8", [3], "d", [1.0, 2.0, 3.0]),
    "u8-images.npy": npy("|u1", [2, 2, 2], "B", range(8)),
    "i64-labels.npy": npy("<i8", [4], "q", [0, 1, 2, 3]),
    "i32.npy": npy("<i4", [2, 2], "i", [-1, 0, 1, 2]),
    "scalar.npy": npy("<f4", [], "f", [7.0]),
    "v2.npy": npy("<f4", [2], "f", [1.0, 2.0], version=(2, 0)),
    "v3.npy": npy("<i2", [2], "h", [1, -1], version=(3, 0)),
    "bool.npy": npy("|b1", [3], "B", [1, 0, 1]),
}
for name, data in npys.items():
    write("FuzzNPY", name, data)
write("FuzzNPY", "f32-2x3.npy.gz", gz(npys["f32-2x3.npy"]))
write("FuzzNPY", "u8-images.npy.gz", gz(npys["u8-images.npy"]))


# Model specs: each layer kind the grammar knows, keyword arguments, nesting, several lines.
specs = {
    "mlp.txt": "flatten dense(128) relu dense(10)",
    "conv.txt": "conv2d(6,5,padding=2) relu maxpool2d(2) conv2d(16, kernel=5) relu avgpool2d(2, stride=1) flatten dense(10)",
    "residual.txt": "flatten dense(32) residual(dense(32), relu, dense(32)) layernorm globalavgpool dense(10)",
    "lines.txt": "# one layer a line\nreshape(1, 16)\nconv1d(4, 3)  # a comment\nleakyrelu(slope=0.1)\nmaxpool1d(2)\ndropout(0.5)\nflatten\ndense(2)",
    "activations.txt": "flatten dense(16) tanh dense(16) sigmoid dense(16) gelu dense(3)",
}
for name, text in specs.items():
    write("FuzzModelSpec", name, text.encode())
