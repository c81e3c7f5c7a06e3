"""Keeps a process alive when bertc's LibTorch cannot live beside another Torch.

A libbertc built with BERTC_ISOLATE_TORCH (the default of a source build) runs on private copies of
its LibTorch (<libdir>/bertc-torch/) and works next to any `torch` in either import order: then this
module does nothing. A libbertc that shares the system's LibTorch (the Debian package, or a build with
-DBERTC_ISOLATE_TORCH=OFF) works next to the same LibTorch (Debian's python3-torch), but another
Torch's start-up code would crash the process. bertc's front library already refuses to start when
another Torch was loaded first (bert_check_version -> ImportError); this module covers the other
order: a later `import torch` of another build raises ImportError naming both, instead of a crash."""
import importlib.abc
import importlib.machinery
import os
import re
import sys


def _mapped_c10():
    """Real paths of every libc10 mapped into this process."""
    out = set()
    try:
        with open("/proc/self/maps", encoding="utf-8") as f:
            for line in f:
                parts = line.split(None, 5)
                if len(parts) == 6 and re.match(r"libc10\.so", os.path.basename(parts[5].strip())):
                    out.add(os.path.realpath(parts[5].strip()))
    except OSError:
        pass
    return out


def _torch_version(torch_dir):
    try:
        with open(os.path.join(torch_dir, "version.py"), encoding="utf-8") as f:
            m = re.search(r"__version__\s*=\s*['\"]([^'\"]+)", f.read())
            return m.group(1) if m else "unknown"
    except OSError:
        return "unknown"


class _Guard(importlib.abc.MetaPathFinder):
    def __init__(self, ours):
        self._ours = ours

    def find_spec(self, name, path, target=None):
        if name != "torch":
            return None
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        if spec is None or not spec.origin:
            return None
        torch_dir = os.path.dirname(spec.origin)
        theirs = os.path.realpath(os.path.join(torch_dir, "lib", "libc10.so"))
        if os.path.exists(theirs) and theirs not in self._ours:
            ours = ", ".join(sorted(self._ours)) or "?"
            raise ImportError(
                f"bertc: cannot import torch {_torch_version(torch_dir)} ({torch_dir}): this process already runs "
                f"bertc on the system's LibTorch ({ours}), and two Torch builds in one process crash it. Use a "
                f"libbertc built with its own LibTorch copies (cmake -DBERTC_ISOLATE_TORCH=ON, the default of a "
                f"source build), or the Torch bertc was built against (Debian's python3-torch).")
        return None


def install_if_needed():
    mapped = _mapped_c10()
    if any(os.sep + "bertc-torch" + os.sep in p for p in mapped):
        return False  # isolated: any torch may follow
    if any(isinstance(f, _Guard) for f in sys.meta_path):
        return True
    sys.meta_path.insert(0, _Guard(mapped))
    return True
