"""Wrong logins against a member's reads (not a test): ``jalon serve`` on SQLite (its defaults: one process,
one thread), one member reading its collectivité through the API with a token in a loop, first alone, then
while ``--attackers`` clients post wrong passwords to the login page without pausing, each attempt for
another account name (the worst case: an unknown account is hashed too, to hide that it does not exist).
Prints the member's read p50 / p95 in both phases and what the attackers got (200: the form again, the
password hashed and refused; 429: locked out before hashing). Only 127.0.0.1 is contacted; every loop stops
after ``--seconds`` or ``--max-requests``.

    .venv/bin/python bench/login_burst.py [--seconds 10] [--attackers 4]
"""

from __future__ import annotations

import argparse
import http.client
import re
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent))
from load_web import percentile, prepare, request, server

SLOW_S = 0.050


def reads(port: int, collectivite: int, token: str, stop: threading.Event, max_requests: int) -> list[float]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    out = []
    for _ in range(max_requests):
        if stop.is_set():
            break
        t0 = time.perf_counter()
        status, body = request(conn, "GET", f"/api/collectivites/{collectivite}", token)
        out.append(time.perf_counter() - t0)
        assert status == 200, body[:200]
    conn.close()
    return out


def attacker(n: int, port: int, stop: threading.Event, max_requests: int, statuses: Counter[int]) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    conn.request("GET", "/connexion/")
    page = conn.getresponse()
    html = page.read().decode()
    cookie = re.search(r"csrftoken=([^;]+)", page.getheader("Set-Cookie") or "")
    field = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert cookie and field, "no CSRF token on the login page"
    headers = {
        "Cookie": f"csrftoken={cookie.group(1)}",
        "Content-Type": "application/x-www-form-urlencoded",
        "Referer": f"http://127.0.0.1:{port}/connexion/",
    }
    for i in range(max_requests):
        if stop.is_set():
            break
        form = {"csrfmiddlewaretoken": field.group(1), "username": f"inconnu{n}-{i}", "password": "devine"}
        conn.request("POST", "/connexion/", body=urlencode(form), headers=headers)
        answer = conn.getresponse()
        answer.read()
        statuses[answer.status] += 1
    conn.close()


def phase(
    port: int, collectivite: int, token: str, seconds: float, attackers: int, max_requests: int
) -> tuple[list[float], Counter[int]]:
    stop = threading.Event()
    statuses: Counter[int] = Counter()
    threads = [
        threading.Thread(target=attacker, args=(n, port, stop, max_requests, statuses))
        for n in range(attackers)
    ]
    for thread in threads:
        thread.start()
    timer = threading.Timer(seconds, stop.set)
    timer.start()
    found = reads(port, collectivite, token, stop, max_requests)
    timer.cancel()
    stop.set()
    for thread in threads:
        thread.join()
    return found, statuses


def show(name: str, found: list[float], statuses: Counter[int]) -> None:
    attempts = ", ".join(f"{count} × {status}" for status, count in sorted(statuses.items())) or "none"
    slow = sum(1 for t in found if t > SLOW_S)
    print(
        f"{name:<13} member reads {len(found):5d}: p50 {percentile(found, 50) * 1000:6.1f} ms, "
        f"p95 {percentile(found, 95) * 1000:6.1f} ms, max {max(found) * 1000:7.1f} ms, "
        f"{slow} over {SLOW_S * 1000:.0f} ms | wrong logins: {attempts}",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=10.0, help="of each phase")
    parser.add_argument("--attackers", type=int, default=4)
    parser.add_argument("--max-requests", type=int, default=100_000, help="per client and phase, a bound")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="jalon-bench-") as tmp:
        data_dir = Path(tmp)
        collectivites, tokens = prepare("", data_dir, None, 1, 1)
        with server("", data_dir, None, None, None) as port:
            reads(port, collectivites[0], tokens[0], threading.Event(), 50)  # warm-up
            print(
                f"jalon serve on SQLite (defaults), {args.attackers} attackers, {args.seconds:.0f} s a phase",
                flush=True,
            )
            show("alone", *phase(port, collectivites[0], tokens[0], args.seconds, 0, args.max_requests))
            show(
                "wrong logins",
                *phase(port, collectivites[0], tokens[0], args.seconds, args.attackers, args.max_requests),
            )


if __name__ == "__main__":
    main()
