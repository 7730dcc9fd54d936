//! The market's identity and the server snapshot payload: what the journal header's `meta` and
//! every snapshot carry (shared by the engine, which writes snapshots, and recovery, which reads
//! them).

use crate::projections::Projections;
use bourse_sim::ResumePlan;
use serde::{Deserialize, Serialize};

/// Version of the server snapshot payload ([`SnapshotRef`]).
pub const SNAPSHOT_VERSION: u32 = 1;

/// The market's identity, written in every journal segment header (`meta`) and snapshot: enough
/// to resume the simulated participants.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MarketMeta {
    /// Built-in scenario name.
    pub scenario: String,
    /// Seed.
    pub seed: u64,
    /// Whether the market started with its simulated participants.
    pub agents: bool,
    /// Agents' accounts, sweeper, start time (epoch is set at each resumption).
    pub plan: ResumePlan,
}

/// The server snapshot payload (postcard), as written.
#[derive(Serialize)]
pub struct SnapshotRef<'a> {
    /// [`SNAPSHOT_VERSION`].
    pub version: u32,
    /// The market.
    pub meta: &'a MarketMeta,
    /// [`Exchange::snapshot`] bytes.
    pub exchange: &'a [u8],
    /// Read models at the snapshot's seq.
    pub projections: &'a Projections,
}
