//! The public data the exchange hands out: an order while it is open ([`OpenOrder`]), a balance
//! ([`Balance`]), an L2 snapshot ([`DepthSnapshot`]). Integers only: ticks, lots, asset units.

use crate::messages::OrderStatus;
use crate::types::*;
use serde::{Deserialize, Serialize};

/// L2 snapshot of the top levels (Binance `GET /api/v3/depth`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DepthSnapshot {
    /// Instrument.
    pub instrument: InstrumentId,
    /// Update id of the last change included.
    pub last_update_id: u64,
    /// Bids `(ticks, lots)`, best first.
    pub bids: Vec<(Ticks, Lots)>,
    /// Asks `(ticks, lots)`, best first.
    pub asks: Vec<(Ticks, Lots)>,
}

/// A balance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Balance {
    /// Free to use, asset units.
    pub available: Units,
    /// Reserved by open orders, asset units.
    pub locked: Units,
}

/// An open order (resting or pending stop) with its accounting state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenOrder {
    /// Order id.
    pub id: OrderId,
    /// Owner.
    pub account: AccountId,
    /// Instrument.
    pub instrument: InstrumentId,
    /// Client order id.
    pub client_order_id: Option<ClientOrderId>,
    /// Side.
    pub side: Side,
    /// Type as placed.
    pub order_type: OrderType,
    /// Time in force.
    pub tif: TimeInForce,
    /// Post-only.
    pub post_only: bool,
    /// Self-trade prevention.
    pub stp: StpMode,
    /// Limit price, ticks (0 for market).
    pub price: Ticks,
    /// Stop price, ticks (0 for none).
    pub stop_price: Ticks,
    /// Order quantity, lots (0 for quote-sized market buys).
    pub quantity: Lots,
    /// Quote quantity, units (quote-sized market buys).
    pub quote_quantity: Units,
    /// Filled, lots.
    pub cum_qty: Lots,
    /// Filled notional, quote units.
    pub cum_quote: Units,
    /// Units of the lock asset (quote for buys, base for sells) this order reserves.
    pub locked: Units,
    /// True while it is a stop order waiting for its trigger.
    pub pending_stop: bool,
}

impl OpenOrder {
    /// Its current status: `NEW` until something filled, then `PARTIALLY_FILLED`.
    pub fn status(&self) -> OrderStatus {
        if self.cum_qty == 0 {
            OrderStatus::New
        } else if self.quantity != 0 && self.cum_qty >= self.quantity {
            OrderStatus::Filled
        } else {
            OrderStatus::PartiallyFilled
        }
    }
}
