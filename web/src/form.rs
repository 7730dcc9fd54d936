//! The order form's logic, pure and tested natively: parse what the user typed, check it with the
//! core's own [`bourse_core::check_order_fields`] (so the form refuses exactly what the exchange
//! refuses, for the same reason), say what the limit was, estimate cost, fee and the average price
//! of an immediate fill from the visible book, and explain the exchange's rejects in words.
//!
//! Money stays integer: ticks, lots and asset units; decimals only as typed text and as the
//! [`OrderSpec`]'s fields.

use crate::format::{fixed, Fmt};
use bourse_core::{
    check_order_fields, fee_units, to_grid, unit_step, InstrumentRules, InstrumentSpec, Lots,
    OrderSpec, OrderType, Reason, Side, StpMode, Ticks, TimeInForce, Units,
};
use bourse_protocol::{wire_name, L2Row};
use rust_decimal::Decimal;
use std::str::FromStr;

/// What the user typed (strings as in the inputs) and chose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormInput {
    /// Buy or sell.
    pub side: Side,
    /// Order type (all four of the core's).
    pub order_type: OrderType,
    /// Time in force (limit types only; market orders are immediate-or-cancel).
    pub tif: TimeInForce,
    /// Post-only (limit GTC only).
    pub post_only: bool,
    /// Self-trade prevention mode.
    pub stp: StpMode,
    /// "Price" input (limit types).
    pub price: String,
    /// "Quantity" input, base.
    pub quantity: String,
    /// "Stop price" input (stop types).
    pub stop_price: String,
    /// Market buys: size the order by the quote amount to spend ("Total") instead of quantity.
    pub by_quote: bool,
    /// "Total" input, quote (market buys by amount).
    pub quote_amount: String,
    /// "Client order id" input (optional, a whole number).
    pub client_order_id: String,
}

impl Default for FormInput {
    fn default() -> Self {
        FormInput {
            side: Side::Buy,
            order_type: OrderType::Limit,
            tif: TimeInForce::Gtc,
            post_only: false,
            stp: DEFAULT_STP,
            price: String::new(),
            quantity: String::new(),
            stop_price: String::new(),
            by_quote: false,
            quote_amount: String::new(),
            client_order_id: String::new(),
        }
    }
}

/// The form's default self-trade prevention: `EXPIRE_MAKER`, Binance spot's default
/// (`defaultSelfTradePreventionMode` in its `exchangeInfo`): trading against one's own resting
/// order cancels the resting one instead of printing a trade and paying both fees.
pub const DEFAULT_STP: StpMode = StpMode::ExpireMaker;

/// What the form knows about the instrument and the market when it checks.
#[derive(Debug, Clone)]
pub struct Market<'a> {
    /// Instrument index.
    pub instrument: u32,
    /// Its specification (decimals).
    pub spec: &'a InstrumentSpec,
    /// Its grid rules (integers).
    pub rules: &'a InstrumentRules,
    /// How its numbers read.
    pub fmt: &'a Fmt,
    /// Decimals of the quote asset.
    pub quote_decimals: u32,
    /// Reference price, ticks: last trade, else the configured reference (as the core uses it).
    pub reference: Ticks,
    /// Available balance of the quote asset, units.
    pub available_quote: Units,
    /// Available balance of the base asset, units.
    pub available_base: Units,
    /// Visible bids, best first (the page's L2; grouped when the ladder is grouped).
    pub bids: &'a [L2Row],
    /// Visible asks, best first.
    pub asks: &'a [L2Row],
    /// True when the L2 rows are grouped (estimates are then approximate).
    pub grouped: bool,
    /// True while the instrument is halted.
    pub halted: bool,
}

/// A checked order: the request to send and what it is estimated to cost.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    /// The request for the home.
    pub request: OrderSpec,
    /// Quantity, lots (0 for a market buy by amount).
    pub lots: Lots,
    /// Notional estimate, quote units (at the limit price, at the stop price for stop-market
    /// orders, at the reference price for market orders by quantity, the amount for market buys by
    /// amount).
    pub notional: i128,
    /// Fee estimate at the taker rate, quote units (an upper bound: maker fills pay less or equal).
    pub fee: i128,
    /// What the exchange will reserve when it accepts the order: `(asset, units)`; `None` when it
    /// reserves the whole available balance (a market buy by quantity) or nothing up front (a buy
    /// stop-market order).
    pub reserve: Option<(u32, i128)>,
}

