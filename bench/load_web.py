"""Load benchmark of the web app (not a test): ``jalon serve`` as a real server process, then N clients
at once, each in a loop: write the statut of a tâche (PUT, which answers the refreshed scores of the
tâche and its ancestors) and read the refreshed root scores (GET the collectivité). All clients write
to one collectivité by default, the worst case: its writers queue on its lock (``--collectivites``
spreads them). Once on SQLite, once on PostgreSQL
(the server on 127.0.0.1:5432 or one started, a throwaway database). Only 127.0.0.1 is ever contacted;
every loop stops after ``--seconds`` or ``--max-requests``.

Two load models: the stress one above (clients that never pause), and a realistic one (``--think``:
each client pauses that long after its read, as a person does; ``--realistic`` is 200 editors over 50
collectivités with 1 s of thought). ``--workers`` runs the server as several processes,
``--instances`` as several ``jalon serve`` on their own ports sharing one database (the clients split
between them, as behind a load balancer).

    .venv/bin/python bench/load_web.py --referentiels ../shared/referentiels
    .venv/bin/python bench/load_web.py --referentiels ../shared/referentiels --realistic --workers 2
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

JALON = Path(sys.executable).parent / "jalon"
AVANCEMENTS = ["fait", "programme", "pas_fait", "detaille", "non_renseigne"]


@dataclass
class Timings:
    writes: list[float] = field(default_factory=list)  # seconds
    reads: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    loops: list[int] = field(default_factory=list)  # per client: a starved client shows here


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def prepare(
    database: str, data_dir: Path, referentiels: Path | None, clients: int, collectivites: int
) -> tuple[list[int], list[str]]:
    """In a child process (Django is configured once per process): migrate, import, the demo
    collectivité and ``collectivites - 1`` more of the same identity, and one editor with an API token
    per client, client n a member of collectivité n modulo their number. Prints JSON."""
    code = f"""
import json, sys
from pathlib import Path
from jalon.web.serve import configure, prepare
configure({database!r} or None, Path({str(data_dir)!r}))
prepare({str(referentiels) if referentiels else None!r} and Path({str(referentiels)!r}))
from django.contrib.auth.models import User
from jalon.web.collectivites.models import Collectivite, Membership, Role
from jalon.web.collectivites.services import create_api_token
demo = Collectivite.objects.get(nom="Communauté de communes de démonstration")
cs = [demo] + [
    Collectivite.objects.create(
        nom=f"Bench {{n}}", type=demo.type, population=demo.population, localisation=demo.localisation
    )
    for n in range(1, {collectivites})
]
tokens = []
for n in range({clients}):
    user = User.objects.create_user(f"bench{{n}}")
    Membership.objects.create(user=user, collectivite=cs[n % len(cs)], role=Role.EDITION)
    tokens.append(create_api_token(user, "bench"))
