//! A running lesson in the worker: its [`Evaluator`], the student's commands recorded for the
//! receipt, and what the page is told ([`LessonProgress`]). Knows nothing of the worker's state:
//! `state.rs` feeds it, `replay.rs` checks receipts with it.

use std::collections::BTreeMap;

use bourse_core::{AccountId, Command, Event, Exchange, ExecType, Sequenced};
use bourse_lessons::{
    Evaluator, Lesson, Metrics, Receipt, ReceiptCommand, ReceiptEnd, Verdict, MAX_RECEIPT_COMMANDS,
    RECEIPT_VERSION,
};
use bourse_protocol::{
    LessonProgress, LessonSummary, MetricLine, ObjectiveProgress, ObjectiveVerdict,
    MAX_STUDENT_NAME_CHARS,
};

/// One lesson run (see the module docs).
#[derive(Debug, Clone)]
pub(crate) struct LessonRun {
    /// The objectives' judge.
    pub ev: Evaluator,
    /// Seed of the market.
    pub seed: u64,
    /// Verdicts last sent to the page.
    pub sent: Vec<Verdict>,
    /// The student's commands so far.
    commands: Vec<ReceiptCommand>,
    /// More commands than a receipt may carry were sent.
    overflow: bool,
    /// Made at finish.
    receipt: Option<Receipt>,
    /// The student's fills by the kind of agent on the other side (`"noise"`, `"value"`, …;
    /// `"you"` for a trade with yourself): shown only once the lesson is finished, as the
    /// reveal of who the student traded with.
    counterparties: BTreeMap<&'static str, u32>,
}

/// The catalog, in teaching order.
pub(crate) fn catalog() -> Vec<LessonSummary> {
    Lesson::builtin()
        .into_iter()
        .map(|l| LessonSummary {
            objectives: l.objectives.len() as u32,
            id: l.id,
            title: l.title,
            summary: l.summary,
        })
        .collect()
}

/// Verdicts and reasons as the page shows them.
pub(crate) fn objectives_of(ev: &Evaluator) -> Vec<ObjectiveProgress> {
    ev.lesson()
        .objectives
        .iter()
        .zip(ev.verdicts())
        .enumerate()
        .map(|(k, (o, v))| ObjectiveProgress {
            id: o.id.clone(),
            text: o.text.clone(),
            verdict: match v {
                Verdict::Open => ObjectiveVerdict::Open,
                Verdict::Met => ObjectiveVerdict::Met,
                Verdict::Failed => ObjectiveVerdict::Failed,
            },
            why: ev.why(k).map(str::to_string),
        })
        .collect()
}

/// The debrief's figures as lines (`quote`/`base`: the instrument's asset symbols).
pub(crate) fn metric_lines(m: &Metrics, base: &str, quote: &str) -> Vec<MetricLine> {
    let line = |label: &str, value: String| MetricLine {
        label: label.to_string(),
        value,
    };
    let or_dash = |v: &Option<rust_decimal::Decimal>, unit: &str| {
        v.map_or("—".to_string(), |x| format!("{x} {unit}"))
    };
    let mut out = vec![
        line(
            "Fills",
            format!(
                "{} ({} maker, {} taker)",
                m.fills, m.maker_fills, m.taker_fills
            ),
        ),
        line("Bought", format!("{} {base}", m.bought)),
        line("Sold", format!("{} {base}", m.sold)),
        line("Your VWAP", or_dash(&m.vwap, quote)),
        line("Market VWAP", or_dash(&m.market_vwap, quote)),
        line("Slippage vs arrival mid", or_dash(&m.slippage_bps, "bps")),
        line(
            "Markout (5 s)",
            match m.markout_bps {
                Some(x) => format!("{x} bps over {} fills", m.markout_fills),
                None => "—".into(),
            },
        ),
        line("P&L (marked at the mid)", format!("{} {quote}", m.pnl)),
        line("  from the spread", format!("{} {quote}", m.pnl_spread)),
        line("  from inventory", format!("{} {quote}", m.pnl_inventory)),
        line("  fees paid", format!("{} {quote}", m.fees)),
    ];
    if let Some(u) = m.uptime_percent {
        out.push(line("Two-sided quoting", format!("{u} % of the time")));
    }
    out
}

/// `(base, quote)` symbols of the lesson's instrument.
pub(crate) fn symbols(ev: &Evaluator, ex: &Exchange) -> (String, String) {
    let cfg = ex.config();
    cfg.instrument_by_symbol(&ev.lesson().instrument)
        .map(|i| {
            let s = &cfg.instruments[i as usize];
            (
                cfg.assets[s.base as usize].symbol.clone(),
                cfg.assets[s.quote as usize].symbol.clone(),
            )
        })
        .unwrap_or_default()
}

