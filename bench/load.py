"""Driving the server from outside (bench.run): wrk against a target, the CPU the server's and PostgreSQL's processes
used meanwhile (read from /proc), warming the workers, and waiting until the server and the database are idle."""

from __future__ import annotations

import http.client
import json
import os
import statistics
import subprocess
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bench.run import Target

ROOT = Path(__file__).resolve().parent.parent
#: wrk's threads (the signup pairs are shared out among them)
WRK_THREADS = 2
#: seconds wrk waits for an answer before counting a timeout (its default, 2, is less than some pages take at scale)
WRK_TIMEOUT = 30


def cpu_seconds(server_pid: int) -> dict[str, dict[int, float]]:
    """CPU seconds used so far (user and system, from /proc) by each of the server's processes (gunicorn and its
    workers) and of the database's (PostgreSQL's processes on this machine; SQLite runs inside the workers), by
    process id: steadier than requests per second where other work shares the machine. Empty where /proc cannot be
    read."""
    tick = os.sysconf("SC_CLK_TCK")
    used: dict[str, dict[int, float]] = {"app": {}, "db": {}}
    try:
        pids = [int(name) for name in os.listdir("/proc") if name.isdigit()]
    except OSError:
        return {}
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
            with open(f"/proc/{pid}/comm") as comm:
                name = comm.read().strip()
        except OSError:
            continue  # gone meanwhile
        seconds = (int(fields[11]) + int(fields[12])) / tick
        if pid == server_pid or int(fields[1]) == server_pid:  # fields[1]: the parent's pid
            used["app"][pid] = seconds
        elif name.startswith("postgres"):
            used["db"][pid] = seconds
    return used


def cpu_used(before: dict, after: dict, part: str) -> float:
    """CPU seconds `part`'s processes used between two readings: of those alive at the second (a process that
    ended meanwhile is lost; counting it as a fall would make the figure negative)."""
    return sum(seconds - before.get(part, {}).get(pid, 0.0) for pid, seconds in after.get(part, {}).items())


def wrk(port: int, target: Target, seconds: int, connections: int, server_pid: int | None = None) -> dict:
    """Drive `target` with wrk (2 threads, `connections` keep-alive connections) for `seconds`; with the server's
    process id, also the CPU milliseconds per request of the server (`app_cpu_ms`) and of PostgreSQL (`db_cpu_ms`)."""
    command = ["wrk", f"-t{WRK_THREADS}", f"-c{connections}", f"-d{seconds}s", f"--timeout={WRK_TIMEOUT}s"]
    command += ["-s", str(ROOT / "bench" / "wrk.lua")]
    for name, value in target.all_headers.items():
        command += ["-H", f"{name}: {value}"]
    command += [f"http://127.0.0.1:{port}{target.path}", "--", str(target.status)]
    if target.ticket is not None:
        command += ["scan", target.ticket, uuid.uuid4().hex]
    elif target.signups is not None:
        command += ["signup", target.signups.path, str(target.signups.used), str(WRK_THREADS)]
    before = cpu_seconds(server_pid) if server_pid else {}
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    after = cpu_seconds(server_pid) if server_pid else {}
    summary = json.loads(next(line for line in out.splitlines() if line.startswith("WRK "))[4:])
    if target.signups is not None:
        # each thread takes every WRK_THREADS-th pair: past the busier thread's last, and those still in flight
        target.signups.used += WRK_THREADS * (summary["requests"] + connections)
    summary["rps"] = summary["requests"] / summary["seconds"]
    for part in after:
        summary[f"{part}_cpu_ms"] = cpu_used(before, after, part) * 1000 / max(summary["requests"], 1)
    return summary


def warm(port: int, pages: list[Target], workers: int) -> None:
    """Ask for each page a few times before measuring, so that every worker has loaded what it loads on first use
    (templates, translations, mappers) and the first target does not pay for it."""
    for target in pages:
        for _ in range(2 * workers):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=WRK_TIMEOUT)
            conn.request("GET", target.path, headers=target.all_headers)
            conn.getresponse().read()
            conn.close()


def settle(server_pid: int, url: str, *, idle: float = 0.1, longest: float = 300) -> None:
    """Wait until the server's processes are idle (under `idle` of a CPU for half a second) and, on PostgreSQL, no
    statement runs in the bench's database: a slow page leaves requests queued after wrk stops, which the next
    /healthz run would otherwise wait behind (a worker waiting for PostgreSQL uses no CPU of its own)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url) if url.startswith("postgresql") else None
    running = text(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND state = 'active' "
        "AND pid <> pg_backend_pid()"
    )
    deadline = time.monotonic() + longest
    try:
        while time.monotonic() < deadline:
            before = cpu_seconds(server_pid)
            time.sleep(0.5)
            busy = cpu_used(before, cpu_seconds(server_pid), "app") >= idle * 0.5
            if not busy and engine is not None:
                with engine.connect() as conn:
                    busy = bool(conn.execute(running).scalar())
            if not busy:
                return
    finally:
        if engine is not None:
            engine.dispose()


def measure(port: int, ceiling: Target, target: Target, args, server_pid: int, url: str) -> dict:
    """`target` right after its own /healthz, `--rounds` times; the medians, and the ratio of each pair's."""
    pairs = []
    for _ in range(args.rounds):
        settle(server_pid, url)
        healthz = wrk(port, ceiling, args.seconds, args.connections, server_pid)
        pairs.append((healthz, wrk(port, target, args.seconds, args.connections, server_pid)))
    ratios = [t["rps"] / h["rps"] for h, t in pairs if h["rps"]]
    cpu = {
        f"{part}_cpu_ms": round(statistics.median(t[f"{part}_cpu_ms"] for _, t in pairs), 3)
        for part in ("app", "db")
        if all(f"{part}_cpu_ms" in t for _, t in pairs)
    }
    if "app_cpu_ms" in cpu:
        cpu["healthz_app_cpu_ms"] = round(statistics.median(h["app_cpu_ms"] for h, _ in pairs), 3)
    return {
        **cpu,
        "label": target.label,
        "path": target.path if target.method == "GET" else target.label,
        "rps": round(statistics.median(t["rps"] for _, t in pairs), 1),
        "healthz_rps": round(statistics.median(h["rps"] for h, _ in pairs), 1),
        # None when /healthz got no answer (the workers still busy with a slow page's requests)
        "ratio": round(statistics.median(ratios), 3) if ratios else None,
        "p50_ms": round(statistics.median(t["p50_ms"] for _, t in pairs), 2),
        "p99_ms": round(statistics.median(t["p99_ms"] for _, t in pairs), 2),
        "errors": sum(t["errors"] + h["errors"] for h, t in pairs),
    }
