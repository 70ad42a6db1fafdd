//! The detail/edit screen and the create screen.

use std::collections::HashMap;

use admin_core::field::{Cell, FieldKind};
use admin_core::permission::{FieldAccess, field_access};
use admin_core::{
    Error as CoreError, FieldError, FieldMeta, FormData, ModelAdmin, ModelMeta, Record, service,
};
use axum::extract::{Form, Path, Query};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::{Value, context};

use super::{Pairs, csrf_of, list_url, safe_back};
use crate::error::Result;
use crate::extract::{ModelParam, record_key};
use crate::handlers::list::url_path_segment;
use crate::render::Templates;
use crate::session::Ctx;
use crate::views::{cell_view, field_view};

/// How many related records the detail page shows per model.
pub const RELATED_LIMIT: u64 = 10;

fn back_of(q: &Pairs) -> String {
    safe_back(q.iter().find(|(k, _)| k == "_back").map(|(_, v)| v.as_str()))
}

/// What the form shows: values (from the record or from a rejected submission),
/// errors by field, and form-wide errors.
struct FormState<'a> {
    values: HashMap<&'static str, String>,
    errors: &'a [FieldError],
}

impl FormState<'_> {
    fn from_record(model: &dyn ModelAdmin, record: Option<&Record>) -> Self {
        let meta = model.meta();
        let values = meta
            .fields
            .iter()
            .enumerate()
            .map(|(i, f)| (f.name, record.map(|r| r.cells[i].form_value()).unwrap_or_default()))
            .collect();
        Self { values, errors: &[] }
    }

    /// Overlays what the user submitted for editable fields.
    fn with_submitted(
        mut self,
        staff: &admin_core::Staff,
        model: &dyn ModelAdmin,
        form: &FormData,
        creating: bool,
    ) -> Self {
        let meta = model.meta();
        for f in meta.fields {
            if editable(staff, meta, f, creating) {
                let v = match form.get(f.name) {
                    Some(v) => v.to_owned(),
                    None if f.kind == FieldKind::Boolean && !f.nullable => "0".to_owned(),
                    None => String::new(),
                };
                self.values.insert(f.name, v);
            }
        }
        self
    }
}

fn editable(staff: &admin_core::Staff, meta: &ModelMeta, f: &FieldMeta, creating: bool) -> bool {
    field_access(staff, meta, f, creating) == FieldAccess::Editable
}

struct Page<'a> {
    ctx: &'a Ctx,
    model: &'a dyn ModelAdmin,
    record: Option<&'a Record>,
    version: String,
    back: String,
    state: FormState<'a>,
    conflict: Vec<Value>,
}

