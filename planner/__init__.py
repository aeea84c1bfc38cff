"""Pedicle Planner: planning and training for transpedicular vertebroplasty on CT.

Planning support and training software, not a certified medical device.
"""

__version__ = "0.1.0"
