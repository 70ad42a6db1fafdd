//! How careful the screens and the runtime are with an action: its [`Policy`].

/// How careful the screens and the runtime are with an action.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Policy {
    /// Ask for confirmation on a page that lists the records first (the screens
    /// always show that page; scripts are not asked).
    pub confirm: bool,
    /// A reason must be given; it is kept in every audit entry.
    pub reason_required: bool,
    /// The most records one run may touch.
    pub max_batch: usize,
    /// A second person must approve each request before it runs.
    pub approval: bool,
    /// The permission that approves requests.
    pub approval_permission: &'static str,
    /// Shown as a dangerous button (money, access, or hard to undo).
    pub dangerous: bool,
    /// The user must have proved who they are recently (password again).
    pub recent_auth: bool,
    /// The most records one background job may take (a selection past
    /// `max_batch` runs as a job, in chunks).
    pub max_job: usize,
    /// A background job of more records than this needs a second person's
    /// approval (as `approval` asks for every run), by `approval_permission`.
    pub job_approval_above: Option<usize>,
}

impl Policy {
    /// The defaults: confirmation, no reason, at most 500 records a run and 100,000
    /// a background job, no approval.
    #[must_use]
    pub const fn new() -> Self {
        Self {
            confirm: true,
            reason_required: false,
            max_batch: 500,
            approval: false,
            approval_permission: "approvals.decide",
            dangerous: false,
            recent_auth: false,
            max_job: 100_000,
            job_approval_above: None,
        }
    }

    /// Requires a reason.
    #[must_use]
    pub const fn reason_required(mut self) -> Self {
        self.reason_required = true;
        self
    }

    /// Sets the largest batch.
    #[must_use]
    pub const fn max_batch(mut self, n: usize) -> Self {
        self.max_batch = n;
        self
    }

    /// Requires approval by someone else holding `approvals.decide`.
    #[must_use]
    pub const fn approval(mut self) -> Self {
        self.approval = true;
        self
    }

    /// Requires approval by someone else holding `permission`.
    #[must_use]
    pub const fn approval_by(mut self, permission: &'static str) -> Self {
        self.approval = true;
        self.approval_permission = permission;
        self
    }

    /// Marks the action as dangerous (a red button).
    #[must_use]
    pub const fn dangerous(mut self) -> Self {
        self.dangerous = true;
        self
    }

    /// Sets the most records one background job may take.
    #[must_use]
    pub const fn max_job(mut self, n: usize) -> Self {
        self.max_job = n;
        self
    }

    /// A background job of more than `n` records waits for a second person's
    /// approval (holding `approval_permission`).
    #[must_use]
    pub const fn job_approval_above(mut self, n: usize) -> Self {
        self.job_approval_above = Some(n);
        self
    }

    /// Requires a recent proof of identity.
    #[must_use]
    pub const fn recent_auth(mut self) -> Self {
        self.recent_auth = true;
        self
    }
}

impl Default for Policy {
    fn default() -> Self {
        Self::new()
    }
}
