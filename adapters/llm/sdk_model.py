"""What every SDK-backed chat model shares: its label and the client it owns and closes."""

from __future__ import annotations

from types import TracebackType
from typing import Generic, Protocol, Self, TypeVar


class _URL(Protocol):
    @property
    def host(self) -> str: ...

    @property
    def port(self) -> int | None: ...


class _Closable(Protocol):
    @property
    def base_url(self) -> _URL: ...

    async def close(self) -> None: ...


ClientT = TypeVar("ClientT", bound=_Closable)


class SdkChatModel(Generic[ClientT]):
    """Holds an SDK client and a label safe to show; closing the model closes the client."""

    def __init__(self, *, client: ClientT, label: str) -> None:
        self._client = client
        self._label = label
        url = client.base_url
        self._server = f"{url.host}:{url.port}" if url.port else url.host  # named in errors

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
