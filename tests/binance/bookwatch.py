"""ccxt.pro `watch_order_book` kept running against a moving market, then checked level by level
against the REST depth (shared by test_ccxt.py and soak.sh).

The check is exact and does not race the market: the admin pauses the simulation
(`POST /v1/admin/sim {"paused": true}`), the stream is drained until it has been quiet for a while
(the last diffs of the running batch arrive), then `fetch_order_book(limit=1000)` must equal the
watched book on the top `levels` levels of each side and carry the same update id
(`lastUpdateId` = the last `u` applied); then the simulation is resumed. Any exception of ccxt
(ChecksumError when `U` is not the previous `u` + 1, a closed socket, …) propagates.
"""

import asyncio
import time

from bourse_ccxt import admin, make_pro


class BookMismatch(AssertionError):
    pass


def _levels(side, n):
    return [[float(p), float(q)] for p, q, *_ in list(side)[:n]]


async def _drain(pro, symbol, quiet=1.5, bound=15.0):
    """Consume updates until none came for `quiet` seconds; returns how many were consumed."""
    n = 0
    end = time.monotonic() + bound
    while time.monotonic() < end:
        try:
            await asyncio.wait_for(pro.watch_order_book(symbol), timeout=quiet)
            n += 1
        except asyncio.TimeoutError:
            return n
    raise AssertionError(f"the depth stream kept sending for {bound} s after the pause")


async def compare_paused(pro, base, token, symbol, levels=50, log=print):
    """Pause the market, drain, compare with REST depth, resume. Returns the compared level counts."""
    admin(base, token, "POST", "/v1/admin/sim", {"paused": True})
    try:
        drained = await _drain(pro, symbol)
        watched = pro.orderbooks[symbol]
        w_bids, w_asks, w_nonce = _levels(watched["bids"], levels), _levels(watched["asks"], levels), watched["nonce"]
        rest = await pro.fetch_order_book(symbol, 1000)
        r_bids, r_asks, r_nonce = _levels(rest["bids"], levels), _levels(rest["asks"], levels), rest["nonce"]
        log(f"paused: drained {drained} updates; watched nonce {w_nonce}, REST lastUpdateId {r_nonce}; "
            f"levels compared bids {len(r_bids)} asks {len(r_asks)}")
        problems = []
        if w_nonce != r_nonce:
            problems.append(f"watched nonce {w_nonce} != REST lastUpdateId {r_nonce}")
        for name, w, r in (("bids", w_bids, r_bids), ("asks", w_asks, r_asks)):
            if w != r:
                for i in range(max(len(w), len(r))):
                    wl = w[i] if i < len(w) else None
                    rl = r[i] if i < len(r) else None
                    if wl != rl:
                        problems.append(f"{name}[{i}]: watched {wl} REST {rl}")
                        break
        if problems:
            raise BookMismatch("; ".join(problems))
        return len(r_bids), len(r_asks)
    finally:
        admin(base, token, "POST", "/v1/admin/sim", {"paused": False})


async def watch_and_compare(base, token, seconds, symbol="BTC/USDT", check_every=None, log=print):
    """Watch `symbol`'s book for `seconds`; compare with REST (paused) every `check_every` seconds
    and at the end. Returns {"updates": n, "checks": k, "levels": (bids, asks) of the last check}."""
    pro = make_pro(base)
    updates = 0
    checks = 0
    last_levels = None
    try:
        await pro.load_markets()
        start = time.monotonic()
        next_check = start + check_every if check_every else None
        next_log = start + 60
        last_nonce = None
        while time.monotonic() - start < seconds:
            ob = await asyncio.wait_for(pro.watch_order_book(symbol), timeout=30)
            updates += 1
            if last_nonce is not None and ob["nonce"] is not None and ob["nonce"] < last_nonce:
                raise AssertionError(f"watched nonce went back: {last_nonce} -> {ob['nonce']}")
            last_nonce = ob["nonce"]
            now = time.monotonic()
            if now >= next_log:
                log(f"{now - start:7.0f} s: {updates} updates, nonce {last_nonce}, "
                    f"best bid {ob['bids'][0] if ob['bids'] else None} ask {ob['asks'][0] if ob['asks'] else None}")
                next_log += 60
            if next_check is not None and now >= next_check:
                last_levels = await compare_paused(pro, base, token, symbol, log=log)
                checks += 1
                next_check = time.monotonic() + check_every
        last_levels = await compare_paused(pro, base, token, symbol, log=log)
        checks += 1
        return {"updates": updates, "checks": checks, "levels": last_levels}
    finally:
        await pro.close()
