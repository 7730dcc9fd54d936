//! The binary form of a [`Command`] in the journal (format 1): a tag byte (the variant), then its
//! fields in declaration order, little-endian, fixed width:
//!
//! - `u8` / `u32` / `u64`: 1 / 4 / 8 bytes; `bool`: one byte, 0 or 1;
//! - `Option<T>`: one byte 0 (absent) or 1 followed by `T`;
//! - field-less enums: one byte, listed in [`side_code`] and its siblings (explicit codes, not the
//!   declaration order, so that reordering an enum cannot silently change the format);
//! - `Decimal`: its 16-byte [`Decimal::serialize`] form (flags with scale and sign, then the 96-bit
//!   mantissa); a decoded decimal with a scale above 28 or stray flag bits is refused;
//! - `OrderRef`: one byte (0 order id, 1 client order id) then a `u64`.
//!
//! The encoder destructures every variant exhaustively, so a new field does not compile until it
//! is encoded. Decoding never panics: truncated input, trailing bytes, an unknown tag or code are a
//! [`CodecError`].

use bourse_core::{Command, NewOrder, OrderRef, OrderSpec, OrderType, Side, StpMode, TimeInForce};
use rust_decimal::Decimal;
use thiserror::Error;

/// Why bytes are not a command.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CodecError {
    /// The bytes end inside a field.
    #[error("truncated command (needed {needed} more bytes)")]
    Truncated {
        /// Bytes missing.
        needed: usize,
    },
    /// A tag or enum code that format 1 does not define.
    #[error("unknown {what} code {code}")]
    UnknownCode {
        /// Which field.
        what: &'static str,
        /// The byte found.
        code: u8,
    },
    /// A decimal whose flags are not a valid `rust_decimal` (scale above 28 or reserved bits set).
    #[error("invalid decimal flags {0:#010x}")]
    BadDecimal(u32),
    /// Bytes left after the command.
    #[error("{0} bytes after the command")]
    Trailing(usize),
}

/// Journal code of a [`Side`].
pub fn side_code(s: Side) -> u8 {
    match s {
        Side::Buy => 0,
        Side::Sell => 1,
    }
}

fn side_of(c: u8) -> Result<Side, CodecError> {
    Ok(match c {
        0 => Side::Buy,
        1 => Side::Sell,
        code => return Err(CodecError::UnknownCode { what: "side", code }),
    })
}

/// Journal code of an [`OrderType`].
pub fn order_type_code(t: OrderType) -> u8 {
    match t {
        OrderType::Limit => 0,
        OrderType::Market => 1,
        OrderType::StopLimit => 2,
        OrderType::StopMarket => 3,
    }
}

fn order_type_of(c: u8) -> Result<OrderType, CodecError> {
    Ok(match c {
        0 => OrderType::Limit,
        1 => OrderType::Market,
        2 => OrderType::StopLimit,
        3 => OrderType::StopMarket,
        code => {
            return Err(CodecError::UnknownCode {
                what: "order type",
                code,
            })
        }
    })
}

/// Journal code of a [`TimeInForce`].
pub fn tif_code(t: TimeInForce) -> u8 {
    match t {
        TimeInForce::Gtc => 0,
        TimeInForce::Ioc => 1,
        TimeInForce::Fok => 2,
    }
}

fn tif_of(c: u8) -> Result<TimeInForce, CodecError> {
    Ok(match c {
        0 => TimeInForce::Gtc,
        1 => TimeInForce::Ioc,
        2 => TimeInForce::Fok,
        code => {
            return Err(CodecError::UnknownCode {
                what: "time in force",
                code,
            })
        }
    })
}

/// Journal code of an [`StpMode`].
pub fn stp_code(m: StpMode) -> u8 {
    match m {
        StpMode::None => 0,
        StpMode::ExpireTaker => 1,
        StpMode::ExpireMaker => 2,
        StpMode::ExpireBoth => 3,
    }
}

fn stp_of(c: u8) -> Result<StpMode, CodecError> {
    Ok(match c {
        0 => StpMode::None,
        1 => StpMode::ExpireTaker,
        2 => StpMode::ExpireMaker,
        3 => StpMode::ExpireBoth,
        code => return Err(CodecError::UnknownCode { what: "stp", code }),
    })
}

struct W<'a>(&'a mut Vec<u8>);

