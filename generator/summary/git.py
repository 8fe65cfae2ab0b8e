"""Topology files as they were at a git revision, read through git itself: nothing is checked
out, the working tree and the index are left as they are.

The revision a change is reviewed against is, by default, where the current branch left the
repository's default branch (``git merge-base HEAD <default>``): the default branch is the one
``origin/HEAD`` names, else ``main``, else ``master``.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from ..errors import UsageError

GIT_LIMIT = 60.0
"""Seconds one git command may take; only stops a hung git."""


@dataclass(frozen=True)
class Repository:
    root: Path
    """The work tree's top folder."""

    def git(self, *args: str) -> bytes:
        try:
            done = subprocess.run(["git", "-C", str(self.root), *args], capture_output=True,
                                  timeout=GIT_LIMIT, check=False)
        except FileNotFoundError:
            raise UsageError("git is not installed; meshgen review reads the base revision "
                             "with git") from None
        except subprocess.TimeoutExpired:
            raise UsageError(f"git {' '.join(args)} did not finish in {GIT_LIMIT:.0f} s") from None
        if done.returncode != 0:
            message = done.stderr.decode("utf-8", "replace").strip().splitlines()
            raise UsageError(f"git {' '.join(args)}: {message[-1] if message else 'failed'}")
        return done.stdout

    def resolve(self, revision: str) -> str:
        """The commit ``revision`` names (refusing anything that is not a commit)."""
        if revision.startswith("-"):
            raise UsageError(f"{revision!r} is not a revision")
        return self.git("rev-parse", "--verify", "--quiet", "--end-of-options",
                        f"{revision}^{{commit}}").decode().strip()

    def default_base(self) -> str:
        """Where HEAD left the default branch."""
        for candidate in self._default_branches():
            if self._exists(candidate):
                return self.git("merge-base", "HEAD", candidate).decode().strip()
        raise UsageError("no default branch to compare with (no origin/HEAD, main or master); "
                         "name the base revision: meshgen review BASE")

    def _default_branches(self) -> list[str]:
        found = []
        try:
            head = self.git("symbolic-ref", "--quiet", "refs/remotes/origin/HEAD").decode()
            found.append(head.strip())
        except UsageError:
            pass
        return [*found, "refs/heads/main", "refs/heads/master"]

    def _exists(self, ref: str) -> bool:
        try:
            self.git("rev-parse", "--verify", "--quiet", ref)
        except UsageError:
            return False
        return True

    def relative(self, path: Path) -> str:
        """``path`` as git names it at a revision (relative to the top, ``/`` separated)."""
        return PurePosixPath(path.resolve().relative_to(self.root).as_posix()).as_posix()

    def files(self, commit: str, folder: Path, suffixes: tuple[str, ...]) -> list[str]:
        """Files directly in ``folder`` at ``commit`` whose names end in ``suffixes``."""
        prefix = self.relative(folder).strip(".").strip("/")
        listing = self.git("ls-tree", "-z", "--name-only", commit, "--",
                           f"{prefix}/" if prefix else ".")
        names = [n for n in listing.decode("utf-8", "surrogateescape").split("\0") if n]
        return sorted(n for n in names if n.endswith(suffixes))

    def read(self, commit: str, path: str) -> bytes:
        return self.git("cat-file", "blob", f"{commit}:{path}")


def repository(start: Path) -> Repository:
    """The git work tree ``start`` is in."""
    try:
        top = subprocess.run(["git", "-C", str(start), "rev-parse", "--show-toplevel"],
                             capture_output=True, timeout=GIT_LIMIT, check=False)
    except FileNotFoundError:
        raise UsageError("git is not installed; meshgen review reads the base revision with "
                         "git") from None
    if top.returncode != 0:
        raise UsageError(f"{start.resolve()} is not in a git repository; meshgen review "
                         "compares with a git revision")
    return Repository(Path(top.stdout.decode().strip()).resolve())


def at_head(path: Path) -> bytes | None:
    """The file ``path`` as committed at HEAD; None outside git or when it is not there."""
    try:
        repo = repository(path.parent if path.parent != Path("") else Path("."))
        return repo.read("HEAD", repo.relative(path))
    except (UsageError, ValueError):
        return None
