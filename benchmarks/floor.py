"""The floor under a build and a check: plain Python writing, or reading, the same files.

    python benchmarks/floor.py pack TREE ARCHIVE   # every file of TREE (path, mode, bytes)
    python benchmarks/floor.py write ARCHIVE DEST  # DEST/<path> for each, as a build does
    python benchmarks/floor.py read DEST           # each file of DEST read once, as check does
    python benchmarks/floor.py highlight PROJECT   # Pygments alone on the site's blocks

``write`` is one process doing the least a build must: the same bytes to the same paths, with
the same modes, one folder made once, no comparison, no staging, no record. ``read`` reads every
file once. Timed as whole processes beside ``meshgen build`` and ``meshgen check`` of the same
tree on the same (memory-backed) file system, they give ratios that a busy machine does not
blur as much as absolute times.

``highlight`` builds PROJECT's site (into a scratch folder) in this one process and prints
how many bytes of generated files the site highlights and the processor time Pygments takes on
them: the floor under ``meshgen docs``, which cannot make those pages faster than Pygments
highlights them, spread over the machine's cores.
"""

from __future__ import annotations

import os
import pickle
import sys
from pathlib import Path

Files = list[tuple[str, int, bytes]]


def pack(tree: Path, archive: Path) -> int:
    """Every regular file under ``tree`` as (relative path, mode, bytes), in one file."""
    files: Files = []
    for folder, _, names in os.walk(tree):
        for name in names:
            path = os.path.join(folder, name)
            with open(path, "rb") as handle:
                files.append((os.path.relpath(path, tree), os.stat(path).st_mode & 0o777,
                              handle.read()))
    files.sort()
    archive.write_bytes(pickle.dumps(files, protocol=pickle.HIGHEST_PROTOCOL))
    return len(files)


def write(archive: Path, dest: Path) -> None:
    files: Files = pickle.loads(archive.read_bytes())
    made = set()
    for path, mode, data in files:
        folder = os.path.dirname(path)
        if folder not in made:
            os.makedirs(os.path.join(dest, folder), exist_ok=True)
            made.add(folder)
        fd = os.open(os.path.join(dest, path), os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
        finally:
            os.close(fd)


def read(dest: Path) -> int:
    total = 0
    for folder, _, names in os.walk(dest):
        for name in names:
            with open(os.path.join(folder, name), "rb") as handle:
                total += len(handle.read())
    return total


def highlight(project: Path) -> tuple[int, float]:
    """Bytes highlighted and Pygments' processor seconds for them, over one docs build."""
    import tempfile
    import time

    from generator.cli import main as meshgen
    from generator.docs import ahead
    from generator.docs import highlight as module

    spent, size = [0.0], [0]
    plain = module.highlighted

    def timed(text: str, language: str) -> str:
        start = time.process_time()
        try:
            return plain(text, language)
        finally:
            spent[0] += time.process_time() - start
            size[0] += len(text.encode("utf-8"))

    module.highlighted = timed
    ahead.workers_to_fork = lambda: 0  # every block made here, where it is timed
    os.chdir(project)
    with tempfile.TemporaryDirectory() as site:
        sys.argv = ["meshgen", "docs", "-d", site]
        try:
            meshgen()
        except SystemExit as exit_:
            if exit_.code:
                raise
    return size[0], spent[0]


def main(argv: list[str]) -> int:
    if len(argv) == 3 and argv[0] == "pack":
        print(pack(Path(argv[1]), Path(argv[2])))
    elif len(argv) == 3 and argv[0] == "write":
        write(Path(argv[1]), Path(argv[2]))
    elif len(argv) == 2 and argv[0] == "read":
        print(read(Path(argv[1])))
    elif len(argv) == 2 and argv[0] == "highlight":
        size, seconds = highlight(Path(argv[1]).resolve())
        print(size, f"{seconds:.3f}")
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
