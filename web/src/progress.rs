//! The student's lesson progress kept in the browser (local storage), one key per lesson.
//! Written by the store when a lesson ends, read by the lesson list.

use crate::browser::{store as keep, stored};

/// Local-storage key prefix of a lesson's result (`passed` or `tried`).
pub const RESULT_KEY_PREFIX: &str = "bourse.lesson.";

/// Keep a finished lesson's result: `passed` stays once reached, otherwise `tried`.
pub fn remember_result(id: &str, passed: bool) {
    let key = format!("{RESULT_KEY_PREFIX}{id}");
    if passed {
        keep(&key, "passed");
    } else if stored(&key).as_deref() != Some("passed") {
        keep(&key, "tried");
    }
}
