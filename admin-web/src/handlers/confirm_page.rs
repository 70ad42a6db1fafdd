//! The confirmation page of an action: the records it would touch, the blocked ones
//! and why, each record's changes from a trial run that is rolled back, the
//! effects it would schedule, the typed input form and the reason field.

use std::sync::Arc;

use admin_core::action::{DynAction, Outcome, Preview};
use admin_core::kernel::field::Cell;
use admin_core::kernel::model::thousands;
use admin_core::list::view::visible_columns;
use admin_core::{FieldError, ForeignNames, FormData, ModelMeta, Record};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use minijinja::{Value, context};

use crate::error::Result;
use crate::handlers::list::url_path_segment;
use crate::render::Templates;
use crate::session::Ctx;
use crate::views::field_view;

/// How many records the confirmation page lists by name.
const SHOWN: usize = 100;

/// The button's words: "Mark 12 accounts for manual review" reads best as the
/// label followed by the count: "Mark for manual review: 12 accounts".
fn button_label(ctx: &Ctx, action: &dyn DynAction, n: usize, approval: bool) -> String {
    let what = action.model().count_phrase(n as u64);
    let args = [("action", action.label().into()), ("what", what.into())];
    ctx.t(if approval { "confirm-button-approval" } else { "confirm-button" }, &args)
}

/// The first four columns of the list the user may see: a record in a few words.
fn summary_columns(ctx: &Ctx, meta: &ModelMeta) -> Vec<usize> {
    visible_columns(meta, ctx.caller.staff()).into_iter().take(4).collect()
}

fn record_row(ctx: &Ctx, meta: &ModelMeta, r: &Record, preview: &Preview, names: &ForeignNames) -> Value {
    let prefix = ctx.state.prefix();
    // A model with display names shows each record's name first; foreign keys
    // show the names of the records they refer to.
    let mut cells: Vec<String> = meta.display.iter().map(|_| r.title(meta)).collect();
    cells.extend(summary_columns(ctx, meta).iter().map(|&i| {
        let (f, cell) = (&meta.fields[i], &r.cells[i]);
        names.of(f, cell).map_or_else(|| f.display(cell), str::to_owned)
    }));
    let (tried, changes, skipped) = trial_of(preview, &r.key);
    context! {
        key => &r.key,
        title => r.title(meta),
        url => format!("{prefix}/{}/{}", meta.slug, url_path_segment(&r.key)),
        cells => cells,
        tried => tried,
        changes => changes,
        skipped => skipped,
    }
}

/// What the trial did to the record `key`: whether it was tried, its changes
/// ("Manual review: no → yes"), and why the run itself skipped it.
pub(crate) fn trial_of(preview: &Preview, key: &str) -> (bool, Vec<String>, Option<String>) {
    let tried = preview.trial.as_ref().and_then(|t| t.records.iter().find(|t| t.key == key));
    match tried.map(|t| (t, &t.outcome)) {
        Some((t, Outcome::Done(_))) => {
            let changes = t
                .changes
                .iter()
                .map(|c| format!("{}: {} \u{2192} {}", c.label, shown(&c.before), shown(&c.after)))
                .collect();
            (true, changes, None)
        }
        Some((_, Outcome::Skipped(why))) => (true, Vec::new(), Some(why.clone())),
        None => (false, Vec::new(), None),
    }
}

/// A value as the changes show it: an empty one as a dash.
fn shown(v: &str) -> &str {
    if v.is_empty() { "\u{2014}" } else { v }
}

/// The trial for the page: whether there is one, how many records it ran, how many
/// more will run the same way, the effects, and why it failed.
pub(crate) fn trial_view(p: &Preview) -> Value {
    let skipped = p
        .trial
        .as_ref()
        .map_or(0, |t| t.records.iter().filter(|r| matches!(r.outcome, Outcome::Skipped(_))).count());
    context! {
        ran => p.trial.is_some(),
        tried => p.trial.as_ref().map_or(0, |t| t.records.len()),
        skipped => skipped,
        more => thousands(p.not_tried() as u64),
        bounded => p.not_tried() > 0,
        effects => p.trial.as_ref().map(|t| t.effects.clone()).unwrap_or_default(),
        failed => &p.trial_failed,
    }
}

pub(super) struct Confirm<'a> {
    pub(super) ctx: &'a Ctx,
    pub(super) meta: &'static ModelMeta,
    pub(super) action: &'a Arc<dyn DynAction>,
    pub(super) keys: Vec<String>,
    /// "All N matching" past one run's batch: the count and the list's query
    /// string. The page then offers a background job; `keys` is the first batch.
    pub(super) job: Option<(u64, String)>,
    pub(super) form: &'a FormData,
    pub(super) errors: Vec<FieldError>,
    pub(super) message: Option<String>,
    /// Give the form a new idempotency key instead of the one it came with.
    pub(super) new_key: bool,
}

