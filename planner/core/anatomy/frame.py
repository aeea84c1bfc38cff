"""A vertebra's own anatomical frame (spines curve and rotate)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def unit(v: np.ndarray) -> np.ndarray:
    v = np.asarray(v, float)
    n = np.linalg.norm(v)
    if n == 0:
        raise ValueError("zero vector has no direction")
    return v / n


@dataclass
class Frame:
    """Origin plus unit axes; ``left = cranial x anterior`` (right-handed in LPS)."""

    origin: np.ndarray
    left: np.ndarray
    anterior: np.ndarray
    cranial: np.ndarray

    @classmethod
    def from_axes(cls, origin: np.ndarray, anterior: np.ndarray, cranial: np.ndarray
                  ) -> "Frame":
        """Orthonormalise: cranial is kept, anterior made perpendicular to it."""
        c = unit(cranial)
        a = unit(np.asarray(anterior, float) - (np.asarray(anterior, float) @ c) * c)
        return cls(np.asarray(origin, float), np.cross(c, a), a, c)

    @classmethod
    def patient(cls, origin: np.ndarray) -> "Frame":
        """LPS axes: left +x, anterior -y, cranial +z."""
        return cls.from_axes(origin, np.array([0.0, -1.0, 0.0]), np.array([0.0, 0.0, 1.0]))

    @property
    def matrix(self) -> np.ndarray:
        """Columns left, anterior, cranial: local -> LPS rotation."""
        return np.stack([self.left, self.anterior, self.cranial], axis=1)

    def to_local(self, p: np.ndarray) -> np.ndarray:
        return (np.asarray(p, float) - self.origin) @ self.matrix

    def to_world(self, q: np.ndarray) -> np.ndarray:
        return np.asarray(q, float) @ self.matrix.T + self.origin

    def plane_directions(self, n: int, axes: tuple[str, str] = ("left", "anterior")
                         ) -> tuple[np.ndarray, np.ndarray]:
        """n unit directions evenly spaced in the plane of two axes, and their angles
        (0 along the first axis, pi/2 along the second)."""
        e1, e2 = getattr(self, axes[0]), getattr(self, axes[1])
        ang = np.arange(n) * (2 * np.pi / n)
        return np.cos(ang)[:, None] * e1 + np.sin(ang)[:, None] * e2, ang

    def to_json(self) -> dict:
        return {"origin": self.origin.tolist(), "left": self.left.tolist(),
                "anterior": self.anterior.tolist(), "cranial": self.cranial.tolist()}
