//! The detail/edit screen and the create screen.

use admin_core::access::permission::{FieldAccess, field_access, read_only_reason};
use admin_core::kernel::field::Cell;
use admin_core::list::view::visible_columns;
use admin_core::service::RelatedRows;
use admin_core::{ForeignNames, ModelMeta, Record};
use axum::extract::Query;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use minijinja::{Value, context};

pub use super::detail_form::BackQuery;
use super::detail_form::{FormState, back_query, editable};
pub use super::detail_save::{create, save};
use super::{Pairs, list_url};
use crate::error::Result;
use crate::extract::{ModelParam, RecordKey};
use crate::handlers::list::url_path_segment;
use crate::render::Templates;
use crate::session::Ctx;
use crate::views::{cell_view_named, field_view};

/// How many related records the detail page shows per model.
pub const RELATED_LIMIT: u64 = 10;

pub(super) struct Page<'a> {
    pub(super) ctx: &'a Ctx,
    pub(super) meta: &'static ModelMeta,
    pub(super) record: Option<&'a Record>,
    pub(super) version: String,
    pub(super) back: String,
    pub(super) state: FormState<'a>,
    pub(super) conflict: Vec<Value>,
    /// The changes to confirm before saving (see [`super::edit_review`]).
    pub(super) review: Option<Value>,
    /// A refused submission's inline rows, shown again (see [`super::inline`]).
    pub(super) submitted: Option<super::inline::Submitted<'a>>,
}

impl<'a> Page<'a> {
    /// The page of `record` (or the empty form without one) at the record's version.
    pub(super) fn new(
        ctx: &'a Ctx,
        meta: &'static ModelMeta,
        record: Option<&'a Record>,
        back: String,
        state: FormState<'a>,
    ) -> Self {
        let version = record.map(Record::version).unwrap_or_default();
        Self { ctx, meta, record, version, back, state, conflict: Vec::new(), review: None, submitted: None }
    }

    fn creating(&self) -> bool {
        self.record.is_none()
    }

    fn may(&self, op: &str) -> bool {
        self.ctx.service().may(&self.ctx.caller, self.meta.slug, op)
    }

    fn record_url(&self, r: &Record, tail: &str) -> String {
        format!("{}/{}/{}{tail}", self.ctx.state.prefix(), self.meta.slug, url_path_segment(&r.key))
    }

    pub(super) async fn render(self, status: StatusCode) -> Result<Response> {
        let (meta, prefix, creating) = (self.meta, self.ctx.state.prefix(), self.creating());
        let may_change = self.may(if creating { "add" } else { "change" });
        let title = self.record.map_or_else(
            || self.ctx.t("list-add", &[("noun", meta.label.to_lowercase().into())]),
            |r| r.title(meta),
        );
        let here = format!(
            "{}{}",
            self.record.map_or_else(|| format!("{prefix}/{}/new", meta.slug), |r| self.record_url(r, "")),
            back_query(&self.back)
        );
        let titles = self.fk_titles().await?;
        let names = match self.record {
            Some(r) => {
                self.ctx.service().foreign_names(&self.ctx.caller, meta.slug, std::slice::from_ref(r)).await?
            }
            None => ForeignNames::none(),
        };
        let page = FieldsPage { titles: &titles, here: &here, names: &names };
        let form_errors: Vec<&str> =
            self.state.errors.iter().filter(|e| e.field.is_none()).map(|e| e.message.as_str()).collect();
        let ctx = context! {
            base => self.ctx.base(&title),
            model => context! { slug => meta.slug, label => meta.label, label_plural => meta.label_plural },
            title => title,
            creating => creating,
            key => self.record.map(|r| r.key.clone()),
            fields => self.fields(may_change, &page),
            sections => self.sections(may_change, &page),
            form_errors => form_errors,
            has_errors => !self.state.errors.is_empty(),
            version => &self.version,
            back => self.back.trim_start_matches('?'),
            list_url => list_url(prefix, meta.slug, &self.back),
            action_url => self.record.map_or_else(|| format!("{prefix}/{}/new", meta.slug), |r| self.record_url(r, "")),
            may_change => may_change,
            // Seen but not changeable: the page says so once, with who can.
            why_read_only => (!may_change && !creating).then(|| {
                self.ctx.message(&admin_core::service::refusal_message(
                    self.ctx.caller.staff(),
                    meta.slug,
                    &meta.noun_plural(),
                    "change",
                ))
            }),
            delete_url => self.record.filter(|_| self.may("delete")).map(|r| self.record_url(r, &format!("/delete{}", back_query(&self.back)))),
            related => self.related().await?,
            inlines => self.inlines(may_change).await?,
            notes => self.notes().await?,
            may_note => self.may("note"),
            notes_url => self.record.map(|r| self.record_url(r, "/notes")),
            actions => self.actions(),
            pending => self.pending().await?,
            effects => self.effects().await?,
            effects_linked => self.ctx.caller.may("effects.view"),
            conflict => &self.conflict,
            review => &self.review,
            history_url => self.record.map(|r| self.record_url(r, "/history")),
            reason => self.reason(),
        };
        let html = self.ctx.state.templates.render(&Templates::chain(meta.slug, "detail.html"), ctx)?;
        Ok((status, html).into_response())
    }

