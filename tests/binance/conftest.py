"""Fixtures of the ccxt suite. tests/binance/run.sh starts the two servers and exports:

    BOURSE_FLAT_URL   http://127.0.0.1:PORT of `bourse serve --no-agents --seed 7`
    BOURSE_LIVE_URL   http://127.0.0.1:PORT of `bourse serve --scenario volatile --speed 10 --seed 7`
    BOURSE_ADMIN_TOKEN  the admin token of both

Without them (a bare `pytest tests/binance`) the session starts the two servers itself.
"""

import itertools
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))

import ccxt  # noqa: E402

from bourse_ccxt import Server, make_pro, make_rest, new_account  # noqa: E402

_names = itertools.count(1)


class Market:
    """One running server: its URL, the admin token, and accounts opened for a test."""

    def __init__(self, url, token):
        self.url = url
        self.token = token
        self.opened = []

    def account(self, deposits, name=None):
        """A fresh account with these deposits; returns a ccxt REST client of it (markets loaded)."""
        name = name or f"ccxt-{next(_names)}"
        account_id, key, secret = new_account(self.url, self.token, name, deposits)
        ex = make_rest(self.url, key, secret)
        ex.load_markets()
        ex.bourse_account_id = account_id
        self.opened.append(ex)
        return ex

    def credentials(self, deposits, name=None):
        name = name or f"ccxt-{next(_names)}"
        return new_account(self.url, self.token, name, deposits)

    def public(self):
        ex = make_rest(self.url)
        ex.load_markets()
        return ex

    def pro(self, key=None, secret=None):
        return make_pro(self.url, key, secret)

    def cleanup(self):
        """Cancel whatever the test's accounts left open, so that tests do not trade with each
        other's leftovers on the shared book."""
        for ex in self.opened:
            for sym in ("BTC/USDT", "ETH/USDT"):
                try:
                    ex.cancel_all_orders(sym)
                except ccxt.OrderNotFound:
                    pass
                except Exception as e:  # noqa: BLE001 - reported, not hidden
                    print(f"cleanup: cancel_all_orders({sym}) failed: {type(e).__name__}: {e}")
        self.opened.clear()


def _server(kind, args):
    env = os.environ.get(f"BOURSE_{kind}_URL")
    token = os.environ.get("BOURSE_ADMIN_TOKEN")
    if env and token:
        yield env, token
        return
    srv = Server(args, token or "binance-ccxt-suite-admin-0001")
    try:
        yield srv.url, srv.token
    finally:
        srv.stop()


@pytest.fixture(scope="session")
def flat_server():
    yield from _server("FLAT", ["--no-agents", "--seed", "7"])


@pytest.fixture(scope="session")
def live_server():
    yield from _server("LIVE", ["--scenario", "volatile", "--speed", "10", "--seed", "7"])


@pytest.fixture
def flat(flat_server):
    m = Market(*flat_server)
    yield m
    m.cleanup()


@pytest.fixture
def live(live_server):
    m = Market(*live_server)
    yield m
    m.cleanup()
