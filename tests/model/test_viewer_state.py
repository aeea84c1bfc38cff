import numpy as np
import pytest

from planner.core.volume import Volume
from planner.model.signal import Signal
from planner.model.viewer_state import WINDOW_PRESETS, ViewerState


def test_signal_order_and_disconnect():
    s, seen = Signal(), []
    a = s.connect(lambda x: seen.append(("a", x)))
    s.connect(lambda x: seen.append(("b", x)))
    s.emit(1)
    s.disconnect(a)
    s.emit(2)
    assert seen == [("a", 1), ("b", 1), ("b", 2)]


def test_cursor_is_clamped_to_the_volume_and_notifies_once():
    state = ViewerState()
    vol = Volume(np.zeros((4, 5, 6), np.int16), np.diag([1.0, 2.0, 3.0, 1.0]))
    events = []
    state.cursor_changed.connect(lambda c: events.append(c))
    state.set_volume(vol)
    assert np.allclose(events[-1], vol.center())
    state.set_cursor([100.0, -5.0, 4.0])
    assert np.allclose(state.cursor, [5.0, 0.0, 4.0])        # clamped to the bounds
    n = len(events)
    state.set_cursor(state.cursor.copy())                    # no change, no event
    assert len(events) == n


def test_window_presets_and_minimum_width():
    state = ViewerState()
    seen = []
    state.window_changed.connect(lambda width, level: seen.append((width, level)))
    state.apply_preset("Soft tissue")
    assert seen[-1] == WINDOW_PRESETS["Soft tissue"]
    state.set_window(-50.0, 10.0)
    assert state.window == pytest.approx(1.0)                # never zero or negative