    /// The names of the records the form's foreign keys point at.
    async fn fk_titles(&self) -> Result<std::collections::HashMap<String, String>> {
        let values: Vec<(&str, String)> = self
            .meta
            .fields
            .iter()
            .filter(|f| f.foreign_key.is_some())
            .filter_map(|f| {
                self.state.values.get(f.name).filter(|v| !v.is_empty()).map(|v| (f.name, v.clone()))
            })
            .collect();
        super::autocomplete::titles(self.ctx, self.meta, &values).await
    }

    /// The form's fields the user may see, read-only where they may not change them,
    /// in declaration order.
    fn fields(&self, may_change: bool, page: &FieldsPage<'_>) -> Vec<Value> {
        (0..self.meta.fields.len()).filter_map(|i| self.field(i, may_change, page)).collect()
    }

    /// The form's sections (see [`ModelMeta::sections`]) with the fields the user may
    /// see; a section left without any is not shown.
    fn sections(&self, may_change: bool, page: &FieldsPage<'_>) -> Vec<Value> {
        self.meta
            .sections()
            .into_iter()
            .enumerate()
            .filter_map(|(n, s)| {
                let fields: Vec<Value> =
                    s.fields.iter().filter_map(|&i| self.field(i, may_change, page)).collect();
                (!fields.is_empty()).then(|| {
                    context! {
                        id => format!("section-{n}"),
                        title => s.fieldset.map(|f| f.title),
                        description => s.fieldset.map(|f| f.description).filter(|d| !d.is_empty()),
                        fields => fields,
                    }
                })
            })
            .collect()
    }

