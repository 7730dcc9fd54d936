//! The running event digest.
//!
//! Encoding: each [`Sequenced`] event is encoded with postcard 1.x (a documented, stable,
//! platform-independent serde format: varint integers, no padding, fields in declaration order,
//! enum variants by index; spec: <https://postcard.jamesmunns.com/wire-format>). The digest starts at
//! 0 and folds every event in output order:
//! `digest = xxh3_64_with_seed(postcard(event), digest)`.
//! Equal event streams give equal digests on every platform (natively and in WebAssembly).

use crate::messages::Sequenced;

/// Running xxh3-64 chain over the postcard encoding of every event.
#[derive(Debug, Clone, Default)]
pub struct EventDigest {
    value: u64,
    buf: Vec<u8>,
}

impl EventDigest {
    /// The digest of the empty stream (0).
    pub fn new() -> Self {
        EventDigest {
            value: 0,
            buf: Vec::with_capacity(256),
        }
    }

    /// Continue from a digest value (after restoring a snapshot).
    pub fn from_value(value: u64) -> Self {
        EventDigest {
            value,
            buf: Vec::with_capacity(256),
        }
    }

    /// Fold one event in.
    #[inline]
    pub fn update(&mut self, ev: &Sequenced) {
        let mut buf = std::mem::take(&mut self.buf);
        buf.clear();
        let buf = postcard::to_extend(ev, buf).expect("in-memory serialisation cannot fail");
        self.value = xxhash_rust::xxh3::xxh3_64_with_seed(&buf, self.value);
        self.buf = buf;
    }

    /// Current value.
    pub fn value(&self) -> u64 {
        self.value
    }
}

/// The digest of a whole event stream, as [`EventDigest`] computes it incrementally.
pub fn digest_of(events: &[Sequenced]) -> u64 {
    let mut d = EventDigest::new();
    for e in events {
        d.update(e);
    }
    d.value()
}