print(json.dumps({{"collectivites": [c.pk for c in cs], "tokens": tokens}}))
"""
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    found = json.loads(out.strip().splitlines()[-1])
    return [int(c) for c in found["collectivites"]], list(found["tokens"])


@contextmanager
def servers(
    instances: int,
    database: str,
    data_dir: Path,
    referentiels: Path | None,
    workers: int | None,
    threads: int | None,
) -> Iterator[list[int]]:
    """``instances`` servers on one database (started one after the other: each prepares it)."""
    with ExitStack() as stack:
        ports = [
            stack.enter_context(server(database, data_dir, referentiels, workers, threads, n))
            for n in range(instances)
        ]
        yield ports


@contextmanager
def server(
    database: str,
    data_dir: Path,
    referentiels: Path | None,
    workers: int | None,
    threads: int | None,
    instance: int = 0,
) -> Iterator[int]:
    port = free_port()
    args = [str(JALON), "serve", "--port", str(port), "--data", str(data_dir)]
    if workers:
        args += ["--workers", str(workers)]
    if threads:
        args += ["--threads", str(threads)]
    if database:
        args += ["--database", database]
    if referentiels:
        args += ["--referentiels", str(referentiels)]
    # To a file, never to an unread pipe: once a pipe is full, the server's next log line would block
    # the thread writing it, and every request waiting on that thread.
    log = data_dir / f"server{instance}.log"
    process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=log.open("w"), text=True)
    SERVER_PIDS.append(process.pid)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"jalon serve did not start: {log.read_text()}") from None
                time.sleep(0.2)
        yield port
    finally:
        SERVER_PIDS.remove(process.pid)
        process.terminate()
        process.wait(timeout=20)


# The running servers' main processes, whose CPU time (with their workers') is measured.
SERVER_PIDS: list[int] = []
_TICK = os.sysconf("SC_CLK_TCK")


def server_cpu_seconds() -> float:
    """User + system CPU time of the servers and their descendants so far (Linux /proc). CPU time
    per request moves far less than latency when other work shares the machine."""
    parents: dict[int, int] = {}
    times: dict[int, float] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(entry)] = int(fields[1])
        times[int(entry)] = (int(fields[11]) + int(fields[12])) / _TICK
    total = 0.0
    for pid, seconds in times.items():
        ancestor = pid
        while ancestor > 1 and ancestor not in SERVER_PIDS:
            ancestor = parents.get(ancestor, 0)
        if ancestor in SERVER_PIDS:
            total += seconds
    return total


def request(
    conn: http.client.HTTPConnection, method: str, path: str, token: str, body: object = None
) -> tuple[int, bytes]:
    headers = {"Authorization": f"Bearer {token}"}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    conn.request(method, path, body=data, headers=headers)
    response = conn.getresponse()
    return response.status, response.read()


def tâches_of(port: int, collectivite: int, token: str) -> list[str]:
    """The tâches the collectivité may write (désactivé ones take no statut)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    base = f"/api/collectivites/{collectivite}"
    status, body = request(conn, "GET", base, token)
    assert status == 200, body
    out = []
    for referentiel in json.loads(body)["referentiels"]:
        status, body = request(conn, "GET", f"{base}/referentiels/{referentiel}", token)
        nodes = json.loads(body)
        depths = {n["depth"] for n in nodes}
        out += [n["action_id"] for n in nodes if n["depth"] == max(depths) and not n["scores"]["desactive"]]
    conn.close()
    return out


Client = tuple[str, int, int]  # an API token, the collectivité it writes, the port of its server


def load(
    clients: list[Client],
    actions: list[str],
    seconds: float,
    max_requests: int,
    seed: int = 0,
    think: float = 0.0,
) -> tuple[Timings, float]:
    timings = Timings()
    lock = threading.Lock()
    start = threading.Barrier(len(clients) + 1)

    def client(n: int, token: str, collectivite: int, port: int) -> None:
        base = f"/api/collectivites/{collectivite}"
        rng = random.Random(n * 1000 + seed)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        writes: list[float] = []
        reads: list[float] = []
        errors: list[str] = []
        start.wait()
        deadline = time.monotonic() + seconds
        if think:  # people do not start in step
            time.sleep(rng.uniform(0, think))
        for _ in range(max_requests):  # bounded, whatever the clock says
            if time.monotonic() >= deadline:
                break
            avancement = rng.choice(AVANCEMENTS)
            body: dict[str, object] = {"avancement": avancement}
            if avancement == "detaille":
                fait = rng.randrange(0, 101, 5)
                body["detaille"] = [fait, 100 - fait, 0]
            t0 = t1 = time.perf_counter()
            try:
                status, answer = request(conn, "PUT", f"{base}/statuts/{rng.choice(actions)}", token, body)
                t1 = time.perf_counter()
                if status != 200:
                    errors.append(f"PUT {status} {answer[:200]!r}")
                status, answer = request(conn, "GET", base, token)
                t2 = time.perf_counter()
                if status != 200:
                    errors.append(f"GET {status} {answer[:200]!r}")
            except (OSError, http.client.HTTPException) as error:  # counted, then a new connection
                errors.append(f"{type(error).__name__}: {error} after {time.perf_counter() - t0:.1f} s")
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                continue
            writes.append(t1 - t0)
            reads.append(t2 - t1)
            if think:  # a person reads the scores, then sets the next statut
                time.sleep(rng.uniform(0.5, 1.5) * think)
        conn.close()
        with lock:
            timings.writes += writes
            timings.reads += reads
            timings.errors += errors
            timings.loops.append(len(writes))

    threads = [threading.Thread(target=client, args=(n, *c)) for n, c in enumerate(clients)]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    return timings, time.perf_counter() - began