    /// Field `i` as a form control, or `None` when it is not on this form (hidden
    /// from the user, or a key the database assigns to a new record).
    fn field(&self, i: usize, may_change: bool, page: &FieldsPage<'_>) -> Option<Value> {
        let (meta, staff, creating) = (self.meta, self.ctx.caller.staff(), self.creating());
        let f = &meta.fields[i];
        if creating && f.primary_key && f.auto_increment
            || field_access(staff, meta, f, creating) == FieldAccess::Hidden
        {
            return None;
        }
        let display = self.record.map_or(Cell::Null, |r| r.cells[i].clone());
        let value = self.state.values.get(f.name).cloned().unwrap_or_default();
        let readonly = !may_change || !editable(staff, meta, f, creating);
        let view = field_view(
            self.ctx.state.prefix(),
            meta,
            i,
            &value,
            &display,
            readonly,
            self.state.error(f.name),
            self.ctx.reader(),
        );
        let id = format!("id_{}", f.name);
        let spot = super::autocomplete::Spot { here: page.here, input_id: &id, submit: false };
        let autocomplete = (f.foreign_key.is_some() && !readonly)
            .then(|| {
                super::autocomplete::widget(
                    self.ctx,
                    meta,
                    f.name,
                    &spot,
                    page.titles.get(f.name).map(String::as_str),
                )
            })
            .flatten();
        // A foreign key names the record it refers to (as loaded; a value typed
        // into the form since shows its id).
        let named = self.record.is_some_and(|r| r.cells[i].form_value() == value);
        Some(context! {
            readonly_why => read_only_reason(staff, meta, f, creating),
            autocomplete => autocomplete,
            display => cell_view_named(self.ctx.state.prefix(), f, &display, page.names, self.ctx.reader()),
            fk_name => page.names.of(f, &display).filter(|_| named),
            ..view
        })
    }

    fn reason(&self) -> Value {
        let (meta, staff, creating) = (self.meta, self.ctx.caller.staff(), self.creating());
        let fields: Vec<&str> = meta
            .fields
            .iter()
            .filter(|f| f.reason_required && editable(staff, meta, f, creating))
            .map(|f| f.label)
            .collect();
        context! {
            wanted => meta.reason_required || !fields.is_empty(),
            always => meta.reason_required,
            fields => fields,
            error => self.state.error("_reason"),
            value => self.state.values.get("_reason"),
            max_length => admin_core::kernel::text::REASON,
        }
    }

    /// The actions the user may run on this record.
    fn actions(&self) -> Vec<Value> {
        if self.record.is_none() {
            return Vec::new();
        }
        let (slug, prefix) = (self.meta.slug, self.ctx.state.prefix());
        self.ctx
            .service()
            .actions(&self.ctx.caller, slug)
            .into_iter()
            .map(|a| {
                context! {
                    label => a.label(),
                    url => format!("{prefix}/{slug}/actions/{}", a.name()),
                    dangerous => a.policy().dangerous,
                }
            })
            .collect()
    }

    async fn notes(&self) -> Result<Vec<Value>> {
        let Some(r) = self.record else { return Ok(Vec::new()) };
        let notes = self.ctx.service().notes(&self.ctx.caller, self.meta.slug, &r.key).await?;
        Ok(notes
            .into_iter()
            .map(|n| context! { author => n.author, body => n.body, at => n.created_at.format("%Y-%m-%d %H:%M").to_string() })
            .collect())
    }

    /// The latest effects about this record (mail sent for it, …), with their state.
    async fn effects(&self) -> Result<Vec<Value>> {
        let Some(r) = self.record else { return Ok(Vec::new()) };
        let effects = self.ctx.service().effects_for_record(&self.ctx.caller, self.meta.slug, &r.key).await?;
        Ok(effects.iter().map(|e| super::effects::effect_row(self.ctx, e)).collect())
    }

    /// The approval requests still open on this record.
    async fn pending(&self) -> Result<Vec<Value>> {
        let Some(r) = self.record else { return Ok(Vec::new()) };
        let service = self.ctx.service();
        let open = service.approvals_for_record(&self.ctx.caller, self.meta.slug, &r.key).await?;
        Ok(open
            .into_iter()
            .map(|p| {
                let label = service
                    .registry()
                    .action_named(self.meta.slug, &p.action)
                    .map_or_else(|| p.action.clone(), |a| a.label().to_owned());
                context! {
                    id => p.id, action => label, status => p.status, requester => p.requester,
                    url => format!("{}/approvals/{}", self.ctx.state.prefix(), p.id),
                }
            })
            .collect())
    }