impl Page<'_> {
    async fn render(self, status: StatusCode) -> Result<Response> {
        let meta = self.model.meta();
        let prefix = self.ctx.state.prefix();
        let creating = self.record.is_none();
        let may_change = self.ctx.may(self.model, if creating { "add" } else { "change" });
        let field_error = |name: &str| {
            self.state.errors.iter().find(|e| e.field.as_deref() == Some(name)).map(|e| e.message.as_str())
        };
        let fields: Vec<Value> = meta
            .fields
            .iter()
            .enumerate()
            .filter(|(_, f)| !(creating && f.primary_key && f.auto_increment))
            .filter(|(_, f)| field_access(&self.ctx.staff, meta, f, creating) != FieldAccess::Hidden)
            .map(|(i, f)| {
                let display = self.record.map_or(Cell::Null, |r| r.cells[i].clone());
                let value = self.state.values.get(f.name).cloned().unwrap_or_default();
                field_view(
                    prefix,
                    meta,
                    i,
                    &value,
                    &display,
                    !may_change || !editable(&self.ctx.staff, meta, f, creating),
                    field_error(f.name),
                )
            })
            .collect();
        let form_errors: Vec<&str> =
            self.state.errors.iter().filter(|e| e.field.is_none()).map(|e| e.message.as_str()).collect();
        let related = match self.record {
            Some(r) => self.related(r).await?,
            None => Vec::new(),
        };
        let actions: Vec<Value> = match self.record {
            Some(_) => self
                .ctx
                .state
                .registry
                .actions_for(meta.slug)
                .into_iter()
                .filter(|a| {
                    service::action_for(&self.ctx.staff, &self.ctx.state.registry, meta.slug, a.name())
                        .is_ok()
                })
                .map(|a| {
                    context! {
                        label => a.label(),
                        url => format!("{prefix}/{}/actions/{}", meta.slug, a.name()),
                        dangerous => a.policy().dangerous,
                    }
                })
                .collect(),
            None => Vec::new(),
        };
        let notes: Vec<Value> = match self.record {
            Some(r) => admin_core::notes::notes_for(&self.ctx.state.db, meta.slug, &r.key)
                .await?
                .into_iter()
                .map(|n| context! { author => n.author, body => n.body, at => n.created_at.format("%Y-%m-%d %H:%M").to_string() })
                .collect(),
            None => Vec::new(),
        };
        let pending: Vec<Value> = match self.record {
            Some(r) => admin_core::approval::open_for_record(&self.ctx.state.db, meta.slug, &r.key)
                .await?
                .into_iter()
                .map(|p| {
                    let label = self
                        .ctx
                        .state
                        .registry
                        .action_named(meta.slug, &p.action)
                        .map_or_else(|| p.action.clone(), |a| a.label().to_owned());
                    context! {
                        id => p.id, action => label, status => p.status, requester => p.requester,
                        url => format!("{prefix}/approvals/{}", p.id),
                    }
                })
                .collect(),
            None => Vec::new(),
        };
        let title =
            self.record.map_or_else(|| format!("Add {}", meta.label.to_lowercase()), |r| r.title(meta));
        let back_q = if self.back.is_empty() {
            String::new()
        } else {
            let mut s = form_urlencoded::Serializer::new(String::new());
            s.append_pair("_back", self.back.trim_start_matches('?'));
            format!("?{}", s.finish())
        };
        let ctx = context! {
            base => self.ctx.base(&title),
            model => context! { slug => meta.slug, label => meta.label, label_plural => meta.label_plural },
            title => title,
            creating => creating,
            key => self.record.map(|r| r.key.clone()),
            fields => fields,
            form_errors => form_errors,
            has_errors => !self.state.errors.is_empty(),
            version => self.version,
            back => self.back.trim_start_matches('?'),
            list_url => list_url(prefix, meta.slug, &self.back),
            action_url => match self.record {
                Some(r) => format!("{prefix}/{}/{}", meta.slug, url_path_segment(&r.key)),
                None => format!("{prefix}/{}/new", meta.slug),
            },
            may_change => may_change,
            delete_url => self.record.filter(|_| self.ctx.may(self.model, "delete")).map(|r| format!("{prefix}/{}/{}/delete{back_q}", meta.slug, url_path_segment(&r.key))),
            related => related,
            notes => notes,
            may_note => self.ctx.may(self.model, "note"),
            notes_url => self.record.map(|r| format!("{prefix}/{}/{}/notes", meta.slug, url_path_segment(&r.key))),
            actions => actions,
            pending => pending,
            conflict => self.conflict,
            history_url => self.record.map(|r| format!("{prefix}/{}/{}/history", meta.slug, url_path_segment(&r.key))),
            reason => context! {
                wanted => meta.reason_required || meta.fields.iter().any(|f| f.reason_required && editable(&self.ctx.staff, meta, f, creating)),
                always => meta.reason_required,
                fields => meta.fields.iter().filter(|f| f.reason_required && editable(&self.ctx.staff, meta, f, creating)).map(|f| f.label).collect::<Vec<_>>(),
                error => field_error("_reason"),
                max_length => admin_core::text::REASON,
            },
        };
        let html = self.ctx.state.templates.render(&Templates::chain(meta.slug, "detail.html"), ctx)?;
        Ok((status, html).into_response())
    }

    async fn related(&self, record: &Record) -> Result<Vec<Value>> {
        let prefix = self.ctx.state.prefix();
        let groups = service::related(
            &self.ctx.state.db,
            &self.ctx.staff,
            &self.ctx.state.registry,
            self.model,
            record,
            RELATED_LIMIT,
        )
        .await?;
        Ok(groups
            .into_iter()
            .map(|g| {
                let m = g.related.admin.meta();
                let fk = &m.fields[g.related.field];
                let cols: Vec<usize> = m
                    .list_display
                    .iter()
                    .copied()
                    .filter(|&i| i != g.related.field && !admin_core::permission::hidden(&self.ctx.staff, &m.fields[i]))
                    .collect();
                let columns: Vec<&str> = cols.iter().map(|&i| m.fields[i].label).collect();
                let rows: Vec<Value> = g
                    .rows
                    .iter()
                    .map(|r| {
                        let cells: Vec<Value> = cols.iter().map(|&i| cell_view(prefix, &m.fields[i], &r.cells[i])).collect();
                        context! { url => format!("{prefix}/{}/{}", m.slug, url_path_segment(&r.key)), cells => cells }
                    })
                    .collect();
                let mut s = form_urlencoded::Serializer::new(String::new());
                s.append_pair(fk.name, &record.key);
                context! {
                    label_plural => m.label_plural,
                    total => g.total,
                    total_phrase => m.count_phrase(g.total),
                    columns => columns,
                    rows => rows,
                    all_url => format!("{prefix}/{}/?{}", m.slug, s.finish()),
                    filterable => m.filters.contains(&g.related.field),
                }
            })
            .collect())
    }
}

