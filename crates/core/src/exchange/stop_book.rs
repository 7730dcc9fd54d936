//! [`StopBook`]: the stop orders of one instrument held off-book until their trigger.

use crate::types::{OrderId, Side, Ticks};
use std::collections::BTreeSet;

/// The stop orders of one instrument waiting for their trigger, by side and stop price.
///
/// # Invariant
/// Every open order with `pending_stop` is in its instrument's `StopBook` exactly once, under its
/// side, stop price and id, and nothing else is: the only ways in and out are
/// [`StopBook::insert`] (placement, restore) and [`StopBook::remove`] (trigger, cancel), each
/// checked (`debug_assert`) to find the book as the invariant says.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StopBook {
    buy: BTreeSet<(Ticks, OrderId)>,
    sell: BTreeSet<(Ticks, OrderId)>,
}

impl StopBook {
    fn side_mut(&mut self, side: Side) -> &mut BTreeSet<(Ticks, OrderId)> {
        match side {
            Side::Buy => &mut self.buy,
            Side::Sell => &mut self.sell,
        }
    }

    /// Hold stop order `id` of `side` with trigger price `stop` ticks (not held yet).
    pub fn insert(&mut self, side: Side, stop: Ticks, id: OrderId) {
        let fresh = self.side_mut(side).insert((stop, id));
        debug_assert!(fresh, "stop order {id} held twice");
    }

    /// Release stop order `id` (held).
    pub fn remove(&mut self, side: Side, stop: Ticks, id: OrderId) {
        let held = self.side_mut(side).remove(&(stop, id));
        debug_assert!(held, "stop order {id} was not held");
    }

    /// True when stop order `id` of `side` at `stop` is held.
    pub fn contains(&self, side: Side, stop: Ticks, id: OrderId) -> bool {
        match side {
            Side::Buy => self.buy.contains(&(stop, id)),
            Side::Sell => self.sell.contains(&(stop, id)),
        }
    }

    /// Number of held stop orders.
    pub fn len(&self) -> usize {
        self.buy.len() + self.sell.len()
    }

    /// True when no stop order is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The lowest order id whose trigger holds at last trade price `last` ticks, if any: buy stops
    /// at or below `last`, sell stops at or above it. Costs a scan of the triggered ones.
    pub fn first_triggered(&self, last: Ticks) -> Option<OrderId> {
        let buy = self
            .buy
            .range(..=(last, OrderId::MAX))
            .map(|&(_, id)| id)
            .min();
        let sell = self.sell.range((last, 0)..).map(|&(_, id)| id).min();
        match (buy, sell) {
            (Some(b), Some(s)) => Some(b.min(s)),
            (b, s) => b.or(s),
        }
    }
}
