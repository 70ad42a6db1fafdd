//! CSV imports and export jobs on the screens: the upload form, the matching of
//! columns to fields and the preview (parts of the job's page), the confirmation,
//! the CSV of the rows that failed; an export started as a job and its file.

use admin_core::Error as CoreError;
use admin_core::job::import::IMPORT_MAX_BYTES;
use admin_core::job::{Job, JobKind, JobState};
use axum::body::Body;
use axum::extract::{Multipart, Path};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use futures_util::StreamExt;
use minijinja::{Value, context};
use serde::Deserialize;

use crate::error::Result;
use crate::extract::{ModelParam, Submitted};
use crate::handlers::list::url_path_segment;
use crate::session::Ctx;

/// Rows of each kind the preview shows.
const PREVIEW_ROWS: u64 = 50;

fn parse_id(raw: &str) -> Result<i64> {
    raw.parse().map_err(|_| CoreError::NotFound(format!("There is no background job {raw}.")).into())
}

fn job_url(ctx: &Ctx, id: i64) -> String {
    format!("{}/jobs/{id}", ctx.state.prefix())
}

async fn render_upload(ctx: &Ctx, slug: &str, error: Option<String>, status: StatusCode) -> Result<Response> {
    let fields = ctx.service().import_fields(&ctx.caller, slug)?;
    let meta = fields.meta;
    let title = ctx.t("import-title", &[("model", meta.label_plural.into())]);
    let prefix = ctx.state.prefix();
    let html = ctx.state.templates.render(
        &[format!("admin/{slug}/import.html"), "admin/import.html".to_owned()],
        context! {
            base => ctx.base(&title),
            title => title,
            model => context! { slug => meta.slug, label_plural => meta.label_plural, url => format!("{prefix}/{slug}/") },
            action_url => format!("{prefix}/{slug}/import"),
            fields => fields.choices().iter().map(|f| f.label).collect::<Vec<_>>(),
            keys => fields.keys().iter().map(|f| f.label).collect::<Vec<_>>(),
            max_mb => IMPORT_MAX_BYTES / (1024 * 1024),
            may_add => fields.may_add,
            may_change => fields.may_change,
            error => error,
        },
    )?;
    Ok((status, html).into_response())
}

/// `GET {prefix}/{model}/import`: the upload form.
pub async fn form(ctx: Ctx, ModelParam(model): ModelParam) -> Result<Response> {
    render_upload(&ctx, model.meta().slug, None, StatusCode::OK).await
}

/// `POST {prefix}/{model}/import` (multipart: `csrf_token`, `reason`, `file`):
/// reads the file into an import and shows its page, where its columns are
/// matched; a file that cannot be read is said so on the form.
pub async fn upload(ctx: Ctx, ModelParam(model): ModelParam, mut parts: Multipart) -> Result<Response> {
    let slug = model.meta().slug;
    let (mut token, mut reason, mut file) = (None, None, None);
    let unreadable =
        |ctx: &Ctx| ctx.t("import-unreadable-upload", &[("mb", (IMPORT_MAX_BYTES / (1024 * 1024)).into())]);
    loop {
        let field = match parts.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(_) => {
                return render_upload(&ctx, slug, Some(unreadable(&ctx)), StatusCode::BAD_REQUEST).await;
            }
        };
        let name = field.name().unwrap_or_default().to_owned();
        let file_name = field.file_name().map(str::to_owned);
        let Ok(bytes) = field.bytes().await else {
            return render_upload(&ctx, slug, Some(unreadable(&ctx)), StatusCode::BAD_REQUEST).await;
        };
        match name.as_str() {
            "csrf_token" => token = Some(String::from_utf8_lossy(&bytes).into_owned()),
            "reason" => {
                reason = Some(String::from_utf8_lossy(&bytes).trim().to_owned()).filter(|r| !r.is_empty())
            }
            "file" => file = Some((file_name.unwrap_or_default(), bytes)),
            _ => {}
        }
    }
    ctx.check_csrf(token.as_deref())?;
    let Some((name, bytes)) = file.filter(|(_, b)| !b.is_empty()) else {
        let msg = ctx.t("import-no-file", &[]);
        return render_upload(&ctx, slug, Some(msg), StatusCode::BAD_REQUEST).await;
    };
    let caller = ctx.caller_with_reason(reason.as_deref());
    match ctx.service().start_import(&caller, slug, &name, &bytes).await {
        Ok(id) => Ok(Redirect::to(&job_url(&ctx, id)).into_response()),
        Err(CoreError::BadRequest(msg)) => {
            render_upload(&ctx, slug, Some(msg), StatusCode::BAD_REQUEST).await
        }
        Err(e) => Err(e.into()),
    }
}

