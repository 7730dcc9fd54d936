//! Stop orders: held off-book in a [`StopBook`] per instrument, triggered by the last trade price
//! (a buy stop when last ≥ stop, a sell stop when last ≤ stop). After each command that traded,
//! triggered stops run one at a time, lowest order id first, until none is triggered; each runs
//! once, so the loop is bounded by the number of stops.

use super::state::{Ctx, Exchange};
use crate::messages::*;
use crate::types::*;

impl Exchange {
    pub(super) fn run_stops(&mut self, ctx: &mut Ctx<'_>) {
        let mut k = 0;
        while k < ctx.traded.len() {
            let ins_id = ctx.traded[k];
            k += 1;
            // Each pass triggers at most one order; each stop triggers once, so this is bounded.
            loop {
                let ins = &mut self.instruments[ins_id as usize];
                let Some(last) = ins.last_price else { break };
                if ins.halted {
                    break;
                }
                let Some(id) = ins.stops.first_triggered(last) else {
                    break;
                };
                let o = self.orders[&id];
                self.instruments[ins_id as usize]
                    .stops
                    .remove(o.side, o.stop_price, id);
                self.trigger(ctx, id);
            }
        }
    }

    pub(super) fn trigger(&mut self, ctx: &mut Ctx<'_>, id: OrderId) {
        let mut o = self.orders[&id];
        o.pending_stop = false;
        let r = self.instruments[o.instrument as usize].rules;
        let mut budget = None;
        if o.side == Side::Buy && o.order_type == OrderType::StopMarket {
            if o.quote_quantity > 0 {
                budget = Some(o.quote_quantity as u128 / r.quote_units_per_tick_lot as u128);
            } else {
                let avail =
                    self.accounts[o.account as usize - 1].balances[r.quote as usize].available;
                budget = Some(r.market_budget(avail));
                o.locked = avail;
            }
        }
        let extra_lock = o.locked - self.orders[&id].locked;
        self.orders.insert(id, o);
        self.lock(ctx, o.account, r.quote, extra_lock);
        self.report(ctx, &o, ExecType::Triggered);
        self.submit(ctx, id, budget);
        let ins_id = o.instrument;
        if !ctx.traded.contains(&ins_id) {
            ctx.traded.push(ins_id);
        }
    }
}
