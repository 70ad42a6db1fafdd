use super::support::{ALICE, BOB, CAROL, PASSWORD, TestApp};

fn ids_in(body: &str, slug: &str) -> Vec<i64> {
    // Row links look like href="/admin/account/3?_back=...".
    let marker = format!("<th scope=\"row\"><a href=\"/admin/{slug}/");
    body.match_indices(&marker)
        .filter_map(|(i, _)| {
            let rest = &body[i + marker.len()..];
            rest[..rest.find(['?', '"']).unwrap()].parse().ok()
        })
        .collect()
}

#[tokio::test]
async fn list_shows_counts_labels_and_marks() {
    let app = TestApp::new(0).await;
    let mut c = app.signed_in().await;
    let r = c.get("/admin/account/").await;
    assert_eq!(r.status, 200);
    r.assert_contains("<title>Accounts · Ops console</title>");
    r.assert_contains("3 accounts");
    // Choices by label, booleans as marks, datetimes readable, newest first.
    r.assert_contains("Failed first charge");
    // The admin edits the review flag in place (list_editable); a viewer sees the mark.
    opsadmin::auth::create_user(&app.db, "vera", PASSWORD, &["viewer"], false).await.unwrap();
    let mut viewer = app.client();
    viewer.sign_in("vera", PASSWORD).await;
    viewer.get("/admin/account/").await.assert_contains("<span class=\"sr\">yes</span>");
    r.assert_contains("2026-03-05 09:30");
    assert_eq!(ids_in(&r.body, "account"), vec![CAROL, BOB, ALICE]);
}

#[tokio::test]
async fn search_is_a_case_insensitive_substring_over_search_fields() {
    let app = TestApp::new(0).await;
    let mut c = app.signed_in().await;
    let r = c.get("/admin/account/?q=ACME-42").await;
    assert_eq!(ids_in(&r.body, "account"), vec![CAROL, ALICE], "acme-42 and acme-420 match");
    let r = c.get("/admin/account/?q=globex%207").await;
    assert_eq!(ids_in(&r.body, "account"), vec![BOB], "company names are searched too");
    // LIKE wildcards are literal.
    let r = c.get("/admin/account/?q=%25").await;
    assert_eq!(ids_in(&r.body, "account"), Vec::<i64>::new());
    r.assert_contains("No accounts match this search and these filters.");
}

#[tokio::test]
async fn every_filter_kind_returns_the_right_rows() {
    let app = TestApp::new(0).await;
    let mut c = app.signed_in().await;
    // Choice.
    let r = c.get("/admin/account/?plan=annual").await;
    assert_eq!(ids_in(&r.body, "account"), vec![BOB]);
    r.assert_contains("Plan: <strong>Annual</strong>");
    // Boolean.
    let r = c.get("/admin/account/?locked=1").await;
    assert_eq!(ids_in(&r.body, "account"), vec![CAROL]);
    let r = c.get("/admin/account/?manual_review=0").await;
    assert_eq!(ids_in(&r.body, "account"), vec![CAROL, ALICE]);
    // Date range, both ends inclusive.
    let r = c.get("/admin/account/?signup_at__from=2026-02-20&signup_at__to=2026-03-05").await;
    assert_eq!(ids_in(&r.body, "account"), vec![CAROL, BOB]);
    let r = c.get("/admin/account/?signup_at__to=2026-01-10").await;
    assert_eq!(ids_in(&r.body, "account"), vec![ALICE]);
    // Foreign key by id.
    let r = c.get(&format!("/admin/invoice/?account_id={ALICE}")).await;
    assert_eq!(ids_in(&r.body, "invoice"), vec![2, 1]);
    let r = c.get(&format!("/admin/invoice/?account_id={BOB}")).await;
    assert_eq!(ids_in(&r.body, "invoice"), Vec::<i64>::new());
    // Combined with search.
    let r = c.get("/admin/account/?q=acme&plan=trial").await;
    assert_eq!(ids_in(&r.body, "account"), vec![ALICE]);
}

