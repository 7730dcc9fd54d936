//! Full-exchange workloads ([`Command`] streams for [`Exchange::apply`]) and their runner.

use crate::mix::{Action, MixGen, MixParams, PlaceKind, Shadow};
use bourse_core::{
    from_grid, Command, Event, Exchange, ExchangeConfig, ExecType, InstrumentId, Lots, NewOrder,
    OrderRef, OrderSpec, OrderType, Sequenced, Side, StpMode, Ticks, TimeInForce,
};
use rust_decimal::Decimal;

/// A command with its timestamp (the sequencer assigns the sequence number).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timed {
    /// Timestamp, ns.
    pub ts_ns: u64,
    /// The command.
    pub cmd: Command,
}

/// A full-exchange workload: the configuration, the untimed setup (accounts and deposits) and the
/// timed flow.
#[derive(Debug, Clone)]
pub struct ExchangeWorkload {
    /// Exchange configuration ([`ExchangeConfig::default_spot`]).
    pub config: ExchangeConfig,
    /// Account creation and funding.
    pub setup: Vec<Timed>,
    /// The order flow.
    pub flow: Vec<Timed>,
}

impl ExchangeWorkload {
    /// A fresh exchange with the setup applied (invariant checks off, as in production builds).
    pub fn prepared(&self) -> Exchange {
        let mut ex = Exchange::new(self.config.clone()).expect("valid config");
        ex.check_every_command = false;
        let mut out = Vec::new();
        for t in &self.setup {
            ex.apply(t.ts_ns, &t.cmd, &mut out);
            out.clear();
        }
        ex
    }
}

/// What a run of commands did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ExchangeStats {
    /// Commands applied.
    pub commands: u64,
    /// Events emitted.
    pub events: u64,
    /// Public trades.
    pub trades: u64,
    /// Rejected placements and commands.
    pub rejects: u64,
    /// Event digest after the last command (equal runs have equal digests, on every platform).
    pub digest: u64,
}

impl ExchangeStats {
    #[inline]
    fn absorb(&mut self, out: &[Sequenced]) {
        self.events += out.len() as u64;
        for s in out {
            match &s.event {
                Event::Trade(_) => self.trades += 1,
                Event::CommandRejected { .. } => self.rejects += 1,
                Event::Execution(r) if r.exec_type == ExecType::Rejected => self.rejects += 1,
                _ => {}
            }
        }
    }
}

/// Apply `flow` to `ex`, the events consumed (counted) and discarded command by command.
pub fn run_exchange(ex: &mut Exchange, flow: &[Timed]) -> ExchangeStats {
    let mut out = Vec::with_capacity(4096);
    let mut st = ExchangeStats::default();
    for t in flow {
        ex.apply(t.ts_ns, &t.cmd, &mut out);
        st.absorb(&out);
        out.clear();
    }
    st.commands = flow.len() as u64;
    st.digest = ex.event_digest();
    st
}

/// [`run_exchange`] with a latency sample per command (see [`crate::run_book_timed`]).
pub fn run_exchange_timed(
    ex: &mut Exchange,
    flow: &[Timed],
    mut clock: impl FnMut() -> u64,
    mut record: impl FnMut(u64),
) -> ExchangeStats {
    let mut out = Vec::with_capacity(4096);
    let mut st = ExchangeStats::default();
    let mut t0 = clock();
    for t in flow {
        ex.apply(t.ts_ns, &t.cmd, &mut out);
        st.absorb(&out);
        out.clear();
        let t1 = clock();
        record(t1 - t0);
        t0 = t1;
    }
    st.commands = flow.len() as u64;
    st.digest = ex.event_digest();
    st
}

/// 2024-01-01T00:00:00Z, the workloads' start time.
pub const START_NS: u64 = 1_704_067_200_000_000_000;

/// Shadow view: client order id → exchange order id → open order.
struct ExShadow<'a> {
    ex: &'a Exchange,
    order_of_cid: &'a [u64],
}

impl Shadow for ExShadow<'_> {
    fn resting(&self, cid: u64) -> Option<(Side, Ticks, Lots)> {
        let oid = *self.order_of_cid.get(cid as usize)?;
        let o = self.ex.open_order(oid)?;
        (!o.pending_stop).then_some((o.side, o.price, o.quantity - o.cum_qty))
    }
}

