//! Reading lists: the list query (search, filters, sort, page), counts that stay
//! fast on large tables, keyset pages for deep pages, the search index and index
//! advice. Above [`crate::audit`]; the per-model implementation lives in
//! `registry`.

pub mod count;
pub mod drill;
pub mod index_advice;
pub mod query;
pub mod search_index;
pub mod seek;
pub(crate) mod typed;
pub mod view;
