//! The order form's logic, pure and tested natively: parse what the user typed, check it with the
//! core's own [`bourse_core::check_order_fields`] (so the form rejects exactly what the exchange
//! rejects, for the same reason), and estimate cost and fee.

use bourse_core::{
    check_order_fields, fee_units, InstrumentRules, InstrumentSpec, Lots, NewOrder, OrderType,
    Reason, Side, StpMode, Ticks, TimeInForce, Units,
};
use bourse_protocol::{wire_name, OrderRequest};
use rust_decimal::Decimal;
use std::str::FromStr;

/// What the user typed (strings as in the inputs) and chose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormInput {
    /// Order type (LIMIT, MARKET, STOP_LIMIT are offered).
    pub order_type: OrderType,
    /// Time in force.
    pub tif: TimeInForce,
    /// Post-only.
    pub post_only: bool,
    /// "Price" input.
    pub price: String,
    /// "Quantity" input.
    pub quantity: String,
    /// "Stop price" input.
    pub stop_price: String,
}

/// A checked order: the request to send and what it is estimated to cost.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    /// The request for the worker.
    pub request: OrderRequest,
    /// Quantity, lots.
    pub lots: Lots,
    /// Notional estimate, quote units (at the limit price, or at the reference price for market
    /// orders).
    pub notional: i128,
    /// Fee estimate at the taker rate, quote units (an upper bound: maker fills pay less or equal).
    pub fee: i128,
}

/// Why the form will not send an order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FormError {
    /// A field is empty or not a number.
    Unparsable(&'static str),
    /// The core's checks refuse it, with the core's reason.
    Rejected(Reason),
}

impl std::fmt::Display for FormError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FormError::Unparsable(field) => write!(f, "{field}: enter a number"),
            FormError::Rejected(r) => write!(f, "{}", reason_text(*r)),
        }
    }
}

/// The wire name of a reason (`PRICE_NOT_ON_TICK`) followed by a plain explanation.
pub fn reason_text(r: Reason) -> String {
    let code = wire_name(&r);
    let why = match r {
        Reason::PriceNotOnTick => "price is not a multiple of the tick size",
        Reason::QuantityNotOnLot => "quantity is not a multiple of the lot size",
        Reason::QuantityOutOfRange => "quantity is below the minimum or above the maximum",
        Reason::NotionalBelowMinimum => "order value is below the minimum notional",
        Reason::PriceOutsideBand => "price is too far from the last trade price",
        Reason::InsufficientBalance => "not enough available balance",
        Reason::InvalidOrder => "fields are missing or not allowed for this order type",
        Reason::PostOnlyWouldTake => "a post-only order would take liquidity",
        Reason::StopWouldTriggerImmediately => "the stop price is already reached",
        Reason::InstrumentHalted => "trading is halted",
        Reason::TooManyOpenOrders => "too many open orders",
        Reason::AmountNotOnGrid => "amount is not on the asset's unit grid",
        Reason::UnknownOrder => "the order is no longer open",
        Reason::DuplicateClientOrderId => "client order id already in use",
        _ => "",
    };
    if why.is_empty() {
        code
    } else {
        format!("{code}: {why}")
    }
}

fn parse(field: &'static str, s: &str) -> Result<Decimal, FormError> {
    Decimal::from_str(s.trim()).map_err(|_| FormError::Unparsable(field))
}

/// Check the form for `side` on instrument `instrument` (spec and rules), with the quote asset's
/// decimals and the reference price (last trade, or the configured reference before any trade).
///
/// # Errors
/// [`FormError::Unparsable`] when a needed field is not a decimal number;
/// [`FormError::Rejected`] with the core's reason when [`check_order_fields`] refuses it.
pub fn check(
    input: &FormInput,
    side: Side,
    instrument: u32,
    spec: &InstrumentSpec,
    rules: &InstrumentRules,
    quote_decimals: u32,
    reference: Ticks,
) -> Result<Checked, FormError> {
    let needs_price = matches!(input.order_type, OrderType::Limit | OrderType::StopLimit);
    let needs_stop = matches!(
        input.order_type,
        OrderType::StopLimit | OrderType::StopMarket
    );
    let price = needs_price
        .then(|| parse("Price", &input.price))
        .transpose()?;
    let stop_price = needs_stop
        .then(|| parse("Stop price", &input.stop_price))
        .transpose()?;
    let quantity = Some(parse("Quantity", &input.quantity)?);
    let is_limit = input.order_type == OrderType::Limit;
    let request = OrderRequest {
        instrument,
        side,
        order_type: input.order_type,
        // Market orders fill what they can now; the core takes IOC semantics for them.
        tif: if needs_price {
            input.tif
        } else {
            TimeInForce::Ioc
        },
        price,
        quantity,
        quote_quantity: None,
        stop_price,
        post_only: input.post_only && is_limit,
        stp: StpMode::None,
        client_order_id: None,
    };
    let order: NewOrder = request.clone().into_new_order(0);
    let grid = check_order_fields(spec, rules, quote_decimals, reference, &order)
        .map_err(FormError::Rejected)?;
    Ok(Checked {
        request,
        lots: grid.lots,
        notional: grid.notional,
        fee: fee_units(grid.notional, rules.taker_fee_ppm),
    })
}

