"""Typed, readable loading errors: each one is a sentence a user can act on."""

from __future__ import annotations

from typing import Any


class LoadError(Exception):
    """Base class: the message is shown to the user as it is (one line)."""


class UnsupportedFormatError(LoadError):
    pass


class NoImagesError(LoadError):
    pass


class MultipleSeriesError(LoadError):
    """The folder holds several image series and none was chosen."""

    def __init__(self, message: str, series: list[Any]):
        super().__init__(message)
        self.series = series


class SeriesNotFoundError(LoadError):
    pass


class NonCTModalityError(LoadError):
    """Not a CT: refused unless the caller overrides (HU would be meaningless)."""

    def __init__(self, message: str, modality: str):
        super().__init__(message)
        self.modality = modality


class MissingSlicesError(LoadError):
    pass


class UnevenSpacingError(LoadError):
    pass


class MixedOrientationError(LoadError):
    pass


class SingleSliceError(LoadError):
    pass


class InconsistentSizeError(LoadError):
    pass


class DuplicateSlicesError(LoadError):
    pass


class CorruptFileError(LoadError):
    pass


class LoadCancelled(LoadError):
    pass
