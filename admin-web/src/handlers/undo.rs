//! Undo and restore screens: undoing an action run
//! (`{prefix}/runs/{id}/undo`), restoring a record to a version from its history
//! (`{prefix}/{model}/{id}/versions/{seq}`) and a deleted record from its last
//! snapshot (`{prefix}/{model}/{id}/undelete/{seq}`). Each GET shows what would
//! happen and what is refused and why, with a reason field; each POST goes
//! through the door and answers 303, or shows the page again with the refusal.

use admin_core::Error as CoreError;
use admin_core::ModelMeta;
use admin_core::audit::entry;
use admin_core::service::{ActionResult, RestorePlan, UndoPlan, UndoPreview};
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::{Value, context};
use serde::Deserialize;

use super::Pairs;
use crate::error::Result;
use crate::extract::{ModelParam, Submitted};
use crate::handlers::list::url_path_segment;
use crate::render::Templates;
use crate::session::Ctx;

/// The undo and restore forms: why, and (for a version) the record's version.
#[derive(Debug, Default, Deserialize)]
pub struct UndoForm {
    /// Why, for the audit log.
    pub reason: Option<String>,
    /// The record's version when the page was shown (restoring a version).
    #[serde(rename = "_version", default)]
    pub version: String,
}

fn number(raw: &str, what: &str) -> Result<i64> {
    raw.parse().map_err(|_| CoreError::NotFound(format!("There is no {what} {raw}.")).into())
}

fn param<'a>(path: &'a Pairs, name: &str) -> &'a str {
    path.iter().find(|(k, _)| k == name).map_or("", |(_, v)| v.as_str())
}

/// The sentence of an error the page shows in place (a refusal, a missing reason).
fn in_place(e: &CoreError) -> Option<(String, StatusCode)> {
    match e {
        CoreError::Refused(m) => Some((m.clone(), StatusCode::CONFLICT)),
        CoreError::Invalid(errors) => Some((
            errors.iter().map(|f| f.message.clone()).collect::<Vec<_>>().join(" "),
            StatusCode::UNPROCESSABLE_ENTITY,
        )),
        CoreError::Conflict { .. } => Some((
            "Someone changed this record after you opened this page, so nothing was restored. Look at it again below."
                .to_owned(),
            StatusCode::CONFLICT,
        )),
        _ => None,
    }
}

fn plan_view(preview: &UndoPreview, prefix: &str) -> Value {
    let meta = preview.action.model();
    let record_url = |k: &str| format!("{prefix}/{}/{}", meta.slug, url_path_segment(k));
    let records = |keys: &[String]| -> Vec<Value> {
        keys.iter().map(|k| context! { key => k, url => record_url(k) }).collect()
    };
    match &preview.plan {
        UndoPlan::PutBack(rows) => {
            let ready = rows.iter().filter(|r| r.refused.is_none()).count();
            let rows: Vec<Value> = rows
                .iter()
                .map(|r| {
                    let fields: Vec<Value> = r
                        .fields
                        .iter()
                        .map(|f| context! { label => f.label, now => &f.now, back => &f.back })
                        .collect();
                    context! { key => &r.key, url => record_url(&r.key), fields => fields, refused => &r.refused }
                })
                .collect();
            context! { kind => "put_back", rows => rows, ready => ready }
        }
        UndoPlan::Inverse { action, keys } => context! {
            kind => "inverse",
            label => action.label(),
            description => action.description(),
            approval => action.policy().approval,
            records => records(keys),
        },
        UndoPlan::Irreversible { why, compensate, keys } => context! {
            kind => "irreversible",
            why => why,
            compensate => compensate.as_ref().map(|c| context! {
                label => c.label(),
                url => format!("{prefix}/{}/actions/{}", meta.slug, c.name()),
            }),
            keys => keys,
            records => records(keys),
        },
    }
}