impl W<'_> {
    fn u8(&mut self, v: u8) {
        self.0.push(v);
    }
    fn u32(&mut self, v: u32) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn u64(&mut self, v: u64) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn bool(&mut self, v: bool) {
        self.u8(v as u8);
    }
    fn dec(&mut self, d: Decimal) {
        self.0.extend_from_slice(&d.serialize());
    }
    fn opt_dec(&mut self, d: Option<Decimal>) {
        match d {
            None => self.u8(0),
            Some(d) => {
                self.u8(1);
                self.dec(d);
            }
        }
    }
    fn opt_u32(&mut self, v: Option<u32>) {
        match v {
            None => self.u8(0),
            Some(v) => {
                self.u8(1);
                self.u32(v);
            }
        }
    }
    fn opt_u64(&mut self, v: Option<u64>) {
        match v {
            None => self.u8(0),
            Some(v) => {
                self.u8(1);
                self.u64(v);
            }
        }
    }
    fn order_ref(&mut self, r: OrderRef) {
        match r {
            OrderRef::OrderId(id) => {
                self.u8(0);
                self.u64(id);
            }
            OrderRef::ClientOrderId(id) => {
                self.u8(1);
                self.u64(id);
            }
        }
    }
}

/// Append the journal form of `cmd` to `out`.
pub fn encode_command(cmd: &Command, out: &mut Vec<u8>) {
    let mut w = W(out);
    match cmd {
        Command::CreateAccount {
            max_open_orders,
            daily_notional_limit,
        } => {
            w.u8(0);
            w.opt_u32(*max_open_orders);
            w.opt_dec(*daily_notional_limit);
        }
        Command::Deposit {
            account,
            asset,
            amount,
        } => {
            w.u8(1);
            w.u32(*account);
            w.u32(*asset);
            w.dec(*amount);
        }
        Command::Withdraw {
            account,
            asset,
            amount,
        } => {
            w.u8(2);
            w.u32(*account);
            w.u32(*asset);
            w.dec(*amount);
        }
        Command::PlaceOrder(NewOrder {
            account,
            spec:
                OrderSpec {
                    instrument,
                    side,
                    order_type,
                    tif,
                    price,
                    quantity,
                    quote_quantity,
                    stop_price,
                    post_only,
                    stp,
                    client_order_id,
                },
        }) => {
            w.u8(3);
            w.u32(*account);
            w.u32(*instrument);
            w.u8(side_code(*side));
            w.u8(order_type_code(*order_type));
            w.u8(tif_code(*tif));
            w.opt_dec(*price);
            w.opt_dec(*quantity);
            w.opt_dec(*quote_quantity);
            w.opt_dec(*stop_price);
            w.bool(*post_only);
            w.u8(stp_code(*stp));
            w.opt_u64(*client_order_id);
        }
        Command::CancelOrder {
            account,
            instrument,
            order,
        } => {
            w.u8(4);
            w.u32(*account);
            w.u32(*instrument);
            w.order_ref(*order);
        }
        Command::CancelAll {
            account,
            instrument,
        } => {
            w.u8(5);
            w.u32(*account);
            w.opt_u32(*instrument);
        }
        Command::AmendOrder {
            account,
            instrument,
            order,
            price,
            quantity,
        } => {
            w.u8(6);
            w.u32(*account);
            w.u32(*instrument);
            w.order_ref(*order);
            w.opt_dec(*price);
            w.opt_dec(*quantity);
        }
        Command::Halt { instrument } => {
            w.u8(7);
            w.u32(*instrument);
        }
        Command::Resume { instrument } => {
            w.u8(8);
            w.u32(*instrument);
        }
        Command::StartAuction { instrument } => {
            w.u8(9);
            w.u32(*instrument);
        }
        Command::Uncross { instrument } => {
            w.u8(10);
            w.u32(*instrument);
        }
    }
}

struct R<'a> {
    b: &'a [u8],
}

