#!/usr/bin/env python3
"""Soak test of `leanstats serve` under load, slow clients and syncs.

For --minutes (default 30), against one `leanstats serve` on loopback:
  * wrk keeps `/api/query` busy (2 threads, 16 connections) and reports its latency distribution;
  * a slowloris client holds --slow connections (default 64) from 127.0.0.2, each sending a partial request head a
    byte every 5 s and reconnecting when the server cuts it off;
  * `leanstats sync` runs every minute from the built-in DingTalk emulator into the served store, writing new
    snapshot generations that the server loads in the background;
  * `/healthz` is polled every 2 s and the server's resident memory sampled every 10 s.

It prints one summary and exits 0 only when every goal holds: wrk p99 < 20 ms with no socket errors and no non-2xx
answers, every /healthz answer 200, and resident memory flat (the last five minutes' median within 10 % + 5 MB of
the first five minutes' median after warm-up).
"""

import argparse
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
TOKEN = "soak-token-0123456789abcdef"
QUERY = "/api/query?q=by%20dept%20count,pass_rate,participants%202025-11"


def log(message):
    print(f"soak: {message}", file=sys.stderr, flush=True)


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def rss_kib(pid):
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


class Slowloris(threading.Thread):
    """Holds `count` connections open with partial request heads, a byte every `interval` seconds."""

    def __init__(self, port, count, interval, stop):
        super().__init__(daemon=True)
        self.port, self.count, self.interval, self.stop = port, count, interval, stop
        self.opened = 0
        self.cut_off = 0
        self.refused = 0

    def connect(self):
        try:
            connection = socket.socket()
            connection.bind(("127.0.0.2", 0))
            connection.settimeout(2)
            connection.connect(("127.0.0.1", self.port))
            connection.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
            connection.setblocking(False)
            self.opened += 1
            return connection
        except OSError:
            return None

    def run(self):
        connections = [self.connect() for _ in range(self.count)]
        while not self.stop.is_set():
            for index, connection in enumerate(connections):
                alive = connection is not None
                if alive:
                    try:
                        data = connection.recv(4096)
                        if data.startswith(b"HTTP/1.1 503"):
                            self.refused += 1
                        alive = False
                        if not data:
                            self.cut_off += 1
                    except BlockingIOError:
                        try:
                            connection.send(b"a")
                        except OSError:
                            alive = False
                            self.cut_off += 1
                    except OSError:
                        alive = False
                        self.cut_off += 1
                if not alive:
                    if connection is not None:
                        connection.close()
                    connections[index] = self.connect()
            self.stop.wait(self.interval)
        for connection in connections:
            if connection is not None:
                connection.close()