def _load_part(
    job: tuple[list[Client], int, list[str], float, int, float, float],
) -> tuple[Timings, float]:
    clients, first, actions, seconds, max_requests, start_at, think = job
    # Every process starts at the same instant (CLOCK_MONOTONIC is the machine's, not the process's).
    time.sleep(max(0.0, start_at - time.monotonic()))
    return load(clients, actions, seconds, max_requests, first, think)


def load_in_processes(
    processes: int,
    clients: list[Client],
    actions: list[str],
    seconds: float,
    max_requests: int,
    think: float = 0.0,
) -> tuple[Timings, float]:
    """The clients split over several processes. In one process, the client threads take turns on
    its GIL, and a response that arrived waits for its thread to get it: the timings would count that
    wait as the server's latency. Running both ways checks that the figures are the server's."""
    if processes <= 1:
        return load(clients, actions, seconds, max_requests, 0, think)
    start_at = time.monotonic() + 1.0
    jobs = [
        (clients[n::processes], n, actions, seconds, max_requests, start_at, think)
        for n in range(processes)
        if clients[n::processes]
    ]
    with multiprocessing.get_context("fork").Pool(len(jobs)) as pool:
        parts = pool.map(_load_part, jobs)
    timings = Timings()
    for part, _ in parts:
        timings.writes += part.writes
        timings.reads += part.reads
        timings.errors += part.errors
        timings.loops += part.loops
    return timings, max(elapsed for _, elapsed in parts)


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    return (
        statistics.quantiles(values, n=100, method="inclusive")[int(p) - 1] if len(values) > 1 else values[0]
    )


def report(name: str, timings: Timings, elapsed: float, cpu: float) -> dict[str, float]:
    both = timings.writes + timings.reads
    row = {
        "p50_ms": percentile(both, 50) * 1000,
        "p95_ms": percentile(both, 95) * 1000,
        "p99_ms": percentile(both, 99) * 1000,
        "max_ms": max(both, default=float("nan")) * 1000,
        "write_p50_ms": percentile(timings.writes, 50) * 1000,
        "write_p95_ms": percentile(timings.writes, 95) * 1000,
        "read_p50_ms": percentile(timings.reads, 50) * 1000,
        "read_p95_ms": percentile(timings.reads, 95) * 1000,
        "requests_per_s": len(both) / elapsed,
        "writes_per_s": len(timings.writes) / elapsed,
        "server_cpu_ms_per_request": cpu * 1000 / max(len(both), 1),
    }
    print(
        f"{name:<11} requests p50 {row['p50_ms']:6.1f} ms  p95 {row['p95_ms']:6.1f} ms | "
        f"writes p50 {row['write_p50_ms']:6.1f} p95 {row['write_p95_ms']:6.1f} | "
        f"reads p50 {row['read_p50_ms']:6.1f} p95 {row['read_p95_ms']:6.1f} | "
        f"{row['requests_per_s']:6.0f} req/s ({row['writes_per_s']:.0f} writes/s), "
        f"{len(timings.errors)} errors\n{'':<11} p99 {row['p99_ms']:6.1f} ms, max {row['max_ms']:6.1f} ms; "
        f"loops per client min {min(timings.loops, default=0)}, max {max(timings.loops, default=0)}; "
        f"server CPU {row['server_cpu_ms_per_request']:.2f} ms per request",
        flush=True,
    )
    for error in timings.errors[:5]:
        print("   ", error)
    return row


