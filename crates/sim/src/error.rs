//! [`SimError`]: why a scenario could not be loaded or started; [`ScenarioError`]: which field of
//! a scenario is wrong.

/// Why a scenario could not be loaded or started.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SimError {
    /// The JSON is malformed or does not match the scenario shape.
    #[error("scenario JSON: {0}")]
    Json(String),
    /// The scenario is well-formed but a field is out of range or inconsistent (unknown
    /// instrument, off-grid deposit, zero interval, ...): the field and the problem.
    #[error("invalid scenario: {0}")]
    InvalidScenario(#[from] ScenarioError),
    /// The exchange configuration is invalid.
    #[error("exchange configuration: {0}")]
    Config(String),
    /// [`crate::Simulation::resume`] was given an exchange or accounts that do not fit the
    /// scenario.
    #[error("cannot resume the simulation: {0}")]
    Resume(String),
}

/// Why a scenario cannot run: the field (`agents[2].agent.mean_interval`, `script[0].slices`, …)
/// and what is wrong with it, including the limit.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {problem}")]
pub struct ScenarioError {
    /// The field.
    pub field: String,
    /// What is wrong, with the allowed range.
    pub problem: String,
}