impl R<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8], CodecError> {
        if self.b.len() < n {
            return Err(CodecError::Truncated {
                needed: n - self.b.len(),
            });
        }
        let (h, t) = self.b.split_at(n);
        self.b = t;
        Ok(h)
    }
    fn u8(&mut self) -> Result<u8, CodecError> {
        Ok(self.take(1)?[0])
    }
    fn u32(&mut self) -> Result<u32, CodecError> {
        Ok(u32::from_le_bytes(
            self.take(4)?.try_into().expect("4 bytes"),
        ))
    }
    fn u64(&mut self) -> Result<u64, CodecError> {
        Ok(u64::from_le_bytes(
            self.take(8)?.try_into().expect("8 bytes"),
        ))
    }
    fn bool(&mut self) -> Result<bool, CodecError> {
        match self.u8()? {
            0 => Ok(false),
            1 => Ok(true),
            code => Err(CodecError::UnknownCode { what: "bool", code }),
        }
    }
    fn present(&mut self, what: &'static str) -> Result<bool, CodecError> {
        match self.u8()? {
            0 => Ok(false),
            1 => Ok(true),
            code => Err(CodecError::UnknownCode { what, code }),
        }
    }
    fn dec(&mut self) -> Result<Decimal, CodecError> {
        let b: [u8; 16] = self.take(16)?.try_into().expect("16 bytes");
        let flags = u32::from_le_bytes(b[0..4].try_into().expect("4 bytes"));
        // rust_decimal's layout: bits 16..24 the scale (0..=28), bit 31 the sign, the rest zero.
        if flags & 0x7F00_FFFF != 0 || (flags >> 16) & 0xFF > 28 {
            return Err(CodecError::BadDecimal(flags));
        }
        Ok(Decimal::deserialize(b))
    }
    fn opt_dec(&mut self) -> Result<Option<Decimal>, CodecError> {
        Ok(if self.present("option")? {
            Some(self.dec()?)
        } else {
            None
        })
    }
    fn opt_u32(&mut self) -> Result<Option<u32>, CodecError> {
        Ok(if self.present("option")? {
            Some(self.u32()?)
        } else {
            None
        })
    }
    fn opt_u64(&mut self) -> Result<Option<u64>, CodecError> {
        Ok(if self.present("option")? {
            Some(self.u64()?)
        } else {
            None
        })
    }
    fn order_ref(&mut self) -> Result<OrderRef, CodecError> {
        match self.u8()? {
            0 => Ok(OrderRef::OrderId(self.u64()?)),
            1 => Ok(OrderRef::ClientOrderId(self.u64()?)),
            code => Err(CodecError::UnknownCode {
                what: "order ref",
                code,
            }),
        }
    }
}

/// Decode exactly one command from `bytes` (all of them).
///
/// # Errors
/// [`CodecError`] when `bytes` are not exactly the journal form of one command.
pub fn decode_command(bytes: &[u8]) -> Result<Command, CodecError> {
    let mut r = R { b: bytes };
    let cmd = match r.u8()? {
        0 => Command::CreateAccount {
            max_open_orders: r.opt_u32()?,
            daily_notional_limit: r.opt_dec()?,
        },
        1 => Command::Deposit {
            account: r.u32()?,
            asset: r.u32()?,
            amount: r.dec()?,
        },
        2 => Command::Withdraw {
            account: r.u32()?,
            asset: r.u32()?,
            amount: r.dec()?,
        },
        3 => {
            let account = r.u32()?;
            Command::PlaceOrder(NewOrder {
                account,
                spec: OrderSpec {
                    instrument: r.u32()?,
                    side: side_of(r.u8()?)?,
                    order_type: order_type_of(r.u8()?)?,
                    tif: tif_of(r.u8()?)?,
                    price: r.opt_dec()?,
                    quantity: r.opt_dec()?,
                    quote_quantity: r.opt_dec()?,
                    stop_price: r.opt_dec()?,
                    post_only: r.bool()?,
                    stp: stp_of(r.u8()?)?,
                    client_order_id: r.opt_u64()?,
                },
            })
        }
        4 => Command::CancelOrder {
            account: r.u32()?,
            instrument: r.u32()?,
            order: r.order_ref()?,
        },
        5 => Command::CancelAll {
            account: r.u32()?,
            instrument: r.opt_u32()?,
        },
        6 => Command::AmendOrder {
            account: r.u32()?,
            instrument: r.u32()?,
            order: r.order_ref()?,
            price: r.opt_dec()?,
            quantity: r.opt_dec()?,
        },
        7 => Command::Halt {
            instrument: r.u32()?,
        },
        8 => Command::Resume {
            instrument: r.u32()?,
        },
        9 => Command::StartAuction {
            instrument: r.u32()?,
        },
        10 => Command::Uncross {
            instrument: r.u32()?,
        },
        code => {
            return Err(CodecError::UnknownCode {
                what: "command",
                code,
            })
        }
    };
    if !r.b.is_empty() {
        return Err(CodecError::Trailing(r.b.len()));
    }
    Ok(cmd)
}
