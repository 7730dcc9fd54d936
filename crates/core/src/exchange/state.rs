//! The exchange's state ([`Exchange`] and its private parts) and the sequencer: [`Exchange::new`],
//! [`Exchange::apply`] (stamp, dispatch, finish, commit) and halts. The other files of this module
//! add the commands' work in `impl Exchange` blocks; this one is the only place that lists the
//! state's fields.

use super::config::{ConfigError, ExchangeConfig};
use super::data::{Balance, OpenOrder};
use super::rules::rules_of;
use super::stop_book::StopBook;
use crate::auction::Indicative;
use crate::book::{BookCommand, BookEvent, MatchingEngine, OrderBook};
use crate::digest::EventDigest;
use crate::marketdata::Candles;
use crate::messages::*;
use crate::types::*;
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

/// One UTC day in ns (daily notional limits reset at its multiples).
pub(super) const DAY_NS: u64 = 86_400_000_000_000;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct Account {
    pub(super) balances: Vec<Balance>,
    pub(super) open_orders: u32,
    pub(super) max_open_orders: u32,
    /// Per instrument: daily notional limit in quote units (None: unlimited).
    pub(super) daily_limit: Option<Vec<u64>>,
    /// Per instrument: (UTC day index, notional traded that day in quote units).
    pub(super) daily_traded: Vec<(u64, u128)>,
}

#[derive(Debug, Clone)]
pub(super) struct Instrument {
    pub(super) rules: InstrumentRules,
    pub(super) book: OrderBook,
    pub(super) halted: bool,
    pub(super) last_price: Option<Ticks>,
    pub(super) next_trade_id: u64,
    pub(super) update_id: u64,
    pub(super) l1: BookTicker,
    /// Stop orders waiting for their trigger.
    pub(super) stops: StopBook,
    pub(super) candles: Candles,
    /// The indicative uncross last published (default outside an auction).
    pub(super) indicative: Indicative,
}

impl Instrument {
    pub(super) fn reference(&self) -> Ticks {
        self.last_price.unwrap_or(self.rules.reference_ticks)
    }
}

/// Reusable per-command buffers (always empty between commands).
#[derive(Debug, Clone, Default)]
pub(super) struct Scratch {
    pub(super) levels: Vec<(InstrumentId, Side, Ticks)>,
    pub(super) balances: Vec<(AccountId, AssetId)>,
    pub(super) traded: Vec<InstrumentId>,
}

/// Per-command scratch state: where the command's events go and what it touched.
pub(super) struct Ctx<'a> {
    pub(super) out: &'a mut Vec<Sequenced>,
    pub(super) input_seq: u64,
    pub(super) ts_ns: u64,
    /// (instrument, side, price) levels whose aggregate changed.
    pub(super) touched_levels: Vec<(InstrumentId, Side, Ticks)>,
    /// (account, asset) balances that changed.
    pub(super) touched_balances: Vec<(AccountId, AssetId)>,
    /// Instruments that printed trades (for stop triggers).
    pub(super) traded: Vec<InstrumentId>,
}

/// The deterministic exchange state machine. See the module documentation.
#[derive(Debug, Clone)]
pub struct Exchange {
    pub(super) config: ExchangeConfig,
    pub(super) instruments: Vec<Instrument>,
    pub(super) accounts: Vec<Account>,
    pub(super) orders: FxHashMap<OrderId, OpenOrder>,
    pub(super) client_ids: FxHashMap<(AccountId, ClientOrderId), OrderId>,
    pub(super) next_order_id: OrderId,
    pub(super) next_input_seq: u64,
    pub(super) next_output_seq: u64,
    pub(super) last_ts_ns: u64,
    pub(super) digest: EventDigest,
    pub(super) deposits: Vec<u128>,
    pub(super) withdrawals: Vec<u128>,
    pub(super) fees: Vec<u128>,
    pub(super) book_events: Vec<BookEvent>,
    /// Per-command scratch buffers, reused so that `apply` does not allocate for them.
    pub(super) scratch: Scratch,
    /// Check invariants after every command (default: on in debug builds).
    pub check_every_command: bool,
}

