"""Named points of a write where a test can hold the process still; nothing else uses them.

With ``MESHGEN_TEST_PAUSE=POINT=FOLDER`` in its environment, a process that reaches ``POINT``
writes its process id into the FIFO ``FOLDER/reached`` (waiting there until the test reads
it) and then waits until the test writes a line into the FIFO ``FOLDER/resume``. Tests force
an order between two processes this way, or kill one at an exact point, instead of sleeping
and hoping. Without the variable a point costs one dictionary look-up.
"""

from __future__ import annotations

import os

VARIABLE = "MESHGEN_TEST_PAUSE"

POINTS = {
    "locking": "about to take the output folder's lock",
    "locked": "holding the lock, interrupted writes recovered, nothing compared yet",
    "swapped": "a tree swapped in, the build record not yet written (the lock still held)",
    "retired": "the old tree moved aside, the new one not yet in its place (the swap made of "
               "two renames only)",
}


def pause(point: str) -> None:
    """Wait at ``point`` when a test asked for it."""
    spec = os.environ.get(VARIABLE)
    if not spec:
        return
    name, _, folder = spec.partition("=")
    if name != point:
        return
    with open(os.path.join(folder, "reached"), "w", encoding="ascii") as reached:
        reached.write(f"{os.getpid()}\n")
    with open(os.path.join(folder, "resume"), encoding="ascii") as resume:
        resume.readline()
