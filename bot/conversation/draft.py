"""Drafts: what a flow remembers between the steps of one conversation.

Each flow declares its draft as a small dataclass (a report's category,
description and area so far), never as string keys in a dict. A session keeps
the draft as plain data (``{"draft": kind, ...fields}``); the codec turns it
back into its class on the next turn. Data that no longer decodes (a draft of
an older version, a flow since removed) is dropped, and the flow starts over.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar, Self

JSONData = dict[str, Any]
MARK = "draft"


class Draft(ABC):
    """Base of every flow's draft: a ``kind`` and a round trip to plain data."""

    __slots__ = ()
    kind: ClassVar[str]

    @abstractmethod
    def to_data(self) -> JSONData: ...

    @classmethod
    @abstractmethod
    def from_data(cls, data: Mapping[str, Any]) -> Self:
        """Rebuild from :meth:`to_data`'s output; raise KeyError, TypeError or
        ValueError when it cannot be this draft."""


class DraftCodec:
    """Encodes drafts into session data and back, for the kinds the flows declare."""

    __slots__ = ("_kinds",)

    def __init__(self, kinds: Iterable[type[Draft]] = ()) -> None:
        self._kinds: dict[str, type[Draft]] = {}
        for kind in kinds:
            if kind.kind in self._kinds:
                raise ValueError(f"draft kind {kind.kind!r} declared twice")
            self._kinds[kind.kind] = kind

    def encode(self, draft: Draft | None) -> JSONData:
        if draft is None:
            return {}
        if self._kinds.get(draft.kind) is not type(draft):
            raise ValueError(f"draft kind {draft.kind!r} is not declared by any flow")
        return {MARK: draft.kind, **draft.to_data()}

    def decode(self, data: Mapping[str, Any]) -> Draft | None:
        kind = self._kinds.get(str(data.get(MARK, "")))
        if kind is None:
            return None
        try:
            return kind.from_data(data)
        except (KeyError, TypeError, ValueError):
            return None
