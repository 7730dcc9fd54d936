//! # bourse-protocol
//!
//! The versioned wire protocol between a Bourse front end (the "page", e.g. the Leptos trading
//! terminal) and the home that runs the exchange core and the simulation (the "worker": a Web
//! Worker in WebAssembly today, a native WebSocket server later). Both homes speak exactly this
//! crate, so a front end written against it does not care which one it talks to.
//!
//! ## Conversation
//! ```text
//!   page                                             worker
//!    │ ── ClientRequest{Hello{version}} ──────────────► │   (page queues everything else until Ready)
//!    │ ◄─────────────── Ready{version, config, ...} ──  │   (always the first message sent)
//!    │ ── Subscribe / PlaceOrder / Sim(Play) ... ─────► │
//!    │ ◄──────────────────────── Ack / Rejected ──────  │   (one per request, by client_seq)
//!    │ ── RequestFrame ───────────────────────────────► │   (at most one per animation frame)
//!    │ ◄────────────────────────────── Frame ─────────  │   (everything changed since the last one)
//! ```
//!
//! ## Invariants
//! - **Pure.** No I/O, no clock, no randomness: the crate compiles for `wasm32-unknown-unknown`;
//!   times arrive as arguments.
//! - **Integers only in frames.** Prices are [`Ticks`], quantities [`Lots`], amounts asset units
//!   ([`bourse_core::Units`]), times nanoseconds since the Unix epoch (`u64`), ids `u64`/`u32`.
//!   [`rust_decimal::Decimal`] appears only in client order requests and in the exchange
//!   configuration of [`ServerMessage::Ready`] (both JSON).
//! - **64-bit values survive exactly.** Both encodings carry `u64`/`i64` losslessly: postcard as
//!   varints, JSON as integer literals parsed by `serde_json` straight into `u64`. (A JavaScript
//!   consumer must not run the JSON through `JSON.parse`, which rounds above 2^53; the Leptos page
//!   decodes with this crate.)
//! - **Bounded.** Every buffer a frame or the [`FrameBuilder`] holds has a documented constant
//!   bound ([`MAX_DEPTH_LEVELS`], [`MAX_FRAME_TRADES`], [`MAX_FRAME_EXECUTIONS`],
//!   [`MAX_FRAME_CANDLES`], [`MAX_FRAME_OPEN_ORDERS`], [`MAX_L3_ORDERS`], [`MAX_CANDLE_HISTORY`]);
//!   what does not fit is counted in a `*_dropped`/`omitted` field, never silently lost.
//!
//! ## Encodings
//! - Control messages ([`ClientRequest`], [`ServerMessage`]): JSON ([`encode_client`],
//!   [`decode_client`], [`encode_server`], [`decode_server`]), with a version check on `Hello` and
//!   `Ready`.
//! - Frames: postcard behind a varint version prefix ([`encode_frame`], [`decode_frame`]), meant for
//!   a transferred `ArrayBuffer` (or a binary WebSocket message). See `examples/frame_sizes.rs` for
//!   measured sizes.

#![warn(missing_docs)]

mod builder;
mod codec;
mod frame;
mod messages;

pub use builder::{bucket_price, group_levels, FrameBuilder};
pub use codec::{
    decode_client, decode_frame, decode_server, encode_client, encode_frame, encode_frame_into,
    encode_server, ProtocolError,
};
pub use frame::{
    BalanceChange, Depth, ExecutionPrint, Frame, L2Row, L3Order, L3Queue, OpenOrders, SimState,
    TradePrint,
};
pub use messages::{
    command_outcome, wire_name, ClientMessage, ClientRequest, MarketInfo, MarketStart,
    OrderRequest, RejectReason, ScenarioInfo, ScriptItem, ServerMessage, SimControl, Speed,
    Subscription,
};

#[cfg(doc)]
use bourse_core::{Lots, Ticks};

/// Version of this protocol. Bumped on any change to a message's shape or meaning; a page and a
/// worker of different versions refuse each other at `Hello`/`Ready`.
pub const PROTOCOL_VERSION: u32 = 4;

/// Most virtual time one `SimControl::FastForward` may ask for: one hour, ns.
pub const MAX_FAST_FORWARD_NS: u64 = 3_600 * 1_000_000_000;

/// Transport signal, not a protocol message: the text a Web Worker posts once its message handler
/// is installed (messages posted to a worker before its WebAssembly has loaded are lost). The page
/// sends `Hello` when it sees it, and queues every other request until [`ServerMessage::Ready`].
/// On that transport the page posts [`ClientRequest`] JSON strings; the worker posts
/// [`ServerMessage`] JSON strings, except frames, which it posts as a transferred `ArrayBuffer`
/// holding [`encode_frame`] bytes.
pub const WORKER_LISTENING: &str = "bourse-worker:listening";

/// Most L2 rows per side a subscription may ask for ([`Subscription::depth_levels`]).
pub const MAX_DEPTH_LEVELS: u16 = 100;
/// Largest price grouping, ticks ([`Subscription::grouping_ticks`]).
pub const MAX_GROUPING_TICKS: u32 = 1_000_000;
/// Most public trades one frame carries (the newest are kept; older ones count in
/// [`Frame::trades_dropped`]).
pub const MAX_FRAME_TRADES: usize = 200;
/// Most of the human's execution reports one frame carries (the newest are kept; older ones count
/// in [`Frame::executions_dropped`]; [`Frame::open_orders`] and [`Frame::balances`] stay exact).
pub const MAX_FRAME_EXECUTIONS: usize = 256;
/// Most candles one frame carries (the newest are kept; older ones count in
/// [`Frame::candles_dropped`], and the page can fetch them with [`ClientMessage::CandleHistory`]).
pub const MAX_FRAME_CANDLES: usize = 64;
/// Most of the human's open orders one frame lists ([`OpenOrders::omitted`] counts the rest).
pub const MAX_FRAME_OPEN_ORDERS: usize = 1000;
/// Most orders of the L3 queue one frame lists ([`L3Queue::omitted`] counts the rest).
pub const MAX_L3_ORDERS: usize = 500;
/// Most candles one [`ServerMessage::CandleHistory`] carries (the longest candle ring, 1s × 1 h).
pub const MAX_CANDLE_HISTORY: u32 = 3600;
