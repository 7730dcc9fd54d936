//! [`Intent`]: what an outstanding request asked for, so that its answer can be explained. Shared by
//! [`crate::api`] (which remembers it per request) and [`crate::store`] (which explains answers):
//! its own module keeps the two from importing each other.

use crate::form::OrderIntent;
use bourse_core::OrderId;
use bourse_protocol::SimControl;

/// What an outstanding request asked for.
#[derive(Debug, Clone)]
pub enum Intent {
    /// An order from the form, with what is needed to explain a reject.
    Order(Box<OrderIntent>),
    /// A cancel of one order.
    Cancel {
        /// The order.
        order_id: OrderId,
    },
    /// Cancel all.
    CancelAll,
    /// An amend of one order.
    Amend {
        /// The order.
        order_id: OrderId,
    },
    /// Simulation control.
    Sim(SimControl),
    /// "Explain this fill" or the event log of a command.
    Explain,
    /// Anything else (subscriptions, history, frames).
    Other,
}
