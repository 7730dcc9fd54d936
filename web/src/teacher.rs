//! The teacher page (`teacher.html`, the same static build as the terminal): load many lesson
//! receipts (the file input "Receipts", or pasted text), replay each in the same WebAssembly core
//! (the page's own Web Worker, [`bourse_protocol::LessonControl::CheckReceipt`]), refuse any
//! whose digest, verdicts or figures do not come out as claimed, and show the class table
//! ("Class": pass/fail per objective, figures, rank averaged over seeds) with a CSV export.
//! No server: a receipt cannot be faked by editing it, because the teacher's browser recomputes
//! it (it can still be copied from another student; a receipt carries no identity).

use crate::api::{Api, Home};
use crate::browser::download;
use crate::lesson::verdict_text;
use crate::store::Store;
use bourse_protocol::{LessonControl, MarketStart, ObjectiveVerdict, ReceiptCheck};
use leptos::prelude::*;
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use wasm_bindgen::JsCast;

/// One row of the class table: one receipt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClassRow {
    /// Student's name as written in the receipt.
    pub student: String,
    /// Lesson id.
    pub lesson: String,
    /// Seed.
    pub seed: u64,
    /// `None` when the replay confirmed the receipt, else why it was refused.
    pub refused: Option<String>,
    /// Objective id and the replay's verdict, in the lesson's order.
    pub objectives: Vec<(String, ObjectiveVerdict)>,
    /// Every objective met (in the replay).
    pub passed: bool,
    /// P&L of the replay, quote coins.
    pub pnl: Decimal,
    /// Rank on its lesson and seed among the confirmed receipts (1 = best: most objectives
    /// met, then higher P&L; ties share a rank); `None` when refused.
    pub rank: Option<u32>,
    /// The student's rank on this lesson averaged over the seeds they handed in (2 decimals).
    pub mean_rank: Option<Decimal>,
}

/// The class table of a set of checked receipts, sorted by lesson, mean rank, then student;
/// refused receipts last within their lesson.
pub fn class_rows(checks: &[ReceiptCheck]) -> Vec<ClassRow> {
    let mut rows: Vec<ClassRow> = checks
        .iter()
        .map(|c| ClassRow {
            student: c.student.clone(),
            lesson: c.lesson.clone(),
            seed: c.seed,
            refused: c.refused.clone(),
            objectives: c
                .objectives
                .iter()
                .map(|o| (o.id.clone(), o.verdict))
                .collect(),
            passed: c.refused.is_none() && c.passed,
            pnl: c.pnl.parse().unwrap_or_default(),
            rank: None,
            mean_rank: None,
        })
        .collect();
    let met = |r: &ClassRow| {
        r.objectives
            .iter()
            .filter(|(_, v)| *v == ObjectiveVerdict::Met)
            .count()
    };
    let ranks: Vec<Option<u32>> = rows
        .iter()
        .map(|r| {
            r.refused.is_none().then(|| {
                let better = rows
                    .iter()
                    .filter(|o| o.refused.is_none() && o.lesson == r.lesson && o.seed == r.seed)
                    .filter(|o| (met(o), o.pnl) > (met(r), r.pnl))
                    .count();
                better as u32 + 1
            })
        })
        .collect();
    for (r, k) in rows.iter_mut().zip(ranks) {
        r.rank = k;
    }
    let mut sums: BTreeMap<(String, String), (u32, u32)> = BTreeMap::new();
    for r in &rows {
        if let Some(k) = r.rank {
            let e = sums
                .entry((r.lesson.clone(), r.student.clone()))
                .or_default();
            e.0 += k;
            e.1 += 1;
        }
    }
    for r in &mut rows {
        if r.rank.is_some() {
            let (sum, n) = sums[&(r.lesson.clone(), r.student.clone())];
            r.mean_rank = Some(
                (Decimal::from(sum) / Decimal::from(n))
                    .round_dp(2)
                    .normalize(),
            );
        }
    }
    rows.sort_by(|a, b| {
        (
            &a.lesson,
            a.mean_rank.is_none(),
            a.mean_rank,
            &a.student,
            a.seed,
        )
            .cmp(&(
                &b.lesson,
                b.mean_rank.is_none(),
                b.mean_rank,
                &b.student,
                b.seed,
            ))
    });
    rows
}