async fn render_undo(
    ctx: &Ctx,
    id: i64,
    reason: &str,
    error: Option<(String, StatusCode)>,
) -> Result<Response> {
    let preview = ctx.service().undo_preview(&ctx.caller, id).await?;
    let prefix = ctx.state.prefix();
    let (run, action) = (&preview.run, &preview.action);
    let meta = action.model();
    let title = format!("Undo \u{201c}{}\u{201d} (run {id})", action.label());
    let (error, status) = error.map_or((None, StatusCode::OK), |(m, s)| (Some(m), s));
    let html = ctx.state.templates.render(
        &Templates::chain(meta.slug, "undo.html"),
        context! {
            base => ctx.base(&title),
            title => title,
            model => context! { slug => meta.slug, label => meta.label, label_plural => meta.label_plural },
            list_url => format!("{prefix}/{}/", meta.slug),
            run => context! {
                id => run.id,
                actor => &run.actor,
                at => run.created_at.format("%Y-%m-%d %H:%M:%S").to_string(),
                reason => &run.reason,
                done => run.report.done.len(),
                url => format!("{prefix}/{}/actions/{}/runs/{}", meta.slug, run.action, run.id),
            },
            plan => plan_view(&preview, prefix),
            action_url => format!("{prefix}/runs/{id}/undo"),
            reason => reason,
            error => error,
        },
    )?;
    Ok((status, html).into_response())
}

/// `GET {prefix}/runs/{id}/undo`: what undoing the run would do.
pub async fn confirm(ctx: Ctx, Path(id): Path<String>) -> Result<Response> {
    render_undo(&ctx, number(&id, "action run")?, "", None).await
}

/// `POST {prefix}/runs/{id}/undo`: fields `csrf_token`, `reason`. Answers 303 to
/// the new run's result page (or the approval request the inverse action waits as).
pub async fn submit(Path(id): Path<String>, Submitted(ctx, form): Submitted<UndoForm>) -> Result<Response> {
    let id = number(&id, "action run")?;
    let reason = form.reason.as_deref().unwrap_or("");
    let prefix = ctx.state.prefix();
    match ctx.service().undo_run(&ctx.caller, id, reason).await {
        Ok(ActionResult::Ran(report) | ActionResult::AlreadyRan(report)) => {
            let run = ctx.service().action_run(&ctx.caller, id).await?;
            let new = report.run_id.unwrap_or(id);
            let (done, skipped) = (report.done.len(), report.skipped.len());
            let mut note = format!("Undone: {done} put back");
            if skipped > 0 {
                note.push_str(&format!(", {skipped} left as they are"));
            }
            ctx.flash(&format!("{note}.")).await;
            let to = format!("{prefix}/{}/actions/{}/runs/{new}", run.model, run.action);
            Ok(Redirect::to(&to).into_response())
        }
        Ok(ActionResult::Queued { id: request }) => {
            ctx.flash_t("flash-undo-waits", &[]).await;
            Ok(Redirect::to(&format!("{prefix}/approvals/{request}")).into_response())
        }
        Err(e) => match in_place(&e) {
            Some(shown) => render_undo(&ctx, id, reason, Some(shown)).await,
            None => Err(e.into()),
        },
    }
}

/// Which restore a page is about.
#[derive(Clone, Copy)]
enum Restore {
    Version,
    Deleted,
}

