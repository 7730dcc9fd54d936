"""Shared helpers of the ccxt suite, the bench and the soak (tests/binance): start a `bourse serve`,
call its admin REST API (stdlib only), and build ccxt / ccxt.pro `binance` clients that talk to
it, changing only the URLs and the options an unmodified ccxt 4.5.90 needs
(docs: /work/shared/reference/binance-spot-subset.md, section 2):

    fetchMarkets.types = ['spot'], fetchCurrencies = False, fetchMargins = False
    (+ enableRateLimit = False, fetchOpenOrders.warnWithoutSymbol = False)
"""

import json
import os
import re
import shutil
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
DEFAULT_BIN = os.environ.get("BOURSE_BIN", os.path.join(ROOT, "target", "debug", "bourse"))

OPTIONS = {
    "fetchMarkets": {"types": ["spot"]},
    "fetchCurrencies": False,
    "fetchMargins": False,
    "fetchOpenOrders": {"warnWithoutSymbol": False},
}


def rest_urls(base):
    return {"public": base + "/api/v3", "private": base + "/api/v3"}


def ws_base(base):
    return "ws://" + base.split("://", 1)[1]


def make_rest(base, key=None, secret=None, **extra):
    """A synchronous ccxt.binance client for the server at `base` (http://host:port)."""
    import ccxt

    cfg = {
        "urls": {"api": rest_urls(base)},
        "options": json.loads(json.dumps(OPTIONS)),
        "enableRateLimit": False,
        "timeout": 15000,
    }
    if key is not None:
        cfg["apiKey"] = key
        cfg["secret"] = secret
    cfg.update(extra)
    return ccxt.binance(cfg)


def make_pro(base, key=None, secret=None, **extra):
    """An asyncio ccxt.pro.binance client: REST as make_rest, market streams at ws://…/ws and the
    user data stream at ws://…/ws-api/v3."""
    import ccxt.pro as ccxtpro

    ws = ws_base(base)
    urls = rest_urls(base)
    urls["ws"] = {"spot": ws + "/ws", "ws-api": {"spot": ws + "/ws-api/v3"}}
    cfg = {
        "urls": {"api": urls},
        "options": json.loads(json.dumps(OPTIONS)),
        "enableRateLimit": False,
        "timeout": 15000,
    }
    if key is not None:
        cfg["apiKey"] = key
        cfg["secret"] = secret
    cfg.update(extra)
    return ccxtpro.binance(cfg)


class AdminError(Exception):
    def __init__(self, status, body, method, path):
        super().__init__(f"{method} {path} -> HTTP {status}: {body}")
        self.status = status
        self.body = body


def admin(base, token, method, path, body=None, timeout=15):
    """One admin REST call (`Authorization: Bearer <token>`); returns the decoded JSON answer."""
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(base + path, data=data, method=method)
    req.add_header("Authorization", "Bearer " + token)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            raw = r.read()
    except urllib.error.HTTPError as e:
        raise AdminError(e.code, e.read().decode(errors="replace"), method, path) from None
    return json.loads(raw) if raw else None


def new_account(base, token, name, deposits):
    """POST /v1/admin/accounts → (accountId, apiKey, secretKey). Deposits: {"USDT": "100000"}."""
    r = admin(base, token, "POST", "/v1/admin/accounts",
              {"name": name, "deposits": {k: str(v) for k, v in deposits.items()}})
    return r["accountId"], r["apiKey"], r["secretKey"]


class Server:
    """A `bourse serve` child process on 127.0.0.1 (ephemeral port, temporary data directory)."""

    def __init__(self, args, token, binary=DEFAULT_BIN, startup_secs=60):
        self.token = token
        self.data_dir = tempfile.mkdtemp(prefix="bourse-binance-")
        self.log_path = os.path.join(self.data_dir, "..", os.path.basename(self.data_dir) + ".log")
        self.log = open(self.log_path, "w+")
        env = dict(os.environ, BOURSE_ADMIN_TOKEN=token)
        self.proc = subprocess.Popen(
            [binary, "serve", "--addr", "127.0.0.1:0", "--data-dir", self.data_dir, *args],
            stdout=self.log, stderr=subprocess.STDOUT, env=env)
        deadline = time.time() + startup_secs
        self.addr = None
        while time.time() < deadline:
            with open(self.log_path) as f:
                m = re.search(r"^listening\s+(\S+)", f.read(), re.M)
            if m:
                self.addr = m.group(1)
                break
            if self.proc.poll() is not None:
                break
            time.sleep(0.1)
        if self.addr is None:
            out = open(self.log_path).read()
            self.stop()
            raise RuntimeError(f"bourse serve did not start: {out}")
        self.url = "http://" + self.addr

    def output(self):
        with open(self.log_path) as f:
            return f.read()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        shutil.rmtree(self.data_dir, ignore_errors=True)
        try:
            os.unlink(self.log_path)
        except OSError:
            pass
