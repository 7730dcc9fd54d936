//! Amend: change a resting order's price and/or total quantity. A smaller quantity at the same price
//! keeps queue priority (Binance `order/amend/keepPriority`); anything else re-enters the order at
//! the back of the queue, where it may trade.

use super::state::{Ctx, Exchange};
use super::wallet::as_units;
use crate::book::{BookCommand, BookEvent, MatchingEngine};
use crate::messages::*;
use crate::types::*;
use rust_decimal::Decimal;

impl Exchange {
    #[allow(clippy::too_many_arguments)]
    pub(super) fn amend(
        &mut self,
        ctx: &mut Ctx<'_>,
        account: AccountId,
        instrument: InstrumentId,
        r: OrderRef,
        new_price: Option<Decimal>,
        new_qty: Option<Decimal>,
    ) {
        let id = match self.resolve(account, instrument, r) {
            Ok(id) => id,
            Err(reason) => {
                let oid = match r {
                    OrderRef::OrderId(id) => Some(id),
                    OrderRef::ClientOrderId(_) => None,
                };
                return self.reject_cmd(ctx, Some(account), oid, reason);
            }
        };
        match self.check_amend(id, new_price, new_qty) {
            Ok((price, qty, lock)) => self.apply_amend(ctx, id, price, qty, lock),
            Err(reason) => self.reject_cmd(ctx, Some(account), Some(id), reason),
        }
    }

    /// Validate an amend; returns (new price ticks, new total qty lots, new lock units).
    pub(super) fn check_amend(
        &self,
        id: OrderId,
        new_price: Option<Decimal>,
        new_qty: Option<Decimal>,
    ) -> Result<(Ticks, Lots, Units), Reason> {
        let o = &self.orders[&id];
        let ins = &self.instruments[o.instrument as usize];
        let spec = &self.config.instruments[o.instrument as usize];
        if ins.halted {
            return Err(Reason::InstrumentHalted);
        }
        if o.pending_stop || o.order_type != OrderType::Limit {
            return Err(Reason::InvalidOrder);
        }
        let price = match new_price {
            Some(p) => match to_grid(p, spec.tick_size) {
                Ok(t) if t > 0 => t,
                _ => return Err(Reason::PriceNotOnTick),
            },
            None => o.price,
        };
        let qty = match new_qty {
            Some(q) => match to_grid(q, spec.lot_size) {
                Ok(l) if l > 0 => l as Lots,
                _ => return Err(Reason::QuantityNotOnLot),
            },
            None => o.quantity,
        };
        let r = &ins.rules;
        if qty < r.min_lots || qty > r.max_lots {
            return Err(Reason::QuantityOutOfRange);
        }
        if qty <= o.cum_qty {
            return Err(Reason::InvalidOrder);
        }
        if r.notional(price, qty) < r.min_notional_units as i128 {
            return Err(Reason::NotionalBelowMinimum);
        }
        if price != o.price && !r.in_band(price, ins.reference()) {
            return Err(Reason::PriceOutsideBand);
        }
        if o.post_only && price != o.price {
            if let Some((best, _)) = ins.book.best(o.side.opposite()) {
                let takes = match o.side {
                    Side::Buy => best <= price,
                    Side::Sell => best >= price,
                };
                if takes {
                    return Err(Reason::PostOnlyWouldTake);
                }
            }
        }
        let remaining = qty - o.cum_qty;
        let lock = match o.side {
            Side::Buy => r.buy_limit_lock(price, remaining),
            Side::Sell => remaining as i128 * r.base_units_per_lot as i128,
        };
        let asset = match o.side {
            Side::Buy => r.quote,
            Side::Sell => r.base,
        };
        let avail = self.accounts[o.account as usize - 1].balances[asset as usize].available;
        if lock > o.locked as i128 + avail as i128 {
            return Err(Reason::InsufficientBalance);
        }
        Ok((price, qty, as_units(lock)))
    }

    pub(super) fn apply_amend(
        &mut self,
        ctx: &mut Ctx<'_>,
        id: OrderId,
        price: Ticks,
        qty: Lots,
        lock: Units,
    ) {
        let mut o = self.orders[&id];
        let r = self.instruments[o.instrument as usize].rules;
        let asset = match o.side {
            Side::Buy => r.quote,
            Side::Sell => r.base,
        };
        // Adjust the lock first: the re-entered order may trade against it.
        let b = &mut self.accounts[o.account as usize - 1].balances[asset as usize];
        b.available = b.available + o.locked - lock;
        b.locked = b.locked - o.locked + lock;
        ctx.touched_balances.push((o.account, asset));
        let old_price = o.price;
        o.price = price;
        o.quantity = qty;
        o.locked = lock;
        self.orders.insert(id, o);
        let remaining = qty - o.cum_qty;
        let mut evs = std::mem::take(&mut self.book_events);
        evs.clear();
        let instrument = o.instrument;
        self.instruments[instrument as usize].book.execute(
            &BookCommand::Amend {
                id,
                price,
                qty: remaining,
            },
            &mut evs,
        );
        for ev in &evs {
            match *ev {
                BookEvent::Amended { kept_priority, .. } => {
                    // Only the old level changes here; the new level is touched if and when the
                    // re-entered order rests (`Outcome::Rested`). Touching it unconditionally
                    // reported a level that never existed when the amend traded in full.
                    ctx.touched_levels.push((instrument, o.side, old_price));
                    self.report(ctx, &o, ExecType::Amended);
                    if kept_priority {
                        self.emit(
                            ctx,
                            Event::L3(L3Event::Reduced {
                                instrument,
                                order_id: id,
                                qty: remaining,
                            }),
                        );
                    } else {
                        self.emit(
                            ctx,
                            Event::L3(L3Event::Removed {
                                instrument,
                                order_id: id,
                            }),
                        );
                    }
                }
                ref other => self.settle(ctx, instrument, other, false),
            }
        }
        self.book_events = evs;
    }
}