/// Why the form will not send an order, in words that name the limit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FormError {
    /// A needed field is empty.
    Missing(&'static str),
    /// A field is not a decimal number (or a client order id not a whole number).
    NotANumber(&'static str),
    /// A field is zero or negative.
    NotPositive(&'static str),
    /// Trading is halted.
    Halted(String),
    /// The core's checks refuse it: its reason and what the limit was.
    Rejected(Reason, String),
}

impl std::fmt::Display for FormError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FormError::Missing(field) => write!(f, "{field}: enter a value"),
            FormError::NotANumber(field) => {
                write!(
                    f,
                    "{field}: enter a number such as 0.01 (digits and one dot)"
                )
            }
            FormError::NotPositive(field) => write!(f, "{field} must be greater than 0"),
            FormError::Halted(why) => write!(f, "{why}"),
            FormError::Rejected(r, detail) => write!(f, "{}: {detail}", wire_name(r)),
        }
    }
}

/// The wire name of a reason (`PRICE_NOT_ON_TICK`) followed by a plain explanation that needs no
/// context (the form's own messages, [`check`] and [`explain_reject`], also say the limit).
pub fn reason_text(r: Reason) -> String {
    let code = wire_name(&r);
    let why = match r {
        Reason::PriceNotOnTick => "price is not a multiple of the tick size",
        Reason::QuantityNotOnLot => "quantity is not a multiple of the lot size",
        Reason::QuantityOutOfRange => "quantity is below the minimum or above the maximum",
        Reason::NotionalBelowMinimum => "order value is below the minimum value",
        Reason::PriceOutsideBand => "price is too far from the last trade price",
        Reason::InsufficientBalance => "not enough available balance",
        Reason::InvalidOrder => "fields are missing or not allowed for this order type",
        Reason::PostOnlyWouldTake => "a post-only order would take liquidity",
        Reason::StopWouldTriggerImmediately => "the stop price is already reached",
        Reason::InstrumentHalted => "trading is halted",
        Reason::TooManyOpenOrders => "too many open orders",
        Reason::AmountNotOnGrid => "amount is not on the asset's unit grid",
        Reason::UnknownOrder => "the order is no longer open",
        Reason::DuplicateClientOrderId => "client order id already in use by an open order",
        Reason::DailyNotionalLimitExceeded => "the daily traded value limit would be exceeded",
        Reason::IocRemainder => "the rest of an immediate-or-cancel order expired",
        Reason::FokUnfillable => "a fill-or-kill order could not fill entirely",
        Reason::NoLiquidity => "no more orders on the other side of the book",
        Reason::BudgetExhausted => "the amount to spend ran out",
        Reason::SelfTradePrevention => "self-trade prevention",
        Reason::NotAllowedInAuction => {
            "the call auction takes only GTC limit orders (no market, IOC, FOK or post-only)"
        }
        Reason::WrongTradingPhase => "not possible in the current trading phase",
        _ => "",
    };
    if why.is_empty() {
        code
    } else {
        format!("{code}: {why}")
    }
}

fn parse(field: &'static str, s: &str) -> Result<Decimal, FormError> {
    let t = s.trim();
    if t.is_empty() {
        return Err(FormError::Missing(field));
    }
    // Digits, at most one dot, an optional leading minus (to say "greater than 0" rather than
    // "not a number"); no exponents, spaces or thousands separators.
    let body = t.strip_prefix('-').unwrap_or(t);
    let plain = !body.is_empty()
        && body.chars().all(|c| c.is_ascii_digit() || c == '.')
        && body.matches('.').count() <= 1
        && body.chars().any(|c| c.is_ascii_digit());
    if !plain {
        return Err(FormError::NotANumber(field));
    }
    let d = Decimal::from_str(t).map_err(|_| FormError::NotANumber(field))?;
    if d <= Decimal::ZERO {
        return Err(FormError::NotPositive(field));
    }
    Ok(d)
}

