"""A loopback HTTP receiver for sustained load, in a process of its own: asyncio, keep-alive, tiny.

    python bench/fast_receiver.py PORT_FILE RECORD_FILE

It listens on 127.0.0.1 (a free port, written to PORT_FILE once listening), answers every request
with an empty 200, and appends one line per request to RECORD_FILE, flushed every 0.2 s:

    <arrival epoch seconds> <job id> <scheduled-for epoch seconds> <execution id>

The job id, slot and execution id come from Chronos's X-Chronos-Job-Id, X-Chronos-Scheduled-For and
X-Chronos-Execution-Id headers, or from a JSON body {"job": ..., "slot": ..., "id": ...} (the peers
in baselines.py send that). The thread-per-connection receiver in common.py costs about a millisecond
of CPU per request, which at 1,000 requests a second would be half a core taken from the system being
measured; this one parses only what it needs and costs a fraction of that.
"""
from __future__ import annotations

import asyncio
import contextlib
import json
import sys
import time
from datetime import datetime
from pathlib import Path

_RESPONSE = b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"


class _Recorder:
    def __init__(self, path: Path) -> None:
        self.file = open(path, "a", buffering=1 << 16)  # noqa: SIM115 - flushed by the loop, closed at exit
        self.lines: list[str] = []

    def add(self, line: str) -> None:
        self.lines.append(line)

    async def flush_forever(self) -> None:
        while True:
            await asyncio.sleep(0.2)
            self.flush()

    def flush(self) -> None:
        if self.lines:
            self.file.write("".join(self.lines))
            self.lines = []
            self.file.flush()


def _slot_epoch(value: str) -> str:
    try:
        return f"{datetime.fromisoformat(value).timestamp():.6f}"
    except ValueError:
        return "-"


async def _serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, recorder: _Recorder) -> None:
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            arrived = time.time()
            headers: dict[str, str] = {}
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name:
                    headers[name.strip().lower().decode("latin-1")] = value.strip().decode("latin-1")
            length = int(headers.get("content-length") or 0)
            body = await reader.readexactly(length) if length else b""
            job = headers.get("x-chronos-job-id")
            slot = _slot_epoch(headers.get("x-chronos-scheduled-for") or "")
            execution = headers.get("x-chronos-execution-id")
            if job is None and body:
                try:
                    parsed = json.loads(body)
                    job, slot, execution = str(parsed["job"]), f"{float(parsed['slot']):.6f}", str(parsed["id"])
                except (ValueError, KeyError, AttributeError, TypeError):
                    pass
            recorder.add(f"{arrived:.6f} {job or '-'} {slot} {execution or '-'}\n")
            writer.write(_RESPONSE)
    except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
        pass
    finally:
        writer.close()


async def main(port_file: Path, record_file: Path) -> None:
    recorder = _Recorder(record_file)
    server = await asyncio.start_server(lambda r, w: _serve(r, w, recorder), "127.0.0.1", 0, backlog=4096)
    port = server.sockets[0].getsockname()[1]
    port_file.write_text(str(port))
    flusher = asyncio.create_task(recorder.flush_forever())
    try:
        async with server:
            await server.serve_forever()
    finally:
        flusher.cancel()
        recorder.flush()


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main(Path(sys.argv[1]), Path(sys.argv[2])))