/// `GET {prefix}/{model}/{id}`.
pub async fn show(
    ctx: Ctx,
    ModelParam(model): ModelParam,
    Path(path): Path<Pairs>,
    Query(q): Query<Pairs>,
) -> Result<Response> {
    let key = record_key(&path);
    let record = service::get(&ctx.state.db, &ctx.staff, model.as_ref(), &key).await?;
    let page = Page {
        ctx: &ctx,
        model: model.as_ref(),
        record: Some(&record),
        version: record.version(),
        back: back_of(&q),
        state: FormState::from_record(model.as_ref(), Some(&record)),
        conflict: Vec::new(),
    };
    page.render(StatusCode::OK).await
}

/// `POST {prefix}/{model}/{id}`: fields of the form, `csrf_token`, `_version`, `_back`.
pub async fn save(
    ctx: Ctx,
    ModelParam(model): ModelParam,
    Path(path): Path<Pairs>,
    Form(form): Form<Pairs>,
) -> Result<Response> {
    let form = FormData::from(form);
    ctx.check_csrf(csrf_of(&form))?;
    let key = record_key(&path);
    let meta = model.meta();
    let back = safe_back(form.get("_back"));
    let version = form.get("_version").unwrap_or("");
    let audit = ctx.audit(form.get("_reason"));
    match service::update(&ctx.state.db, &audit, model.as_ref(), &key, version, &form).await {
        Ok((record, changes)) => {
            let msg = if changes.is_empty() {
                format!("{} saved (nothing had changed).", record.title(meta))
            } else {
                format!("{} saved.", record.title(meta))
            };
            ctx.flash(&msg).await;
            let to = if form.get("_continue").is_some() {
                let mut s = form_urlencoded::Serializer::new(String::new());
                s.append_pair("_back", back.trim_start_matches('?'));
                format!(
                    "{}/{}/{}?{}",
                    ctx.state.prefix(),
                    meta.slug,
                    url_path_segment(&record.key),
                    s.finish()
                )
            } else {
                list_url(ctx.state.prefix(), meta.slug, &back)
            };
            Ok(Redirect::to(&to).into_response())
        }
        Err(CoreError::Invalid(errors)) => {
            let record = service::get(&ctx.state.db, &ctx.staff, model.as_ref(), &key).await?;
            let page = Page {
                ctx: &ctx,
                model: model.as_ref(),
                record: Some(&record),
                version: version.to_owned(),
                back,
                state: FormState { errors: &errors, ..FormState::from_record(model.as_ref(), Some(&record)) }
                    .with_submitted(&ctx.staff, model.as_ref(), &form, false),
                conflict: Vec::new(),
            };
            page.render(StatusCode::BAD_REQUEST).await
        }
        Err(CoreError::Conflict { current }) => {
            // Show what changed meanwhile next to what this person tried to save,
            // and offer their values again on top of the current version.
            let conflict: Vec<Value> = meta
                .fields
                .iter()
                .enumerate()
                .filter(|(_, f)| editable(&ctx.staff, meta, f, false))
                .filter_map(|(i, f)| {
                    let theirs = current.cells[i].form_value();
                    let yours = form.get(f.name).unwrap_or("");
                    // Compare values, not text: "09:30" and "09:30:00" are the same time.
                    let same = match (model.parse_value(i, &theirs), model.parse_value(i, yours)) {
                        (Ok(a), Ok(b)) => a == b,
                        _ => theirs == yours,
                    };
                    (!same).then(|| {
                        context! { label => f.label, now => meta.fields[i].display(&current.cells[i]), yours => yours }
                    })
                })
                .collect();
            let errors = [FieldError::form(
                "Someone else changed this record after you opened it, so nothing was saved. Their values are shown below; your values are filled in again, so you can review and save on top of theirs.",
            )];
            let page = Page {
                ctx: &ctx,
                model: model.as_ref(),
                record: Some(&current),
                version: current.version(),
                back,
                state: FormState {
                    errors: &errors,
                    ..FormState::from_record(model.as_ref(), Some(&current))
                }
                .with_submitted(&ctx.staff, model.as_ref(), &form, false),
                conflict,
            };
            page.render(StatusCode::CONFLICT).await
        }
        Err(e) => Err(e.into()),
    }
}