/// The words for a stateless check's reason: what the limit was, from the instrument's rules.
fn rule_detail(r: Reason, input: &FormInput, m: &Market<'_>) -> String {
    let f = m.fmt;
    let spec = m.spec;
    match r {
        Reason::PriceNotOnTick => format!(
            "prices are multiples of the tick size {} {}",
            spec.tick_size.normalize(),
            f.quote
        ),
        Reason::QuantityNotOnLot => format!(
            "quantities are multiples of the lot size {} {}",
            spec.lot_size.normalize(),
            f.base
        ),
        Reason::QuantityOutOfRange => format!(
            "quantity must be between {} and {} {}",
            spec.min_qty.normalize(),
            spec.max_qty.normalize(),
            f.base
        ),
        Reason::NotionalBelowMinimum => format!(
            "minimum value {} {} per order",
            spec.min_notional.normalize(),
            f.quote
        ),
        Reason::PriceOutsideBand => {
            let (lo, hi) = m.rules.band(m.reference);
            format!(
                "the price must be within {}.{:02} % of the last price {}: between {} and {} {}",
                m.rules.price_band_bps / 100,
                m.rules.price_band_bps % 100,
                f.price(m.reference),
                f.price(lo),
                f.price(hi),
                f.quote
            )
        }
        Reason::AmountNotOnGrid => format!(
            "amounts are multiples of {} {}",
            unit_step(m.quote_decimals),
            f.quote
        ),
        Reason::InvalidOrder => match input.order_type {
            OrderType::Limit if input.post_only && input.tif != TimeInForce::Gtc => {
                "post-only orders rest on the book, so they are GTC only".into()
            }
            _ if input.by_quote && input.side == Side::Sell => {
                "only market buys can be sized by the amount to spend".into()
            }
            _ => "this combination of fields is not allowed for the order type".into(),
        },
        other => reason_text(other),
    }
}

/// Check the form with the core's stateless rules.
///
/// # Errors
/// [`FormError::Missing`], [`FormError::NotANumber`] or [`FormError::NotPositive`] for a field;
/// [`FormError::Halted`] while trading is halted; [`FormError::Rejected`] with the core's reason
/// and the limit when [`check_order_fields`] refuses it. Balance checks are the exchange's.
pub fn check(input: &FormInput, m: &Market<'_>) -> Result<Checked, FormError> {
    let symbol = &m.spec.symbol;
    if m.halted {
        return Err(FormError::Halted(format!(
            "Trading in {symbol} is halted: new orders are refused until it resumes (cancels still work)"
        )));
    }
    let ot = input.order_type;
    let needs_price = matches!(ot, OrderType::Limit | OrderType::StopLimit);
    let needs_stop = matches!(ot, OrderType::StopLimit | OrderType::StopMarket);
    let is_market = !needs_price;
    let by_quote = is_market && input.by_quote && input.side == Side::Buy;
    let stop_price = needs_stop
        .then(|| parse("Stop price", &input.stop_price))
        .transpose()?;
    let price = needs_price
        .then(|| parse("Price", &input.price))
        .transpose()?;
    let (quantity, quote_quantity) = if by_quote {
        (None, Some(parse("Total", &input.quote_amount)?))
    } else {
        (Some(parse("Quantity", &input.quantity)?), None)
    };
    let cid = input.client_order_id.trim();
    let client_order_id = if cid.is_empty() {
        None
    } else {
        Some(
            cid.parse::<u64>()
                .map_err(|_| FormError::NotANumber("Client order id"))?,
        )
    };
    let is_limit = ot == OrderType::Limit;
    let request = OrderSpec {
        instrument: m.instrument,
        side: input.side,
        order_type: ot,
        // Market orders fill what they can now; the core takes IOC semantics for them.
        tif: if needs_price {
            input.tif
        } else {
            TimeInForce::Ioc
        },
        price,
        quantity,
        quote_quantity,
        stop_price,
        post_only: input.post_only && is_limit,
        stp: input.stp,
        client_order_id,
    };
    let grid = check_order_fields(m.spec, m.rules, m.quote_decimals, m.reference, &request)
        .map_err(|r| FormError::Rejected(r, rule_detail(r, input, m)))?;
    let r = m.rules;
    let reserve = match (input.side, ot) {
        (Side::Sell, _) => Some((r.base, grid.lots as i128 * r.base_units_per_lot as i128)),
        (Side::Buy, OrderType::Limit | OrderType::StopLimit) => {
            Some((r.quote, r.buy_limit_lock(grid.price, grid.lots)))
        }
        (Side::Buy, OrderType::Market) if by_quote => Some((
            r.quote,
            grid.quote_units as i128 + fee_units(grid.quote_units as i128, r.taker_fee_ppm),
        )),
        (Side::Buy, _) => None,
    };
    Ok(Checked {
        request,
        lots: grid.lots,
        notional: grid.notional,
        fee: fee_units(grid.notional, r.taker_fee_ppm),
        reserve,
    })
}

