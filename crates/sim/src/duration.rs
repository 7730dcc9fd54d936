//! Virtual-time durations as they appear in scenario files.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// A span of virtual time in nanoseconds.
///
/// In JSON it is either an integer (nanoseconds) or a string `"<integer><unit>"` with unit one of
/// `ns`, `us`, `ms`, `s`, `m`, `h`, `d`, e.g. `"500ms"`, `"30s"`, `"10m"`. Several parts may be
/// concatenated (`"1m30s"`). It serialises as the shortest such string.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct SimDuration(pub u64);

impl SimDuration {
    /// One nanosecond.
    pub const NS: u64 = 1;
    /// One microsecond in ns.
    pub const US: u64 = 1_000;
    /// One millisecond in ns.
    pub const MS: u64 = 1_000_000;
    /// One second in ns.
    pub const S: u64 = 1_000_000_000;
    /// One minute in ns.
    pub const M: u64 = 60 * Self::S;
    /// One hour in ns.
    pub const H: u64 = 60 * Self::M;
    /// One day in ns.
    pub const D: u64 = 24 * Self::H;

    /// The duration in nanoseconds.
    #[inline]
    pub fn ns(self) -> u64 {
        self.0
    }

    /// `n` seconds.
    pub const fn secs(n: u64) -> Self {
        SimDuration(n * Self::S)
    }

    /// `n` milliseconds.
    pub const fn millis(n: u64) -> Self {
        SimDuration(n * Self::MS)
    }

    /// `n` minutes.
    pub const fn mins(n: u64) -> Self {
        SimDuration(n * Self::M)
    }

    /// Parse `"10m"`, `"1m30s"`, `"250ms"` or a bare integer (ns).
    pub fn parse(s: &str) -> Result<Self, String> {
        let s = s.trim();
        if s.is_empty() {
            return Err("empty duration".into());
        }
        if let Ok(n) = s.parse::<u64>() {
            return Ok(SimDuration(n));
        }
        let b = s.as_bytes();
        let mut i = 0;
        let mut total: u64 = 0;
        while i < b.len() {
            let start = i;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            if start == i {
                return Err(format!("duration {s:?}: expected a number at byte {i}"));
            }
            let n: u64 = s[start..i]
                .parse()
                .map_err(|_| format!("duration {s:?}: number too large"))?;
            let ustart = i;
            while i < b.len() && b[i].is_ascii_alphabetic() {
                i += 1;
            }
            let unit = match &s[ustart..i] {
                "ns" => Self::NS,
                "us" => Self::US,
                "ms" => Self::MS,
                "s" => Self::S,
                "m" | "min" => Self::M,
                "h" => Self::H,
                "d" => Self::D,
                u => return Err(format!("duration {s:?}: unknown unit {u:?}")),
            };
            total = n
                .checked_mul(unit)
                .and_then(|x| total.checked_add(x))
                .ok_or_else(|| format!("duration {s:?} overflows"))?;
        }
        Ok(SimDuration(total))
    }
}

impl fmt::Display for SimDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.0;
        for (unit, name) in [
            (Self::D, "d"),
            (Self::H, "h"),
            (Self::M, "m"),
            (Self::S, "s"),
            (Self::MS, "ms"),
            (Self::US, "us"),
        ] {
            if n != 0 && n.is_multiple_of(unit) {
                return write!(f, "{}{}", n / unit, name);
            }
        }
        write!(f, "{n}ns")
    }
}

impl Serialize for SimDuration {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for SimDuration {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = SimDuration;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a duration: integer nanoseconds or a string like \"10m\"")
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<SimDuration, E> {
                Ok(SimDuration(v))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<SimDuration, E> {
                u64::try_from(v)
                    .map(SimDuration)
                    .map_err(|_| E::custom("negative duration"))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<SimDuration, E> {
                SimDuration::parse(v).map_err(E::custom)
            }
        }
        d.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_display() {
        assert_eq!(
            SimDuration::parse("10m").unwrap().ns(),
            600 * SimDuration::S
        );
        assert_eq!(
            SimDuration::parse("1m30s").unwrap().ns(),
            90 * SimDuration::S
        );
        assert_eq!(SimDuration::parse("250ms").unwrap().ns(), 250_000_000);
        assert_eq!(SimDuration::parse("42").unwrap().ns(), 42);
        assert!(SimDuration::parse("1.5s").is_err());
        assert!(SimDuration::parse("5 parsecs").is_err());
        assert_eq!(SimDuration::parse("90s").unwrap().to_string(), "90s");
        assert_eq!(SimDuration::parse("2h").unwrap().to_string(), "2h");
        let j: SimDuration = serde_json::from_str("\"3m\"").unwrap();
        assert_eq!(j, SimDuration::mins(3));
        assert_eq!(serde_json::to_string(&j).unwrap(), "\"3m\"");
        let j: SimDuration = serde_json::from_str("1000").unwrap();
        assert_eq!(j.ns(), 1000);
    }
}