/// An import's part of its job's page: the matching form, the preview, and the
/// forms that fit its state.
pub async fn import_view(ctx: &Ctx, j: &Job) -> Result<Value> {
    let service = ctx.service();
    let (_, spec) = service.import(&ctx.caller, j.id).await?;
    let prefix = ctx.state.prefix();
    let own = j.requester_id == ctx.staff.id;
    let fields = service.import_fields(&ctx.caller, &j.model).ok();
    // The rows hold what the file said: its requester's only.
    let first =
        if own { service.import_rows(&ctx.caller, j.id, (None, None), -1, 1).await? } else { Vec::new() };
    let sample = first.first().map(|i| i.cells.clone()).unwrap_or_default();
    let columns: Vec<Value> = spec
        .header
        .iter()
        .enumerate()
        .map(|(i, h)| {
            context! {
                index => i,
                header => h,
                sample => sample.get(i).cloned().unwrap_or_default(),
                field => spec.mapping.get(i).cloned().flatten(),
            }
        })
        .collect();
    let choices: Vec<Value> = fields
        .as_ref()
        .map(|f| f.choices().iter().map(|f| context! { name => f.name, label => f.label }).collect())
        .unwrap_or_default();
    let keys: Vec<Value> = fields
        .as_ref()
        .map(|f| f.keys().iter().map(|f| context! { name => f.name, label => f.label }).collect())
        .unwrap_or_default();
    let summary = service.import_summary(&ctx.caller, j.id).await?;
    let shown = own && !matches!(j.state, JobState::Draft | JobState::Checking);
    let rows = |state: Option<&'static str>, op: Option<&'static str>| {
        let service = service.clone();
        async move {
            if !shown {
                return Ok::<_, crate::error::Error>(Vec::new());
            }
            let items = service.import_rows(&ctx.caller, j.id, (state, op), -1, PREVIEW_ROWS).await?;
            Ok(items
                .iter()
                .map(|i| {
                    context! {
                        line => i.line,
                        key => &i.key,
                        url => (!i.key.is_empty()).then(|| format!("{prefix}/{}/{}", j.model, url_path_segment(&i.key))),
                        note => &i.note,
                        diff => &i.diff,
                        state => &i.state,
                    }
                })
                .collect::<Vec<_>>())
        }
    };
    let n = |v: i64| ctx.number(v.max(0));
    Ok(context! {
        file => &spec.file,
        columns => columns,
        choices => choices,
        keys => keys,
        key => &spec.key,
        summary => context! {
            create => n(summary.create), update => n(summary.update), unchanged => n(summary.unchanged),
            failed => n(summary.failed), unchecked => n(summary.unchecked),
            writes => summary.create + summary.update, failed_count => summary.failed,
            writes_text => n(summary.create + summary.update),
        },
        failed_rows => rows(Some("failed"), None).await?,
        updates => rows(None, Some("update")).await?,
        creates => rows(None, Some("create")).await?,
        preview_rows => PREVIEW_ROWS,
        may_match => own && matches!(j.state, JobState::Draft | JobState::Checking | JobState::Ready),
        may_confirm => own && j.state == JobState::Ready && summary.create + summary.update > 0,
        match_url => format!("{prefix}/jobs/{}/match", j.id),
        confirm_url => format!("{prefix}/jobs/{}/confirm", j.id),
        failed_url => (own && summary.failed > 0).then(|| format!("{prefix}/jobs/{}/failed.csv", j.id)),
        rows_hidden => !own,
    })
}

/// An export job's part of its page: the download, when its file is written.
#[must_use]
pub fn export_view(ctx: &Ctx, j: &Job) -> Value {
    let ready = j.state == JobState::Done && j.requester_id == ctx.staff.id;
    context! {
        download_url => ready.then(|| format!("{}/jobs/{}/download", ctx.state.prefix(), j.id)),
        own => j.requester_id == ctx.staff.id,
    }
}

