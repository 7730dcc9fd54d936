//! The worker's lesson messages ([`LessonControl`]): the catalog, starting and finishing a lesson
//! run, and checking a receipt by replaying it in a fresh market ([`check_receipt`]).
//!
//! A receipt replays through the same [`WorkerState`] code as the live run: the same market
//! build and warm-up, the same `flush` after every step and command (events, then state, into the
//! [`Evaluator`]), the student's commands put back after the recorded number of steps at the
//! recorded virtual time. So the replay's digest, verdicts and figures equal the live run's
//! exactly when the receipt's commands are the ones that were sent.

use bourse_core::Command;
use bourse_lessons::{Evaluator, Lesson, Receipt};
use bourse_protocol::{
    LessonControl, MetricLine, ObjectiveProgress, ReceiptCheck, RejectReason, ServerMessage,
};

use crate::lesson::{catalog, objectives_of, LessonRun};
use crate::state::WorkerState;

/// Most simulation steps a receipt replay runs (bounds the work one receipt can ask for).
pub const MAX_REPLAY_STEPS: u64 = 20_000_000;

impl WorkerState {
    /// The running lesson's progress message, if a lesson runs.
    pub(crate) fn lesson_progress(&self) -> Option<ServerMessage> {
        let run = self.lesson.as_ref()?;
        Some(ServerMessage::Lesson(run.progress(self.sim.exchange())))
    }

    /// Attach a new run of `lesson` on `seed` to the market that was just built for it.
    fn attach_lesson(&mut self, lesson: Lesson, seed: u64) -> Result<(), String> {
        let ev = Evaluator::new(lesson, self.human, self.sim.exchange(), self.sim.now_ns())
            .map_err(|e| e.to_string())?;
        self.lesson = Some(LessonRun::new(ev, seed));
        Ok(())
    }

    /// Answer a [`ClientMessage::Lesson`].
    pub(crate) fn lesson_control(
        &mut self,
        seq: u64,
        control: LessonControl,
    ) -> Vec<ServerMessage> {
        let ack = ServerMessage::Ack {
            client_seq: seq,
            input_seq: None,
        };
        let invalid =
            |m: String| ServerMessage::rejected(Some(seq), RejectReason::InvalidRequest, m);
        match control {
            LessonControl::List => vec![ServerMessage::LessonCatalog(catalog())],
            LessonControl::Start { id, seed } => {
                let Some(lesson) = Lesson::builtin().into_iter().find(|l| l.id == id) else {
                    let known: Vec<String> = catalog().into_iter().map(|l| l.id).collect();
                    return vec![invalid(format!(
                        "unknown lesson {id:?}; known: {}",
                        known.join(", ")
                    ))];
                };
                let seed = seed.unwrap_or(lesson.seeds[0]);
                // A lesson always starts with the default funding (a receipt does not carry it).
                let deposits = self.deposits.take();
                let started = self.restart(&lesson.scenario, seed, lesson.warmup_ns);
                self.deposits = deposits;
                if let Err(e) = started {
                    return vec![invalid(e.to_string())];
                }
                if let Err(e) = self.attach_lesson(lesson, seed) {
                    return vec![invalid(e)];
                }
                let mut out = vec![ack, self.ready()];
                out.extend(self.lesson_progress());
                out
            }
            LessonControl::Finish { student } => {
                let (steps, now) = (self.sim.steps(), self.sim.now_ns());
                let Some(run) = &mut self.lesson else {
                    return vec![invalid("no lesson is running".into())];
                };
                run.finish(self.sim.exchange(), steps, now, &student);
                let mut out = vec![ack];
                out.extend(self.lesson_progress());
                out
            }
            LessonControl::CheckReceipt { json } => {
                vec![ServerMessage::ReceiptChecked(Box::new(check_receipt(
                    &json,
                )))]
            }
        }
    }
}

/// Whether `cmd` is one a student may send (their own orders, cancels and amends).
fn student_command(cmd: &Command, account: bourse_core::AccountId) -> bool {
    match cmd {
        Command::PlaceOrder(o) => o.account == account,
        Command::CancelOrder { account: a, .. }
        | Command::CancelAll { account: a, .. }
        | Command::AmendOrder { account: a, .. } => *a == account,
        _ => false,
    }
}

