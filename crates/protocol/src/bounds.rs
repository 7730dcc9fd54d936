//! The protocol's version and its named bounds: every buffer a frame or the frame builder holds
//! has one of these limits, and what does not fit is counted in a `*_dropped`/`omitted` field.

#[cfg(doc)]
use crate::{
    encode_frame, ClientMessage, ClientRequest, Frame, L3Queue, OpenOrders, ServerMessage,
    Subscription,
};

/// Version of this protocol. Bumped on any change to a message's shape or meaning; a page and a
/// worker of different versions refuse each other at `Hello`/`Ready`.
pub const PROTOCOL_VERSION: u32 = 9;

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
/// Most price levels per side in the cumulative demand and supply curves of an [`AuctionView`]
/// (the best ones, where the crossing is).
pub const MAX_AUCTION_CURVE_LEVELS: usize = 100;
/// Most orders of the L3 queue one frame lists ([`L3Queue::omitted`] counts the rest).
pub const MAX_L3_ORDERS: usize = 500;
/// Most candles one [`ServerMessage::CandleHistory`] carries (the longest candle ring, 1s × 1 h).
pub const MAX_CANDLE_HISTORY: u32 = 3600;

/// Longest display name a page may give in `Hello.login.name`, characters.
pub const MAX_NAME_CHARS: usize = 32;