def parse_wrk(text):
    """p50/p90/p99 (ms), requests/s, socket errors and non-2xx answers from `wrk --latency` output."""

    def millis(value):
        number, unit = re.match(r"([\d.]+)(us|ms|s)", value).groups()
        return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    result = {}
    for percent in ("50", "90", "99"):
        match = re.search(rf"^\s+{percent}%\s+(\S+)", text, re.M)
        result[f"p{percent}_ms"] = millis(match.group(1)) if match else None
    match = re.search(r"Requests/sec:\s+([\d.]+)", text)
    result["requests_per_s"] = float(match.group(1)) if match else None
    match = re.search(r"(\d+) requests in", text)
    result["requests"] = int(match.group(1)) if match else None
    match = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    result["socket_errors"] = sum(int(group) for group in match.groups()) if match else 0
    match = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    result["non_2xx"] = int(match.group(1)) if match else 0
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=30)
    parser.add_argument("--slow", type=int, default=64, help="slowloris connections")
    parser.add_argument("--sync-every", type=float, default=60, help="seconds between syncs")
    parser.add_argument("--leanstats", default=os.path.join(ROOT, ".build/release/leanstats"))
    parser.add_argument("--work", default=None, help="working directory (default: a new temporary one)")
    parser.add_argument("--json", default=None, help="write every number to this file")
    arguments = parser.parse_args()

    if not os.path.exists(arguments.leanstats):
        log("building the release binary")
        subprocess.run(["swift", "build", "-c", "release", "--product", "leanstats"], cwd=ROOT, check=True)
    if shutil.which("wrk") is None:
        sys.exit("soak: wrk is not installed; apt-get install -y wrk")
    binary = arguments.leanstats
    work = arguments.work or tempfile.mkdtemp(prefix="leanstats-soak-")
    os.makedirs(work, exist_ok=True)
    store = os.path.join(work, "store")
    shutil.rmtree(store, ignore_errors=True)
    children = []
    stop = threading.Event()
    try:
        emulator_port = free_port()
        emulator = subprocess.Popen(
            [binary, "emulator", "--sample", "--sample-dir", os.path.join(ROOT, "Data"), "--port",
             str(emulator_port), "--qps", "1000"],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        children.append(emulator)
        config_path = os.path.join(work, "emulator.toml")
        config_text = ""
        deadline = time.time() + 30
        while "process_code" not in config_text and time.time() < deadline:
            line = emulator.stdout.readline()
            if not line:
                break
            config_text += line
        with open(config_path, "w") as config:
            config.write(config_text)
        os.chmod(config_path, 0o600)
        sync_environment = dict(os.environ, LEANSTATS_SYNC_QPS="200", LEANSTATS_SYNC_MONTHLY_CALL_BUDGET="100000000")
        sync_command = [binary, "sync", "--config", config_path, "--data", store, "--now", "2025-12-01 00:00"]
        log("first sync from the emulator")
        subprocess.run(sync_command, env=sync_environment, check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)

        port = free_port()
        server = subprocess.Popen(
            [binary, "serve", "--data", store, "--port", str(port)],
            env=dict(os.environ, LEANSTATS_SERVER_TOKEN=TOKEN), stdout=subprocess.DEVNULL,
            stderr=open(os.path.join(work, "serve.log"), "w"))
        children.append(server)
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.1)

        health = {"ok": 0, "bad": 0, "bad_examples": []}

        def poll_health():
            while not stop.is_set():
                try:
                    with urllib.request.urlopen(base + "/healthz", timeout=2) as reply:
                        health["ok" if reply.status == 200 else "bad"] += 1
                except Exception as error:  # noqa: BLE001 - every failure counts as not green
                    health["bad"] += 1
                    if len(health["bad_examples"]) < 5:
                        health["bad_examples"].append(str(error))
                stop.wait(2)

        memory = []

        def sample_memory():
            while not stop.is_set():
                value = rss_kib(server.pid)
                if value is not None:
                    memory.append((time.time(), value))
                stop.wait(10)

        syncs = {"ok": 0, "failed": 0, "seconds": []}

        def run_syncs():
            while not stop.wait(arguments.sync_every):
                started = time.time()
                outcome = subprocess.run(sync_command, env=sync_environment, stdout=subprocess.DEVNULL,
                                         stderr=subprocess.DEVNULL)
                syncs["ok" if outcome.returncode == 0 else "failed"] += 1
                syncs["seconds"].append(time.time() - started)

        slowloris = Slowloris(port, arguments.slow, 5, stop)
        threads = [threading.Thread(target=target, daemon=True) for target in (poll_health, sample_memory, run_syncs)]
        for thread in threads + [slowloris]:
            thread.start()

        seconds = int(arguments.minutes * 60)
        log(f"wrk on {QUERY} for {seconds} s, {arguments.slow} slow clients, a sync every {arguments.sync_every:g} s")
        wrk = subprocess.run(
            ["wrk", "-t2", "-c16", f"-d{seconds}s", "--latency", "-H", f"Authorization: Bearer {TOKEN}",
             base + QUERY],
            capture_output=True, text=True, check=True)
        stop.set()
        for thread in threads:
            thread.join(timeout=120)
        generation = json.loads(urllib.request.urlopen(base + "/healthz", timeout=5).read())["generation"]
        latency = parse_wrk(wrk.stdout)

        # Memory: warm-up is the first two minutes (or a tenth of a short run); compare the first and last five
        # minutes after it (or thirds of a short run).
        start = memory[0][0] if memory else time.time()
        warm = min(120, seconds / 10)
        steady = [value for moment, value in memory if moment - start >= warm]
        window = max(1, min(30, len(steady) // 3))
        first = statistics.median(steady[:window]) if steady else 0
        last = statistics.median(steady[-window:]) if steady else 0
        peak = max((value for _, value in memory), default=0)
        memory_flat = bool(steady) and last <= first * 1.10 + 5 * 1024

        goals = {
            "p99 < 20 ms": latency["p99_ms"] is not None and latency["p99_ms"] < 20,
            "no socket errors or non-2xx": latency["socket_errors"] == 0 and latency["non_2xx"] == 0,
            "/healthz always 200": health["bad"] == 0 and health["ok"] > 0,
            "resident memory flat": memory_flat,
            "every sync succeeded": syncs["failed"] == 0,
        }
        summary = {
            "minutes": arguments.minutes, "wrk": latency, "health": health, "syncs": {
                "ok": syncs["ok"], "failed": syncs["failed"],
                "median_seconds": statistics.median(syncs["seconds"]) if syncs["seconds"] else None},
            "final_generation": generation,
            "slowloris": {"opened": slowloris.opened, "cut_off": slowloris.cut_off, "refused": slowloris.refused},
            "rss_mib": {"first": first / 1024, "last": last / 1024, "peak": peak / 1024},
            "goals": goals,
        }
        print(f"requests      {latency['requests']} ({latency['requests_per_s']:.0f}/s); "
              f"p50 {latency['p50_ms']:.2f} ms, p90 {latency['p90_ms']:.2f} ms, p99 {latency['p99_ms']:.2f} ms; "
              f"socket errors {latency['socket_errors']}, non-2xx {latency['non_2xx']}")
        print(f"/healthz      {health['ok']} × 200, {health['bad']} other {health['bad_examples']}")
        print(f"syncs         {syncs['ok']} ok, {syncs['failed']} failed; served generation at the end {generation}")
        print(f"slow clients  {slowloris.opened} connections opened, {slowloris.cut_off} cut off by the server, "
              f"{slowloris.refused} refused with 503")
        print(f"resident      {first / 1024:.1f} MiB after warm-up, {last / 1024:.1f} MiB at the end, "
              f"peak {peak / 1024:.1f} MiB")
        for goal, held in goals.items():
            print(f"{'held  ' if held else 'MISSED'} {goal}")
        if arguments.json:
            with open(arguments.json, "w") as output:
                json.dump(dict(summary, memory=memory), output, indent=2)
        return 0 if all(goals.values()) else 1
    finally:
        stop.set()
        for child in children:
            child.terminate()
        for child in children:
            try:
                child.wait(timeout=30)
            except subprocess.TimeoutExpired:
                child.kill()
        if arguments.work is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
