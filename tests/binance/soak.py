#!/usr/bin/env python3
"""The hour-long watch_order_book check (run by tests/binance/soak.sh): ccxt.pro keeps the
BTC/USDT book of a volatile market; every BOURSE_SOAK_CHECK_SECS (default 600) and at the end the
admin pauses the market and the watched book must equal the REST depth (top 50 levels each side,
same update id). Prints the updates seen and `ChecksumErrors 0`, or the failure (exit 1)."""

import asyncio
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import ccxt  # noqa: E402

from bookwatch import watch_and_compare  # noqa: E402


def main():
    url, token = sys.argv[1], sys.argv[2]
    secs = float(os.environ.get("BOURSE_SOAK_SECS", "3600"))
    every = float(os.environ.get("BOURSE_SOAK_CHECK_SECS", "600"))
    t0 = time.monotonic()
    log = lambda s: print(s, flush=True)  # noqa: E731
    try:
        r = asyncio.run(watch_and_compare(url, token, secs, "BTC/USDT", check_every=every, log=log))
    except ccxt.ChecksumError as e:
        print(f"FAILED after {time.monotonic() - t0:.0f} s: ChecksumErrors 1: {e}", flush=True)
        return 1
    except Exception as e:  # noqa: BLE001
        print(f"FAILED after {time.monotonic() - t0:.0f} s: {type(e).__name__}: {e}", flush=True)
        return 1
    print(f"soak ok: {r['updates']} updates seen in {secs:.0f} s; ChecksumErrors 0; "
          f"{r['checks']} paused comparisons with REST depth equal (last: {r['levels'][0]} bid and "
          f"{r['levels'][1]} ask levels)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
