//! Who is calling through the door: a staff member the authenticator found (by
//! session cookie, API token or the command line), or a named system identity for
//! work nobody signed in for (the approval worker, seeding, migrations).

use crate::access::Staff;
use crate::access::permission::Permissions;
use crate::audit::Context;
use crate::auth::{Identity, Proof};
use crate::kernel::error::{Error, Result};

/// The identity every call through [`super::Service`] carries, with the request's
/// context (reason, request id, client address) for the audit log.
///
/// A staff caller comes only from the authenticator ([`super::Service::authenticate`],
/// [`super::Service::local`]); a system caller is named, and the audit log shows the
/// name (`system:approval-worker`).
#[derive(Clone, Debug)]
pub struct Caller {
    ctx: Context,
    proof: Proof,
    system: Option<&'static str>,
    own_writes: bool,
}

/// The audit id of a system identity: it stands for no staff row.
pub(crate) const SYSTEM_ID: i64 = 0;

impl Caller {
    /// The caller an identity makes (the authenticator's answer).
    #[must_use]
    pub fn from_identity(identity: &Identity) -> Self {
        Self { ctx: Context::staff(&identity.staff), proof: identity.proof, system: None, own_writes: false }
    }

    /// The caller a custom page's visit carries (see [`crate::registry::Visit`]).
    pub(crate) fn from_parts(ctx: Context, proof: Proof, system: Option<&'static str>) -> Self {
        Self { ctx, proof, system, own_writes: false }
    }

    /// A named system identity, for work no person signed in for: the approval
    /// worker, seeding, creating the first user. It holds every permission; the audit
    /// log names it `system:{name}`.
    #[must_use]
    pub fn system(name: &'static str) -> Self {
        let staff = Staff {
            id: SYSTEM_ID,
            username: format!("system:{name}"),
            is_superuser: true,
            roles: Vec::new(),
            permissions: Permissions::default(),
        };
        Self { ctx: Context::staff(&staff), proof: Proof::Local, system: Some(name), own_writes: false }
    }

    /// The same caller with the reason the person gave (trimmed; empty is none).
    #[must_use]
    pub fn with_reason(mut self, reason: Option<String>) -> Self {
        self.ctx = self.ctx.with_reason(reason);
        self
    }

    /// The same caller with the request's id and the client's address, for the audit log.
    #[must_use]
    pub fn with_request(mut self, request_id: Option<String>, client_addr: Option<String>) -> Self {
        self.ctx.request_id = request_id;
        self.ctx.client_addr = client_addr;
        self
    }

    /// The same caller with a fresh request id `{prefix}-{16 hex digits}` (for
    /// work that does not come in over HTTP: `cli-…`, `nightly-…`).
    ///
    /// # Errors
    /// `Internal` when the system has no randomness to give.
    pub fn with_new_request(mut self, prefix: &str) -> Result<Self> {
        self.ctx.request_id = Some(format!("{prefix}-{}", crate::auth::random_hex(8)?));
        Ok(self)
    }

    /// The staff member acting (for a system identity, a superuser named `system:{name}`).
    ///
    /// # Panics
    /// Never: every caller carries an actor.
    #[must_use]
    pub fn staff(&self) -> &Staff {
        self.ctx.actor.as_ref().expect("a caller always has an actor")
    }

    /// The same caller, who has just written (`true`): their reads go to the
    /// primary database even where the door has a read replica
    /// ([`super::Service::with_read_replica`]), so they see what they did at once.
    #[must_use]
    pub fn with_own_writes(mut self, just_wrote: bool) -> Self {
        self.own_writes = just_wrote;
        self
    }

    /// Whether the caller has just written and reads from the primary.
    #[must_use]
    pub fn reads_own_writes(&self) -> bool {
        self.own_writes
    }

    /// The system identity's name, when this is one.
    #[must_use]
    pub fn system_name(&self) -> Option<&'static str> {
        self.system
    }

    /// Whether the caller holds `permission` (e.g. `account.change`).
    #[must_use]
    pub fn may(&self, permission: &str) -> bool {
        self.staff().may(permission)
    }

    /// How the caller proved who they are.
    #[must_use]
    pub fn proof(&self) -> Proof {
        self.proof
    }

    /// The audit context the door writes with.
    #[must_use]
    pub fn context(&self) -> &Context {
        &self.ctx
    }

    /// Refuses unless the caller signed in (or confirmed their password) recently.
    ///
    /// # Errors
    /// `ReauthRequired` for a stale session or an API token.
    pub fn require_recent(&self) -> Result<()> {
        if self.proof.is_recent() { Ok(()) } else { Err(Error::ReauthRequired) }
    }

    /// Refuses unless the caller holds `permission`, with `refusal` (what the
    /// caller cannot do: "You cannot view the audit log.") followed by who can.
    ///
    /// # Errors
    /// `Forbidden` with that sentence and `permission`.
    pub fn require(&self, permission: &str, refusal: &str) -> Result<()> {
        if self.may(permission) {
            Ok(())
        } else {
            Err(Error::Forbidden(self.staff().denial(refusal, permission)))
        }
    }
}