impl Exchange {
    /// A new exchange with no accounts.
    ///
    /// # Errors
    /// [`ConfigError`] (naming the field) when `config` fails [`ExchangeConfig::validate`]: an
    /// asset with too many decimals, a fee rate of 100 % or more, a band or reference price beyond
    /// the limits, a zero tick or lot, minimum above maximum, an unknown asset, sizes off the grid
    /// of their assets (e.g. `tick_size × lot_size` not a multiple of the quote asset's unit).
    pub fn new(config: ExchangeConfig) -> Result<Self, ConfigError> {
        config.validate()?;
        let mut instruments = Vec::with_capacity(config.instruments.len());
        for (i, spec) in config.instruments.iter().enumerate() {
            let rules = rules_of(&config, spec)?;
            instruments.push(Instrument {
                rules,
                book: OrderBook::with_capacity(1024, 256),
                halted: false,
                last_price: None,
                next_trade_id: 1,
                update_id: 0,
                l1: BookTicker {
                    instrument: i as InstrumentId,
                    ..Default::default()
                },
                stops: StopBook::default(),
                candles: Candles::default(),
                indicative: Indicative::default(),
            });
        }
        let n_assets = config.assets.len();
        Ok(Exchange {
            config,
            instruments,
            accounts: Vec::new(),
            orders: FxHashMap::default(),
            client_ids: FxHashMap::default(),
            next_order_id: 1,
            next_input_seq: 1,
            next_output_seq: 1,
            last_ts_ns: 0,
            digest: EventDigest::new(),
            deposits: vec![0; n_assets],
            withdrawals: vec![0; n_assets],
            fees: vec![0; n_assets],
            book_events: Vec::with_capacity(64),
            scratch: Scratch::default(),
            check_every_command: cfg!(debug_assertions),
        })
    }

    // ------------------------------------------------------------------ sequencer

    /// Sequence and apply one command at `ts_ns`; append its events to `out`. Returns the input
    /// sequence number assigned. Never panics on any input.
    pub fn apply(&mut self, ts_ns: u64, cmd: &Command, out: &mut Vec<Sequenced>) -> u64 {
        let input_seq = self.next_input_seq;
        self.next_input_seq += 1;
        let mut ctx = Ctx {
            out,
            input_seq,
            ts_ns,
            touched_levels: std::mem::take(&mut self.scratch.levels),
            touched_balances: std::mem::take(&mut self.scratch.balances),
            traded: std::mem::take(&mut self.scratch.traded),
        };
        if ts_ns < self.last_ts_ns {
            self.emit(
                &mut ctx,
                Event::CommandRejected {
                    account: None,
                    order_id: None,
                    reason: Reason::TimestampRegression,
                },
            );
            self.commit(ctx);
            return input_seq;
        }
        self.last_ts_ns = ts_ns;
        match cmd {
            Command::CreateAccount {
                max_open_orders,
                daily_notional_limit,
            } => self.create_account(&mut ctx, *max_open_orders, *daily_notional_limit),
            Command::Deposit {
                account,
                asset,
                amount,
            } => self.transfer(&mut ctx, *account, *asset, *amount, true),
            Command::Withdraw {
                account,
                asset,
                amount,
            } => self.transfer(&mut ctx, *account, *asset, *amount, false),
            Command::PlaceOrder(o) => self.place(&mut ctx, o),
            Command::CancelOrder {
                account,
                instrument,
                order,
            } => self.cancel(&mut ctx, *account, *instrument, *order),
            Command::CancelAll {
                account,
                instrument,
            } => self.cancel_all(&mut ctx, *account, *instrument),
            Command::AmendOrder {
                account,
                instrument,
                order,
                price,
                quantity,
            } => self.amend(&mut ctx, *account, *instrument, *order, *price, *quantity),
            Command::Halt { instrument } => self.set_halt(&mut ctx, *instrument, true),
            Command::Resume { instrument } => self.set_halt(&mut ctx, *instrument, false),
            Command::StartAuction { instrument } => self.start_auction(&mut ctx, *instrument),
            Command::Uncross { instrument } => self.uncross(&mut ctx, *instrument),
        }
        self.run_stops(&mut ctx);
        self.finish(&mut ctx);
        self.commit(ctx);
        if self.check_every_command {
            if let Err(e) = self.check_invariants() {
                panic!("invariant violated after input seq {input_seq}: {e}");
            }
        }
        input_seq
    }

