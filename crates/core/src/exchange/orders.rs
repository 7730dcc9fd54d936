//! Placement, matching and settlement: an accepted order gets its id and lock, goes to its book, and
//! every book event is settled (fills move balances and fees, rests add L3, expiries close);
//! cancels and cancel-all; execution reports.

use super::data::OpenOrder;
use super::state::{Ctx, Exchange, DAY_NS};
use super::wallet::as_units;
use crate::book::{BookCommand, BookEvent, BookOrder, ExpireReason, MatchingEngine, Outcome};
use crate::messages::*;
use crate::types::*;
use rust_decimal::Decimal;

impl Exchange {
    /// Emit the REJECTED report of a placement. It carries what the order asked for where that
    /// is on the instrument's grid (price and stop price in ticks, quantity in lots, quote
    /// quantity in quote units, each 0 when absent, off the grid or the instrument is unknown),
    /// as Binance's reject answers repeat the request, so a client's order history keeps what was
    /// sent.
    pub(super) fn reject_order(&mut self, ctx: &mut Ctx<'_>, o: &NewOrder, reason: Reason) {
        let fee_asset = self
            .instruments
            .get(o.spec.instrument as usize)
            .map(|i| i.rules.quote)
            .unwrap_or(0);
        let (price, stop_price, quantity, quote_quantity) =
            match self.config.instruments.get(o.spec.instrument as usize) {
                Some(spec) => {
                    let grid = |v: Option<Decimal>, step: Decimal| {
                        v.and_then(|v| to_grid(v, step).ok()).unwrap_or(0)
                    };
                    let quote_dec = self.config.assets[fee_asset as usize].decimals;
                    (
                        grid(o.spec.price, spec.tick_size),
                        grid(o.spec.stop_price, spec.tick_size),
                        grid(o.spec.quantity, spec.lot_size) as Lots,
                        grid(o.spec.quote_quantity, unit_step(quote_dec)) as Units,
                    )
                }
                None => (0, 0, 0, 0),
            };
        self.emit(
            ctx,
            Event::Execution(ExecutionReport {
                account: o.account,
                instrument: o.spec.instrument,
                order_id: 0,
                client_order_id: o.spec.client_order_id,
                side: o.spec.side,
                order_type: o.spec.order_type,
                tif: o.spec.tif,
                price,
                stop_price,
                quantity,
                quote_quantity,
                exec_type: ExecType::Rejected,
                status: OrderStatus::Rejected,
                reason: Some(reason),
                trade_id: 0,
                last_price: 0,
                last_qty: 0,
                last_quote: 0,
                liquidity: None,
                fee: 0,
                fee_asset,
                cum_qty: 0,
                cum_quote: 0,
            }),
        );
    }

    pub(super) fn place(&mut self, ctx: &mut Ctx<'_>, o: &NewOrder) {
        let a = match self.check_order(ctx.ts_ns, o) {
            Ok(a) => a,
            Err(reason) => return self.reject_order(ctx, o, reason),
        };
        let id = self.next_order_id;
        self.next_order_id += 1;
        let r = self.instruments[o.spec.instrument as usize].rules;
        let is_stop = matches!(
            o.spec.order_type,
            OrderType::StopLimit | OrderType::StopMarket
        );
        let lock_asset = match a.side {
            Side::Buy => r.quote,
            Side::Sell => r.base,
        };
        self.lock(ctx, o.account, lock_asset, a.lock);
        let order = OpenOrder {
            id,
            account: o.account,
            instrument: o.spec.instrument,
            client_order_id: o.spec.client_order_id,
            side: a.side,
            order_type: o.spec.order_type,
            tif: if matches!(o.spec.order_type, OrderType::Market | OrderType::StopMarket) {
                TimeInForce::Ioc
            } else {
                o.spec.tif
            },
            post_only: o.spec.post_only,
            stp: o.spec.stp,
            price: a.price,
            stop_price: a.stop,
            quantity: a.lots,
            quote_quantity: a.quote_units,
            cum_qty: 0,
            cum_quote: 0,
            locked: a.lock,
            pending_stop: is_stop,
        };
        self.orders.insert(id, order);
        if let Some(cid) = o.spec.client_order_id {
            self.client_ids.insert((o.account, cid), id);
        }
        self.accounts[o.account as usize - 1].open_orders += 1;
        self.report(ctx, &order, ExecType::New);
        if is_stop {
            let ins = &mut self.instruments[o.spec.instrument as usize];
            ins.stops.insert(a.side, a.stop, id);
            return;
        }
        self.submit(ctx, id, a.budget);
    }

