"""Long-lived processes hide what loading the app allocated from the garbage collector.

A full (generation 2) collection walks every object the collector tracks. Once the app and
its libraries are loaded a process holds some 200,000 (modules, mappers, schemas, the FCM
client), and the collector cannot know they live for good: each full collection walked them
all, stopping every thread meanwhile. gc.freeze moves the objects alive now to a permanent
generation no collection walks, so a full collection walks only what the work since left.
"""

from __future__ import annotations

import gc


def freeze_loaded() -> None:
    """Collect what is garbage now, then exempt every object still alive from later collections."""
    gc.collect()
    gc.freeze()