/// A CSV field (RFC 4180 quoting when needed).
fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// The class table as CSV: one line per receipt, objectives as `id=met|failed|open` joined by
/// spaces.
pub fn class_csv(rows: &[ClassRow]) -> String {
    let mut out =
        String::from("student,lesson,seed,receipt,objectives,passed,pnl,rank,mean_rank\n");
    for r in rows {
        let objectives: Vec<String> = r
            .objectives
            .iter()
            .map(|(id, v)| {
                let v = match v {
                    ObjectiveVerdict::Met => "met",
                    ObjectiveVerdict::Failed => "failed",
                    ObjectiveVerdict::Open => "open",
                };
                format!("{id}={v}")
            })
            .collect();
        let fields = [
            csv_field(&r.student),
            csv_field(&r.lesson),
            r.seed.to_string(),
            csv_field(&match &r.refused {
                None => "confirmed".to_string(),
                Some(why) => format!("refused: {why}"),
            }),
            csv_field(&objectives.join(" ")),
            r.passed.to_string(),
            r.pnl.to_string(),
            r.rank.map(|k| k.to_string()).unwrap_or_default(),
            r.mean_rank.map(|k| k.to_string()).unwrap_or_default(),
        ];
        out.push_str(&fields.join(","));
        out.push('\n');
    }
    out
}

/// Read a file's text (the browser's `Blob.text()`).
async fn file_text(file: web_sys::File) -> Result<String, String> {
    let v = wasm_bindgen_futures::JsFuture::from(file.text())
        .await
        .map_err(|e| format!("{e:?}"))?;
    v.as_string().ok_or_else(|| "not text".to_string())
}