impl Confirm<'_> {
    fn error(&self, field: &str) -> Option<String> {
        self.errors.iter().find(|e| e.field.as_deref() == Some(field)).map(|e| e.message.clone())
    }

    /// The action's typed inputs as form controls.
    fn inputs(&self) -> Vec<Value> {
        let action = self.action.as_ref();
        let input_meta = ModelMeta {
            slug: self.meta.slug,
            label: action.label(),
            label_plural: action.label(),
            fields: action.input_fields(),
            pk: 0,
            list_display: &[],
            search: &[],
            filters: &[],
            ordering: &[],
            per_page: 1,
            reason_required: false,
            list_editable: &[],
            fieldsets: &[],
            display: None,
            inlines: &[],
        };
        let prefix = self.ctx.state.prefix();
        action
            .input_fields()
            .iter()
            .enumerate()
            .map(|(i, f)| {
                let value = self.form.get(f.name).unwrap_or("");
                field_view(
                    prefix,
                    &input_meta,
                    i,
                    value,
                    &Cell::Null,
                    false,
                    self.error(f.name).as_deref(),
                    self.ctx.reader(),
                )
            })
            .collect()
    }

    /// The form's idempotency key: the one it came with, unless that was refused
    /// (or reused for another request), so the form can be sent again.
    fn idempotency_key(&self) -> Result<String> {
        match self.form.get("idempotency_key") {
            Some(k)
                if !k.is_empty()
                    && !self.new_key
                    && admin_core::kernel::text::is_lookup(k, admin_core::kernel::text::IDEMPOTENCY_KEY) =>
            {
                Ok(k.to_owned())
            }
            _ => Ok(admin_core::auth::random_hex(16)?),
        }
    }

    /// The submit button's words: the run's, or the background job's.
    fn button(&self, ready: usize) -> String {
        let action = self.action.as_ref();
        match &self.job {
            Some((total, _)) => self.ctx.t(
                "confirm-button-job",
                &[("action", action.label().into()), ("what", self.meta.count_phrase(*total).into())],
            ),
            None => button_label(self.ctx, action, ready, action.policy().approval),
        }
    }

    /// For "all N matching" past one run's batch: the job's size, the first
    /// batch's, the chunk, the list's query for the form, and whether it needs
    /// approval.
    fn job_offer(&self) -> Option<Value> {
        let policy = self.action.policy();
        self.job.as_ref().map(|(total, query)| {
            let params: Vec<(String, String)> =
                form_urlencoded::parse(query.as_bytes()).into_owned().collect();
            context! {
                total => *total,
                phrase => self.meta.count_phrase(*total),
                batch => self.meta.count_phrase(self.keys.len() as u64),
                chunk => thousands(policy.max_batch.min(admin_core::job::CHUNK) as u64),
                params => params,
                approval => policy.approval || policy.job_approval_above.is_some_and(|n| *total > n as u64),
            }
        })
    }

    pub(super) async fn render(self, status: StatusCode) -> Result<Response> {
        let (meta, prefix, action) = (self.meta, self.ctx.state.prefix(), self.action.as_ref());
        let service = self.ctx.service();
        // The trial needs the input: until the form has one that fits, only the
        // checks are shown.
        let input = action.parse_input(self.form).ok();
        let caller = self.ctx.caller_with_reason(self.form.get("reason"));
        let (_, preview) =
            service.preview_action(&caller, meta.slug, action.name(), &self.keys, input.as_ref()).await?;
        let policy = action.policy();
        let form_errors: Vec<String> = self
            .errors
            .iter()
            .filter(|e| matches!(e.field.as_deref(), None | Some("ids" | "idempotency_key")))
            .map(|e| e.message.clone())
            .collect();
        let shown: Vec<Record> = preview
            .ready
            .iter()
            .take(SHOWN)
            .chain(preview.blocked.iter().take(SHOWN).map(|b| &b.record))
            .cloned()
            .collect();
        let names = service.foreign_names(&self.ctx.caller, meta.slug, &shown).await?;
        let ready: Vec<Value> = preview
            .ready
            .iter()
            .take(SHOWN)
            .map(|r| record_row(self.ctx, meta, r, &preview, &names))
            .collect();
        let blocked: Vec<Value> = preview
            .blocked
            .iter()
            .take(SHOWN)
            .map(|b| {
                // An action may give its reason as a message: it reads in the viewer's language.
                let reason = b.message.as_ref().map_or_else(|| b.reason.clone(), |m| self.ctx.message(m));
                context! { record => record_row(self.ctx, meta, &b.record, &preview, &names), reason => reason }
            })
            .collect();
        let mut columns: Vec<&str> = meta.display.iter().map(|_| meta.label).collect();
        columns.extend(summary_columns(self.ctx, meta).into_iter().map(|i| meta.fields[i].label));
        let title = format!("{}?", action.label());
        let html = self.ctx.state.templates.render(
            &Templates::chain(meta.slug, "confirm_action.html"),
            context! {
                base => self.ctx.base(&title),
                model => context! { slug => meta.slug, label => meta.label, label_plural => meta.label_plural, noun_plural => meta.noun_plural() },
                action => context! {
                    name => action.name(), label => action.label(), description => action.description(),
                    dangerous => policy.dangerous, approval => policy.approval,
                },
                title => title,
                action_url => format!("{prefix}/{}/actions/{}", meta.slug, action.name()),
                list_url => format!("{prefix}/{}/", meta.slug),
                keys => preview.ready.iter().map(|r| r.key.clone()).collect::<Vec<_>>(),
                ready => ready,
                ready_count => preview.ready.len(),
                ready_more => preview.ready.len().saturating_sub(SHOWN),
                ready_phrase => meta.count_phrase(preview.ready.len() as u64),
                blocked => blocked,
                blocked_count => preview.blocked.len(),
                blocked_phrase => meta.count_phrase(preview.blocked.len() as u64),
                missing => preview.missing,
                columns => columns,
                trial => trial_view(&preview),
                needs_input => !action.input_fields().is_empty(),
                inputs => self.inputs(),
                reason => context! { required => policy.reason_required, value => self.form.get("reason").unwrap_or(""), error => self.error("reason"), max_length => admin_core::kernel::text::REASON },
                form_errors => form_errors,
                message => &self.message,
                limits => service.limit_status(&self.ctx.caller, meta.slug, action.name()).await?,
                idempotency_key => self.idempotency_key()?,
                button => self.button(preview.ready.len()),
                job => self.job_offer(),
            },
        )?;
        Ok((status, html).into_response())
    }
}
