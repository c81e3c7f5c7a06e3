#!/usr/bin/env python3
"""Makes bertc's private copies of its LibTorch (see src/front/front.c for why).

  python3 scripts/isolate_torch.py OUT_DIR LIBTORCH... [--patchelf PATCHELF]

Copies the Torch libraries LIBTORCH... (libtorch.so, libtorch_cpu.so, ...) and those of their
dependency closure (libtorch*, libc10*, libtensorpipe*,
found with ldd) into OUT_DIR, keeping their file names and SONAMEs, rewrites every STB_GNU_UNIQUE
dynamic symbol binding to STB_GLOBAL (so that another Torch's inline statics in the same process are
not merged with these), and sets each copy's RPATH to $ORIGIN (the copies find each other first).
Idempotent: an up-to-date copy (same source size and mtime, recorded in OUT_DIR/.sources) is kept.
Prints one line per library."""
import json
import os
import re
import struct
import subprocess
import sys

TORCH_NAMES = re.compile(r"^(libtorch[\w]*|libc10[\w]*|libtensorpipe[\w]*)\.so")
STB_GLOBAL, STB_GNU_UNIQUE, SHT_DYNSYM = 1, 10, 11


def rewrite_unique(data):
    """In-place: every .dynsym STB_GNU_UNIQUE binding -> STB_GLOBAL. Returns how many."""
    if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
        raise SystemExit("isolate_torch: not a little-endian ELF64 file")
    e_shoff, = struct.unpack_from("<Q", data, 0x28)
    e_shentsize, e_shnum = struct.unpack_from("<HH", data, 0x3A)
    n = 0
    for i in range(e_shnum):
        off = e_shoff + i * e_shentsize
        sh_type, = struct.unpack_from("<I", data, off + 4)
        if sh_type != SHT_DYNSYM:
            continue
        sh_offset, sh_size = struct.unpack_from("<QQ", data, off + 0x18)
        sh_entsize, = struct.unpack_from("<Q", data, off + 0x38)
        for s in range(sh_offset, sh_offset + sh_size, sh_entsize):
            info = data[s + 4]
            if info >> 4 == STB_GNU_UNIQUE:
                data[s + 4] = (STB_GLOBAL << 4) | (info & 0xF)
                n += 1
    return n


def soname(path):
    text = subprocess.run(["objdump", "-p", path], check=True, capture_output=True, text=True).stdout
    m = re.search(r"SONAME\s+(\S+)", text)
    return m.group(1) if m else os.path.basename(path)


def closure(lib):
    out = {soname(lib): os.path.realpath(lib)}
    text = subprocess.run(["ldd", lib], check=True, capture_output=True, text=True).stdout
    for line in text.splitlines():
        m = re.match(r"\s*(\S+) => (\S+)", line)
        if m and TORCH_NAMES.match(m.group(1)) and os.path.exists(m.group(2)):
            out[m.group(1)] = os.path.realpath(m.group(2))
    return out


def main():
    args = sys.argv[1:]
    patchelf = "patchelf"
    if "--patchelf" in args:
        i = args.index("--patchelf")
        patchelf = args[i + 1]
        del args[i:i + 2]
    if len(args) < 2:
        raise SystemExit(__doc__)
    out_dir, roots = args[0], args[1:]
    os.makedirs(out_dir, exist_ok=True)
    stamp_path = os.path.join(out_dir, ".sources")
    try:
        with open(stamp_path, encoding="utf-8") as f:
            stamps = json.load(f)
    except (OSError, ValueError):
        stamps = {}
    libs = {}
    for root in roots:
        libs.update(closure(root))
    for name, src in sorted(libs.items()):
        st = os.stat(src)
        key = f"{src}:{st.st_size}:{int(st.st_mtime)}"
        dst = os.path.join(out_dir, name)
        if stamps.get(name) == key and os.path.exists(dst):
            print(f"isolate_torch: {name}: up to date")
            continue
        data = bytearray(open(src, "rb").read())
        n = rewrite_unique(data)
        tmp = dst + ".tmp"
        with open(tmp, "wb") as f:
            f.write(data)
        os.chmod(tmp, 0o644)
        subprocess.run([patchelf, "--set-rpath", "$ORIGIN", tmp], check=True)
        os.replace(tmp, dst)
        stamps[name] = key
        print(f"isolate_torch: {name}: {n} STB_GNU_UNIQUE -> STB_GLOBAL, RPATH $ORIGIN (from {src})")
    with open(stamp_path, "w", encoding="utf-8") as f:
        json.dump(stamps, f, indent=1)
    os.utime(out_dir)


if __name__ == "__main__":
    main()
