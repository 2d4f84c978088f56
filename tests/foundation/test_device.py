"""The device module: freed memory kept for reuse (in a fresh process)."""

from __future__ import annotations

_FAULTS_SCRIPT = """
import platform, resource, torch
from minicgmvae.device import keep_freed_memory

def faults():  # buffers allocated, written and freed, round after round, as in training
    f0 = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(5):
        # 64 MiB each: above the largest size (32 MiB) up to which glibc, left to itself,
        # learns to keep freed blocks, so that by default every round maps fresh pages
        buffers = [torch.ones(16 << 20) for _ in range(2)]
        del buffers
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - f0

faults()
before = faults()
applied = keep_freed_memory()
faults()
print(platform.system(), platform.libc_ver()[0], before, applied, faults())
"""


def test_keep_freed_memory_stops_the_page_faults_of_repeated_buffers():
    import subprocess
    import sys

    # a fresh process: the setting is process-wide, and the "before" must be glibc's default
    out = subprocess.run(
        [sys.executable, "-c", _FAULTS_SCRIPT], capture_output=True, text=True, check=True
    )
    system, libc, before, applied, after = out.stdout.split()
    if system == "Linux" and libc == "glibc":
        assert applied == "True"
        # 5 rounds of 128 MiB: a fault per 4 KiB page by default, next to none once kept
        assert int(before) > 10_000, before
        assert int(after) < int(before) / 20, (before, after)
    else:  # elsewhere it must say that it did nothing
        assert applied == "False"