/// Run `st`'s simulation to exactly `steps` steps and then the clock to `ts_ns`, feeding the
/// lesson after each step as the live run did.
fn replay_to(st: &mut WorkerState, steps: u64, ts_ns: u64, what: &str) -> Result<(), String> {
    if steps > MAX_REPLAY_STEPS {
        return Err(format!(
            "{what}: {steps} steps (a replay runs at most {MAX_REPLAY_STEPS})"
        ));
    }
    if steps < st.sim.steps() {
        return Err(format!(
            "{what}: after {steps} steps, but the market had already run {}",
            st.sim.steps()
        ));
    }
    let need = steps - st.sim.steps();
    if st.run_steps(need) != need {
        return Err(format!("{what}: the market has fewer than {steps} steps"));
    }
    if ts_ns < st.sim.now_ns() {
        return Err(format!(
            "{what}: at {ts_ns} ns, before the market's clock ({} ns)",
            st.sim.now_ns()
        ));
    }
    st.sim.advance_clock_to(ts_ns);
    st.flush();
    Ok(())
}

/// What a replay found: its own receipt, objectives and figures.
type Replayed = (Receipt, Vec<ObjectiveProgress>, Vec<MetricLine>);

/// Replay `r` in a fresh market.
fn replay(r: &Receipt) -> Result<Replayed, String> {
    let lesson = Lesson::builtin()
        .into_iter()
        .find(|l| l.id == r.lesson)
        .ok_or_else(|| format!("unknown lesson {:?}", r.lesson))?;
    if r.scenario != lesson.scenario || r.warmup_ns != lesson.warmup_ns {
        return Err(format!(
            "not the lesson's market (scenario {:?}, warm-up {} ns)",
            lesson.scenario, lesson.warmup_ns
        ));
    }
    let mut st = WorkerState::with_warmup(&lesson.scenario, r.seed, lesson.warmup_ns, None)
        .map_err(|e| e.to_string())?;
    st.set_check_every_command(false);
    st.attach_lesson(lesson, r.seed)?;
    for (k, c) in r.commands.iter().enumerate() {
        let what = format!("command {}", k + 1);
        if !student_command(&c.cmd, st.human) {
            return Err(format!(
                "{what} is not the student's own order, cancel or amend"
            ));
        }
        replay_to(&mut st, c.steps, c.ts_ns, &what)?;
        // As `WorkerState::handle` does for a page's command.
        let input_seq = st.sim.submit(c.cmd.clone(), &mut st.log, &mut st.events);
        if input_seq != c.input_seq {
            return Err(format!(
                "{what}: got input sequence number {input_seq}, the receipt says {}",
                c.input_seq
            ));
        }
        if let Some(run) = &mut st.lesson {
            run.record(c.steps, c.ts_ns, input_seq, &c.cmd);
        }
        st.flush();
    }
    replay_to(&mut st, r.end.steps, r.end.ts_ns, "the end")?;
    let (steps, now) = (st.sim.steps(), st.sim.now_ns());
    let ex = st.sim.exchange();
    let run = st
        .lesson
        .as_mut()
        .ok_or("the lesson ended during the replay")?;
    run.finish(ex, steps, now, &r.student);
    let mine = run
        .receipt()
        .cloned()
        .ok_or_else(|| "the replay made no receipt".to_string())?;
    let lines = run.lines(ex);
    Ok((mine, objectives_of(&run.ev), lines))
}

/// Replay a receipt (JSON) and say whether it holds: the replay must give the digest, the
/// verdicts and the figures the receipt claims (see the module docs).
pub fn check_receipt(json: &str) -> ReceiptCheck {
    let mut out = ReceiptCheck {
        student: String::new(),
        lesson: String::new(),
        seed: 0,
        refused: None,
        objectives: Vec::new(),
        passed: false,
        metrics: Vec::new(),
        pnl: "0".into(),
    };
    let r = match Receipt::from_json(json) {
        Ok(r) => r,
        Err(e) => {
            out.refused = Some(e);
            return out;
        }
    };
    out.student = r.student.clone();
    out.lesson = r.lesson.clone();
    out.seed = r.seed;
    match replay(&r) {
        Err(e) => out.refused = Some(e),
        Ok((mine, objectives, metrics)) => {
            out.refused = if mine.digest != r.digest {
                Some(format!(
                    "digest {} does not match the replay's {}",
                    r.digest, mine.digest
                ))
            } else if mine.verdicts != r.verdicts || mine.passed != r.passed {
                Some("the verdicts do not match the replay's".into())
            } else if mine.metrics != r.metrics {
                Some("the figures do not match the replay's".into())
            } else if mine != r {
                Some("the receipt does not match the replay's".into())
            } else {
                None
            };
            out.passed = mine.passed;
            out.pnl = mine.metrics.pnl.to_string();
            out.objectives = objectives;
            out.metrics = metrics;
        }
    }
    out
}