async fn render_restore(
    ctx: &Ctx,
    slug: &str,
    key: &str,
    seq: i64,
    which: Restore,
    reason: &str,
    error: Option<(String, StatusCode)>,
) -> Result<Response> {
    let service = ctx.service();
    let meta = service.model(slug)?;
    let plan: RestorePlan = match which {
        Restore::Version => service.restore_plan(&ctx.caller, slug, key, seq).await?,
        Restore::Deleted => {
            let plan = service.deleted_plan(&ctx.caller, slug, seq).await?;
            if plan.key != key {
                return Err(CoreError::NotFound(format!(
                    "Entry {seq} is not the deletion of {} {key}.",
                    meta.label.to_lowercase()
                ))
                .into());
            }
            plan
        }
    };
    let prefix = ctx.state.prefix();
    let record_url = format!("{prefix}/{slug}/{}", url_path_segment(key));
    let (title, segment) = match which {
        Restore::Version => {
            (format!("Restore {} {key} to entry {seq}", meta.label.to_lowercase()), "versions")
        }
        Restore::Deleted => (format!("Restore deleted {} {key}", meta.label.to_lowercase()), "undelete"),
    };
    let fields: Vec<Value> =
        plan.fields.iter().map(|f| context! { label => f.label, now => &f.now, back => &f.back }).collect();
    let (error, status) = error.map_or((None, StatusCode::OK), |(m, s)| (Some(m), s));
    let html = ctx.state.templates.render(
        &Templates::chain(slug, "restore.html"),
        context! {
            base => ctx.base(&title),
            title => title,
            model => context! { slug => slug, label => meta.label, label_plural => meta.label_plural },
            deleted => matches!(which, Restore::Deleted),
            key => key,
            record_url => record_url,
            history_url => format!("{prefix}/{slug}/{}/history", url_path_segment(key)),
            list_url => format!("{prefix}/{slug}/"),
            at => plan.at.format("%Y-%m-%d %H:%M:%S").to_string(),
            seq => seq,
            fields => fields,
            kept => plan.kept,
            refused => plan.refused,
            version => plan.version,
            action_url => format!("{prefix}/{slug}/{}/{segment}/{seq}", url_path_segment(key)),
            reason => reason,
            error => error,
        },
    )?;
    Ok((status, html).into_response())
}

/// `GET {prefix}/{model}/{id}/versions/{seq}`: what restoring the version after
/// history entry `seq` would change.
pub async fn version_confirm(
    ctx: Ctx,
    ModelParam(model): ModelParam,
    Path(path): Path<Pairs>,
) -> Result<Response> {
    let seq = number(param(&path, "seq"), "history entry")?;
    render_restore(&ctx, model.meta().slug, param(&path, "id"), seq, Restore::Version, "", None).await
}

/// `POST {prefix}/{model}/{id}/versions/{seq}`: fields `csrf_token`, `_version`,
/// `reason`. Answers 303 to the record.
pub async fn version_submit(
    ModelParam(model): ModelParam,
    Path(path): Path<Pairs>,
    Submitted(ctx, form): Submitted<UndoForm>,
) -> Result<Response> {
    let (slug, key) = (model.meta().slug, param(&path, "id"));
    let seq = number(param(&path, "seq"), "history entry")?;
    let reason = form.reason.as_deref().unwrap_or("");
    match ctx.service().restore_version(&ctx.caller, slug, key, seq, &form.version, reason).await {
        Ok(_) => {
            ctx.flash_t(
                "flash-restored-version",
                &[("label", model.meta().label.into()), ("key", key.into()), ("seq", seq.to_string().into())],
            )
            .await;
            let to = format!("{}/{slug}/{}", ctx.state.prefix(), url_path_segment(key));
            Ok(Redirect::to(&to).into_response())
        }
        Err(e) => match in_place(&e) {
            Some(shown) => render_restore(&ctx, slug, key, seq, Restore::Version, reason, Some(shown)).await,
            None => Err(e.into()),
        },
    }
}

/// `GET {prefix}/{model}/{id}/undelete/{seq}`: what restoring the record deleted
/// by audit entry `seq` would bring back, or why it cannot.
pub async fn deleted_confirm(
    ctx: Ctx,
    ModelParam(model): ModelParam,
    Path(path): Path<Pairs>,
) -> Result<Response> {
    let seq = number(param(&path, "seq"), "audit entry")?;
    render_restore(&ctx, model.meta().slug, param(&path, "id"), seq, Restore::Deleted, "", None).await
}

