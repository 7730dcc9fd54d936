//! Pre-trade risk checks of a placement that depend on the account and the market (the stateless
//! field checks are [`crate::exchange::rules`]): client order id, open-order count, daily notional,
//! stop trigger, post-only, and the lock and budget the order needs.

use super::rules::{check_order_fields, OrderOnGrid};
use super::state::{Exchange, DAY_NS};
use super::wallet::as_units;
use crate::book::MatchingEngine;
use crate::messages::*;
use crate::types::*;

/// Result of pre-trade checks for a placement: everything needed to accept it.
pub(super) struct Accepted {
    pub(super) side: Side,
    pub(super) price: Ticks,
    pub(super) stop: Ticks,
    pub(super) lots: Lots,
    pub(super) quote_units: Units,
    pub(super) lock: Units,
    pub(super) budget: Option<u128>,
}

impl Exchange {
    /// All pre-trade checks for a placement; `Err(reason)` on the first failure.
    pub(super) fn check_order(&self, ts_ns: u64, o: &NewOrder) -> Result<Accepted, Reason> {
        let acct = self.account(o.account).ok_or(Reason::UnknownAccount)?;
        let ins = self
            .instruments
            .get(o.spec.instrument as usize)
            .ok_or(Reason::UnknownInstrument)?;
        if ins.halted {
            return Err(Reason::InstrumentHalted);
        }
        if ins.book.in_auction()
            && !matches!(
                o.spec.order_type,
                OrderType::StopLimit | OrderType::StopMarket
            )
            && (o.spec.order_type == OrderType::Market
                || o.spec.tif != TimeInForce::Gtc
                || o.spec.post_only)
        {
            return Err(Reason::NotAllowedInAuction);
        }
        let spec = &self.config.instruments[o.spec.instrument as usize];
        let r = &ins.rules;
        let quote_dec = self.config.assets[r.quote as usize].decimals;
        let reference = ins.reference();
        let OrderOnGrid {
            price,
            stop,
            lots,
            quote_units,
            notional,
        } = check_order_fields(spec, r, quote_dec, reference, &o.spec)?;
        let is_stop = matches!(
            o.spec.order_type,
            OrderType::StopLimit | OrderType::StopMarket
        );
        let is_market = matches!(o.spec.order_type, OrderType::Market | OrderType::StopMarket);
        let by_quote = o.spec.quote_quantity.is_some();
        if let Some(cid) = o.spec.client_order_id {
            if self.client_ids.contains_key(&(o.account, cid)) {
                return Err(Reason::DuplicateClientOrderId);
            }
        }
        if !matches!(o.spec.order_type, OrderType::Market)
            && acct.open_orders >= acct.max_open_orders
        {
            return Err(Reason::TooManyOpenOrders);
        }
        if let Some(limits) = &acct.daily_limit {
            let (day, traded) = acct.daily_traded[o.spec.instrument as usize];
            let traded = if day == ts_ns / DAY_NS { traded } else { 0 };
            if traded as i128 + notional > limits[o.spec.instrument as usize] as i128 {
                return Err(Reason::DailyNotionalLimitExceeded);
            }
        }
        if is_stop {
            let last = reference;
            let triggered = match o.spec.side {
                Side::Buy => last >= stop,
                Side::Sell => last <= stop,
            };
            if triggered {
                return Err(Reason::StopWouldTriggerImmediately);
            }
        }
        if o.spec.post_only {
            if let Some((best, _)) = ins.book.best(o.spec.side.opposite()) {
                let takes = match o.spec.side {
                    Side::Buy => best <= price,
                    Side::Sell => best >= price,
                };
                if takes {
                    return Err(Reason::PostOnlyWouldTake);
                }
            }
        }
        // Lock and budget.
        let bal = acct.balances[match o.spec.side {
            Side::Buy => r.quote,
            Side::Sell => r.base,
        } as usize];
        let (lock, budget) = match o.spec.side {
            Side::Sell => (lots as i128 * r.base_units_per_lot as i128, None),
            Side::Buy if !is_market => (r.buy_limit_lock(price, lots), None),
            Side::Buy if by_quote => (
                quote_units as i128 + fee_units(quote_units as i128, r.taker_fee_ppm),
                Some(quote_units as u128 / r.quote_units_per_tick_lot as u128),
            ),
            Side::Buy if is_stop => (0, None),
            Side::Buy => {
                if bal.available == 0 {
                    return Err(Reason::InsufficientBalance);
                }
                (bal.available as i128, Some(r.market_budget(bal.available)))
            }
        };
        if lock > bal.available as i128 {
            return Err(Reason::InsufficientBalance);
        }
        Ok(Accepted {
            side: o.spec.side,
            price,
            stop,
            lots,
            quote_units,
            lock: as_units(lock),
            budget,
        })
    }
}
