#!/usr/bin/env python3
"""Order entry through ccxt on loopback: create_order + cancel_order round trips against the
Binance spot API of `bourse serve`, for 1 client and for 8 concurrent clients (processes, each
with its own account and its own ccxt client), printing N round trips, elapsed time, the rate
and p50/p99 latency of a round trip (and of each half).

    target/binance-venv/bin/python tests/binance/bench.py                 # starts its own server
    target/binance-venv/bin/python tests/binance/bench.py --bin target/release/bourse
    target/binance-venv/bin/python tests/binance/bench.py --url http://127.0.0.1:8080 --admin-token T

Without --url it starts `bourse serve --no-agents` (debug build by default, temporary data
directory, ephemeral port) and stops it at the end. The orders are limit buys 10 % under the
reference price, so they rest and are cancelled; the book is otherwise empty. The figures include
ccxt's own overhead (signing, parsing) and the server's durable journal (`fdatasync` per batch).
Note the server's default REST limits (2,000 requests/s per key, 5,000/s per IP); a round trip is
two requests.
"""

import argparse
import multiprocessing as mp
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from bourse_ccxt import DEFAULT_BIN, Server, make_rest, new_account  # noqa: E402

SYM = "BTC/USDT"


def pct(xs, p):
    if not xs:
        return float("nan")
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


def client(url, key, secret, n, price, barrier, out):
    ex = make_rest(url, key, secret)
    ex.load_markets()
    # one warm-up round trip (connection set up, markets cached)
    o = ex.create_order(SYM, "limit", "buy", 0.001, price)
    ex.cancel_order(o["id"], SYM)
    rt, create, cancel, errors = [], [], [], {}
    if barrier is not None:
        barrier.wait()
    t0 = time.perf_counter()
    for _ in range(n):
        a = time.perf_counter()
        try:
            o = ex.create_order(SYM, "limit", "buy", 0.001, price)
            b = time.perf_counter()
            ex.cancel_order(o["id"], SYM)
        except Exception as e:  # noqa: BLE001 - counted and printed
            errors[type(e).__name__] = errors.get(type(e).__name__, 0) + 1
            continue
        c = time.perf_counter()
        rt.append(c - a)
        create.append(b - a)
        cancel.append(c - b)
    out.put({"t0": t0, "t1": time.perf_counter(), "rt": rt, "create": create, "cancel": cancel,
             "errors": errors})


def run(url, token, clients, n, price):
    accounts = [new_account(url, token, f"bench-{clients}-{i}", {"USDT": "10000000"}) for i in range(clients)]
    out = mp.Queue()
    barrier = mp.Barrier(clients) if clients > 1 else None
    procs = [mp.Process(target=client, args=(url, k, s, n, price, barrier, out)) for _, k, s in accounts]
    for p in procs:
        p.start()
    res = [out.get(timeout=600) for _ in procs]
    for p in procs:
        p.join(30)
    t0 = min(r["t0"] for r in res)
    t1 = max(r["t1"] for r in res)
    rt = [x for r in res for x in r["rt"]]
    create = [x for r in res for x in r["create"]]
    cancel = [x for r in res for x in r["cancel"]]
    errors = {}
    for r in res:
        for k, v in r["errors"].items():
            errors[k] = errors.get(k, 0) + v
    elapsed = t1 - t0
    ms = 1000.0
    print(f"{clients} client{'s' if clients > 1 else ' '}: {len(rt)} round trips in {elapsed:.2f} s = "
          f"{len(rt) / elapsed:.0f} round trips/s ({2 * len(rt) / elapsed:.0f} requests/s); "
          f"round trip p50 {pct(rt, 50) * ms:.2f} ms p99 {pct(rt, 99) * ms:.2f} ms; "
          f"create p50 {pct(create, 50) * ms:.2f} p99 {pct(create, 99) * ms:.2f}; "
          f"cancel p50 {pct(cancel, 50) * ms:.2f} p99 {pct(cancel, 99) * ms:.2f} ms"
          + (f"; errors {errors}" if errors else ""), flush=True)
    return len(rt), errors


def main():
    ap = argparse.ArgumentParser(description="ccxt create_order + cancel_order round trips")
    ap.add_argument("--url", help="a running server (else one is started)")
    ap.add_argument("--admin-token", default=os.environ.get("BOURSE_ADMIN_TOKEN"))
    ap.add_argument("--bin", default=DEFAULT_BIN)
    ap.add_argument("-n", type=int, default=500, help="round trips per client")
    ap.add_argument("--clients", default="1,8", help="comma-separated client counts")
    ap.add_argument("--price", type=float, default=54000.0, help="limit price of the resting buys")
    args = ap.parse_args()
    srv = None
    url, token = args.url, args.admin_token
    if url is None:
        token = token or "binance-bench-admin-token-0001"
        srv = Server(["--no-agents", "--seed", "1"], token, binary=args.bin)
        url = srv.url
        print(f"started {args.bin} serve --no-agents at {url}", flush=True)
    elif not token:
        sys.exit("--admin-token (or BOURSE_ADMIN_TOKEN) is needed to open the accounts")
    failed = False
    try:
        for c in [int(x) for x in args.clients.split(",")]:
            done, errors = run(url, token, c, args.n, args.price)
            failed |= bool(errors) or done == 0
    finally:
        if srv is not None:
            srv.stop()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
