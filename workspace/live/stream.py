"""The stream service: a small asyncio server holding the open Server-Sent Events connections.

It runs beside gunicorn (`flask stream --port 8001`), so thousands of idle connections cost a
coroutine each instead of a sync worker. One pattern subscription per process receives every
event from Redis; each connection gets the events of its own channels (`user:<id>` and the
project it has open), never those of the person's own actions.
"""
import asyncio
import json
import logging
import re
import signal
from urllib.parse import parse_qs, urlsplit

import redis.asyncio as aioredis
from flask import Flask

from .access import listener

log = logging.getLogger(__name__)
HEAD_LIMIT = 16 * 1024
NUMBER = re.compile(r"[0-9]{1,18}")


class Hub:
    """Fans the one Redis subscription out to the queues of the open connections, by channel."""

    def __init__(self, url: str, prefix: str):
        self.url, self.prefix = url, prefix
        self.queues: dict[str, set[asyncio.Queue]] = {}

    def join(self, channels: list[str], queue: asyncio.Queue) -> None:
        for name in channels:
            self.queues.setdefault(name, set()).add(queue)

    def leave(self, channels: list[str], queue: asyncio.Queue) -> None:
        for name in channels:
            self.queues.get(name, set()).discard(queue)
            if not self.queues.get(name):
                self.queues.pop(name, None)

    async def run(self) -> None:
        """Receive forever; after a Redis failure wait a second and subscribe again."""
        while True:
            client = aioredis.from_url(self.url)
            try:
                async with client.pubsub() as pubsub:
                    await pubsub.psubscribe(self.prefix + "*")
                    async for message in pubsub.listen():
                        if message["type"] == "pmessage":
                            self.deliver(message["channel"].decode(), message["data"])
            except Exception as error:  # Redis unreachable or restarted: the streams stay open meanwhile
                log.warning("stream: Redis subscription lost (%s); subscribing again", error)
                await asyncio.sleep(1)
            finally:
                await client.aclose()

    def deliver(self, name: str, data: bytes) -> None:
        for queue in self.queues.get(name, ()):
            if not queue.full():  # a browser that stopped reading misses events rather than stalling others
                queue.put_nowait(data)


def frames(data: bytes, user_id: int) -> bytes:
    """The SSE text of one event: its name and, for one item, `<name>-<id>`; nothing for one's own action."""
    try:
        payload = json.loads(data)
        name = payload.pop("event")
    except (ValueError, KeyError, TypeError, AttributeError):
        return b""
    if not re.fullmatch(r"[a-z-]{1,40}", str(name)) or payload.pop("actor", None) == user_id:
        return b""
    body = json.dumps(payload, separators=(",", ":"))
    names = [name] + ([f"{name}-{payload['id']}"] if isinstance(payload.get("id"), int) else [])
    return "".join(f"event: {each}\ndata: {body}\n\n" for each in names).encode()


class StreamServer:
    """HTTP/1.1 GET → `text/event-stream`, for the person the app's session cookie names."""

    def __init__(self, app: Flask):
        self.app = app
        self.hub = Hub(app.config["REDIS_URL"], app.config["LIVE_CHANNEL_PREFIX"])
        self.heartbeat = float(app.config["STREAM_HEARTBEAT_SECONDS"])
        self.recheck = float(app.config["STREAM_RECHECK_SECONDS"])
        self.connections: set[asyncio.Task] = set()

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        self.connections.add(task)
        try:
            await self._serve(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, asyncio.TimeoutError):
            pass
        except asyncio.CancelledError:  # shutting down: end the stream, the browser reconnects elsewhere
            pass
        finally:
            self.connections.discard(task)
            writer.close()

    async def _serve(self, reader, writer) -> None:
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
        lines = head.decode("latin-1").split("\r\n")
        method, target, *_ = (lines[0].split(" ") + ["", ""])[:3]
        headers = {}
        for line in lines[1:]:
            key, sep, value = line.partition(":")
            if sep:
                headers[key.strip().lower()] = value.strip()
        if method != "GET":
            return await self._refuse(writer, 405)
        project = parse_qs(urlsplit(target).query).get("project", [None])[0]
        if project is not None and not NUMBER.fullmatch(project):
            return await self._refuse(writer, 400)
        project_id = int(project) if project is not None else None
        cookie = headers.get("cookie", "")
        status, user_id, channels = await self._check(cookie, project_id)
        if status != 200:
            return await self._refuse(writer, status)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-store\r\n"
                     b"X-Accel-Buffering: no\r\nConnection: close\r\n\r\nretry: 2000\n: connected\n\n")
        await writer.drain()
        queue: asyncio.Queue = asyncio.Queue(maxsize=1000)
        self.hub.join(channels, queue)
        gone = asyncio.ensure_future(reader.read(1))  # a browser sends nothing more: EOF means it left
        try:
            await self._pump(writer, queue, gone, user_id, cookie, project_id)
        finally:
            gone.cancel()
            self.hub.leave(channels, queue)

    async def _pump(self, writer, queue, gone, user_id, cookie, project_id) -> None:
        loop = asyncio.get_running_loop()
        next_check = loop.time() + self.recheck
        while not gone.done():
            getter = asyncio.ensure_future(queue.get())
            await asyncio.wait({getter, gone}, timeout=self.heartbeat, return_when=asyncio.FIRST_COMPLETED)
            if getter.done():
                writer.write(frames(getter.result(), user_id))
            else:
                getter.cancel()
                writer.write(b": heartbeat\n\n")
            await writer.drain()
            if loop.time() >= next_check:  # logged out or lost access since: the stream ends
                if (await self._check(cookie, project_id))[0] != 200:
                    return
                next_check = loop.time() + self.recheck

    async def _check(self, cookie: str, project_id: int | None) -> tuple[int, int | None, list[str]]:
        """`listener` in a thread (it reads the database); 503 when that fails, so the browser tries later."""
        try:
            return await asyncio.to_thread(listener, self.app, cookie, project_id)
        except Exception:  # e.g. the database is unreachable
            log.exception("stream: could not check the session")
            return 503, None, []

    async def _refuse(self, writer, status: int) -> None:
        reason = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 405: "Method Not Allowed",
                  503: "Service Unavailable"}[status]
        writer.write(f"HTTP/1.1 {status} {reason}\r\nContent-Type: text/plain\r\nContent-Length: {len(reason)}\r\n"
                     f"Cache-Control: no-store\r\nConnection: close\r\n\r\n{reason}".encode())
        await writer.drain()

    async def serve(self, host: str, port: int) -> None:
        """Serve until SIGTERM or SIGINT (`flask stream`)."""
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await self.run(host, port, stop)

    async def run(self, host: str, port: int, stop: asyncio.Event) -> None:
        """Serve until `stop` is set, then end every open stream and stop."""
        hub = asyncio.ensure_future(self.hub.run())
        server = await asyncio.start_server(self.handle, host, port, limit=HEAD_LIMIT)
        log.info("stream: listening on %s:%s", host, port)
        await stop.wait()
        server.close()
        for task in list(self.connections):
            task.cancel()
        await asyncio.gather(*self.connections, return_exceptions=True)
        hub.cancel()
        await asyncio.gather(hub, return_exceptions=True)
        await server.wait_closed()
