"""Errors whose message tells a person what to do."""
from __future__ import annotations


class CasefileError(Exception):
    """Base class: ``str(err)`` is a complete sentence a user can act on."""


class IngestError(CasefileError):
    """One file could not be ingested. The rest of the run goes on."""

    def __init__(self, source: str, message: str):
        super().__init__(f"{source}: {message}")
        self.source = source
        self.reason = message


class ModelError(CasefileError):
    """A model is missing, corrupt or cannot be loaded."""


class StoreError(CasefileError):
    """The store is missing or unusable."""