    /// Send an accepted (or triggered) order to its book and settle the outcome.
    pub(super) fn submit(&mut self, ctx: &mut Ctx<'_>, id: OrderId, budget: Option<u128>) {
        let o = self.orders[&id];
        let market = matches!(o.order_type, OrderType::Market | OrderType::StopMarket);
        let cmd = BookCommand::Place(BookOrder {
            id,
            owner: o.account,
            side: o.side,
            price: if market { None } else { Some(o.price) },
            qty: if o.quantity == 0 {
                u64::MAX / 2
            } else {
                o.quantity - o.cum_qty
            },
            tif: o.tif,
            post_only: o.post_only,
            stp: o.stp,
            budget,
        });
        self.run_book(ctx, o.instrument, &cmd);
    }

    /// Run one book command and settle every book event it produced.
    pub(super) fn run_book(
        &mut self,
        ctx: &mut Ctx<'_>,
        instrument: InstrumentId,
        cmd: &BookCommand,
    ) {
        let mut evs = std::mem::take(&mut self.book_events);
        evs.clear();
        self.instruments[instrument as usize]
            .book
            .execute(cmd, &mut evs);
        // A market buy sized by quote amount that spent its budget is FILLED on its last fill (as
        // Binance reports `quoteOrderQty` orders), not EXPIRED afterwards.
        let final_fill = match evs.last() {
            Some(&BookEvent::Done {
                id,
                filled,
                outcome: Outcome::Expired(ExpireReason::BudgetExhausted),
                ..
            }) if filled > 0 && self.orders.get(&id).is_some_and(|o| o.quantity == 0) => evs
                .iter()
                .rposition(|e| matches!(e, BookEvent::Fill { .. })),
            _ => None,
        };
        for (i, ev) in evs.iter().enumerate() {
            self.settle(ctx, instrument, ev, final_fill == Some(i));
        }
        self.book_events = evs;
    }

    /// Settle one book event. `taker_final` marks the fill that completes a quote-sized market
    /// buy (see [`Exchange::run_book`]).
    pub(super) fn settle(
        &mut self,
        ctx: &mut Ctx<'_>,
        instrument: InstrumentId,
        ev: &BookEvent,
        taker_final: bool,
    ) {
        match *ev {
            BookEvent::Fill {
                taker_id,
                maker_id,
                price,
                qty,
                maker_remaining,
                ..
            } => self.fill(
                ctx,
                instrument,
                taker_id,
                maker_id,
                price,
                qty,
                taker_final,
                maker_remaining,
                None,
            ),
            BookEvent::UncrossFill {
                taker_id,
                maker_id,
                price,
                qty,
                maker_remaining,
                taker_remaining,
                ..
            } => self.fill(
                ctx,
                instrument,
                taker_id,
                maker_id,
                price,
                qty,
                false,
                maker_remaining,
                Some(taker_remaining),
            ),
            BookEvent::MakerExpired { id, price, .. } => {
                let side = self.orders[&id].side;
                ctx.touched_levels.push((instrument, side, price));
                self.emit(
                    ctx,
                    Event::L3(L3Event::Removed {
                        instrument,
                        order_id: id,
                    }),
                );
                self.close(
                    ctx,
                    id,
                    ExecType::Expired,
                    OrderStatus::ExpiredInMatch,
                    Reason::SelfTradePrevention,
                );
            }
            BookEvent::Done { id, outcome, .. } => match outcome {
                Outcome::Filled => {} // closed by its last fill
                Outcome::Rested => {
                    let o = self.orders[&id];
                    let remaining = o.quantity - o.cum_qty;
                    ctx.touched_levels.push((instrument, o.side, o.price));
                    self.emit(
                        ctx,
                        Event::L3(L3Event::Added {
                            instrument,
                            order_id: id,
                            side: o.side,
                            price: o.price,
                            qty: remaining,
                        }),
                    );
                }
                Outcome::Expired(_) if !self.orders.contains_key(&id) => {} // closed as FILLED
                Outcome::Expired(why) => {
                    let (status, reason) = match why {
                        ExpireReason::IocRemainder => (OrderStatus::Expired, Reason::IocRemainder),
                        ExpireReason::FokUnfillable => {
                            (OrderStatus::Expired, Reason::FokUnfillable)
                        }
                        ExpireReason::NoLiquidity => (OrderStatus::Expired, Reason::NoLiquidity),
                        ExpireReason::BudgetExhausted => {
                            (OrderStatus::Expired, Reason::BudgetExhausted)
                        }
                        ExpireReason::SelfTradePrevention => {
                            (OrderStatus::ExpiredInMatch, Reason::SelfTradePrevention)
                        }
                    };
                    self.close(ctx, id, ExecType::Expired, status, reason);
                }
            },
            BookEvent::Canceled { id, price, .. } => {
                let side = self.orders[&id].side;
                ctx.touched_levels.push((instrument, side, price));
                self.emit(
                    ctx,
                    Event::L3(L3Event::Removed {
                        instrument,
                        order_id: id,
                    }),
                );
            }
            BookEvent::Amended { .. } | BookEvent::Rejected { .. } => {}
        }
    }