/// An order on its way, with what is needed to explain its outcome in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderIntent {
    /// The request sent.
    pub request: OrderSpec,
    /// One line saying what it is, e.g. `Buy 0.01000 BTC at 59822.86 (limit GTC)`.
    pub summary: String,
    /// Instrument symbol.
    pub symbol: String,
    /// What the exchange reserves: `(asset symbol, units, decimals)`; `None` when it reserves the
    /// whole available balance (market buy by quantity) or nothing up front.
    pub needed: Option<(String, i128, u32)>,
    /// The available balance of that asset when it was sent: `(symbol, units, decimals)`.
    pub available: (String, Units, u32),
    /// Best price on the other side when sent (post-only explanations), ticks, formatted.
    pub opposite_best: Option<String>,
    /// Last price when sent, formatted (stop explanations).
    pub last_price: String,
}

/// One line describing a checked order, e.g. `Buy 0.01000 BTC at 59822.86 (limit GTC)`.
pub fn summary(input: &FormInput, c: &Checked, f: &Fmt) -> String {
    let side = if input.side == Side::Buy {
        "Buy"
    } else {
        "Sell"
    };
    let what = if c.lots > 0 {
        format!("{} {}", f.qty(c.lots), f.base)
    } else {
        format!("{} {} of {}", f.quote_display(c.notional), f.quote, f.base)
    };
    let tif = wire_name(&c.request.tif);
    let price = c
        .request
        .price
        .map(|p| format!(" at {p}"))
        .unwrap_or_default();
    let stop = c
        .request
        .stop_price
        .map(|p| format!(" when the last price reaches {p}"))
        .unwrap_or_default();
    let kind = match input.order_type {
        OrderType::Limit if c.request.post_only => "limit, post-only".to_string(),
        OrderType::Limit => format!("limit {tif}"),
        OrderType::Market => "market".into(),
        OrderType::StopLimit => format!("stop-limit {tif}"),
        OrderType::StopMarket => "stop-market".into(),
    };
    format!("{side} {what}{price}{stop} ({kind})")
}

/// Explain an exchange reject of `intent` in words that say what the limit was, e.g.
/// `INSUFFICIENT_BALANCE: available 12.30 USDT, needed 600.10 USDT`.
pub fn explain_reject(reason: Reason, intent: &OrderIntent) -> String {
    let code = wire_name(&reason);
    let amount = |units: i128, decimals: u32| {
        // Two decimals more than cents would only be noise here; exact digits up to 8.
        let s = fixed(units, decimals);
        let (int, frac) = s.split_once('.').unwrap_or((&s, ""));
        let keep = frac
            .len()
            .min(2)
            .max(frac.trim_end_matches('0').len().min(8));
        if keep == 0 {
            int.to_string()
        } else {
            format!("{int}.{}", &frac[..keep])
        }
    };
    let detail = match reason {
        Reason::InsufficientBalance => {
            let (sym, avail, dec) = &intent.available;
            match &intent.needed {
                Some((nsym, need, ndec)) => format!(
                    "available {} {sym}, needed {} {nsym} (value plus the fee reserve)",
                    amount(*avail as i128, *dec),
                    amount(*need, *ndec)
                ),
                None => format!("available {} {sym}", amount(*avail as i128, *dec)),
            }
        }
        Reason::PostOnlyWouldTake => match &intent.opposite_best {
            Some(best) => format!(
                "a post-only order must rest on the book, but it would trade at once against the best price {best}"
            ),
            None => "a post-only order must rest on the book, but it would trade at once".into(),
        },
        Reason::StopWouldTriggerImmediately => format!(
            "the last price {} has already reached the stop price; use a limit or market order",
            intent.last_price
        ),
        Reason::InstrumentHalted => format!(
            "trading in {} is halted: new orders are refused until it resumes",
            intent.symbol
        ),
        Reason::NotAllowedInAuction => format!(
            "{} is in a call auction: only GTC limit orders (not post-only) are taken until the uncross; they rest without matching and trade at the uncross price",
            intent.symbol
        ),
        Reason::TooManyOpenOrders => {
            "you have the most open orders an account may have; cancel some first".into()
        }
        Reason::DuplicateClientOrderId => format!(
            "client order id {} is already used by one of your open orders",
            intent
                .request
                .client_order_id
                .map(|c| c.to_string())
                .unwrap_or_default()
        ),
        Reason::DailyNotionalLimitExceeded => {
            "the account's daily traded value limit would be exceeded".into()
        }
        other => return reason_text(other),
    };
    format!("{code}: {detail}")
}

