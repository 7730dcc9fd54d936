//! # bourse-web
//!
//! The Bourse trading terminal: a Leptos 0.8 client-side-rendered page. It starts the exchange
//! worker (`bourse-worker`, the core and the simulated participants in a Web Worker) and talks to
//! it only through [`bourse_protocol`] messages ([`client`]), so the same page could talk to a
//! server over a WebSocket.
//!
//! ## Layers
//! - [`client`]: the transport (Worker `postMessage`), Ready handshake, request queue, one frame
//!   per animation frame.
//! - [`store`]: Leptos signals filled from messages and frames; fixed ladder row slots.
//! - [`model`], [`form`], [`format`]: pure logic (page bookkeeping, order-form checks through the
//!   core's own [`bourse_core::check_order_fields`], integer → text), tested natively.
//! - [`app`], [`panels`], [`tables`]: components.
//!
//! ## Invariants
//! - The page never holds an [`bourse_core::Exchange`]: everything it shows comes from frames.
//! - Money stays integer until it becomes text ([`format`]); floats only feed the chart.
//! - Accessibility is part of the contract the end-to-end tests use: the ladder is the table
//!   "Order book", the tape "Trades", the account tables "Open orders", "Order history", "Fills",
//!   "Balances"; the form's inputs are labelled "Price", "Quantity", "Stop price"; sides and
//!   statuses are written out, never shown by colour alone.

#![warn(missing_docs)]

pub mod app;
pub mod chart;
pub mod client;
pub mod form;
pub mod format;
pub mod model;
pub mod panels;
pub mod store;
pub mod tables;

pub use app::App;