impl LessonRun {
    /// A run of `ev` on `seed`, just started.
    pub fn new(ev: Evaluator, seed: u64) -> LessonRun {
        LessonRun {
            sent: ev.verdicts().to_vec(),
            ev,
            seed,
            commands: Vec::new(),
            overflow: false,
            receipt: None,
            counterparties: BTreeMap::new(),
        }
    }

    /// Note one of the student's commands (until the lesson is finished).
    pub fn record(&mut self, steps: u64, ts_ns: u64, input_seq: u64, cmd: &Command) {
        if self.ev.is_finished() {
            return;
        }
        if self.commands.len() >= MAX_RECEIPT_COMMANDS {
            self.overflow = true;
            return;
        }
        self.commands.push(ReceiptCommand {
            steps,
            ts_ns,
            input_seq,
            cmd: cmd.clone(),
        });
    }

    /// End the run at (`steps`, `now_ns`) and make the receipt for `student`.
    pub fn finish(&mut self, ex: &Exchange, steps: u64, now_ns: u64, student: &str) {
        if self.ev.is_finished() {
            return;
        }
        self.ev.finish(ex, now_ns);
        self.sent = self.ev.verdicts().to_vec();
        if self.overflow {
            return;
        }
        let l = self.ev.lesson();
        self.receipt = Some(Receipt {
            bourse_receipt: RECEIPT_VERSION,
            student: student
                .trim()
                .chars()
                .take(MAX_STUDENT_NAME_CHARS)
                .collect(),
            lesson: l.id.clone(),
            scenario: l.scenario.clone(),
            seed: self.seed,
            warmup_ns: l.warmup_ns,
            commands: self.commands.clone(),
            end: ReceiptEnd {
                steps,
                ts_ns: now_ns,
            },
            digest: format!("{:016x}", ex.event_digest()),
            verdicts: self.ev.verdicts().to_vec(),
            passed: self.ev.passed(),
            metrics: self.ev.metrics(ex),
        });
    }

    /// Count who was on the other side of each of `student`'s fills in one batch of events: the
    /// other execution report with the same trade id (the core reports both sides of a trade in
    /// the same batch); `kind_of` names an agent account's kind.
    pub fn note_counterparties(
        &mut self,
        events: &[Sequenced],
        student: AccountId,
        kind_of: impl Fn(AccountId) -> Option<&'static str>,
    ) {
        if self.ev.is_finished() {
            return;
        }
        let fills = |e: &Sequenced| match &e.event {
            Event::Execution(r) if r.exec_type == ExecType::Trade => Some((r.trade_id, r.account)),
            _ => None,
        };
        for (trade, account) in events.iter().filter_map(fills) {
            if account != student {
                continue;
            }
            let other = events
                .iter()
                .filter_map(fills)
                .filter(|(t, _)| *t == trade)
                .map(|(_, a)| a)
                .find(|a| *a != student);
            let kind = match other {
                None => "you",
                Some(a) => kind_of(a).unwrap_or("another account"),
            };
            *self.counterparties.entry(kind).or_default() += 1;
        }
    }

    /// The receipt, after [`LessonRun::finish`].
    pub fn receipt(&self) -> Option<&Receipt> {
        self.receipt.as_ref()
    }

    /// The progress message for the page.
    pub fn progress(&self, ex: &Exchange) -> LessonProgress {
        let l = self.ev.lesson();
        LessonProgress {
            id: l.id.clone(),
            seed: self.seed,
            objectives: objectives_of(&self.ev),
            finished: self.ev.is_finished(),
            passed: self.ev.passed(),
            title: l.title.clone(),
            prompt: l.prompt.clone(),
            hints: l.hints.clone(),
            discussion: l.discussion.clone(),
            seeds: l.seeds.clone(),
            metrics: self.lines(ex),
            receipt: self.receipt.as_ref().map(Receipt::to_json),
        }
    }

    /// The debrief figures, and once finished who the student traded with.
    pub fn lines(&self, ex: &Exchange) -> Vec<MetricLine> {
        let (base, quote) = symbols(&self.ev, ex);
        let mut lines = metric_lines(&self.ev.metrics(ex), &base, &quote);
        if self.ev.is_finished() {
            let who = if self.counterparties.is_empty() {
                "nobody".to_string()
            } else {
                self.counterparties
                    .iter()
                    .map(|(k, n)| format!("{} × {n}", k.replace('_', " ")))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            lines.push(MetricLine {
                label: "Who traded with you (revealed)".into(),
                value: who,
            });
        }
        lines
    }
}