/// The largest quantity in lots that `pct`% of `available` buys (quote units, at `price` ticks,
/// fee included at the larger fee rate, as the core reserves it: [`InstrumentRules::max_buy_lots`])
/// or sells (base units).
pub fn lots_for_percent(
    side: Side,
    pct: u32,
    available: Units,
    price: Ticks,
    rules: &InstrumentRules,
) -> Lots {
    let budget = (available as u128 * pct.min(100) as u128 / 100) as Units;
    match side {
        Side::Sell => budget / rules.base_units_per_lot,
        Side::Buy => rules.max_buy_lots(price, budget),
    }
}

/// What an immediate fill against the visible book would give (before fees).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Estimate {
    /// Lots that would fill against the visible levels.
    pub lots: Lots,
    /// Their notional, quote units.
    pub notional: i128,
    /// The worst price reached, ticks.
    pub worst: Ticks,
    /// Levels touched.
    pub levels: usize,
    /// The best price on that side before the order, ticks.
    pub best: Ticks,
    /// True when the visible levels do not hold the whole order.
    pub exhausted: bool,
}

impl Estimate {
    /// Average fill price in ticks × 100 (two extra decimals of a tick), rounded half up.
    pub fn avg_centiticks(&self, rules: &InstrumentRules) -> Option<i128> {
        if self.lots == 0 {
            return None;
        }
        let den = self.lots as i128 * rules.quote_units_per_tick_lot as i128;
        Some((self.notional * 200 + den) / (2 * den))
    }

    /// Slippage of the average price against the best price, in tenths of a basis point (always
    /// ≥ 0: a buy pays more, a sell receives less), rounded half up.
    pub fn slippage_tenth_bps(&self, rules: &InstrumentRules) -> Option<i128> {
        let avg = self.avg_centiticks(rules)?;
        let best = self.best as i128 * 100;
        let diff = (avg - best).abs();
        // diff / best × 10 000 bps, in tenths: × 100 000.
        Some((diff * 200_000 + best) / (2 * best))
    }
}

/// Walk the visible book for an immediate fill of a `side` order: up to `lots` (or, for a buy
/// sized by amount, until `budget` quote units are spent), at prices no worse than `limit` when
/// given. `levels` is the other side, best first.
pub fn estimate(
    levels: &[L2Row],
    lots: Option<Lots>,
    budget: Option<i128>,
    limit: Option<(Side, Ticks)>,
    rules: &InstrumentRules,
) -> Option<Estimate> {
    let best = levels.first()?.price;
    let mut e = Estimate {
        lots: 0,
        notional: 0,
        worst: best,
        levels: 0,
        best,
        exhausted: false,
    };
    let mut want = lots.unwrap_or(u64::MAX);
    let mut left = budget.unwrap_or(i128::MAX);
    for row in levels {
        if let Some((side, p)) = limit {
            let crosses = match side {
                Side::Buy => row.price <= p,
                Side::Sell => row.price >= p,
            };
            if !crosses {
                break;
            }
        }
        if want == 0 || left <= 0 {
            break;
        }
        let per_lot = rules.notional(row.price, 1);
        let affordable = if per_lot > 0 {
            (left / per_lot).min(u64::MAX as i128) as u64
        } else {
            u64::MAX
        };
        let take = row.qty.min(want).min(affordable);
        if take == 0 {
            break;
        }
        e.lots += take;
        e.notional += rules.notional(row.price, take);
        e.worst = row.price;
        e.levels += 1;
        want -= take;
        left -= rules.notional(row.price, take);
    }
    e.exhausted = lots.is_some_and(|l| e.lots < l) && limit.is_none();
    (e.lots > 0).then_some(e)
}