def run_one(name: str, database: str, args: argparse.Namespace) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="jalon-bench-") as tmp:
        data_dir = Path(tmp)
        collectivites, tokens = prepare(
            database, data_dir, args.referentiels, args.clients, args.collectivites
        )
        with servers(
            args.instances, database, data_dir, args.referentiels, args.workers, args.threads
        ) as ports:
            # Client n writes collectivité n mod C. Through instance n mod P by default, which (C a
            # multiple of P) sends every client of a collectivité to the same instance, as a load
            # balancer with affinity would; --spread sends them to all of them.
            spread = len(collectivites) if args.spread else 1
            clients = [
                (token, collectivites[n % len(collectivites)], ports[(n // spread) % len(ports)])
                for n, token in enumerate(tokens)
            ]
            # Same identity, so the same tâches are désactivé in every collectivité.
            actions = tâches_of(ports[0], collectivites[0], tokens[0])
            # Warm-up: the server loads the référentiel and stores the scores of each collectivité.
            load(clients[: len(collectivites) * len(ports)], actions, 2.0, 20)
            cpu = server_cpu_seconds()
            timings, elapsed = load_in_processes(
                args.client_processes, clients, actions, args.seconds, args.max_requests, args.think
            )
            cpu = server_cpu_seconds() - cpu
    return report(name, timings, elapsed, cpu)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--referentiels", type=Path, default=None, help="folder (default: bundled demo)")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument(
        "--collectivites",
        type=int,
        default=1,
        help="collectivités the clients write (client n: number n modulo); 1, the worst case, by default",
    )
    parser.add_argument("--max-requests", type=int, default=100_000, help="per client, a bound")
    parser.add_argument(
        "--client-processes", type=int, default=1, help="processes the clients are split over (GIL)"
    )
    parser.add_argument("--only", choices=["sqlite", "postgresql"], default=None)
    parser.add_argument("--workers", type=int, default=None, help="server processes (default: jalon's)")
    parser.add_argument("--threads", type=int, default=None, help="threads per process (default: jalon's)")
    parser.add_argument("--instances", type=int, default=1, help="jalon serve instances on one database")
    parser.add_argument(
        "--spread",
        action="store_true",
        help="with --instances: the clients of one collectivité spread over every instance (no affinity)",
    )
    parser.add_argument("--think", type=float, default=0.0, help="seconds a client pauses after a read")
    parser.add_argument(
        "--realistic", action="store_true", help="200 editors over 50 collectivités, 1 s of thought"
    )
    args = parser.parse_args()
    if args.realistic:
        args.clients, args.collectivites, args.think = 200, 50, 1.0
    referentiels = args.referentiels.resolve() if args.referentiels else None
    args.referentiels = referentiels
    print(
        f"{args.clients} clients on {args.collectivites} collectivité(s), {args.seconds:.0f} s, "
        f"référentiels: {referentiels or 'bundled demo'}, "
        f"{os.cpu_count()} cores, server workers {args.workers or 'default'} "
        f"threads {args.threads or 'default'}, {args.instances} instance(s), "
        f"think {args.think:.1f} s, clients in {args.client_processes} process(es)",
        flush=True,
    )
    if args.only != "postgresql":
        run_one("SQLite", "", args)
    if args.only != "sqlite":
        # The PostgreSQL provisioning of the tests (not part of the application) is beside them.
        sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
        from tests.postgres import throwaway_database

        with throwaway_database("jalon_bench") as url:
            run_one("PostgreSQL", url, args)


if __name__ == "__main__":
    main()
