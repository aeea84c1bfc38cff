"""The stacked outlines queried as a solid: the fast least signed distance the checks
re-judge while dragging must be exactly the least of the plain signed distances."""

import numpy as np
import pytest

from planner.core.anatomy.frame import Frame
from planner.core.anatomy.stack import OutlineStack


def _canal_like_stack(rng: np.random.Generator) -> OutlineStack:
    """A tilted, bumpy elliptic tube 30 mm long (72 rays per outline, 1 mm apart)."""
    f = Frame.from_axes(np.array([5.0, -3.0, 2.0]), unit_vec(rng), unit_vec(rng))
    heights = np.arange(-15.0, 15.01, 1.0)
    ang = np.arange(72) * 2 * np.pi / 72
    radii = np.array([8.0 / np.sqrt(np.cos(ang) ** 2 + (np.sin(ang) / 0.7) ** 2)
                      + rng.normal(0, 0.4, 72) for _ in heights])
    centres = f.origin + heights[:, None] * f.cranial + \
        np.outer(np.sin(heights / 10), f.left) * 2.0
    return OutlineStack(f, centres, radii)


def unit_vec(rng: np.random.Generator) -> np.ndarray:
    v = rng.normal(size=3)
    return v / np.linalg.norm(v)


@pytest.mark.parametrize("seed", range(4))
def test_nearest_signed_distance_is_the_least_signed_distance(seed):
    rng = np.random.default_rng(seed)
    stack = _canal_like_stack(rng)
    inside_cases = 0
    for _ in range(300):
        a = stack.frame.origin + rng.normal(0, 14, 3)
        b = a + unit_vec(rng) * rng.uniform(5, 50)
        pts = a + np.linspace(0, 1, 120)[:, None] * (b - a)
        plain = stack.signed_distance(pts)
        value, k = stack.nearest_signed_distance(pts)
        assert value == pytest.approx(plain.min(), abs=1e-12)
        assert plain[k] == pytest.approx(plain.min(), abs=1e-12)
        inside_cases += value < 0
    # both branches exercised: needles through the tube and clear of it
    assert 30 < inside_cases < 270
