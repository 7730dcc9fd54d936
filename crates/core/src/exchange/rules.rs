//! Account-independent instrument rules: the integer grid of an instrument ([`rules_of`]) and the
//! stateless checks of an order's fields ([`check_order_fields`]: fields for the type, tick, lot,
//! quantity range, quote grid, min notional, price band). The terminal runs the very same
//! functions, so its order form refuses what the exchange refuses, with the same reason.

use super::config::{validate_instrument, ConfigError, ExchangeConfig};
use crate::messages::*;
use crate::types::*;
use rust_decimal::Decimal;

/// The integer-grid rules of `spec` under `config` (the same conversion [`crate::Exchange::new`]
/// does): lot size in base units, tick × lot in quote units, quantity and notional limits on the
/// grid, after the instrument checks of [`ExchangeConfig::validate`].
///
/// # Errors
/// A [`ConfigError`] naming the field (`instruments[BTC-USDT].lot_size`, …).
pub fn rules_of(
    config: &ExchangeConfig,
    spec: &InstrumentSpec,
) -> Result<InstrumentRules, ConfigError> {
    validate_instrument(config, &format!("instruments[{}]", spec.symbol), spec)
}

/// An order's numbers on the instrument's grid, as [`check_order_fields`] accepted them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrderOnGrid {
    /// Limit price, ticks (0 for market orders).
    pub price: Ticks,
    /// Stop price, ticks (0 when not a stop order).
    pub stop: Ticks,
    /// Quantity, lots (0 for market buys sized by quote).
    pub lots: Lots,
    /// Quote quantity of a market buy sized by quote, quote units (0 otherwise).
    pub quote_units: Units,
    /// Notional estimate, quote units: at the limit price; at the stop price for stop-market
    /// orders; at `reference` for market orders; the quote quantity when sized by quote.
    pub notional: i128,
}

/// The pre-trade checks of a placement that depend only on the order, the instrument's rules and
/// the reference price (the last trade price, or the configured reference before the first
/// trade), in the order [`Exchange::apply`] runs them: fields allowed for the type, price and stop
/// price on the tick grid, quantity on the lot grid and within `[min_qty, max_qty]`, quote
/// quantity on the quote asset's unit grid, notional at least `min_notional`, and a limit price
/// within the band (Binance `PRICE_FILTER`, `LOT_SIZE`, `NOTIONAL`, `PERCENT_PRICE`). The exchange
/// calls exactly this function, so a front end that calls it rejects the same orders for the same
/// reasons. Account-dependent checks (balance, open-order limit, duplicate client id, post-only,
/// stop trigger) come after it and are not included. `quote_decimals` is the quote asset's
/// precision.
///
/// # Errors
/// The first failing check's [`Reason`]: `InvalidOrder`, `PriceNotOnTick`, `QuantityNotOnLot`,
/// `QuantityOutOfRange`, `AmountNotOnGrid`, `NotionalBelowMinimum` or `PriceOutsideBand`.
pub fn check_order_fields(
    spec: &InstrumentSpec,
    r: &InstrumentRules,
    quote_decimals: u32,
    reference: Ticks,
    o: &OrderSpec,
) -> Result<OrderOnGrid, Reason> {
    let quote_dec = quote_decimals;
    let is_stop = matches!(o.order_type, OrderType::StopLimit | OrderType::StopMarket);
    let is_market = matches!(o.order_type, OrderType::Market | OrderType::StopMarket);
    // Fields for the type.
    let by_quote = o.quote_quantity.is_some();
    let fields_ok = match o.order_type {
        OrderType::Limit => o.price.is_some() && o.quantity.is_some() && !by_quote,
        OrderType::StopLimit => {
            o.price.is_some() && o.quantity.is_some() && !by_quote && o.stop_price.is_some()
        }
        OrderType::Market | OrderType::StopMarket => {
            o.price.is_none()
                && (o.quantity.is_some() != by_quote)
                && (!by_quote || o.side == Side::Buy)
                && (o.stop_price.is_some() == is_stop)
        }
    } && (o.stop_price.is_none() || is_stop)
        && (!o.post_only || (o.order_type == OrderType::Limit && o.tif == TimeInForce::Gtc));
    if !fields_ok {
        return Err(Reason::InvalidOrder);
    }
    let tick = |v: Decimal| match to_grid(v, spec.tick_size) {
        Ok(t) if t > 0 => Ok(t),
        _ => Err(Reason::PriceNotOnTick),
    };
    let price = o.price.map(tick).transpose()?.unwrap_or(0);
    let stop = o.stop_price.map(tick).transpose()?.unwrap_or(0);
    let lots = match o.quantity {
        Some(q) => match to_grid(q, spec.lot_size) {
            Ok(l) if l > 0 => l as Lots,
            _ => return Err(Reason::QuantityNotOnLot),
        },
        None => 0,
    };
    if o.quantity.is_some() && (lots < r.min_lots || lots > r.max_lots) {
        return Err(Reason::QuantityOutOfRange);
    }
    let quote_units = match o.quote_quantity {
        Some(q) => match to_grid(q, unit_step(quote_dec)) {
            Ok(u) if u > 0 => u as Units,
            _ => return Err(Reason::AmountNotOnGrid),
        },
        None => 0,
    };
    // Notional estimate: limit price, or the reference price for market orders.
    let notional: i128 = if by_quote {
        quote_units as i128
    } else if is_market {
        r.notional(if is_stop { stop } else { reference }, lots)
    } else {
        r.notional(price, lots)
    };
    if notional < r.min_notional_units as i128 {
        return Err(Reason::NotionalBelowMinimum);
    }
    if !is_market && !r.in_band(price, reference) {
        return Err(Reason::PriceOutsideBand);
    }
    Ok(OrderOnGrid {
        price,
        stop,
        lots,
        quote_units,
        notional,
    })
}