/// The teacher page.
#[component]
pub fn TeacherApp() -> impl IntoView {
    let store = Store::new();
    provide_context(store);
    // The worker needs a market for its handshake; a small one, never played.
    Api::connect(
        store,
        Some(MarketStart {
            scenario: "calm".into(),
            seed: 1,
            warmup_ns: 0,
        }),
        "calm",
        Home::Worker,
    );
    if let Some(d) = web_sys::window().and_then(|w| w.document()) {
        d.set_title("Bourse — class results");
    }
    let sent = RwSignal::new(0usize);
    let pasted = RwSignal::new(String::new());
    let check = move |json: String| {
        sent.update(|n| *n += 1);
        Api.lesson(LessonControl::CheckReceipt { json });
    };
    let on_files = move |ev: leptos::ev::Event| {
        let Some(input) = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
        else {
            return;
        };
        let Some(files) = input.files() else { return };
        let files: Vec<web_sys::File> = (0..files.length()).filter_map(|k| files.get(k)).collect();
        leptos::task::spawn_local(async move {
            for f in files {
                let name = f.name();
                match file_text(f).await {
                    Ok(t) => check(t),
                    Err(e) => store.toast(
                        crate::store::ToastKind::Error,
                        format!("{name} could not be read: {e}"),
                    ),
                }
            }
        });
    };
    let rows = Memo::new(move |_| store.receipt_checks.with(|c| class_rows(c)));
    let status = move || {
        let done = store.receipt_checks.with(Vec::len);
        let refused = rows.with(|r| r.iter().filter(|r| r.refused.is_some()).count());
        if sent.get() > done {
            format!("Replaying receipt {} of {}…", done + 1, sent.get())
        } else if done == 0 {
            "No receipt loaded yet.".to_string()
        } else {
            format!(
                "{done} receipts checked: {} confirmed, {refused} refused.",
                done - refused
            )
        }
    };
    let csv = move |_| {
        let text = rows.with_untracked(|r| class_csv(r));
        if let Err(e) = download("bourse-class.csv", &text, "text/csv") {
            store.toast(
                crate::store::ToastKind::Error,
                format!("Download failed: {e}"),
            );
        }
    };
    view! {
        <div class="teacher">
            <header class="topbar"><span class="brand">"Bourse"</span><h1>"Class results"</h1>
                <a href="./index.html">"Back to the terminal"</a></header>
            <main>
                <p>"Load your students' lesson receipts. Each one is replayed here, in the same WebAssembly exchange core, from its seed and the student's own commands; a receipt whose event digest, verdicts or figures do not come out exactly as written is refused. Nothing is uploaded anywhere."</p>
                <div class="loaders">
                    <label>"Receipts "<input type="file" multiple accept=".json,application/json" on:change=on_files /></label>
                    <label class="paste">"Or paste one "<textarea aria-label="Paste a receipt" rows="3" prop:value=move || pasted.get() on:input=move |ev| pasted.set(event_target_value(&ev))></textarea></label>
                    <button on:click=move |_| { let t = pasted.get_untracked(); if !t.trim().is_empty() { check(t); pasted.set(String::new()); } }>"Check pasted receipt"</button>
                </div>
                <p role="status" class="teacher-status">{status}</p>
                <table class="class" aria-label="Class">
                    <thead><tr>
                        <th scope="col">"Student"</th><th scope="col">"Lesson"</th><th scope="col">"Seed"</th>
                        <th scope="col">"Receipt"</th><th scope="col">"Objectives"</th><th scope="col">"Passed"</th>
                        <th scope="col" class="num">"P&L"</th><th scope="col" class="num">"Rank"</th>
                        <th scope="col" class="num">"Mean rank over seeds"</th>
                    </tr></thead>
                    <tbody>
                        {move || rows.get().into_iter().map(|r| {
                            let receipt = match &r.refused {
                                None => "confirmed".to_string(),
                                Some(why) => format!("refused: {why}"),
                            };
                            let objectives = r.objectives.iter().map(|(id, v)| {
                                let (t, c) = verdict_text(*v);
                                view! { <span class=format!("objective {c}")>{format!("{id}: {t}")}</span>" " }
                            }).collect_view();
                            view! {
                                <tr class=if r.refused.is_some() { "refused" } else { "" }>
                                    <td>{r.student.clone()}</td><td>{r.lesson.clone()}</td><td class="num">{r.seed}</td>
                                    <td>{receipt}</td><td>{objectives}</td>
                                    <td>{if r.passed { "yes" } else { "no" }}</td>
                                    <td class="num">{r.pnl.to_string()}</td>
                                    <td class="num">{r.rank.map(|k| k.to_string()).unwrap_or_else(|| "—".into())}</td>
                                    <td class="num">{r.mean_rank.map(|k| k.to_string()).unwrap_or_else(|| "—".into())}</td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
                <button on:click=csv disabled=move || rows.with(Vec::is_empty)>"Download CSV"</button>
            </main>
            <crate::toasts::Toasts />
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bourse_protocol::ObjectiveProgress;

    fn check(student: &str, seed: u64, met: &[bool], pnl: &str, refused: bool) -> ReceiptCheck {
        ReceiptCheck {
            student: student.into(),
            lesson: "queue-priority".into(),
            seed,
            refused: refused.then(|| "digest differs".to_string()),
            objectives: met
                .iter()
                .enumerate()
                .map(|(k, m)| ObjectiveProgress {
                    id: format!("o{k}"),
                    text: String::new(),
                    verdict: if *m {
                        ObjectiveVerdict::Met
                    } else {
                        ObjectiveVerdict::Failed
                    },
                    why: None,
                })
                .collect(),
            passed: met.iter().all(|m| *m),
            metrics: Vec::new(),
            pnl: pnl.into(),
        }
    }

    /// Ranks by hand: seed 7: Ada (2 met) 1st, Bob (2 met, less P&L) 2nd, Cy (1 met) 3rd;
    /// seed 11: Bob 1st, Ada 2nd. Means: Ada (1 + 2) / 2 = 1.5, Bob (2 + 1) / 2 = 1.5, Cy 3.
    /// Eve's receipt is refused: no rank, last, not passed.
    #[test]
    fn ranks_are_per_seed_and_averaged_over_seeds() {
        let rows = class_rows(&[
            check("Cy", 7, &[true, false], "50", false),
            check("Ada", 7, &[true, true], "10", false),
            check("Bob", 7, &[true, true], "-3.5", false),
            check("Eve", 7, &[true, true], "9999", true),
            check("Bob", 11, &[true, true], "4", false),
            check("Ada", 11, &[true, false], "100", false),
        ]);
        let got: Vec<(&str, u64, Option<u32>, Option<String>)> = rows
            .iter()
            .map(|r| {
                (
                    r.student.as_str(),
                    r.seed,
                    r.rank,
                    r.mean_rank.map(|m| m.to_string()),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                ("Ada", 7, Some(1), Some("1.5".into())),
                ("Ada", 11, Some(2), Some("1.5".into())),
                ("Bob", 7, Some(2), Some("1.5".into())),
                ("Bob", 11, Some(1), Some("1.5".into())),
                ("Cy", 7, Some(3), Some("3".into())),
                ("Eve", 7, None, None),
            ]
        );
        assert!(!rows[5].passed, "a refused receipt does not pass");
    }

    #[test]
    fn csv_quotes_what_needs_it() {
        let rows = class_rows(&[check("Doe, \"Jo\"", 7, &[true], "1.25", false)]);
        assert_eq!(
            class_csv(&rows),
            "student,lesson,seed,receipt,objectives,passed,pnl,rank,mean_rank\n\
             \"Doe, \"\"Jo\"\"\",queue-priority,7,confirmed,o0=met,true,1.25,1,1\n"
        );
    }
}
