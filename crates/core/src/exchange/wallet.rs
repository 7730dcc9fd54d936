//! The wallet: per account and asset, `available` and `locked` units; account creation, deposits
//! and withdrawals, locks. See the module documentation of [`crate::exchange`] for what each order
//! locks.
//!
//! # Invariant
//! For every account and asset, `locked` equals the sum of the locks of the account's open orders
//! in that asset; for every asset, Σ balances + fees collected = deposits − withdrawals, and the
//! total supply stays within `u64::MAX` units.

use super::data::Balance;
use super::state::{Account, Ctx, Exchange};
use crate::messages::*;
use crate::types::*;
use rust_decimal::Decimal;

/// An amount the exchange computed (a lock, a notional, a fee) as asset units. Every caller
/// derives it from balances that fit `u64`, so it is in range: asserted in debug builds, not
/// clamped.
pub(super) fn as_units(x: i128) -> Units {
    debug_assert!(
        x >= 0 && x <= Units::MAX as i128,
        "amount out of range: {x}"
    );
    x as Units
}

impl Exchange {
    pub(super) fn create_account(
        &mut self,
        ctx: &mut Ctx<'_>,
        max_open_orders: Option<u32>,
        daily_notional_limit: Option<Decimal>,
    ) {
        let daily_limit = match daily_notional_limit {
            None => None,
            Some(limit) => {
                let mut v = Vec::with_capacity(self.instruments.len());
                for ins in &self.instruments {
                    let dec = self.config.assets[ins.rules.quote as usize].decimals;
                    match to_grid(limit, unit_step(dec)) {
                        Ok(u) => v.push(u as u64),
                        Err(_) => {
                            return self.reject_cmd(ctx, None, None, Reason::AmountNotOnGrid);
                        }
                    }
                }
                Some(v)
            }
        };
        self.accounts.push(Account {
            balances: vec![Balance::default(); self.config.assets.len()],
            open_orders: 0,
            max_open_orders: max_open_orders.unwrap_or(self.config.default_max_open_orders),
            daily_limit,
            daily_traded: vec![(0, 0); self.instruments.len()],
        });
        let account = self.accounts.len() as AccountId;
        self.emit(ctx, Event::AccountCreated { account });
    }

    pub(super) fn transfer(
        &mut self,
        ctx: &mut Ctx<'_>,
        account: AccountId,
        asset: AssetId,
        amount: Decimal,
        deposit: bool,
    ) {
        if self.account(account).is_none() {
            return self.reject_cmd(ctx, Some(account), None, Reason::UnknownAccount);
        }
        let Some(spec) = self.config.assets.get(asset as usize) else {
            return self.reject_cmd(ctx, Some(account), None, Reason::UnknownAsset);
        };
        let units = match to_grid(amount, unit_step(spec.decimals)) {
            Ok(u) if u > 0 => u as Units,
            _ => return self.reject_cmd(ctx, Some(account), None, Reason::AmountNotOnGrid),
        };
        let b = &mut self.accounts[account as usize - 1].balances[asset as usize];
        if deposit {
            // Cap the asset's total supply (deposits − withdrawals, which bounds every balance,
            // lock and fill) at `Units::MAX`, so that no later credit can overflow.
            let supply = self.deposits[asset as usize] - self.withdrawals[asset as usize];
            if supply + units as u128 > Units::MAX as u128 {
                return self.reject_cmd(ctx, Some(account), None, Reason::AmountNotOnGrid);
            }
            b.available += units;
            self.deposits[asset as usize] += units as u128;
        } else {
            if b.available < units {
                return self.reject_cmd(ctx, Some(account), None, Reason::InsufficientBalance);
            }
            b.available -= units;
            self.withdrawals[asset as usize] += units as u128;
        }
        ctx.touched_balances.push((account, asset));
    }

    pub(super) fn lock(
        &mut self,
        ctx: &mut Ctx<'_>,
        account: AccountId,
        asset: AssetId,
        units: Units,
    ) {
        if units == 0 {
            return;
        }
        let b = &mut self.accounts[account as usize - 1].balances[asset as usize];
        debug_assert!(b.available >= units);
        b.available -= units;
        b.locked += units;
        ctx.touched_balances.push((account, asset));
    }
}
