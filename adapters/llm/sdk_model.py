"""What every SDK-backed chat model shares: its label and the client it owns and closes."""

from __future__ import annotations

from types import TracebackType
from typing import Generic, Protocol, Self, TypeVar


class _Closable(Protocol):
    async def close(self) -> None: ...


ClientT = TypeVar("ClientT", bound=_Closable)


class SdkChatModel(Generic[ClientT]):
    """Holds an SDK client and a label safe to show; closing the model closes the client."""

    def __init__(self, *, client: ClientT, label: str) -> None:
        self._client = client
        self._label = label

    @property
    def label(self) -> str:
        return self._label

    async def aclose(self) -> None:
        await self._client.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
