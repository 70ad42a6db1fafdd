//! The inline tables of a record page (`#[admin(inlines(...))]`): the child rows
//! as form controls named `{child}-{n}-{field}` inside the parent's form, a delete
//! box per row, blank rows to add, and the submitted values and errors shown again
//! when the save is refused.

use admin_core::access::permission::FieldAccess;
use admin_core::kernel::field::Cell;
use admin_core::service::{InlineRows, row_prefix};
use admin_core::{FieldError, ForeignNames, FormData, Record};
use minijinja::{Value, context};

use crate::handlers::list::url_path_segment;
use crate::session::Ctx;
use crate::views::{cell_view_named, field_view};

/// What a re-shown form keeps of a refused submission.
pub(super) struct Submitted<'a> {
    pub(super) form: &'a FormData,
    pub(super) errors: &'a [FieldError],
    /// Keep the rows' versions as submitted (after errors); `false` takes the rows'
    /// current versions (after a conflict, to save on top of theirs).
    pub(super) keep_versions: bool,
}

impl Submitted<'_> {
    /// The submitted prefix of the existing row `key`, or of the `nth` new row.
    fn prefix_of(&self, slug: &str, key: Option<&str>, nth: usize) -> Option<String> {
        let start = format!("{slug}-");
        let mut prefixes: Vec<(usize, String)> = self
            .form
            .0
            .iter()
            .filter_map(|(k, _)| {
                let rest = k.strip_prefix(&start)?;
                let (n, _) = rest.split_once('-')?;
                n.parse::<usize>().ok().map(|n| (n, row_prefix(slug, n)))
            })
            .collect();
        prefixes.sort();
        prefixes.dedup();
        let key_of = |p: &str| self.form.get(&format!("{p}_key")).map(str::trim).filter(|k| !k.is_empty());
        match key {
            Some(key) => prefixes.into_iter().map(|(_, p)| p).find(|p| key_of(p) == Some(key)),
            None => prefixes.into_iter().map(|(_, p)| p).filter(|p| key_of(p).is_none()).nth(nth),
        }
    }

    fn error(&self, name: &str) -> Option<&str> {
        self.errors.iter().find(|e| e.field.as_deref() == Some(name)).map(|e| e.message.as_str())
    }

    /// The version a row prefixed `p` was sent with (kept only after errors) and
    /// whether it was marked for deletion.
    fn row_state(&self, p: &str) -> (Option<String>, bool) {
        let version =
            self.keep_versions.then(|| self.form.get(&format!("{p}_version")).map(str::to_owned)).flatten();
        (version, self.form.get(&format!("{p}_delete")) == Some("1"))
    }
}

/// The inline tables of `parent`'s page; `editable` when the person may change the
/// parent (the tables are part of its form). `names` are each group's foreign
/// names ([`admin_core::Service::foreign_names`] of its rows), in order.
pub(super) fn tables(
    ctx: &Ctx,
    (groups, names): (&[InlineRows], &[ForeignNames]),
    parent: &Record,
    editable: bool,
    submitted: Option<&Submitted<'_>>,
) -> Vec<Value> {
    groups.iter().zip(names).map(|(g, names)| table(ctx, (g, names), parent, editable, submitted)).collect()
}