/// `POST {prefix}/jobs/{id}/match`: `col_{n}` (a field name, or empty for a
/// column left out), `key`, `reason`; the rows are checked again, the first
/// chunk at once, the rest by the worker. 303 to the job's page.
pub async fn match_columns(
    Path(id): Path<String>,
    Submitted(ctx, form): Submitted<Vec<(String, String)>>,
) -> Result<Response> {
    let id = parse_id(&id)?;
    let get = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.trim().to_owned());
    let mut mapping: Vec<Option<String>> = Vec::new();
    for (k, v) in &form {
        if let Some(i) = k.strip_prefix("col_").and_then(|i| i.parse::<usize>().ok()).filter(|i| *i < 10_000)
        {
            if mapping.len() <= i {
                mapping.resize(i + 1, None);
            }
            mapping[i] = Some(v.trim().to_owned()).filter(|v| !v.is_empty());
        }
    }
    let reason = get("reason").filter(|r| !r.is_empty());
    let caller = ctx.caller_with_reason(reason.as_deref());
    let service = ctx.service();
    match service.match_import(&caller, id, mapping, get("key")).await {
        Ok(_) => {
            // A small file's preview is ready when the page shows; the worker
            // checks the rest.
            let instance = format!("web-{}", std::process::id());
            if let Err(e) = service.work_job_once(&instance, id).await {
                tracing::warn!(job = id, error = %e, "checking an import's first rows failed");
            }
            Ok(Redirect::to(&job_url(&ctx, id)).into_response())
        }
        Err(CoreError::Invalid(errs)) => {
            let msg = errs.iter().map(|e| e.message.clone()).collect::<Vec<_>>().join(" ");
            super::jobs::render_job(&ctx, id, Some(msg), StatusCode::BAD_REQUEST).await
        }
        Err(CoreError::Refused(msg)) => {
            super::jobs::render_job(&ctx, id, Some(msg), StatusCode::CONFLICT).await
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST {prefix}/jobs/{id}/confirm`: writes the previewed rows, as a job. 303
/// to the job's page.
pub async fn confirm(
    Path(id): Path<String>,
    Submitted(ctx, _): Submitted<Vec<(String, String)>>,
) -> Result<Response> {
    let id = parse_id(&id)?;
    match ctx.service().confirm_import(&ctx.caller, id).await {
        Ok(_) => {
            ctx.flash_t("flash-import-confirmed", &[("id", id.into())]).await;
            Ok(Redirect::to(&job_url(&ctx, id)).into_response())
        }
        Err(CoreError::Refused(msg)) => {
            super::jobs::render_job(&ctx, id, Some(msg), StatusCode::CONFLICT).await
        }
        Err(e) => Err(e.into()),
    }
}

/// `GET {prefix}/jobs/{id}/failed.csv`: the import's rows that failed, as in the
/// file, with their line and why: fix them and import this file.
pub async fn failed_rows(ctx: Ctx, Path(id): Path<String>) -> Result<Response> {
    let id = parse_id(&id)?;
    let (_, spec) = ctx.service().import(&ctx.caller, id).await?;
    // Refused before anything is sent, for anyone but the requester.
    ctx.service().import_rows(&ctx.caller, id, (Some("failed"), None), -1, 1).await?;
    let mut header = spec.header.clone();
    header.push(ctx.t("import-csv-line", &[]));
    header.push(ctx.t("import-csv-error", &[]));
    let (service, caller, width) = (ctx.service(), ctx.caller.clone(), spec.header.len());
    let pages: admin_core::service::Pages<Vec<String>> =
        Box::pin(futures_util::stream::try_unfold(Some(-1i64), move |after| {
            let (service, caller) = (service.clone(), caller.clone());
            async move {
                let Some(after) = after else { return Ok(None) };
                let items = service.import_rows(&caller, id, (Some("failed"), None), after, 1_000).await?;
                let Some(last) = items.last().map(|i| i.seq) else { return Ok(None) };
                let lines = items
                    .into_iter()
                    .map(|i| {
                        let mut cells = i.cells;
                        cells.resize(width, String::new());
                        cells.push(i.line.map(|l| l.to_string()).unwrap_or_default());
                        cells.push(i.note.unwrap_or_default());
                        cells
                    })
                    .collect();
                Ok(Some((lines, Some(last))))
            }
        }));
    let stem = spec.file.trim_end_matches(".csv").trim_end_matches(".CSV");
    let name: String =
        format!("{stem}-failed").chars().filter(|c| c.is_alphanumeric() || "-_.".contains(*c)).collect();
    Ok(super::export::csv_response(&name, header, pages, Vec::clone))
}

/// The export form: the list's query string.
#[derive(Deserialize)]
pub struct ExportForm {
    /// The list's query (search and filters).
    #[serde(default)]
    pub query: String,
}

/// `POST {prefix}/{model}/export-job`: `query`; starts the export as a job. 303
/// to the job's page.
pub async fn start_export(
    ModelParam(model): ModelParam,
    Submitted(ctx, form): Submitted<ExportForm>,
) -> Result<Response> {
    let id = ctx.service().start_export_job(&ctx.caller, model.meta().slug, &form.query).await?;
    ctx.flash_t("flash-export-started", &[("id", id.into())]).await;
    Ok(Redirect::to(&job_url(&ctx, id)).into_response())
}

/// `GET {prefix}/jobs/{id}/download`: an export job's file, streamed part by part
/// from the database.
pub async fn download(ctx: Ctx, Path(id): Path<String>) -> Result<Response> {
    let id = parse_id(&id)?;
    let service = ctx.service();
    let first = service.export_file_part(&ctx.caller, id, 0).await?.unwrap_or_default();
    let j = service.job(&ctx.caller, id).await?;
    debug_assert_eq!(j.kind, JobKind::Export);
    let caller = ctx.caller.clone();
    let rest = futures_util::stream::try_unfold(1i64, move |seq| {
        let (service, caller) = (service.clone(), caller.clone());
        async move {
            match service.export_file_part(&caller, id, seq).await {
                Ok(Some(part)) => Ok(Some((axum::body::Bytes::from(part), seq + 1))),
                Ok(None) => Ok(None),
                Err(e) => {
                    tracing::error!(job = id, error = %e, "an export's download failed part way");
                    Err(std::io::Error::other(e.to_string()))
                }
            }
        }
    });
    let body =
        futures_util::stream::iter([Ok::<_, std::io::Error>(axum::body::Bytes::from(first))]).chain(rest);
    let mut resp = Body::from_stream(body).into_response();
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8"));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{}-export-{id}.csv\"", j.model)) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(resp)
}
