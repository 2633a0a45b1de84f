"""The read side's refusals (cheap to import: the CLI catches them)."""

from __future__ import annotations


class ProjectionError(Exception):
    """Raised when the projection cannot apply an event; its position stays before it."""


class TrackingConflict(ProjectionError):
    """Raised when another follower moved the position under this page."""