/// Parse a typed price on the instrument's grid (for previews), `None` when empty or off-grid.
pub fn typed_ticks(text: &str, spec: &InstrumentSpec) -> Option<Ticks> {
    let d = Decimal::from_str(text.trim()).ok()?;
    to_grid(d, spec.tick_size).ok().filter(|t| *t > 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use bourse_core::{Exchange, ExchangeConfig};

    struct Setup {
        spec: InstrumentSpec,
        rules: InstrumentRules,
        fmt: Fmt,
        dec: u32,
    }

    fn setup() -> Setup {
        let c = ExchangeConfig::default_spot();
        let ex = Exchange::new(c.clone()).unwrap();
        let spec = c.instruments[0].clone();
        let dec = c.assets[spec.quote as usize].decimals;
        let fmt = Fmt::new(
            &spec,
            &c.assets[spec.base as usize],
            &c.assets[spec.quote as usize],
        );
        Setup {
            rules: *ex.rules(0).unwrap(),
            spec,
            fmt,
            dec,
        }
    }

    fn market<'a>(s: &'a Setup, bids: &'a [L2Row], asks: &'a [L2Row]) -> Market<'a> {
        Market {
            instrument: 0,
            spec: &s.spec,
            rules: &s.rules,
            fmt: &s.fmt,
            quote_decimals: s.dec,
            reference: 6_000_000,
            available_quote: 100_000 * 100_000_000,
            available_base: 200_000_000,
            bids,
            asks,
            grouped: false,
            halted: false,
        }
    }

    fn input(price: &str, qty: &str) -> FormInput {
        FormInput {
            price: price.into(),
            quantity: qty.into(),
            ..FormInput::default()
        }
    }

    fn code(e: Result<Checked, FormError>) -> Option<Reason> {
        match e {
            Err(FormError::Rejected(r, _)) => Some(r),
            _ => None,
        }
    }

    // The form refuses off-grid values with the core's reasons (tick 0.01, lot 0.00001, min
    // notional 5 USDT, band 20% around 60000) and accepts a valid order.
    #[test]
    fn grid_checks_match_the_core_and_name_the_limit() {
        let s = setup();
        let m = market(&s, &[], &[]);
        assert_eq!(
            code(check(&input("60000.001", "0.001"), &m)),
            Some(Reason::PriceNotOnTick)
        );
        assert_eq!(
            code(check(&input("60000", "0.000001"), &m)),
            Some(Reason::QuantityNotOnLot)
        );
        let small = check(&input("60000", "0.00001"), &m).unwrap_err();
        assert_eq!(
            small.to_string(),
            "NOTIONAL_BELOW_MINIMUM: minimum value 5 USDT per order"
        );
        // Band: 20 % of 60000.00 = 12000.00 either side.
        let band = check(&input("80000", "0.001"), &m).unwrap_err();
        assert_eq!(
            band.to_string(),
            "PRICE_OUTSIDE_BAND: the price must be within 20.00 % of the last price 60000.00: \
             between 48000.00 and 72000.00 USDT"
        );
        assert_eq!(
            check(&input("60000", "9001"), &m).unwrap_err().to_string(),
            "QUANTITY_OUT_OF_RANGE: quantity must be between 0.00001 and 9000 BTC"
        );
        assert_eq!(
            check(&input("", "0.001"), &m),
            Err(FormError::Missing("Price"))
        );
        assert_eq!(
            check(&input("6e4", "0.001"), &m),
            Err(FormError::NotANumber("Price"))
        );
        let ok = check(&input("60000", "0.001"), &m).unwrap();
        assert_eq!(ok.lots, 100);
        // 60 USDT at 8 decimals; taker fee 1000 ppm = 0.06 USDT; the buy reserve is the notional
        // plus the fee at the larger rate (also 1000 ppm): 60.06 USDT.
        assert_eq!(ok.notional, 6_000_000_000);
        assert_eq!(ok.fee, 6_000_000);
        assert_eq!(ok.reserve, Some((2, 6_006_000_000)));
        assert_eq!(ok.request.stp, StpMode::ExpireMaker);
    }

    // Quantity −1 or 0 is not "off the lot": the form says it must be positive (the issue: it said
    // QUANTITY_NOT_ON_LOT).
    #[test]
    fn non_positive_quantity_says_so() {
        let s = setup();
        let m = market(&s, &[], &[]);
        for q in ["-1", "0", "0.00000"] {
            let e = check(&input("60000", q), &m).unwrap_err();
            assert_eq!(e, FormError::NotPositive("Quantity"));
            assert_eq!(e.to_string(), "Quantity must be greater than 0");
        }
    }

    // Every order type of the core is offered: stop-market needs a stop price and a quantity,
    // a market buy can be sized by the amount to spend, and a client order id is a whole number.
    #[test]
    fn all_order_types_and_client_order_id() {
        let s = setup();
        let m = market(&s, &[], &[]);
        let stop_market = FormInput {
            order_type: OrderType::StopMarket,
            side: Side::Sell,
            stop_price: "59000".into(),
            quantity: "0.01".into(),
            ..FormInput::default()
        };
        let c = check(&stop_market, &m).unwrap();
        assert_eq!(c.request.price, None);
        assert_eq!(c.request.stop_price, Some(Decimal::from(59000)));
        assert_eq!(c.request.tif, TimeInForce::Ioc);
        // Sell reserves the base: 0.01 BTC = 1,000,000 units.
        assert_eq!(c.reserve, Some((0, 1_000_000)));
        let by_amount = FormInput {
            order_type: OrderType::Market,
            by_quote: true,
            quote_amount: "250.5".into(),
            client_order_id: "42".into(),
            ..FormInput::default()
        };
        let c = check(&by_amount, &m).unwrap();
        assert_eq!(c.request.quantity, None);
        assert_eq!(
            c.request.quote_quantity,
            Some(Decimal::from_str("250.5").unwrap())
        );
        assert_eq!(c.request.client_order_id, Some(42));
        // 250.5 USDT plus the 0.1 % taker fee reserve 0.2505 = 250.7505 USDT.
        assert_eq!(c.reserve, Some((2, 25_075_050_000)));
        let bad_cid = FormInput {
            client_order_id: "abc".into(),
            ..input("60000", "0.001")
        };
        assert_eq!(
            check(&bad_cid, &m),
            Err(FormError::NotANumber("Client order id"))
        );
    }

    #[test]
    fn halted_instrument_refuses_with_the_reason() {
        let s = setup();
        let mut m = market(&s, &[], &[]);
        m.halted = true;
        let e = check(&input("60000", "0.001"), &m).unwrap_err();
        assert!(
            e.to_string().starts_with("Trading in BTC-USDT is halted"),
            "{e}"
        );
    }

    // Exchange rejects explained with the limit, by hand: available 12.3 USDT, needed 600.1 USDT.
    #[test]
    fn exchange_rejects_say_what_the_limit_was() {
        let intent = OrderIntent {
            request: input("60000", "0.01").clone_request_for_test(),
            summary: String::new(),
            symbol: "BTC-USDT".into(),
            needed: Some(("USDT".into(), 60_010_000_000, 8)),
            available: ("USDT".into(), 1_230_000_000, 8),
            opposite_best: Some("59999.99".into()),
            last_price: "60000.00".into(),
        };
        assert_eq!(
            explain_reject(Reason::InsufficientBalance, &intent),
            "INSUFFICIENT_BALANCE: available 12.30 USDT, needed 600.10 USDT (value plus the fee reserve)"
        );
        assert!(explain_reject(Reason::PostOnlyWouldTake, &intent).contains("59999.99"));
        assert!(explain_reject(Reason::StopWouldTriggerImmediately, &intent)
            .contains("last price 60000.00"));
        // Amounts keep their significant digits up to 8 decimals.
        let tiny = OrderIntent {
            needed: Some(("BTC".into(), 1_234, 8)),
            available: ("BTC".into(), 5, 8),
            ..intent
        };
        assert_eq!(
            explain_reject(Reason::InsufficientBalance, &tiny),
            "INSUFFICIENT_BALANCE: available 0.00000005 BTC, needed 0.00001234 BTC (value plus the fee reserve)"
        );
    }

    impl FormInput {
        fn clone_request_for_test(&self) -> OrderSpec {
            let s = setup();
            check(self, &market(&s, &[], &[])).unwrap().request
        }
    }

    fn row(price: Ticks, qty: Lots) -> L2Row {
        L2Row { price, qty, own: 0 }
    }

    // Walking the book, by hand: asks 60000.00 × 0.00100, 60001.00 × 0.00200, 60003.00 × 0.00100.
    // A market buy of 0.00250 takes 100 lots at 6,000,000 and 150 at 6,000,100:
    // notional = (100×6,000,000 + 150×6,000,100) × 10 units = 15,000,150,000 units = 150.0015 USDT;
    // average = 150.0015 / 0.0025 = 60000.60 → 6,000,060.00 centiticks; slippage vs 60000.00 =
    // 0.60 / 60000 × 1e4 = 0.1 bps → 1 tenth.
    #[test]
    fn market_order_estimate_from_the_visible_book() {
        let s = setup();
        let asks = [
            row(6_000_000, 100),
            row(6_000_100, 200),
            row(6_000_300, 100),
        ];
        let e = estimate(&asks, Some(250), None, None, &s.rules).unwrap();
        assert_eq!(e.lots, 250);
        assert_eq!(e.notional, 15_000_150_000);
        assert_eq!((e.levels, e.worst, e.exhausted), (2, 6_000_100, false));
        assert_eq!(e.avg_centiticks(&s.rules), Some(600_006_000));
        assert_eq!(e.slippage_tenth_bps(&s.rules), Some(1));
        // More than is visible: everything, flagged.
        let all = estimate(&asks, Some(1000), None, None, &s.rules).unwrap();
        assert_eq!((all.lots, all.exhausted), (400, true));
        // A limit at 60001.00 stops before 60003.00.
        let lim = estimate(
            &asks,
            Some(1000),
            None,
            Some((Side::Buy, 6_000_100)),
            &s.rules,
        )
        .unwrap();
        assert_eq!((lim.lots, lim.worst), (300, 6_000_100));
        // A budget of 100 USDT: 60 USDT buys the first level, 40 USDT buys 66 lots at 60001.00
        // (66 × 60001 × 1e-5 = 39.60066 USDT ≤ 40 < 67 lots).
        let b = estimate(&asks, None, Some(10_000_000_000), None, &s.rules).unwrap();
        assert_eq!(b.lots, 166);
        assert!(estimate(&[], Some(1), None, None, &s.rules).is_none());
    }

    // 100% of 100,000 USDT at 60000.00 with the 0.1% fee reserve buys floor(1.66500 BTC) in lots:
    // 100000 / (60000 × 1.001) = 1.66500166… BTC → 166500 lots. Selling 50% of 2 BTC = 1 BTC.
    #[test]
    fn percent_slider() {
        let s = setup();
        let usdt = 100_000 * 100_000_000u64;
        assert_eq!(
            lots_for_percent(Side::Buy, 100, usdt, 6_000_000, &s.rules),
            166_500
        );
        assert_eq!(
            lots_for_percent(Side::Sell, 50, 200_000_000, 0, &s.rules),
            100_000
        );
        assert_eq!(lots_for_percent(Side::Buy, 100, usdt, 0, &s.rules), 0);
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

    #[test]
    fn summary_reads_like_a_ticket() {
        let s = setup();
        let m = market(&s, &[], &[]);
        let i = input("59822.86", "0.01");
        let c = check(&i, &m).unwrap();
        assert_eq!(
            summary(&i, &c, &s.fmt),
            "Buy 0.01000 BTC at 59822.86 (limit GTC)"
        );
    }
}
