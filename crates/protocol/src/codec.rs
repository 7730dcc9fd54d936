//! Encodings: JSON for control messages, postcard for frames, with version checks.
//!
//! # Binary frame layout
//! `varint(PROTOCOL_VERSION) ++ postcard(Frame)`: postcard writes integers as LEB128 varints
//! (zig-zag for signed), so `u64` ids and ns timestamps round-trip exactly and small numbers take
//! one or two bytes. Trailing bytes are an error.

use crate::bounds::PROTOCOL_VERSION;
use crate::frame::Frame;
use crate::messages::{ClientMessage, ClientRequest, RejectReason, ServerMessage};

/// Why a message could not be encoded or decoded, or was refused by the version check.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProtocolError {
    /// Malformed JSON, or JSON that does not match the message shape.
    #[error("malformed JSON message: {0}")]
    Json(String),
    /// Malformed binary frame.
    #[error("malformed binary frame: {0}")]
    Binary(String),
    /// The peer speaks another protocol version.
    #[error(
        "protocol version mismatch: peer speaks version {found}, this side speaks version \
         {expected}; reload the page so that both sides run the same build"
    )]
    VersionMismatch {
        /// This side's [`PROTOCOL_VERSION`].
        expected: u32,
        /// The peer's version.
        found: u32,
    },
}

impl ProtocolError {
    /// The reject reason to report for this error.
    pub fn reject_reason(&self) -> RejectReason {
        match self {
            ProtocolError::Json(_) | ProtocolError::Binary(_) => RejectReason::Malformed,
            ProtocolError::VersionMismatch { .. } => RejectReason::UnsupportedVersion,
        }
    }

    /// The [`ServerMessage::Rejected`] a worker sends for a request that failed to decode (with
    /// the error's text as the message).
    pub fn to_rejected(&self, client_seq: Option<u64>) -> ServerMessage {
        ServerMessage::rejected(client_seq, self.reject_reason(), self.to_string())
    }
}

fn check_version(found: u32) -> Result<(), ProtocolError> {
    if found == PROTOCOL_VERSION {
        Ok(())
    } else {
        Err(ProtocolError::VersionMismatch {
            expected: PROTOCOL_VERSION,
            found,
        })
    }
}

fn json_err(e: serde_json::Error) -> ProtocolError {
    ProtocolError::Json(e.to_string())
}

/// A page request as JSON.
pub fn encode_client(req: &ClientRequest) -> String {
    serde_json::to_string(req).expect("client messages always serialise")
}

/// Decode a page request. A [`ClientMessage::Hello`] with another version than
/// [`PROTOCOL_VERSION`] is an error ([`ProtocolError::VersionMismatch`]); answer it with
/// [`ProtocolError::to_rejected`].
pub fn decode_client(json: &str) -> Result<ClientRequest, ProtocolError> {
    let req: ClientRequest = serde_json::from_str(json).map_err(json_err)?;
    if let ClientMessage::Hello { version, .. } = req.message {
        check_version(version)?;
    }
    Ok(req)
}

/// A worker message as JSON.
pub fn encode_server(msg: &ServerMessage) -> String {
    serde_json::to_string(msg).expect("server messages always serialise")
}

/// Decode a worker message. A [`ServerMessage::Ready`] with another version than
/// [`PROTOCOL_VERSION`] is an error ([`ProtocolError::VersionMismatch`]).
pub fn decode_server(json: &str) -> Result<ServerMessage, ProtocolError> {
    let msg: ServerMessage = serde_json::from_str(json).map_err(json_err)?;
    if let ServerMessage::Ready { version, .. } = &msg {
        check_version(*version)?;
    }
    Ok(msg)
}

/// A frame in the binary encoding (see the module documentation).
pub fn encode_frame(frame: &Frame) -> Vec<u8> {
    let mut buf = Vec::new();
    encode_frame_into(frame, &mut buf);
    buf
}

/// [`encode_frame`] into `buf` (cleared first), reusing its allocation.
pub fn encode_frame_into(frame: &Frame, buf: &mut Vec<u8>) {
    buf.clear();
    let out = postcard::to_extend(&(PROTOCOL_VERSION, frame), std::mem::take(buf))
        .expect("frames always serialise: integers and strings only");
    *buf = out;
}

/// Decode a binary frame, checking its version prefix.
pub fn decode_frame(bytes: &[u8]) -> Result<Frame, ProtocolError> {
    let bin = |e: postcard::Error| ProtocolError::Binary(e.to_string());
    let (version, rest) = postcard::take_from_bytes::<u32>(bytes).map_err(bin)?;
    check_version(version)?;
    let (frame, rest) = postcard::take_from_bytes::<Frame>(rest).map_err(bin)?;
    if !rest.is_empty() {
        return Err(ProtocolError::Binary(format!(
            "{} trailing bytes after the frame",
            rest.len()
        )));
    }
    Ok(frame)
}