fn table(
    ctx: &Ctx,
    (g, names): (&InlineRows, &ForeignNames),
    parent: &Record,
    editable: bool,
    submitted: Option<&Submitted<'_>>,
) -> Value {
    let (prefix, staff) = (ctx.state.prefix(), ctx.caller.staff());
    let child = &g.child;
    let meta = child.meta();
    let cols: Vec<usize> = child
        .columns
        .iter()
        .copied()
        .filter(|&i| child.access(staff, i, false) != FieldAccess::Hidden)
        .collect();
    let (may_change, may_delete, may_add) =
        (editable && g.may_change, editable && g.may_delete, editable && g.may_add);
    let cells = Cells { ctx, meta, names, submitted };
    let rows: Vec<Value> = g
        .rows
        .iter()
        .enumerate()
        .map(|(n, r)| {
            let p = row_prefix(meta.slug, n);
            let src = submitted.and_then(|s| s.prefix_of(meta.slug, Some(&r.key), 0));
            let cells: Vec<Value> = cols
                .iter()
                .map(|&i| {
                    let readonly = !may_change || child.access(staff, i, false) != FieldAccess::Editable;
                    cells.cell(i, &p, src.as_deref(), Some(r), readonly)
                })
                .collect();
            let sent = src.as_deref().zip(submitted);
            let (version, delete) = sent.map_or((None, false), |(s, sub)| sub.row_state(s));
            let version = version.unwrap_or_else(|| r.version());
            let row_error = sent.and_then(|(s, sub)| sub.error(&format!("{s}_row")));
            context! {
                prefix => p, key => &r.key, version => version, cells => cells, delete => delete,
                url => format!("{prefix}/{}/{}", meta.slug, url_path_segment(&r.key)),
                title => r.title(meta), error => row_error,
            }
        })
        .collect();
    let extra = if may_add { blank_rows(&cells, g, &cols) } else { Vec::new() };
    context! {
        slug => meta.slug,
        label_plural => meta.label_plural,
        total => g.total,
        total_phrase => meta.count_phrase(g.total),
        shown => g.rows.len(),
        columns => cols.iter().map(|&i| meta.fields[i].label).collect::<Vec<_>>(),
        rows => rows,
        extra => extra,
        may_change => may_change,
        may_delete => may_delete,
        editable => may_change || may_delete || may_add,
        all_url => (g.total > g.rows.len() as u64 && meta.filters.contains(&child.fk))
            .then(|| all_url(prefix, g, parent)),
    }
}

/// The child's list filtered by the parent, for a table that shows only its first
/// rows.
fn all_url(prefix: &str, g: &InlineRows, parent: &Record) -> String {
    let meta = g.child.meta();
    let mut q = form_urlencoded::Serializer::new(String::new());
    q.append_pair(meta.fields[g.child.fk].name, &parent.key);
    format!("{prefix}/{}/?{}", meta.slug, q.finish())
}

/// The blank rows to add children with: the inline's `extra`, or as many as the
/// refused form carried.
fn blank_rows(cells: &Cells<'_>, g: &InlineRows, cols: &[usize]) -> Vec<Value> {
    let (child, staff, submitted) = (&g.child, cells.ctx.caller.staff(), cells.submitted);
    let meta = child.meta();
    let mut extra = Vec::new();
    let typed =
        submitted.map_or(0, |s| (0..).take_while(|&j| s.prefix_of(meta.slug, None, j).is_some()).count());
    let wanted = usize::try_from(child.inline.extra).unwrap_or(0).max(typed);
    for j in 0..wanted {
        let p = row_prefix(meta.slug, g.rows.len() + j);
        let src = submitted.and_then(|s| s.prefix_of(meta.slug, None, j));
        let cells: Vec<Value> = cols
            .iter()
            .map(|&i| {
                let readonly = child.access(staff, i, true) != FieldAccess::Editable;
                cells.cell(i, &p, src.as_deref(), None, readonly)
            })
            .collect();
        let row_error = src.as_deref().zip(submitted).and_then(|(s, sub)| sub.error(&format!("{s}_row")));
        extra.push(context! { prefix => p, cells => cells, error => row_error });
    }
    extra
}

/// What every cell of one inline table needs.
struct Cells<'a> {
    ctx: &'a Ctx,
    meta: &'static admin_core::ModelMeta,
    names: &'a ForeignNames,
    submitted: Option<&'a Submitted<'a>>,
}

impl Cells<'_> {
    /// Field `i` of a row prefixed `p` (sent as `src` when the form came back), of
    /// `record` or a blank row.
    fn cell(&self, i: usize, p: &str, src: Option<&str>, record: Option<&Record>, readonly: bool) -> Value {
        let (ctx, meta, submitted, prefix) = (self.ctx, self.meta, self.submitted, self.ctx.state.prefix());
        let f = &meta.fields[i];
        let display = record.map_or(Cell::Null, |r| r.cells[i].clone());
        let typed = src
            .zip(submitted)
            .filter(|_| !readonly)
            .map(|(s, sub)| sub.form.get(&format!("{s}{}", f.name)).unwrap_or_default().to_owned());
        let value = typed.unwrap_or_else(|| display.form_value());
        let error = src.zip(submitted).and_then(|(s, sub)| sub.error(&format!("{s}{}", f.name)));
        let view = field_view(prefix, meta, i, &value, &display, readonly, error, ctx.reader());
        // A foreign key read here names the record it refers to.
        let shown = cell_view_named(prefix, f, &display, self.names, ctx.reader());
        context! { name => format!("{p}{}", f.name), id => format!("id_{p}{}", f.name), display => shown, ..view }
    }
}