/// `POST {prefix}/{model}/{id}/undelete/{seq}`: fields `csrf_token`, `reason`.
/// Answers 303 to the restored record.
pub async fn deleted_submit(
    ModelParam(model): ModelParam,
    Path(path): Path<Pairs>,
    Submitted(ctx, form): Submitted<UndoForm>,
) -> Result<Response> {
    let (slug, key) = (model.meta().slug, param(&path, "id"));
    let seq = number(param(&path, "seq"), "audit entry")?;
    let reason = form.reason.as_deref().unwrap_or("");
    match ctx.service().restore_deleted(&ctx.caller, slug, seq, reason).await {
        Ok(record) => {
            ctx.flash_t(
                "flash-restored",
                &[("label", model.meta().label.into()), ("key", record.key.clone().into())],
            )
            .await;
            let to = format!("{}/{slug}/{}", ctx.state.prefix(), url_path_segment(&record.key));
            Ok(Redirect::to(&to).into_response())
        }
        Err(e) => match in_place(&e) {
            Some(shown) => render_restore(&ctx, slug, key, seq, Restore::Deleted, reason, Some(shown)).await,
            None => Err(e.into()),
        },
    }
}

/// Per entry of a record's history: "Undo this run" for an action's entry, "Restore
/// this version" for each older version of a record that exists, and "Restore" for
/// the deletion of one that does not (each shown only to who may use it).
pub(crate) async fn history_links(
    ctx: &Ctx,
    meta: &ModelMeta,
    key: &str,
    exists: bool,
    page: u64,
    entries: &[entry::Model],
) -> Result<Vec<Value>> {
    let service = ctx.service();
    let runs = service.runs_of_entries(&ctx.caller, entries).await?;
    let prefix = ctx.state.prefix();
    let record = format!("{prefix}/{}/{}", meta.slug, url_path_segment(key));
    let may_change = service.may(&ctx.caller, meta.slug, "change");
    let may_add = service.may(&ctx.caller, meta.slug, "add");
    Ok(entries
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let newest = page == 1 && i == 0;
            let restorable = matches!(e.kind.as_str(), "create" | "update" | "restore")
                || e.kind.starts_with("action:")
                || e.kind.starts_with("undo:");
            context! {
                undo_url => runs.get(&e.seq).map(|id| format!("{prefix}/runs/{id}/undo")),
                restore_url => (exists && may_change && !newest && restorable)
                    .then(|| format!("{record}/versions/{}", e.seq)),
                undelete_url => (!exists && may_add && newest && e.kind == "delete")
                    .then(|| format!("{record}/undelete/{}", e.seq)),
            }
        })
        .collect())
}

/// Per entry of the audit log: "Undo this run" for an action's entry, "Restore"
/// for the deletion of a record that is still gone.
pub(crate) async fn audit_links(ctx: &Ctx, entries: &[entry::Model], rows: &[Value]) -> Result<Vec<Value>> {
    let service = ctx.service();
    let runs = service.runs_of_entries(&ctx.caller, entries).await?;
    let prefix = ctx.state.prefix();
    Ok(entries
        .iter()
        .zip(rows)
        .map(|(e, row)| {
            let deleted = row.get_attr("deleted").is_ok_and(|d| d.is_true());
            let undelete = match (&e.model, &e.object_id) {
                (Some(m), Some(o))
                    if e.kind == "delete"
                        && deleted
                        && ctx.state.registry.model(m).is_some()
                        && service.may(&ctx.caller, m, "add") =>
                {
                    Some(format!("{prefix}/{m}/{}/undelete/{}", url_path_segment(o), e.seq))
                }
                _ => None,
            };
            context! {
                undo_url => runs.get(&e.seq).map(|id| format!("{prefix}/runs/{id}/undo")),
                restore_url => None::<String>,
                undelete_url => undelete,
            }
        })
        .collect())
}
