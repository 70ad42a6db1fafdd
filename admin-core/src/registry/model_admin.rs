//! The object-safe admin operations of one model, independent of its Rust type.

use std::sync::Arc;

use sea_orm::{DatabaseConnection, DatabaseTransaction, Value};

use crate::access::permission::FieldAccess;
use crate::access::scope::RowScope;
use crate::audit;
use crate::kernel::error::Result;
use crate::kernel::record::{FormData, Record};
use crate::list::query::{ListQuery, ListResult, ModelFields};

use crate::kernel::{BoxFuture, Changes};

/// One model's admin operations, independent of its Rust type.
///
/// These are the raw data operations; permission checks and audit are done by the
/// callers in the service (`service`), so every path goes through the same checks.
pub trait ModelAdmin: ModelFields {
    /// One page of the list for `query`.
    fn list<'a>(
        &'a self,
        db: &'a DatabaseConnection,
        query: &'a ListQuery,
    ) -> BoxFuture<'a, Result<ListResult>>;

    /// The next page of an export of `query`, in the list's order: at most `limit`
    /// rows after `from` (where the previous page ended; [`ExportPosition::default`]
    /// for the first), and where this page ends. Each page is one short query, so a
    /// long export holds no connection or transaction while its reader is slow.
    fn export_page<'a>(
        &'a self,
        db: &'a DatabaseConnection,
        query: &'a ListQuery,
        from: &'a ExportPosition,
        limit: u64,
    ) -> BoxFuture<'a, Result<(Vec<Record>, ExportPosition)>>;

    /// [`ModelAdmin::export_page`] read in `txn`: an export job's chunk, which
    /// holds its job's row in that transaction.
    fn export_page_in<'a>(
        &'a self,
        txn: &'a DatabaseTransaction,
        query: &'a ListQuery,
        from: &'a ExportPosition,
        limit: u64,
    ) -> BoxFuture<'a, Result<(Vec<Record>, ExportPosition)>>;

    /// Every row matching `query` (for export), at most `limit`.
    fn export<'a>(
        &'a self,
        db: &'a DatabaseConnection,
        query: &'a ListQuery,
        limit: u64,
    ) -> BoxFuture<'a, Result<Vec<Record>>>;

    /// The record with primary key `key` (as text), if it exists within `scope`.
    fn get<'a>(
        &'a self,
        db: &'a DatabaseConnection,
        key: &'a str,
        scope: &'a RowScope,
    ) -> BoxFuture<'a, Result<Option<Record>>>;

    /// Creates a record from a form, with its audit entry in the same transaction;
    /// a record that would fall outside `scope` is refused (nothing is saved).
    fn create<'a>(
        &'a self,
        db: &'a DatabaseConnection,
        audit: &'a audit::Context,
        access: &'a [FieldAccess],
        form: &'a FormData,
        scope: &'a RowScope,
    ) -> BoxFuture<'a, Result<Record>>;

    /// Saves a form onto record `key`, if it still has version `version`, with its
    /// audit entry in the same transaction. `check` sees the changes before they are
    /// written and may refuse them (to require a reason, say). A record outside
    /// `scope` is not found; one the changes would move outside it is refused.
    #[allow(clippy::too_many_arguments)] // each is a distinct input of one save
    fn update<'a>(
        &'a self,
        db: &'a DatabaseConnection,
        audit: &'a audit::Context,
        access: &'a [FieldAccess],
        check: &'a (dyn Fn(&Changes) -> Result<()> + Send + Sync),
        key: &'a str,
        version: &'a str,
        form: &'a FormData,
        scope: &'a RowScope,
    ) -> BoxFuture<'a, Result<(Record, Changes)>>;

    /// Deletes record `key`, if it still has version `version`, with its audit entry
    /// in the same transaction.
    fn delete<'a>(
        &'a self,
        db: &'a DatabaseConnection,
        audit: &'a audit::Context,
        key: &'a str,
        version: &'a str,
    ) -> BoxFuture<'a, Result<Record>>;

    /// [`ModelAdmin::create`] inside the caller's transaction `txn` (for a save of
    /// several records at once); the caller commits.
    fn create_in<'a>(
        &'a self,
        txn: &'a DatabaseTransaction,
        audit: &'a audit::Context,
        access: &'a [FieldAccess],
        form: &'a FormData,
        scope: &'a RowScope,
    ) -> BoxFuture<'a, Result<Record>>;

    /// [`ModelAdmin::update`] inside the caller's transaction `txn`; the caller commits.
    #[allow(clippy::too_many_arguments)] // each is a distinct input of one save
    fn update_in<'a>(
        &'a self,
        txn: &'a DatabaseTransaction,
        audit: &'a audit::Context,
        access: &'a [FieldAccess],
        check: &'a (dyn Fn(&Changes) -> Result<()> + Send + Sync),
        key: &'a str,
        version: &'a str,
        form: &'a FormData,
        scope: &'a RowScope,
    ) -> BoxFuture<'a, Result<(Record, Changes)>>;

    /// [`ModelAdmin::update_in`] for several records at once, `(key, version,
    /// form)` each, in `txn`: read (and locked) in one query, then each written
    /// with its audit entry, in order. The first that fails stops it, with its
    /// error; the caller rolls back what was written before.
    #[allow(clippy::too_many_arguments)] // each is a distinct input of one save
    fn update_many_in<'a>(
        &'a self,
        txn: &'a DatabaseTransaction,
        audit: &'a audit::Context,
        access: &'a [FieldAccess],
        check: &'a (dyn Fn(&Changes) -> Result<()> + Send + Sync),
        rows: &'a [(String, String, FormData)],
        scope: &'a RowScope,
    ) -> BoxFuture<'a, Result<Vec<(Record, Changes)>>>;

    /// [`ModelAdmin::delete`] inside the caller's transaction `txn`, of a record within
    /// `scope` (one outside it is "no such record"); the caller commits.
    fn delete_in<'a>(
        &'a self,
        txn: &'a DatabaseTransaction,
        audit: &'a audit::Context,
        key: &'a str,
        version: &'a str,
        scope: &'a RowScope,
    ) -> BoxFuture<'a, Result<Record>>;

    /// The record `key` read in `txn` (row-locked on PostgreSQL), for an undo or a
    /// restore that writes it in the same transaction.
    fn get_for_write<'a>(
        &'a self,
        txn: &'a DatabaseTransaction,
        key: &'a str,
    ) -> BoxFuture<'a, Result<Option<Record>>>;

    /// Writes `(field, form text)` values onto record `key` in `txn`, through the
    /// model's active model (its `before_save` runs); no audit entry, no check: the
    /// door decided both.
    fn write_values<'a>(
        &'a self,
        txn: &'a DatabaseTransaction,
        key: &'a str,
        values: &'a [(usize, String)],
    ) -> BoxFuture<'a, Result<Record>>;

    /// Inserts a record with `(field, form text)` values (its key too) in `txn`;
    /// a key or unique value taken, or a missing related record, is `Refused` in words.
    fn insert_values<'a>(
        &'a self,
        txn: &'a DatabaseTransaction,
        values: &'a [(usize, String)],
    ) -> BoxFuture<'a, Result<Record>>;

    /// The records with these keys (those that exist within `scope`), in one query:
    /// the display names of a page's foreign keys.
    fn by_keys<'a>(
        &'a self,
        db: &'a DatabaseConnection,
        scope: &'a RowScope,
        keys: &'a [String],
    ) -> BoxFuture<'a, Result<Vec<Record>>>;

    /// The records within `scope` whose `field` holds one of `values` (as form
    /// text; a value the field cannot parse matches nothing), read in `txn`: an
    /// import finding the records its rows name, its own earlier rows included.
    fn where_in<'a>(
        &'a self,
        txn: &'a DatabaseTransaction,
        field: usize,
        values: &'a [String],
        scope: &'a RowScope,
    ) -> BoxFuture<'a, Result<Vec<Record>>>;

    /// Which of `keys` exist within `scope`.
    fn existing<'a>(
        &'a self,
        db: &'a DatabaseConnection,
        keys: &'a [String],
        scope: &'a RowScope,
    ) -> BoxFuture<'a, Result<std::collections::HashSet<String>>>;

    /// How many rows match `query`, counting no further than `cap` (so a count on a
    /// huge table stays cheap: the answer is then `cap`, meaning "at least").
    fn count_capped<'a>(
        &'a self,
        db: &'a DatabaseConnection,
        query: &'a ListQuery,
        cap: u64,
    ) -> BoxFuture<'a, Result<u64>>;

    /// How many rows within `scope` have `field = value`.
    fn count_where<'a>(
        &'a self,
        db: &'a DatabaseConnection,
        field: usize,
        value: Value,
        scope: &'a RowScope,
    ) -> BoxFuture<'a, Result<u64>>;

    /// The newest `limit` rows within `scope` with `field = value`.
    fn list_where<'a>(
        &'a self,
        db: &'a DatabaseConnection,
        field: usize,
        value: Value,
        limit: u64,
        scope: &'a RowScope,
    ) -> BoxFuture<'a, Result<Vec<Record>>>;

    /// Notes that this instance changed the model's rows outside this trait's own
    /// writes (an action, an approved request): remembered page anchors are dropped.
    fn touch(&self);

    /// Notes whether the model's search index is in place in this instance's
    /// database (as [`crate::list::search_index::ensure`] found or made it).
    fn note_search_index(&self, present: bool);

    /// The same model for another admin instance: nothing remembered is shared.
    fn fresh(&self) -> Arc<dyn ModelAdmin>;
}

/// Where a paged export (`ModelAdmin::export_page`) has got to: the sort key of
/// the last row read (when the order can be sought by key) and the rows read.
#[derive(Clone, Debug, Default)]
pub struct ExportPosition {
    pub(super) seek: Option<Vec<Value>>,
    pub(super) read: u64,
}

impl ExportPosition {
    /// Just after the row whose sort key is `seek` (its values in the order's
    /// columns: for an order by primary key, the key alone), `read` rows in.
    #[must_use]
    pub fn after(seek: Vec<Value>, read: u64) -> Self {
        Self { seek: Some(seek), read }
    }
}
