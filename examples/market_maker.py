#!/usr/bin/env python3
"""A small market maker for Bourse's Binance-compatible spot API, written with the unmodified
ccxt library (pip install ccxt==4.5.90; tests/binance/requirements.txt pins it with its deps).

Start a server that prints a ready API key pair:

    cargo run --release -p bourse -- serve --demo-account
    ...
    demo-key bk_0123...  9f3e...          <- the line `demo-key <apiKey> <secret>`

then run, with that key and secret:

    python examples/market_maker.py --url http://127.0.0.1:8080 --key bk_0123... --secret 9f3e... \
        [--symbol BTC/USDT --spread-ticks 10 --size 0.001 --seconds 60]

(An admin can also open an account with `POST /v1/admin/accounts`, which answers apiKey and
secretKey.)

Every second it reads the book (`fetch_order_book`), takes the mid of the best bid and ask (or the
last price when a side is empty), cancels its quotes (`cancel_all_orders`) and places a post-only
bid and ask `--spread-ticks` ticks either side of the mid (`create_order` with postOnly, i.e.
LIMIT_MAKER). It prints each new fill (`fetch_my_trades`) and the balances. It stops after
`--seconds` (0 = until interrupted) or on Ctrl-C, cancelling its orders on the way out.

The only things that differ from trading on Binance are the URLs and three options: ccxt must not
ask for Binance's margin and futures endpoints (fetchMarkets types spot, fetchCurrencies False,
fetchMargins False).
"""

import argparse
import signal
import sys
import time

import ccxt


def connect(url, key, secret):
    url = url.rstrip("/")
    return ccxt.binance({
        "apiKey": key,
        "secret": secret,
        "urls": {"api": {"public": url + "/api/v3", "private": url + "/api/v3"}},
        "options": {
            "fetchMarkets": {"types": ["spot"]},
            "fetchCurrencies": False,
            "fetchMargins": False,
        },
        "enableRateLimit": False,
        "timeout": 10000,
    })


def mid_price(ex, symbol):
    ob = ex.fetch_order_book(symbol, 5)
    bid = ob["bids"][0][0] if ob["bids"] else None
    ask = ob["asks"][0][0] if ob["asks"] else None
    if bid is not None and ask is not None:
        return (bid + ask) / 2, bid, ask
    last = ex.fetch_ticker(symbol).get("last")
    return last, bid, ask


def cancel_quotes(ex, symbol):
    try:
        return len(ex.cancel_all_orders(symbol))
    except ccxt.OrderNotFound:  # nothing was open (-2011, as on Binance)
        return 0


def show_balance(ex, market):
    b = ex.fetch_balance()
    parts = []
    for asset in (market["base"], market["quote"]):
        a = b.get(asset, {})
        parts.append(f"{asset} free {a.get('free', 0)} locked {a.get('used', 0)}")
    print("balance  " + "; ".join(parts), flush=True)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--url", default="http://127.0.0.1:8080")
    ap.add_argument("--key", required=True, help="API key (the demo-key line's first field)")
    ap.add_argument("--secret", required=True, help="secret (the demo-key line's second field)")
    ap.add_argument("--symbol", default="BTC/USDT")
    ap.add_argument("--spread-ticks", type=int, default=10, help="distance of each quote from the mid")
    ap.add_argument("--size", type=float, default=0.001, help="quantity of each quote (base asset)")
    ap.add_argument("--seconds", type=float, default=60, help="how long to run (0: until Ctrl-C)")
    args = ap.parse_args(argv)

    # SIGTERM ends the run the same way as Ctrl-C (the orders are cancelled)
    def on_term(*_):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_term)

    ex = connect(args.url, args.key, args.secret)
    ex.load_markets()
    market = ex.market(args.symbol)
    tick = market["precision"]["price"]
    start_ms = ex.milliseconds()
    seen = set()
    end = time.monotonic() + args.seconds if args.seconds > 0 else None
    print(f"quoting {args.symbol} {args.size} each side, {args.spread_ticks} ticks ({tick}) from the mid", flush=True)
    show_balance(ex, market)
    try:
        while end is None or time.monotonic() < end:
            cycle = time.monotonic()
            mid, bid, ask = mid_price(ex, args.symbol)
            cancelled = cancel_quotes(ex, args.symbol)
            if mid is None:
                print("no book and no last price yet; waiting", flush=True)
            else:
                my_bid = float(ex.price_to_precision(args.symbol, mid - args.spread_ticks * tick))
                my_ask = float(ex.price_to_precision(args.symbol, mid + args.spread_ticks * tick))
                placed = []
                for side, price in (("buy", my_bid), ("sell", my_ask)):
                    try:
                        o = ex.create_order(args.symbol, "limit", side, args.size, price, {"postOnly": True})
                        placed.append(f"{side} {o['amount']} @ {o['price']} ({o['id']})")
                    except ccxt.OrderImmediatelyFillable:
                        placed.append(f"{side} @ {price} would take: skipped")
                    except ccxt.InsufficientFunds:
                        placed.append(f"{side} @ {price}: insufficient funds")
                    except ccxt.MarketClosed:
                        placed.append(f"{side}: market closed")
                    except ccxt.InvalidOrder as e:  # a filter, a band, …: say why, quote again next second
                        placed.append(f"{side} @ {price} refused: {e}")
                print(f"quote mid {mid:.2f} (book {bid} / {ask}), cancelled {cancelled}: " + "; ".join(placed),
                      flush=True)
            for t in ex.fetch_my_trades(args.symbol, since=start_ms):
                if t["id"] not in seen:
                    seen.add(t["id"])
                    fee = t.get("fee") or {}
                    print(f"fill     {t['side']} {t['amount']} @ {t['price']} ({t['takerOrMaker']}), "
                          f"fee {fee.get('cost')} {fee.get('currency')}", flush=True)
            show_balance(ex, market)
            time.sleep(max(0.0, 1.0 - (time.monotonic() - cycle)))
    except KeyboardInterrupt:
        print("interrupted", flush=True)
    finally:
        n = cancel_quotes(ex, args.symbol)
        print(f"stopped: cancelled {n} open orders; {len(seen)} fills", flush=True)
        show_balance(ex, market)
    return 0


if __name__ == "__main__":
    sys.exit(main())
