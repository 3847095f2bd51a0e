#!/usr/bin/env python3
"""A burst of first uses of distinct API keys, for tests/load/burst.sh.

Opens one keep-alive connection per key, each from its own loopback address (127.0.1.1, 127.0.1.2, ...: one client per
key, so the per-address verification budget keeps its default), waits until the file GO exists, then sends every key
once at the same moment (GET PATH with the key in HEADER) and records each first answer. Every key shed with 503 is
sent again after its Retry-After, as a client that honours the header would, until it is served or DEADLINE seconds
have passed since the burst. Writes a JSON summary to OUT and exits non-zero if any key got an answer other than 200 or
503, if a 503 came without Retry-After, or if a key was still not served at the deadline.

    burst.py BASE_URL KEYS_FILE GO OUT [--header X-API-Key] [--path /api/ping] [--deadline 300]
"""
import argparse
import asyncio
import json
import os
import resource
import sys
import time
import urllib.parse


class Client:
    """One key, one loopback address, one HTTP/1.1 keep-alive connection (reopened when the server closes it)."""

    def __init__(self, index, key, host, port, header, path):
        self.index = index
        self.key = key
        self.host = host
        self.port = port
        self.source = f"127.0.{1 + index // 250}.{1 + index % 250}"
        self.request = (f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\n{header}: {key}\r\n\r\n").encode("ascii")
        self.reader = None
        self.writer = None
        self.answers = []  # (seconds since the burst, status, Retry-After or None)

    async def connect(self):
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port, local_addr=(self.source, 0))

    async def send(self, started):
        for attempt in (1, 2):
            try:
                if self.writer is None or self.writer.is_closing():
                    await self.connect()
                self.writer.write(self.request)
                await self.writer.drain()
                status, headers = await asyncio.wait_for(read_response(self.reader), timeout=60)
                break
            except asyncio.TimeoutError:
                # Before OSError: TimeoutError derives from it.
                self.writer = None
                self.answers.append((time.monotonic() - started, "timeout", None))
                return None
            except (OSError, asyncio.IncompleteReadError) as error:
                # The server closed an idle keep-alive connection: one new connection, then the error counts.
                self.writer = None
                if attempt == 2:
                    self.answers.append((time.monotonic() - started, f"error: {type(error).__name__}", None))
                    return None
        if headers.get("connection", "").lower() == "close":
            self.writer.close()
            self.writer = None
        retry_after = headers.get("retry-after")
        self.answers.append((time.monotonic() - started, status, retry_after))
        return status, retry_after


async def read_response(reader):
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
    if "content-length" in headers:
        await reader.readexactly(int(headers["content-length"]))
    elif headers.get("transfer-encoding", "").lower() == "chunked":
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    return status, headers


async def run(args):
    url = urllib.parse.urlsplit(args.base)
    keys = [line.strip() for line in open(args.keys_file, encoding="ascii") if line.strip()]
    clients = [Client(i, key, url.hostname, url.port, args.header, args.path) for i, key in enumerate(keys)]

    # Connections first, a hundred at a time (the listen backlog), so the burst itself is only requests.
    for i in range(0, len(clients), 100):
        await asyncio.gather(*(c.connect() for c in clients[i:i + 100]))
    print(f"ready: {len(clients)} connections open", file=sys.stderr, flush=True)
    while not os.path.exists(args.go):
        await asyncio.sleep(0.01)

    started = time.monotonic()
    first = await asyncio.gather(*(c.send(started) for c in clients))
    first_done = time.monotonic() - started

    async def until_served(client, answer):
        while answer is not None and answer[0] == 503 and answer[1] is not None:
            delay = parse_retry_after(answer[1])
            if delay is None or time.monotonic() - started + delay > args.deadline:
                return
            await asyncio.sleep(delay)
            answer = await client.send(started)

    await asyncio.gather(*(until_served(c, a) for c, a in zip(clients, first)))
    for c in clients:
        if c.writer is not None:
            c.writer.close()

    summary = summarize(clients, first_done)
    with open(args.out, "w", encoding="utf-8") as out:
        json.dump(summary, out, indent=1)
    return summary


def parse_retry_after(value):
    try:
        seconds = int(value)
        return seconds if seconds >= 0 else None
    except (TypeError, ValueError):
        return None


def summarize(clients, first_done):
    first_status = {}
    retry_after_values = {}
    shed_with = shed_without = 0
    later_status = {}
    bad_keys = 0
    attempts = []
    served_at = []
    for c in clients:
        t, status, retry_after = c.answers[0]
        first_status[str(status)] = first_status.get(str(status), 0) + 1
        for _, s, ra in c.answers:
            if s == 503:
                if ra is None:
                    shed_without += 1
                else:
                    shed_with += 1
                    retry_after_values[ra] = retry_after_values.get(ra, 0) + 1
        for _, s, _ in c.answers[1:]:
            later_status[str(s)] = later_status.get(str(s), 0) + 1
        if any(s not in (200, 503) for _, s, _ in c.answers):
            bad_keys += 1
        attempts.append(len(c.answers))
        if c.answers[-1][1] == 200:
            served_at.append(c.answers[-1][0])
    shed_first = sum(1 for c in clients if c.answers[0][1] == 503)
    return {
        "keys": len(clients),
        "first": first_status,
        "first_answered_within_seconds": round(first_done, 2),
        "shed_first": shed_first,
        "answers_503_with_retry_after": shed_with,
        "answers_503_without_retry_after": shed_without,
        "retry_after_values": retry_after_values,
        "resent_answers": later_status,
        "keys_with_other_answers": bad_keys,
        "served_in_the_end": len(served_at),
        "shed_then_served": sum(1 for c in clients if c.answers[0][1] == 503 and c.answers[-1][1] == 200),
        "most_attempts_for_one_key": max(attempts) if attempts else 0,
        "all_served_within_seconds": round(max(served_at), 1) if served_at else None,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("base")
    parser.add_argument("keys_file")
    parser.add_argument("go")
    parser.add_argument("out")
    parser.add_argument("--header", default="X-API-Key")
    parser.add_argument("--path", default="/api/ping")
    parser.add_argument("--deadline", type=float, default=300)
    args = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 4096)), hard))
    summary = asyncio.run(run(args))
    print(json.dumps(summary), file=sys.stderr)
    ok = (summary["keys_with_other_answers"] == 0 and summary["answers_503_without_retry_after"] == 0
          and summary["served_in_the_end"] == summary["keys"])
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