    /// Apply a logged command (from a command log), checking that its sequence number is the next one.
    /// Returns `Err(expected)` (and applies nothing) when it is not.
    pub fn apply_sequenced(
        &mut self,
        cmd: &SequencedCommand,
        out: &mut Vec<Sequenced>,
    ) -> Result<(), u64> {
        if cmd.seq != self.next_input_seq {
            return Err(self.next_input_seq);
        }
        self.apply(cmd.ts_ns, &cmd.cmd, out);
        Ok(())
    }

    pub(super) fn emit(&mut self, ctx: &mut Ctx<'_>, event: Event) {
        let s = Sequenced {
            seq: self.next_output_seq,
            input_seq: ctx.input_seq,
            ts_ns: ctx.ts_ns,
            event,
        };
        self.next_output_seq += 1;
        self.digest.update(&s);
        ctx.out.push(s);
    }

    pub(super) fn reject_cmd(
        &mut self,
        ctx: &mut Ctx<'_>,
        account: Option<AccountId>,
        order_id: Option<OrderId>,
        reason: Reason,
    ) {
        self.emit(
            ctx,
            Event::CommandRejected {
                account,
                order_id,
                reason,
            },
        );
    }

    /// End of a command: fold its events into the running digest (once per command) and give the
    /// scratch buffers back, emptied, for the next command.
    pub(super) fn commit(&mut self, ctx: Ctx<'_>) {
        let Ctx {
            mut touched_levels,
            mut touched_balances,
            mut traded,
            ..
        } = ctx;
        touched_levels.clear();
        touched_balances.clear();
        traded.clear();
        self.digest.commit();
        self.scratch = Scratch {
            levels: touched_levels,
            balances: touched_balances,
            traded,
        };
    }

    /// End of a command's work: depth updates, L1 and (in a call auction) the indicative
    /// uncross per touched instrument, then balance updates.
    pub(super) fn finish(&mut self, ctx: &mut Ctx<'_>) {
        if !ctx.touched_levels.is_empty() {
            let mut t = std::mem::take(&mut ctx.touched_levels);
            t.sort_unstable();
            t.dedup();
            let mut i = 0;
            while i < t.len() {
                let ins_id = t[i].0;
                let mut j = i;
                while j < t.len() && t[j].0 == ins_id {
                    j += 1;
                }
                let ins = &mut self.instruments[ins_id as usize];
                let mut bids = Vec::new();
                let mut asks = Vec::new();
                for &(_, side, price) in &t[i..j] {
                    let (q, _) = ins.book.level_at(side, price);
                    match side {
                        Side::Buy => bids.push((price, q)),
                        Side::Sell => asks.push((price, q)),
                    }
                }
                let n = (j - i) as u64;
                let first = ins.update_id + 1;
                ins.update_id += n;
                let last = ins.update_id;
                let l1 = BookTicker {
                    instrument: ins_id,
                    update_id: last,
                    bid: ins.book.best_bid(),
                    ask: ins.book.best_ask(),
                };
                let l1_changed = l1.bid != ins.l1.bid || l1.ask != ins.l1.ask;
                ins.l1 = l1;
                self.emit(
                    ctx,
                    Event::DepthUpdate(DepthUpdate {
                        instrument: ins_id,
                        first_update_id: first,
                        last_update_id: last,
                        bids,
                        asks,
                    }),
                );
                if l1_changed {
                    self.emit(ctx, Event::BookTicker(l1));
                }
                // During a call auction the indicative uncross can only change with the levels
                // (the reference price moves only with trades, which change levels too).
                let ins = &self.instruments[ins_id as usize];
                if ins.book.in_auction() {
                    let now = ins.book.indicative(ins.reference());
                    if now != ins.indicative {
                        self.instruments[ins_id as usize].indicative = now;
                        self.emit_indicative(ctx, ins_id);
                    }
                }
                i = j;
            }
            t.clear();
            ctx.touched_levels = t;
        }
        if !ctx.touched_balances.is_empty() {
            let mut t = std::mem::take(&mut ctx.touched_balances);
            t.sort_unstable();
            t.dedup();
            for &(account, asset) in &t {
                let b = self.accounts[account as usize - 1].balances[asset as usize];
                self.emit(
                    ctx,
                    Event::BalanceUpdate {
                        account,
                        asset,
                        available: b.available,
                        locked: b.locked,
                    },
                );
            }
            t.clear();
            ctx.touched_balances = t;
        }
    }

