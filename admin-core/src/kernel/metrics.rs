//! The metric families the admin records through the `metrics` facade, and the
//! small functions that record them. Each call is cheap and does nothing until the
//! application installs a recorder (admin-web's `metrics::install` renders them in
//! the Prometheus text format). Labels take only bounded values: outcomes from a
//! fixed list, and model and action names the registry knows.

/// Sign-ins by `outcome`: `ok` (password accepted), `refused` (wrong name or
/// password) or `throttled` (refused unchecked: too many recent failures).
pub const SIGN_INS: &str = "opsadmin_sign_ins_total";
/// Action runs asked for through the door or carried out by the approval worker, by
/// `model`, `action` and `outcome`: `done`, `queued` (waits for approval),
/// `replayed` (an idempotency key sent again: the first run's answer),
/// `refused` (permission, input, limits) or `failed` (the database or the action
/// failed).
pub const ACTION_RUNS: &str = "opsadmin_action_runs_total";
/// Audit entries appended (a transaction rolled back afterwards takes its entries
/// with it, but they were counted).
pub const AUDIT_ENTRIES: &str = "opsadmin_audit_entries_total";

/// Counts one sign-in with its outcome (`ok`, `refused`, `throttled`).
pub fn sign_in(outcome: &'static str) {
    metrics::counter!(SIGN_INS, "outcome" => outcome).increment(1);
}

/// Counts one action run of `model`'s `action` with its outcome (see [`ACTION_RUNS`]).
pub fn action_run(model: &str, action: &str, outcome: &'static str) {
    metrics::counter!(
        ACTION_RUNS,
        "model" => model.to_owned(),
        "action" => action.to_owned(),
        "outcome" => outcome
    )
    .increment(1);
}

/// Counts `n` audit entries appended.
pub fn audit_entries(n: u64) {
    metrics::counter!(AUDIT_ENTRIES).increment(n);
}
