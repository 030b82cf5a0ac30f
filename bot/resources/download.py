"""Streaming a file to import: chunks as they arrive, stopped at a size limit or a broken connection."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp

from bot import net
from bot.errors import InvalidInput
from bot.resources import transfer


class Download:
    """Stream an attachment: ``async with`` gives (chunks, first bytes) and closes the response after."""

    CHUNK = 64 * 1024

    def __init__(self, session: aiohttp.ClientSession, url: str, max_bytes: int) -> None:
        self.session, self.url, self.max_bytes = session, url, max_bytes
        self._response: aiohttp.ClientResponse | None = None

    async def __aenter__(self) -> tuple[AsyncIterator[bytes], bytes]:
        net.check_url_syntax(self.url)
        try:
            self._response = await self.session.get(self.url, timeout=aiohttp.ClientTimeout(total=300))
            if self._response.status != 200:
                raise InvalidInput(f"Discord answered {self._response.status} for the file; try uploading it again.")
            first = await self._response.content.read(self.CHUNK)
        except BaseException as error:
            await self.__aexit__()  # __aexit__ only runs once __aenter__ has returned
            if isinstance(error, aiohttp.ClientError | TimeoutError):
                raise InvalidInput("I could not download the file from Discord; try again.") from error
            raise
        return self._chunks(first), first

    async def _chunks(self, first: bytes) -> AsyncIterator[bytes]:
        """The file's bytes; a download that breaks off or grows too big stops the import where it is."""
        assert self._response is not None
        size = len(first)
        if first:
            yield first
        try:
            async for chunk in self._response.content.iter_chunked(self.CHUNK):
                size += len(chunk)
                if size > self.max_bytes:
                    raise transfer.ImportStopped(f"The file is larger than {self.max_bytes // (1024 * 1024)} MB; "
                                                 "split it into several and import the rest.")
                yield chunk
        except (aiohttp.ClientError, TimeoutError) as error:
            raise transfer.ImportStopped("The download from Discord broke off; import the file again (rows "
                                         "already imported are reported as duplicates, not added twice).") from error

    async def __aexit__(self, *exc: object) -> None:
        if self._response is not None:
            self._response.release()