    /// Settle one fill: the public trade, L3, both sides' balances and reports. In an uncross
    /// (`uncross_taker_remaining` is `Some`) both orders were resting, each at its own limit,
    /// so both levels change and the taker gets an L3 event too.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn fill(
        &mut self,
        ctx: &mut Ctx<'_>,
        instrument: InstrumentId,
        taker_id: OrderId,
        maker_id: OrderId,
        price: Ticks,
        qty: Lots,
        taker_final: bool,
        maker_remaining: Lots,
        uncross_taker_remaining: Option<Lots>,
    ) {
        let ins = &mut self.instruments[instrument as usize];
        let r = ins.rules;
        let trade_id = ins.next_trade_id;
        ins.next_trade_id += 1;
        ins.last_price = Some(price);
        let quote = as_units(r.notional(price, qty));
        ins.candles.on_trade(ctx.ts_ns, price, qty, quote);
        let taker_side = self.orders[&taker_id].side;
        // In continuous trading the trade prints at the maker's price; in an uncross the maker
        // rests at its own limit, which the uncross price may differ from.
        let maker_price = match uncross_taker_remaining {
            Some(_) => self.orders[&maker_id].price,
            None => price,
        };
        ctx.touched_levels
            .push((instrument, taker_side.opposite(), maker_price));
        if uncross_taker_remaining.is_some() {
            let taker_price = self.orders[&taker_id].price;
            ctx.touched_levels
                .push((instrument, taker_side, taker_price));
        }
        if ctx.traded.last() != Some(&instrument) {
            ctx.traded.push(instrument);
        }
        self.emit(
            ctx,
            Event::Trade(Trade {
                instrument,
                trade_id,
                price,
                qty,
                quote_qty: quote,
                aggressor: taker_side,
                maker_order_id: maker_id,
                taker_order_id: taker_id,
            }),
        );
        self.emit(
            ctx,
            Event::L3(l3_left(instrument, maker_id, maker_remaining)),
        );
        if let Some(left) = uncross_taker_remaining {
            self.emit(ctx, Event::L3(l3_left(instrument, taker_id, left)));
        }
        for (id, liq) in [(maker_id, Liquidity::Maker), (taker_id, Liquidity::Taker)] {
            let rate = match liq {
                Liquidity::Maker => r.maker_fee_ppm,
                Liquidity::Taker => r.taker_fee_ppm,
            };
            let fee = as_units(fee_units(quote as i128, rate));
            self.settle_fill(ctx, &r, id, qty, quote, fee);
            let o = self.orders[&id];
            let done = match liq {
                Liquidity::Maker => maker_remaining == 0,
                Liquidity::Taker => taker_final || (o.quantity != 0 && o.cum_qty == o.quantity),
            };
            let status = if done {
                OrderStatus::Filled
            } else {
                OrderStatus::PartiallyFilled
            };
            self.emit_fill_report(ctx, &o, status, trade_id, price, qty, quote, liq, fee);
            if done {
                self.remove_order(ctx, id);
            }
        }
    }

    /// Move balances for one side of a fill and update the order's accounting.
    pub(super) fn settle_fill(
        &mut self,
        ctx: &mut Ctx<'_>,
        r: &InstrumentRules,
        id: OrderId,
        qty: Lots,
        quote: Units,
        fee: Units,
    ) {
        let o = self.orders.get_mut(&id).expect("order of a fill is open");
        o.cum_qty += qty;
        o.cum_quote += quote;
        let account = o.account;
        let acct = &mut self.accounts[account as usize - 1];
        // Daily traded notional.
        let day = ctx.ts_ns / DAY_NS;
        let dt = &mut acct.daily_traded[o.instrument as usize];
        if dt.0 != day {
            *dt = (day, 0);
        }
        dt.1 += quote as u128;
        let base_units = qty * r.base_units_per_lot;
        match o.side {
            Side::Buy => {
                let spend = quote + fee;
                let market = matches!(o.order_type, OrderType::Market | OrderType::StopMarket);
                let new_lock = if market {
                    o.locked - spend
                } else {
                    as_units(r.buy_limit_lock(o.price, o.quantity - o.cum_qty))
                };
                let release = o.locked - spend - new_lock;
                o.locked = new_lock;
                let q = &mut acct.balances[r.quote as usize];
                q.locked -= spend + release;
                q.available += release;
                acct.balances[r.base as usize].available += base_units;
            }
            Side::Sell => {
                o.locked -= base_units;
                acct.balances[r.base as usize].locked -= base_units;
                acct.balances[r.quote as usize].available += quote - fee;
            }
        }
        self.fees[r.quote as usize] += fee as u128;
        ctx.touched_balances.push((account, r.quote));
        ctx.touched_balances.push((account, r.base));
    }

    /// Release an order's whole lock and forget it (it is no longer open).
    pub(super) fn remove_order(&mut self, ctx: &mut Ctx<'_>, id: OrderId) {
        let o = self.orders.remove(&id).expect("open order");
        if o.locked > 0 {
            let r = &self.instruments[o.instrument as usize].rules;
            let asset = match o.side {
                Side::Buy => r.quote,
                Side::Sell => r.base,
            };
            let b = &mut self.accounts[o.account as usize - 1].balances[asset as usize];
            b.locked -= o.locked;
            b.available += o.locked;
            ctx.touched_balances.push((o.account, asset));
        }
        if let Some(cid) = o.client_order_id {
            self.client_ids.remove(&(o.account, cid));
        }
        self.accounts[o.account as usize - 1].open_orders -= 1;
    }

    /// Report the end of an order (cancel / expiry) and forget it.
    pub(super) fn close(
        &mut self,
        ctx: &mut Ctx<'_>,
        id: OrderId,
        exec: ExecType,
        status: OrderStatus,
        reason: Reason,
    ) {
        let o = self.orders[&id];
        self.report_with_status(ctx, &o, exec, status, Some(reason));
        self.remove_order(ctx, id);
    }

    /// Report `exec` on `o` with the order's own status and no reason.
    pub(super) fn report(&mut self, ctx: &mut Ctx<'_>, o: &OpenOrder, exec: ExecType) {
        self.report_with_status(ctx, o, exec, o.status(), None);
    }

    pub(super) fn report_with_status(
        &mut self,
        ctx: &mut Ctx<'_>,
        o: &OpenOrder,
        exec: ExecType,
        status: OrderStatus,
        reason: Option<Reason>,
    ) {
        let fee_asset = self.instruments[o.instrument as usize].rules.quote;
        self.emit(
            ctx,
            Event::Execution(base_report(o, exec, status, reason, fee_asset)),
        );
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn emit_fill_report(
        &mut self,
        ctx: &mut Ctx<'_>,
        o: &OpenOrder,
        status: OrderStatus,
        trade_id: u64,
        price: Ticks,
        qty: Lots,
        quote: Units,
        liq: Liquidity,
        fee: Units,
    ) {
        let fee_asset = self.instruments[o.instrument as usize].rules.quote;
        let mut rep = base_report(o, ExecType::Trade, status, None, fee_asset);
        rep.trade_id = trade_id;
        rep.last_price = price;
        rep.last_qty = qty;
        rep.last_quote = quote;
        rep.liquidity = Some(liq);
        rep.fee = fee;
        self.emit(ctx, Event::Execution(rep));
    }

    // ------------------------------------------------------------------ cancel / amend

    pub(super) fn resolve(
        &self,
        account: AccountId,
        instrument: InstrumentId,
        r: OrderRef,
    ) -> Result<OrderId, Reason> {
        if self.account(account).is_none() {
            return Err(Reason::UnknownAccount);
        }
        if instrument as usize >= self.instruments.len() {
            return Err(Reason::UnknownInstrument);
        }
        let id = match r {
            OrderRef::OrderId(id) => id,
            OrderRef::ClientOrderId(c) => *self
                .client_ids
                .get(&(account, c))
                .ok_or(Reason::UnknownOrder)?,
        };
        match self.orders.get(&id) {
            Some(o) if o.account == account && o.instrument == instrument => Ok(id),
            _ => Err(Reason::UnknownOrder),
        }
    }

    pub(super) fn cancel(
        &mut self,
        ctx: &mut Ctx<'_>,
        account: AccountId,
        instrument: InstrumentId,
        r: OrderRef,
    ) {
        match self.resolve(account, instrument, r) {
            Ok(id) => self.cancel_one(ctx, id, Reason::Canceled),
            Err(reason) => {
                let oid = match r {
                    OrderRef::OrderId(id) => Some(id),
                    OrderRef::ClientOrderId(_) => None,
                };
                self.reject_cmd(ctx, Some(account), oid, reason)
            }
        }
    }

    pub(super) fn cancel_one(&mut self, ctx: &mut Ctx<'_>, id: OrderId, reason: Reason) {
        let o = self.orders[&id];
        if o.pending_stop {
            let ins = &mut self.instruments[o.instrument as usize];
            ins.stops.remove(o.side, o.stop_price, id);
        } else {
            self.run_book(ctx, o.instrument, &BookCommand::Cancel { id });
        }
        self.close(ctx, id, ExecType::Canceled, OrderStatus::Canceled, reason);
    }

    pub(super) fn cancel_all(
        &mut self,
        ctx: &mut Ctx<'_>,
        account: AccountId,
        instrument: Option<InstrumentId>,
    ) {
        if self.account(account).is_none() {
            return self.reject_cmd(ctx, Some(account), None, Reason::UnknownAccount);
        }
        if let Some(i) = instrument {
            if i as usize >= self.instruments.len() {
                return self.reject_cmd(ctx, Some(account), None, Reason::UnknownInstrument);
            }
        }
        let mut ids: Vec<OrderId> = self
            .orders
            .values()
            .filter(|o| o.account == account && instrument.is_none_or(|i| o.instrument == i))
            .map(|o| o.id)
            .collect();
        if ids.is_empty() {
            // Like Binance (-2011 "Unknown order sent"): nothing to cancel is a reject, so that
            // every command is answered by at least one event.
            return self.reject_cmd(ctx, Some(account), None, Reason::UnknownOrder);
        }
        ids.sort_unstable();
        for id in ids {
            self.cancel_one(ctx, id, Reason::CanceledAll);
        }
    }
}

/// The L3 event of a resting order with `left` lots remaining after a fill (0: it left the book).
fn l3_left(instrument: InstrumentId, order_id: OrderId, left: Lots) -> L3Event {
    if left == 0 {
        L3Event::Removed {
            instrument,
            order_id,
        }
    } else {
        L3Event::Reduced {
            instrument,
            order_id,
            qty: left,
        }
    }
}

pub(super) fn base_report(
    o: &OpenOrder,
    exec: ExecType,
    status: OrderStatus,
    reason: Option<Reason>,
    fee_asset: AssetId,
) -> ExecutionReport {
    ExecutionReport {
        account: o.account,
        instrument: o.instrument,
        order_id: o.id,
        client_order_id: o.client_order_id,
        side: o.side,
        order_type: o.order_type,
        tif: o.tif,
        price: o.price,
        stop_price: o.stop_price,
        quantity: o.quantity,
        quote_quantity: o.quote_quantity,
        exec_type: exec,
        status,
        reason,
        trade_id: 0,
        last_price: 0,
        last_qty: 0,
        last_quote: 0,
        liquidity: None,
        fee: 0,
        fee_asset,
        cum_qty: o.cum_qty,
        cum_quote: o.cum_quote,
    }
}
