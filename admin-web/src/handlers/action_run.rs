//! The GET pages of an action's runs: its address opened without a selection
//! (what to do), and a run's result page, where a confirmed run redirects (POST → redirect → GET, so
//! Back and reload are harmless).

use admin_core::action::DynAction;
use admin_core::action::runs::ActionRun;
use admin_core::{Error as CoreError, ModelMeta};
use axum::extract::{Path, Query};
use axum::response::{IntoResponse, Response};
use minijinja::context;
use serde::Deserialize;

use crate::error::Result;
use crate::extract::ModelParam;
use crate::handlers::list::url_path_segment;
use crate::render::Templates;
use crate::session::Ctx;

/// The address of run `id` of action `action` on model `slug`.
#[must_use]
pub fn run_url(prefix: &str, slug: &str, action: &str, id: i64) -> String {
    format!("{prefix}/{slug}/actions/{action}/runs/{id}")
}

/// The page of an action's address opened without a selection: an action runs on
/// records chosen on the list, so it says so, with the way there.
pub(crate) fn start(ctx: &Ctx, meta: &ModelMeta, action: &dyn DynAction) -> Result<Response> {
    let prefix = ctx.state.prefix();
    let html = ctx.state.templates.render(
        &Templates::chain(meta.slug, "action_start.html"),
        context! {
            base => ctx.base(action.label()),
            model => context! { slug => meta.slug, label_plural => meta.label_plural, noun_plural => meta.noun_plural() },
            title => action.label(),
            description => action.description(),
            list_url => format!("{prefix}/{}/", meta.slug),
        },
    )?;
    Ok(html.into_response())
}

/// The `{action}` and `{run}` path segments of a run's page.
#[derive(Debug, Deserialize)]
pub struct RunPath {
    /// The action's name.
    pub action: String,
    /// The run's id.
    pub run: String,
}

/// The run page's query: `repeated=1` when the same request was sent again.
#[derive(Debug, Default, Deserialize)]
pub struct RunQuery {
    /// Set by the redirect after a request that had already run.
    pub repeated: Option<String>,
}

/// `GET {prefix}/{model}/actions/{action}/runs/{run}`: who ran it, when and why,
/// what it did per record, its audit entries, and its undo.
pub async fn show(
    ModelParam(model): ModelParam,
    Path(RunPath { action: name, run }): Path<RunPath>,
    Query(q): Query<RunQuery>,
    ctx: Ctx,
) -> Result<Response> {
    let meta = model.meta();
    let missing = || CoreError::NotFound(format!("There is no action run {run}."));
    let id: i64 = run.parse().map_err(|_| missing())?;
    let service = ctx.service();
    let run = service.action_run(&ctx.caller, id).await?;
    if run.model != meta.slug || run.action != name {
        return Err(missing().into());
    }
    // Another run: its id, and its page's address when the caller may see it.
    let other = async |id: Option<i64>| match id {
        Some(id) => {
            let url = service
                .action_run(&ctx.caller, id)
                .await
                .ok()
                .map(|r| run_url(ctx.state.prefix(), &r.model, &r.action, r.id));
            Some(context! { id => id, url => url })
        }
        None => None,
    };
    let undo_of = other(run.undo_of).await;
    let undone_by = other(run.undone_by).await;
    // What the run scheduled outside the database (mail, calls) and where each
    // stands; nothing for a caller who may not see effects.
    let effects: Vec<minijinja::Value> = match service.effects_of_run(&ctx.caller, id).await {
        Ok(list) => list.iter().map(|e| super::effects::effect_row(&ctx, e)).collect(),
        Err(CoreError::Forbidden(_)) => Vec::new(),
        Err(e) => return Err(e.into()),
    };
    let label = ctx
        .state
        .registry
        .action_named(&run.model, &run.action)
        .map_or_else(|| run.action.clone(), |a| a.label().to_owned());
    // Each record by its display name: one query for the run's records.
    let keys: Vec<String> = run
        .report
        .done
        .iter()
        .map(|(k, _)| k.clone())
        .chain(run.report.skipped.iter().map(|(k, _)| k.clone()))
        .collect();
    let names = service.display_names(&ctx.caller, meta.slug, &keys).await?;
    let html = ctx.state.templates.render(
        &Templates::chain(meta.slug, "action_result.html"),
        page(
            &ctx,
            meta,
            &label,
            &run,
            q.repeated.as_deref() == Some("1"),
            (undo_of, undone_by, effects),
            &names,
        ),
    )?;
    Ok(html.into_response())
}

fn page(
    ctx: &Ctx,
    meta: &ModelMeta,
    label: &str,
    run: &ActionRun,
    repeated: bool,
    (undo_of, undone_by, effects): (
        Option<minijinja::Value>,
        Option<minijinja::Value>,
        Vec<minijinja::Value>,
    ),
    names: &std::collections::HashMap<String, String>,
) -> minijinja::Value {
    let prefix = ctx.state.prefix();
    let report = &run.report;
    let link = |k: &str| format!("{prefix}/{}/{}", meta.slug, url_path_segment(k));
    let title = |k: &str| names.get(k).cloned().unwrap_or_else(|| format!("{} {k}", meta.label));
    let done: Vec<_> = report
        .done
        .iter()
        .map(|(k, note)| context! { key => k, title => title(k), url => link(k), note => note })
        .collect();
    let skipped: Vec<_> = report
        .skipped
        .iter()
        .map(|(k, reason)| context! { key => k, title => title(k), url => link(k), reason => reason })
        .collect();
    // "Mark for manual review: 2 done, 1 skipped." in the reader's language.
    let (done_n, skipped_n) = (report.done.len() as u64, report.skipped.len() as u64);
    let summary = ctx.t(
        if skipped_n == 0 { "result-summary" } else { "result-summary-skipped" },
        &[
            ("action", label.into()),
            ("done", ctx.number(done_n).into()),
            ("skipped", ctx.number(skipped_n).into()),
        ],
    );
    let title = ctx.t("result-title", &[("action", label.into()), ("id", run.id.to_string().into())]);
    context! {
        base => ctx.base(&title),
        model => context! { slug => meta.slug, label => meta.label, label_plural => meta.label_plural },
        title => title,
        summary => summary,
        repeated => repeated,
        actor => &run.actor,
        at => run.created_at.format("%Y-%m-%d %H:%M").to_string(),
        reason => &run.reason,
        done => done,
        skipped => skipped,
        audit_url => format!("{prefix}/audit?model={}&kind=action%3A{}", meta.slug, run.action),
        audit_seqs => report.audit_seqs.map(|(a, b)| if a == b { format!("entry {a}") } else { format!("entries {a}–{b}") }),
        undo_url => (run.undone_by.is_none() && !report.done.is_empty()).then(|| format!("{prefix}/runs/{}/undo", run.id)),
        undo_of => undo_of,
        undone_by => undone_by,
        effects => effects,
        effects_linked => ctx.caller.may("effects.view"),
        list_url => format!("{prefix}/{}/", meta.slug),
    }
}