#[tokio::test]
async fn active_filters_are_removable_one_by_one_and_links_keep_the_query() {
    let app = TestApp::new(0).await;
    let mut c = app.signed_in().await;
    let r = c.get("/admin/account/?q=acme&plan=trial&sort=email").await;
    // Removing the plan filter keeps the search and the sort.
    r.assert_contains("href=\"/admin/account/?q=acme&amp;sort=email\" aria-label=\"Remove filter Plan\"");
    // Removing the search keeps the filter and the sort.
    r.assert_contains(
        "href=\"/admin/account/?plan=trial&amp;sort=email\" aria-label=\"Remove filter Search\"",
    );
    // A sort header keeps search and filters.
    r.assert_contains("href=\"/admin/account/?q=acme&amp;plan=trial&amp;sort=-email\"");
    // Record links carry the list query so saving returns to the same list.
    r.assert_contains("/admin/account/1?_back=q%3Dacme%26plan%3Dtrial%26sort%3Demail");
}

#[tokio::test]
async fn sorting_by_listed_fields_both_ways() {
    let app = TestApp::new(0).await;
    let mut c = app.signed_in().await;
    let r = c.get("/admin/account/?sort=email").await;
    assert_eq!(ids_in(&r.body, "account"), vec![ALICE, BOB, CAROL]);
    r.assert_contains("aria-sort=\"ascending\"");
    let r = c.get("/admin/account/?sort=-signup_at").await;
    assert_eq!(ids_in(&r.body, "account"), vec![CAROL, BOB, ALICE]);
    let r = c.get("/admin/account/?sort=company").await;
    assert_eq!(ids_in(&r.body, "account"), vec![ALICE, CAROL, BOB]);
}

#[tokio::test]
async fn pagination_walks_every_row_once() {
    let app = TestApp::new(247).await; // 250 accounts, 100 per page
    let mut c = app.signed_in().await;
    let mut seen = Vec::new();
    for page in 1..=3 {
        let r = c.get(&format!("/admin/account/?page={page}")).await;
        assert_eq!(r.status, 200);
        r.assert_contains("250 accounts");
        seen.extend(ids_in(&r.body, "account"));
    }
    assert_eq!(seen.len(), 250);
    seen.sort_unstable();
    seen.dedup();
    assert_eq!(seen.len(), 250);
    let r = c.get("/admin/account/?page=2").await;
    r.assert_contains("showing 101–200");
    r.assert_contains("href=\"/admin/account/?page=3\" rel=\"next\"");
    r.assert_contains("href=\"/admin/account/\" rel=\"prev\"");
}

#[tokio::test]
async fn bad_parameters_show_the_list_with_a_message_never_a_500() {
    let app = TestApp::new(0).await;
    let mut c = app.signed_in().await;
    let cases = [
        ("page=abc", "“abc” is not a page number; showing page 1."),
        ("page=0", "Pages start at 1; showing page 1."),
        ("page=-3", "“-3” is not a page number"),
        ("page=99", "There is no page 99; showing the last page, 1."),
        ("sort=password", "The list cannot be sorted by “password”"),
        ("sort=updated_at", "cannot be sorted by “updated_at”"),
        ("plan=platinum", "“platinum” is not a valid Plan filter"),
        ("locked=maybe", "“maybe” is not a valid Locked filter"),
        ("signup_at__from=2026-13-01", "“2026-13-01” is not a date for Signed up"),
        ("email=x", "“email” is not a filter of this list"),
        ("company__from=2020-01-01", "“company__from” is not a filter of this list"),
    ];
    for (qs, message) in cases {
        let r = c.get(&format!("/admin/account/?{qs}")).await;
        assert_eq!(r.status, 200, "{qs}");
        r.assert_contains(message);
        assert_eq!(r.row_count(), 3, "{qs}: the list is shown without the bad parameter");
    }
    // Invalid UTF-8 and absurd lengths are still no 500.
    let r = c.get(&format!("/admin/account/?q={}", "x".repeat(5000))).await;
    assert_eq!(r.status, 200);
    let r = c.get("/admin/account/?q=%FF%FE").await;
    assert!(r.status.is_success() || r.status.is_client_error(), "{}", r.status);
}

