//! The exchange's invariants, checked from the inside after every command in debug builds and tests
//! ([`Exchange::check_invariants`]).

use super::state::Exchange;
use crate::types::*;

impl Exchange {
    /// Check every invariant in the module documentation; returns the first violation.
    pub fn check_invariants(&self) -> Result<(), String> {
        for (i, ins) in self.instruments.iter().enumerate() {
            ins.book
                .check_invariants()
                .map_err(|e| format!("instrument {i}: {e}"))?;
        }
        let n_assets = self.config.assets.len();
        let mut reserved = vec![vec![0u128; n_assets]; self.accounts.len()];
        let mut open = vec![0u32; self.accounts.len()];
        let mut pending_stops = vec![0usize; self.instruments.len()];
        for o in self.orders.values() {
            let r = &self.instruments[o.instrument as usize].rules;
            let asset = match o.side {
                Side::Buy => r.quote,
                Side::Sell => r.base,
            };
            let Some(a) = (o.account as usize)
                .checked_sub(1)
                .filter(|&a| a < self.accounts.len())
            else {
                return Err(format!("order {} has unknown account {}", o.id, o.account));
            };
            reserved[a][asset as usize] += o.locked as u128;
            open[a] += 1;
            let in_book = self.instruments[o.instrument as usize].book.order(o.id);
            if o.pending_stop == in_book.is_some() {
                return Err(format!("order {} pending_stop/book mismatch", o.id));
            }
            let stops = &self.instruments[o.instrument as usize].stops;
            if o.pending_stop != stops.contains(o.side, o.stop_price, o.id) {
                return Err(format!("order {} pending_stop/stop book mismatch", o.id));
            }
            if o.pending_stop {
                pending_stops[o.instrument as usize] += 1;
            }
            if let Some(b) = in_book {
                if Some(b.qty) != o.quantity.checked_sub(o.cum_qty) || b.price != o.price {
                    return Err(format!("order {} book/accounting mismatch", o.id));
                }
                let lock = r
                    .checked_notional(o.price, b.qty)
                    .and_then(|n| n.checked_add(fee_units(n, r.max_fee_ppm())));
                if o.side == Side::Buy && lock.is_none_or(|l| (o.locked as i128) < l) {
                    return Err(format!("order {} under-locked", o.id));
                }
            }
        }
        // Nothing but the pending stop orders is held off-book.
        for (i, ins) in self.instruments.iter().enumerate() {
            if ins.stops.len() != pending_stops[i] {
                return Err(format!(
                    "instrument {i}: stop book holds {} orders, {} are pending",
                    ins.stops.len(),
                    pending_stops[i]
                ));
            }
        }
        let mut total = vec![0u128; n_assets];
        for (a, acct) in self.accounts.iter().enumerate() {
            if acct.open_orders != open[a] {
                return Err(format!("account {} open-order count mismatch", a + 1));
            }
            for (s, b) in acct.balances.iter().enumerate() {
                if b.locked as u128 != reserved[a][s] {
                    return Err(format!(
                        "account {} asset {s}: locked {} but orders reserve {}",
                        a + 1,
                        b.locked,
                        reserved[a][s]
                    ));
                }
                total[s] += b.available as u128 + b.locked as u128;
            }
        }
        for (s, &held) in total.iter().enumerate() {
            let out = held
                .checked_add(self.fees[s])
                .and_then(|x| x.checked_add(self.withdrawals[s]));
            if out != Some(self.deposits[s]) {
                return Err(format!(
                    "asset {s}: balances {held} + fees {} + withdrawals {} != deposits {}",
                    self.fees[s], self.withdrawals[s], self.deposits[s]
                ));
            }
        }
        if self.client_ids.len() > self.orders.len() {
            return Err("client id index larger than open orders".into());
        }
        Ok(())
    }
}
