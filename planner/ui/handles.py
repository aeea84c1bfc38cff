"""Which needle end a press grabs when several are drawn under the pointer."""

from __future__ import annotations

from collections.abc import Callable, Iterable

TIE_PX = 1.5        # ends drawn this close to the nearest one count as under the pointer

Handle = tuple      # (needle key (level index, side), "entry" or "target", LPS point)


def nearest_handle(hits: Iterable[tuple[float, Handle]], limit_px: float,
                   preferred: Callable[[], tuple | None] | None = None) -> Handle | None:
    """The end drawn nearest the pointer within ``limit_px``; of the ends drawn within
    ``TIE_PX`` of the nearest, the preferred needle's (the selected side of the current
    level). On a true lateral view the left and right tips of a symmetric plan are drawn
    on the same pixel: the press must grab the needle the user is working on, not
    whichever was drawn last."""
    near = [(d, h) for d, h in hits if d <= limit_px]
    if not near:
        return None
    best = min(d for d, _ in near)
    want = preferred() if preferred is not None else None
    for d, h in near:
        if d <= best + TIE_PX and h[0] == want:
            return h
    return min(near, key=lambda x: x[0])[1]