    fn emit_indicative(&mut self, ctx: &mut Ctx<'_>, instrument: InstrumentId) {
        let i = self.instruments[instrument as usize].indicative;
        self.emit(
            ctx,
            Event::IndicativeUncross {
                instrument,
                price: i.price,
                volume: i.volume,
                surplus: i.surplus,
                surplus_side: i.surplus_side,
            },
        );
    }

    /// [`Command::StartAuction`]: the phase event, then the first indicative uncross.
    pub(super) fn start_auction(&mut self, ctx: &mut Ctx<'_>, instrument: InstrumentId) {
        let Some(ins) = self.instruments.get_mut(instrument as usize) else {
            return self.reject_cmd(ctx, None, None, Reason::UnknownInstrument);
        };
        if ins.book.in_auction() {
            return self.reject_cmd(ctx, None, None, Reason::WrongTradingPhase);
        }
        let mut evs = Vec::new();
        ins.book.execute(&BookCommand::StartAuction, &mut evs);
        ins.indicative = ins.book.indicative(ins.reference());
        self.emit(
            ctx,
            Event::TradingPhase {
                instrument,
                phase: TradingPhase::Auction,
            },
        );
        self.emit_indicative(ctx, instrument);
    }

    /// [`Command::Uncross`]: the uncross trades (settled like fills), then the phase event.
    pub(super) fn uncross(&mut self, ctx: &mut Ctx<'_>, instrument: InstrumentId) {
        let Some(ins) = self.instruments.get(instrument as usize) else {
            return self.reject_cmd(ctx, None, None, Reason::UnknownInstrument);
        };
        if !ins.book.in_auction() {
            return self.reject_cmd(ctx, None, None, Reason::WrongTradingPhase);
        }
        if ins.halted {
            return self.reject_cmd(ctx, None, None, Reason::InstrumentHalted);
        }
        let reference = ins.reference();
        self.run_book(ctx, instrument, &BookCommand::Uncross { reference });
        self.instruments[instrument as usize].indicative = Indicative::default();
        self.emit(
            ctx,
            Event::TradingPhase {
                instrument,
                phase: TradingPhase::Continuous,
            },
        );
    }

    pub(super) fn set_halt(&mut self, ctx: &mut Ctx<'_>, instrument: InstrumentId, halted: bool) {
        match self.instruments.get_mut(instrument as usize) {
            Some(ins) => {
                ins.halted = halted;
                self.emit(ctx, Event::TradingStatus { instrument, halted });
            }
            None => self.reject_cmd(ctx, None, None, Reason::UnknownInstrument),
        }
    }
}
