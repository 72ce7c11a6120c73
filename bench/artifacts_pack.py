"""Benchmark: save a 1 GiB directory with pack_path vs `tar czf` on the same data.

Target: pack_path at >= 0.9 of tar czf's speed (ratio = tar czf seconds / pack_path seconds).
Data: 64 files of 16 MiB, each a mix of random bytes and repeated text (compresses ~2-3x).
Run: .venv/bin/python bench/artifacts_pack.py [--mib 1024] [--dir /tmp] [--fallback]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from wfexec.artifacts import pack
from wfexec.artifacts.pack import pack_path

TEXT = b"step=%d loss=0.%06d accuracy=0.%04d lr=0.001 epoch=%d\n"


def make_data(root: Path, total_mib: int, file_mib: int = 16) -> None:
    rnd = os.urandom(1 << 20)
    for i in range(max(1, total_mib // file_mib)):
        sub = root / f"part-{i // 16:02d}"
        sub.mkdir(parents=True, exist_ok=True)
        with open(sub / f"shard-{i:03d}.bin", "wb") as f:
            for j in range(file_mib):
                if j % 3 == 0:  # a third incompressible
                    f.write(rnd[j * 4099 % 1000:] + rnd[: j * 4099 % 1000])
                else:
                    lines = b"".join(TEXT % (k, (k * 7919 + j) % 999999, k % 9999, i) for k in range(20000))
                    f.write((lines * (((1 << 20) // len(lines)) + 1))[: 1 << 20])


def timed(fn) -> float:  # noqa: ANN001
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mib", type=int, default=1024)
    ap.add_argument("--dir", default=None)
    ap.add_argument("--fallback", action="store_true", help="also time the tarfile fallback")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="wfexec-bench-pack-", dir=args.dir))
    try:
        data = work / "data"
        make_data(data, args.mib)
        size = sum(f.stat().st_size for f in data.rglob("*") if f.is_file())
        subprocess.run(["tar", "cf", "/dev/null", "-C", str(work), "data"], check=True)  # warm the cache
        t_tar = timed(lambda: subprocess.run(["tar", "czf", str(work / "ref.tgz"), "-C", str(work), "data"],
                                             check=True))
        t_pack = timed(lambda: pack_path(str(data), str(work / "ours.tgz"), None))
        t_fallback = None
        if args.fallback:  # no GNU tar on PATH: tarfile feeds the same parallel gzip
            real = pack.gnu_tar
            pack.gnu_tar = lambda: None  # type: ignore[assignment]
            try:
                t_fallback = timed(lambda: pack_path(str(data), str(work / "fb.tgz"), None))
            finally:
                pack.gnu_tar = real  # type: ignore[assignment]
        mib = size / (1 << 20)
        print(f"data: {mib:.0f} MiB in {sum(1 for _ in data.rglob('*.bin'))} files, cpus={os.cpu_count()}")
        print(f"tar czf : {t_tar:6.2f} s  {mib / t_tar:7.1f} MiB/s  -> {(work / 'ref.tgz').stat().st_size >> 20} MiB")
        print(f"pack_path: {t_pack:6.2f} s  {mib / t_pack:7.1f} MiB/s  -> {(work / 'ours.tgz').stat().st_size >> 20} MiB")
        if t_fallback:
            print(f"pack_path, tarfile fallback: {t_fallback:6.2f} s  {mib / t_fallback:7.1f} MiB/s  "
                  f"ratio {t_tar / t_fallback:.2f}")
        print(f"speed ratio (tar czf time / pack_path time): {t_tar / t_pack:.2f}  (target >= 0.90)")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