/// The largest quantity in lots that `pct`% of `available` buys (quote units, at `price` ticks,
/// fee included at the larger fee rate, as the core reserves it) or sells (base units).
pub fn lots_for_percent(
    side: Side,
    pct: u32,
    available: Units,
    price: Ticks,
    rules: &InstrumentRules,
) -> Lots {
    let budget = available as u128 * pct.min(100) as u128 / 100;
    match side {
        Side::Sell => (budget / rules.base_units_per_lot as u128) as Lots,
        Side::Buy => {
            if price <= 0 {
                return 0;
            }
            // notional + fee ≤ budget ⇔ lots × price × k × (1 + ppm/1e6) ≤ budget
            let per_lot = price as u128
                * rules.quote_units_per_tick_lot as u128
                * (1_000_000 + rules.max_fee_ppm() as u128);
            (budget * 1_000_000 / per_lot) as Lots
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bourse_core::{Exchange, ExchangeConfig};

    fn setup() -> (InstrumentSpec, InstrumentRules, u32) {
        let c = ExchangeConfig::default_spot();
        let ex = Exchange::new(c.clone()).unwrap();
        let spec = c.instruments[0].clone();
        let dec = c.assets[spec.quote as usize].decimals;
        (spec, *ex.rules(0).unwrap(), dec)
    }

    fn input(price: &str, qty: &str) -> FormInput {
        FormInput {
            order_type: OrderType::Limit,
            tif: TimeInForce::Gtc,
            post_only: false,
            price: price.into(),
            quantity: qty.into(),
            stop_price: String::new(),
        }
    }

    // The form refuses off-grid values with the core's reasons (tick 0.01, lot 0.00001, min
    // notional 5 USDT, band 20% around 60000) and accepts a valid order.
    #[test]
    fn grid_checks_match_the_core() {
        let (s, r, d) = setup();
        let chk = |i: &FormInput| check(i, Side::Buy, 0, &s, &r, d, 6_000_000);
        assert_eq!(
            chk(&input("60000.001", "0.001")),
            Err(FormError::Rejected(Reason::PriceNotOnTick))
        );
        assert_eq!(
            chk(&input("60000", "0.000001")),
            Err(FormError::Rejected(Reason::QuantityNotOnLot))
        );
        assert_eq!(
            chk(&input("60000", "0.00001")),
            Err(FormError::Rejected(Reason::NotionalBelowMinimum))
        );
        assert_eq!(
            chk(&input("80000", "0.001")),
            Err(FormError::Rejected(Reason::PriceOutsideBand))
        );
        assert_eq!(
            chk(&input("", "0.001")),
            Err(FormError::Unparsable("Price"))
        );
        let ok = chk(&input("60000", "0.001")).unwrap();
        assert_eq!(ok.lots, 100);
        // 60 USDT at 8 decimals; taker fee 1000 ppm = 0.06 USDT.
        assert_eq!(ok.notional, 6_000_000_000);
        assert_eq!(ok.fee, 6_000_000);
    }

    // 100% of 100,000 USDT at 60000.00 with the 0.1% fee reserve buys floor(1.66500 BTC) in lots:
    // 100000 / (60000 × 1.001) = 1.66500166… BTC → 166500 lots. Selling 50% of 2 BTC = 1 BTC.
    #[test]
    fn percent_slider() {
        let (_, r, _) = setup();
        let usdt = 100_000 * 100_000_000u64;
        assert_eq!(
            lots_for_percent(Side::Buy, 100, usdt, 6_000_000, &r),
            166_500
        );
        assert_eq!(
            lots_for_percent(Side::Sell, 50, 200_000_000, 0, &r),
            100_000
        );
        assert_eq!(lots_for_percent(Side::Buy, 100, usdt, 0, &r), 0);
    }

    // Reason codes print as on the wire.
    #[test]
    fn reason_names() {
        assert_eq!(wire_name(&Reason::PriceNotOnTick), "PRICE_NOT_ON_TICK");
        assert_eq!(
            wire_name(&bourse_core::OrderStatus::PartiallyFilled),
            "PARTIALLY_FILLED"
        );
        assert!(reason_text(Reason::InsufficientBalance).starts_with("INSUFFICIENT_BALANCE: "));
    }
}