    async fn related(&self) -> Result<Vec<Value>> {
        let Some(record) = self.record else { return Ok(Vec::new()) };
        let service = self.ctx.service();
        let groups = service.related(&self.ctx.caller, self.meta.slug, record, RELATED_LIMIT).await?;
        // An inline child is shown in its own table, in the form.
        let inline = |g: &RelatedRows| self.meta.inlines.iter().any(|i| i.model == g.related.meta().slug);
        let mut out = Vec::with_capacity(groups.len());
        for g in groups.iter().filter(|g| !inline(g)) {
            let names = service.foreign_names(&self.ctx.caller, g.related.meta().slug, &g.rows).await?;
            out.push(self.related_group(record, g, &names));
        }
        Ok(out)
    }

    async fn inlines(&self, may_change: bool) -> Result<Vec<Value>> {
        let Some(record) = self.record.filter(|_| !self.meta.inlines.is_empty()) else {
            return Ok(Vec::new());
        };
        let service = self.ctx.service();
        let groups = service.inlines(&self.ctx.caller, self.meta.slug, record).await?;
        let mut names = Vec::with_capacity(groups.len());
        for g in &groups {
            names.push(service.foreign_names(&self.ctx.caller, g.child.meta().slug, &g.rows).await?);
        }
        let tables = (groups.as_slice(), names.as_slice());
        Ok(super::inline::tables(self.ctx, tables, record, may_change, self.submitted.as_ref()))
    }

    fn related_group(&self, record: &Record, g: &RelatedRows, names: &ForeignNames) -> Value {
        let prefix = self.ctx.state.prefix();
        let m = g.related.meta();
        let fk = &m.fields[g.related.field];
        let cols: Vec<usize> = visible_columns(m, self.ctx.caller.staff())
            .into_iter()
            .filter(|&i| i != g.related.field)
            .collect();
        let columns: Vec<&str> = cols.iter().map(|&i| m.fields[i].label).collect();
        let rows: Vec<Value> = g
            .rows
            .iter()
            .map(|r| {
                let cells: Vec<Value> = cols
                    .iter()
                    .map(|&i| cell_view_named(prefix, &m.fields[i], &r.cells[i], names, self.ctx.reader()))
                    .collect();
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
    }
}

/// `GET {prefix}/{model}/{id}`.
pub async fn show(
    ctx: Ctx,
    ModelParam(model): ModelParam,
    RecordKey(key): RecordKey,
    Query(q): Query<BackQuery>,
    Query(pairs): Query<Pairs>,
) -> Result<Response> {
    let meta = model.meta();
    let record = ctx.service().get(&ctx.caller, meta.slug, &key).await?;
    let mut state = FormState::from_record(meta, Some(&record), &[]);
    // A foreign key chosen on the pick page comes back in the address.
    state.values.extend(super::autocomplete::chosen(meta, ctx.caller.staff(), &pairs, false));
    Page::new(&ctx, meta, Some(&record), q.safe(), state).render(StatusCode::OK).await
}

/// The names of the records a form's foreign keys point at, by field name.
type Titles = std::collections::HashMap<String, String>;

/// What every field of a record form needs from the page: the names of the records
/// its foreign keys refer to (as stored and as typed) and the page's own address.
struct FieldsPage<'a> {
    titles: &'a Titles,
    here: &'a str,
    names: &'a ForeignNames,
}

/// `GET {prefix}/{model}/new`.
pub async fn new_form(
    ctx: Ctx,
    ModelParam(model): ModelParam,
    Query(q): Query<BackQuery>,
    Query(pairs): Query<Pairs>,
) -> Result<Response> {
    let meta = model.meta();
    ctx.service().require(&ctx.caller, meta.slug, "add")?;
    let mut state = FormState::from_record(meta, None, &[]);
    // A foreign key chosen on the pick page comes back in the address.
    state.values.extend(super::autocomplete::chosen(meta, ctx.caller.staff(), &pairs, true));
    Page::new(&ctx, meta, None, q.safe(), state).render(StatusCode::OK).await
}
