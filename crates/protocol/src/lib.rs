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

mod bounds;
mod builder;
mod codec;
mod explain;
mod frame;
mod messages;
mod session;

pub use builder::{bucket_price, group_levels, FrameBuilder};
pub use codec::{
    decode_client, decode_frame, decode_server, encode_client, encode_frame, encode_frame_into,
    encode_server, ProtocolError,
};
pub use explain::{
    ExplainTarget, ExplainedEvent, Explanation, FeeLine, FillExplanation, QueueStep,
    MAX_EXPLAIN_EVENTS, MAX_EXPLAIN_FILLS, MAX_QUEUE_STEPS,
};
pub use frame::{
    AuctionView, BalanceChange, Depth, ExecutionPrint, Frame, L2Row, L3Order, L3Queue, OpenOrders,
    TradePrint,
};
pub use messages::{
    command_outcome, wire_name, ClientMessage, ClientRequest, LessonControl, LessonProgress,
    LessonSummary, Login, MarketInfo, MarketStart, MetricLine, ObjectiveProgress, ObjectiveVerdict,
    ReceiptCheck, RejectReason, ScenarioInfo, ScriptItem, ServerMessage, SessionInfo, SimControl,
    MAX_RECEIPT_JSON_BYTES, MAX_STUDENT_NAME_CHARS,
};
pub use session::{SimState, Speed, Subscription};

pub use bounds::*;