/// `GET {prefix}/{model}/new`.
pub async fn new_form(ctx: Ctx, ModelParam(model): ModelParam, Query(q): Query<Pairs>) -> Result<Response> {
    service::require(&ctx.staff, model.as_ref(), "add")?;
    let page = Page {
        ctx: &ctx,
        model: model.as_ref(),
        record: None,
        version: String::new(),
        back: back_of(&q),
        state: FormState::from_record(model.as_ref(), None),
        conflict: Vec::new(),
    };
    page.render(StatusCode::OK).await
}

/// `POST {prefix}/{model}/new`.
pub async fn create(ctx: Ctx, ModelParam(model): ModelParam, Form(form): Form<Pairs>) -> Result<Response> {
    let form = FormData::from(form);
    ctx.check_csrf(csrf_of(&form))?;
    let meta = model.meta();
    let back = safe_back(form.get("_back"));
    let audit = ctx.audit(form.get("_reason"));
    match service::create(&ctx.state.db, &audit, model.as_ref(), &form).await {
        Ok(record) => {
            ctx.flash(&format!("{} created.", record.title(meta))).await;
            let to = if form.get("_continue").is_some() {
                format!("{}/{}/{}", ctx.state.prefix(), meta.slug, url_path_segment(&record.key))
            } else {
                list_url(ctx.state.prefix(), meta.slug, &back)
            };
            Ok(Redirect::to(&to).into_response())
        }
        Err(CoreError::Invalid(errors)) => {
            let page = Page {
                ctx: &ctx,
                model: model.as_ref(),
                record: None,
                version: String::new(),
                back,
                state: FormState { errors: &errors, ..FormState::from_record(model.as_ref(), None) }
                    .with_submitted(&ctx.staff, model.as_ref(), &form, true),
                conflict: Vec::new(),
            };
            page.render(StatusCode::BAD_REQUEST).await
        }
        Err(e) => Err(e.into()),
    }
}
