use super::*;
use crate::access::permission::Permissions;
use crate::kernel::field::{Cell, parse_bool};
use crate::kernel::model::FieldMeta;
use crate::kernel::record::Record;
use crate::list::count::Count;
use crate::list::query::ModelFields;

const fn field(name: &'static str, kind: FieldKind) -> FieldMeta {
    FieldMeta {
        name,
        label: name,
        help: "",
        kind,
        nullable: false,
        primary_key: false,
        auto_increment: false,
        readonly: false,
        choices: None,
        foreign_key: None,
        reason_required: false,
        hidden_for: &[],
        readonly_for: &[],
        column: name,
        decimal_digits: None,
        max_length: 100,
        multiline: false,
        money: None,
        widget: crate::kernel::form::Widget::auto(kind, false, false, false, false),
        blank: false,
        unique: false,
    }
}

static FIELDS: [FieldMeta; 3] =
    [field("id", FieldKind::Integer), field("name", FieldKind::Text), field("active", FieldKind::Boolean)];

static META: ModelMeta = ModelMeta {
    slug: "thing",
    label: "Thing",
    label_plural: "Things",
    fields: &FIELDS,
    pk: 0,
    list_display: &[0, 1, 2],
    search: &[1],
    filters: &[2],
    ordering: &[(0, true)],
    per_page: 10,
    reason_required: false,
    list_editable: &[],
    fieldsets: &[],
    display: None,
    inlines: &[],
};

/// Parses filter values the way the registry does for a `bool` field: through the
/// field's own parser.
struct Things;

impl ModelFields for Things {
    fn meta(&self) -> &'static ModelMeta {
        &META
    }
    fn parse_value(&self, field: usize, raw: &str) -> Result<sea_orm::Value, String> {
        match field {
            2 => parse_bool(raw).map(sea_orm::Value::from),
            _ => Ok(sea_orm::Value::from(raw.to_owned())),
        }
    }
}

fn staff() -> Staff {
    Staff {
        id: 1,
        username: "sue".to_owned(),
        is_superuser: true,
        roles: Vec::new(),
        permissions: Permissions::default(),
    }
}

fn query(params: &[(&str, &str)]) -> ListQuery {
    let params: Params = params.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
    ListQuery::parse(&Things, &params, &staff())
}

fn active_option(q: &ListQuery) -> String {
    match &filter_choices(&META, q)[0] {
        FilterChoice::Options { options, .. } => {
            options.iter().find(|o| o.active).map(|o| o.label.clone()).unwrap_or_default()
        }
        other => panic!("a yes/no filter offers options, not {other:?}"),
    }
}

#[test]
fn the_list_filter_accepts_what_the_field_parser_accepts_and_says_the_same() {
    for raw in ["1", "true", "on", "yes", "YES", " True ", "0", "false", "off", "no", "No", "OFF"] {
        let want = parse_bool(raw).expect("the field parser accepts it");
        let q = query(&[("active", raw)]);
        assert!(q.messages.is_empty(), "{raw:?} was refused: {:?}", q.messages);
        assert_eq!(q.filters.len(), 1, "{raw:?} filters the list");
        let active = active_filters(&META, &q);
        assert_eq!(active[0].value, if want { "yes" } else { "no" }, "{raw:?}");
        assert_eq!(active_option(&q), if want { "Yes" } else { "No" }, "{raw:?}");
    }
    // What the field parser refuses, the list refuses too, and says so.
    for raw in ["maybe", "2", "y"] {
        assert!(parse_bool(raw).is_err());
        let q = query(&[("active", raw)]);
        assert!(q.filters.is_empty(), "{raw:?}");
        assert_eq!(q.messages.len(), 1, "{raw:?}");
        assert_eq!(active_option(&q), "All");
    }
}

#[test]
fn columns_show_the_default_order_until_a_sort_is_asked_for() {
    let cols = columns(&META, &query(&[]));
    assert_eq!(cols.iter().map(|c| c.field).collect::<Vec<_>>(), vec![0, 1, 2]);
    assert_eq!(cols[0].sorted, Some("desc"));
    assert_eq!(cols[0].sort_param, "id");
    assert!(cols[0].numeric && !cols[1].numeric);
    let cols = columns(&META, &query(&[("sort", "name")]));
    assert_eq!(cols[0].sorted, None);
    assert_eq!(cols[1].sorted, Some("asc"));
    assert_eq!(cols[1].sort_param, "-name", "a second click sorts the other way");
}

#[test]
fn page_numbers_keep_the_ends_and_the_neighbourhood() {
    let n = |v: &[u64]| v.iter().map(|&x| if x == 0 { None } else { Some(x) }).collect::<Vec<_>>();
    assert_eq!(page_numbers(1, 1), n(&[1]));
    assert_eq!(page_numbers(1, 5), n(&[1, 2, 3, 4, 5]));
    assert_eq!(page_numbers(10, 20), n(&[1, 2, 0, 8, 9, 10, 11, 12, 0, 19, 20]));
    assert_eq!(page_numbers(u64::MAX, u64::MAX).len(), 6, "no overflow at the end of the range");
}

fn result(page: u64, rows: usize, total: u64, deep: bool) -> ListResult {
    let rows = (0..rows)
        .map(|i| Record::new(format!("k{i}"), vec![Cell::Int(i as i64), Cell::Null, Cell::Bool(true)]))
        .collect();
    ListResult { rows, count: Count::Exact(total), page, per_page: 10, has_next: page * 10 < total, deep }
}

#[test]
fn pagination_counts_rows_and_continues_deep_pages_from_their_edges() {
    let p = pagination(&result(2, 10, 35, false));
    assert_eq!((p.page, p.pages, p.first_row, p.last_row), (2, 4, 11, 20));
    assert_eq!(p.prev, Some(PageLink { page: 1, cursor: None }));
    assert_eq!(
        p.next.as_ref().map(|l| l.params(Vec::new())),
        Some(vec![("page".to_owned(), "3".to_owned())])
    );
    let p = pagination(&result(3, 10, 35, true));
    let next = p.next.unwrap().params(vec![("q".to_owned(), "x".to_owned())]);
    assert_eq!(next, [("q", "x"), ("page", "4"), ("after", "k9")].map(|(a, b)| (a.to_owned(), b.to_owned())));
    assert_eq!(p.prev.unwrap().cursor, Some(("before", "k0".to_owned())));
    let p = pagination(&result(1, 0, 0, false));
    assert_eq!((p.first_row, p.last_row, p.prev, p.next), (0, 0, None, None));
}

#[test]
fn a_page_past_the_end_is_explained() {
    let q = query(&[("page", "9")]);
    assert_eq!(messages(&q, &result(4, 5, 35, false)), ["There is no page 9; showing the last page, 4."]);
    assert!(messages(&q, &result(1, 0, 0, false)).is_empty(), "an empty list has no last page to show");
}
