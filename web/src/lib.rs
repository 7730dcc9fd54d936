//! # bourse-web
//!
//! The Bourse trading terminal: a Leptos 0.8 client-side-rendered page. It talks to its exchange
//! home (today `bourse-worker`, the core and the simulated participants in a Web Worker) only in
//! [`bourse_protocol`] messages, so the same page can talk to a server over a WebSocket.
//!
//! ## Data flows one way
//! ```text
//!   transport ──► api (handshake, numbering, flow control) ──► store ──► components
//!        ▲                                                                   │
//!        └──────────────── Api (intents) ◄── actions ◄───────────────────────┘
//! ```
//! - [`transport`]: the connection only (Worker `postMessage`; a WebSocket would be another
//!   constructor), delivering decoded messages and frames through one callback.
//! - [`api`]: the [`api::Api`] handle components act through; request numbers, the `Ready`
//!   handshake, one `RequestFrame` per animation frame, and what each request was (to explain an
//!   answer).
//! - [`store`]: applies messages to state; calls nobody back.
//! - [`startup`]: the address (scenario, seed, instrument, interval, speed), the `Hello`, what every
//!   `Ready` does.
//! - [`actions`]: page-side choices (instrument, interval, grouping, ladder level).
//! - Components: [`app`], [`topbar`], [`ladder`], [`candles`], [`depth`], [`tape`], [`l3`],
//!   [`entry`], [`tables`], [`toasts`], [`help`], [`lesson`] (the lesson list and panel); the
//!   canvases draw through [`canvas`], the candle chart through [`chart`].
//! - [`teacher`]: the teacher page (`teacher.html`): receipts replayed in the worker, the class
//!   table.
//! - Pure logic tested natively: [`model`], [`form`], [`format`].
//!
//! ## Invariants
//! - The page never holds an [`bourse_core::Exchange`]: everything it shows comes from frames.
//! - Money stays integer until it becomes text ([`format`]); floats only feed drawing.
//! - Every panel shows the same frame: the canvases and the chart draw from one state on every
//!   frame; the accessible mirror follows at most [`store::MIRROR_INTERVAL_MS`] behind.
//! - Accessibility is part of the contract the end-to-end tests use (see `ARCHITECTURE.md`).

#![warn(missing_docs)]

pub mod actions;
pub mod api;
pub mod app;
pub mod browser;
pub mod candles;
pub mod canvas;
pub mod chart;
pub mod depth;
pub mod entry;
pub mod explain;
pub mod form;
pub mod format;
pub mod help;
pub mod inputs;
pub mod intent;
pub mod join;
pub mod l3;
pub mod ladder;
pub mod lesson;
pub mod model;
pub mod progress;
pub mod startup;
pub mod store;
pub mod tables;
pub mod tape;
pub mod teacher;
pub mod toasts;
pub mod topbar;
pub mod transport;

pub use app::App;
