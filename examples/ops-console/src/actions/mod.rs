//! The console's actions, registered with `opsadmin::register_action!` so the
//! registry finds them at start-up (see [`crate::registry`]).
//!
//! | action | model | who (see [`crate::roles`]) | policy |
//! |---|---|---|---|
//! | `mark_for_manual_review` | account | support, admin | confirm |
//! | `retry_welcome_email` | account | support, admin | confirm |
//! | `lock_account` | account | admin | reason, dangerous |
//! | `unlock_account` | account | admin | reason, dangerous; approval when locked for fraud |
//! | `retry_email_job` ("Retry") | email job | support, admin | confirm; failed or bounced jobs; schedules the `mail` effect |
//! | `requeue_stuck_job` | email job | support, admin | reason; jobs queued for more than a day with no attempt; schedules the `mail` effect |
//!
//! The invoice actions (`refund_invoice`, `void_invoice`) live in their own crate,
//! `billing-plugin`, as a plugin would.

pub mod account;
pub mod email_job;

pub use account::{LockAccount, LockInput, MarkForManualReview, RetryWelcomeEmail, UnlockAccount};
pub use email_job::{RequeueStuckJob, RetryEmailJob};