/// The realistic mix (see [`crate::mix`]) through the whole exchange on BTC-USDT of
/// [`ExchangeConfig::default_spot`]: `accounts` accounts, each funded with 1 000 BTC and
/// 100 000 000 USDT (setup), then `n` order commands (place / cancel / amend by client order id),
/// one every microsecond of virtual time. Orders are 10–400 lots (0.0001–0.004 BTC) near 60 000 USDT.
/// Generated against a shadow exchange, so cancels and amends name open orders.
pub fn realistic_exchange(seed: u64, n: usize, accounts: u32) -> ExchangeWorkload {
    let config = ExchangeConfig::default_spot();
    let instrument: InstrumentId = 0;
    let spec = config.instruments[instrument as usize].clone();
    let (base, quote) = (spec.base, spec.quote);
    let mut setup = Vec::with_capacity(accounts as usize * 3);
    for a in 1..=accounts {
        setup.push(Timed {
            ts_ns: START_NS,
            cmd: Command::CreateAccount {
                max_open_orders: None,
                daily_notional_limit: None,
            },
        });
        for (asset, amount) in [(base, 1_000i64), (quote, 100_000_000)] {
            setup.push(Timed {
                ts_ns: START_NS,
                cmd: Command::Deposit {
                    account: a,
                    asset,
                    amount: Decimal::from(amount),
                },
            });
        }
    }
    let workload = ExchangeWorkload {
        config,
        setup,
        flow: Vec::with_capacity(n),
    };
    let mut shadow = workload.prepared();
    let start_mid = bourse_core::to_grid(spec.reference_price, spec.tick_size).expect("on grid");
    let params = MixParams {
        start_mid,
        owners: accounts,
        min_lots: 10,
        max_lots: 400,
        ..MixParams::default()
    };
    let mut gen = MixGen::new(seed, params);
    let mut order_of_cid: Vec<u64> = vec![0];
    let mut flow = Vec::with_capacity(n);
    let mut out = Vec::with_capacity(4096);
    let price = |t: Ticks| Some(from_grid(t, spec.tick_size));
    let qty = |l: Lots| Some(from_grid(l as i64, spec.lot_size));
    for i in 0..n {
        let action = gen.next(&ExShadow {
            ex: &shadow,
            order_of_cid: &order_of_cid,
        });
        let cmd = match action {
            Action::Place {
                id,
                owner,
                side,
                price: p,
                qty: q,
                kind,
            } => {
                let market = kind == PlaceKind::Market;
                // Half the market buys are sized by quote amount (Binance quoteOrderQty).
                let by_quote = market && side == Side::Buy && id % 2 == 0;
                Command::PlaceOrder(NewOrder {
                    account: owner,
                    spec: OrderSpec {
                        instrument,
                        side,
                        order_type: if market {
                            OrderType::Market
                        } else {
                            OrderType::Limit
                        },
                        tif: match kind {
                            PlaceKind::Gtc | PlaceKind::PostOnly | PlaceKind::Market => {
                                TimeInForce::Gtc
                            }
                            PlaceKind::Ioc => TimeInForce::Ioc,
                            PlaceKind::Fok => TimeInForce::Fok,
                        },
                        price: if market { None } else { price(p) },
                        quantity: if by_quote { None } else { qty(q) },
                        quote_quantity: by_quote
                            .then(|| from_grid(p * q as i64, spec.tick_size * spec.lot_size)),
                        stop_price: None,
                        post_only: kind == PlaceKind::PostOnly,
                        stp: StpMode::None,
                        client_order_id: Some(id),
                    },
                })
            }
            Action::Cancel { id, owner } => Command::CancelOrder {
                account: owner,
                instrument,
                order: OrderRef::ClientOrderId(id),
            },
            Action::Amend {
                id,
                owner,
                price: p,
                qty: q,
            } => {
                // The exchange's amend quantity is the new total, including what already filled.
                let filled = shadow
                    .open_order(order_of_cid[id as usize])
                    .map_or(0, |o| o.cum_qty);
                Command::AmendOrder {
                    account: owner,
                    instrument,
                    order: OrderRef::ClientOrderId(id),
                    price: price(p),
                    quantity: qty(q + filled),
                }
            }
        };
        let t = Timed {
            ts_ns: START_NS + 1_000 + i as u64 * 1_000,
            cmd,
        };
        shadow.apply(t.ts_ns, &t.cmd, &mut out);
        if let Command::PlaceOrder(o) = &t.cmd {
            let cid = o.spec.client_order_id.expect("set above") as usize;
            let oid = out
                .iter()
                .find_map(|s| match &s.event {
                    Event::Execution(r) if r.exec_type == ExecType::New => Some(r.order_id),
                    _ => None,
                })
                .unwrap_or(0);
            if order_of_cid.len() <= cid {
                order_of_cid.resize(cid + 1, 0);
            }
            order_of_cid[cid] = oid;
        }
        out.clear();
        flow.push(t);
    }
    ExchangeWorkload { flow, ..workload }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn realistic_exchange_is_deterministic_and_mostly_accepted() {
        let w = realistic_exchange(5, 20_000, 50);
        let w2 = realistic_exchange(5, 20_000, 50);
        assert_eq!(w.flow, w2.flow);
        let mut ex = w.prepared();
        let st = run_exchange(&mut ex, &w.flow);
        ex.check_invariants().unwrap();
        let mut ex2 = w2.prepared();
        assert_eq!(st, run_exchange(&mut ex2, &w2.flow));
        assert!(st.trades > 500, "{st:?}");
        assert!(st.rejects < st.commands / 10, "{st:?}");
    }
}