#[tokio::test]
async fn csv_export_follows_the_filters_and_defuses_formulas() {
    let app = TestApp::new(0).await;
    let mut c = app.signed_in().await;
    // A company name that a spreadsheet would run as a formula.
    let (_, mut form) = c.edit_form(&format!("/admin/account/{BOB}")).await;
    for (k, v) in [
        ("email", "user2@globex-7-inc.example"),
        ("company", "=HYPERLINK(\"http://evil\",\"x\")"),
        ("plan", "annual"),
        ("signup_at", "2026-02-20T09:30:00"),
        ("manual_review", "1"),
    ] {
        form.push((k.to_owned(), v.to_owned()));
    }
    let r = c.post(&format!("/admin/account/{BOB}"), &super::support::refs(&form)).await;
    assert_eq!(r.status, 303, "{}", r.body);
    let r = c.get("/admin/account/export.csv?plan=annual").await;
    assert_eq!(r.status, 200);
    assert!(r.headers["content-type"].to_str().unwrap().starts_with("text/csv"));
    let lines: Vec<&str> = r.body.lines().collect();
    assert_eq!(lines[0], "ID,Email,Company,Plan,Billing state,Last payment result,Manual review,Signed up");
    assert_eq!(lines.len(), 2, "{}", r.body);
    assert!(lines[1].contains("\"'=HYPERLINK(\"\"http://evil\"\",\"\"x\"\")\""), "{}", lines[1]);
    assert!(lines[1].contains(",Annual,OK,,yes,"), "{}", lines[1]);
}

#[tokio::test]
async fn a_yes_no_filter_reads_every_spelling_the_forms_accept_and_says_which() {
    let app = TestApp::new(0).await;
    let mut c = app.signed_in().await;
    // The list reads a yes/no filter with the forms' own parser, so what filters
    // the rows is also what the page says and which choice it marks.
    for yes in ["1", "true", "TRUE", "yes", "On", "%20yes%20"] {
        let r = c.get(&format!("/admin/account/?locked={yes}")).await;
        assert_eq!(ids_in(&r.body, "account"), vec![CAROL], "{yes}");
        r.assert_contains("<strong>yes</strong>");
        r.assert_contains("<strong aria-current=\"true\">Yes</strong>");
    }
    for no in ["0", "false", "No", "OFF"] {
        let r = c.get(&format!("/admin/account/?locked={no}")).await;
        assert_eq!(ids_in(&r.body, "account"), vec![BOB, ALICE], "{no}");
        r.assert_contains("<strong>no</strong>");
        r.assert_contains("<strong aria-current=\"true\">No</strong>");
    }
    // What the forms refuse, the list refuses too, and says so.
    let r = c.get("/admin/account/?locked=maybe").await;
    assert_eq!(r.status, 200);
    r.assert_contains("Choose yes or no");
    assert_eq!(ids_in(&r.body, "account"), vec![CAROL, BOB, ALICE]);
    r.assert_contains("<strong aria-current=\"true\">All</strong>");
}

/// An export longer than one page of the database read (`service::EXPORT_PAGE`)
/// streams every row once, in the list's order, and defuses a formula on a later
/// page as on the first.
#[tokio::test]
async fn a_csv_export_longer_than_a_page_streams_every_row_once() {
    let extra = usize::try_from(admin_core::service::EXPORT_PAGE).unwrap() * 2 + 500;
    let app = TestApp::new(extra).await;
    let mut c = app.signed_in().await;
    // Far enough down the list to be read by a later page.
    let (_, mut form) = c.edit_form("/admin/account/700").await;
    for (k, v) in [
        ("email", "user700@hooli-700-llc.example"),
        ("company", "@SUM(1+1)*cmd|' /C calc'!A0"),
        ("plan", "free"),
        ("signup_at", "2025-06-01T09:30:00"),
    ] {
        form.push((k.to_owned(), v.to_owned()));
    }
    let r = c.post("/admin/account/700", &super::support::refs(&form)).await;
    assert_eq!(r.status, 303, "{}", r.body);
    let r = c.get("/admin/account/export.csv").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.headers["content-disposition"].to_str().unwrap(), "attachment; filename=\"account.csv\"");
    let lines: Vec<&str> = r.body.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(lines[0], "ID,Email,Company,Plan,Billing state,Last payment result,Manual review,Signed up");
    let ids: Vec<i64> = lines[1..].iter().map(|l| l.split(',').next().unwrap().parse().unwrap()).collect();
    assert_eq!(ids.len(), extra + 3, "every row once");
    let mut sorted = ids.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(sorted.len(), ids.len(), "no row twice");
    assert_eq!(sorted, (1..=i64::try_from(extra).unwrap() + 3).collect::<Vec<_>>());
    let row = lines.iter().find(|l| l.starts_with("700,")).unwrap();
    assert!(row.contains(",'@SUM(1+1)*cmd|' /C calc'!A0,"), "{row}");
    let plain = lines.iter().find(|l| l.starts_with("2000,")).unwrap();
    assert!(plain.contains(",Hooli 2000 LLC,"), "{plain}");
}
