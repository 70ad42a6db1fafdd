//! The door's imports and export jobs: a CSV file read into an import, its
//! columns matched to fields, its preview, its confirmation and its failed rows;
//! a list exported to a file by a job, and that file read back.

use super::prelude::*;
use crate::job::export_run::ExportSpec;
use crate::job::files::ImportSummary;
use crate::job::import::{ImportFields, ImportSpec, read_csv};
use crate::job::{self, Job, JobItem, JobKind, JobState};

/// What anyone but an import's requester is told about its rows.
pub const IMPORT_ROWS_REFUSED: &str = "Only the person who imported the file sees its rows: they hold what the file said, about records you may not see.";

/// The most rows an export job writes.
pub const EXPORT_JOB_LIMIT: u64 = 5_000_000;

impl Service {
    /// Refuses unless the caller may import the model's records (`{model}.import`).
    fn require_import(&self, caller: &Caller, slug: &str) -> Result<&'static ModelMeta> {
        let meta = self.model(slug)?;
        caller.require(
            &crate::service::permission(slug, "import"),
            &format!("You cannot import {}.", meta.noun_plural()),
        )?;
        Ok(meta)
    }

    /// What the caller may do with the model's fields in an import.
    ///
    /// # Errors
    /// `NotFound` for an unknown model; `Forbidden` without `{model}.import`.
    pub fn import_fields(&self, caller: &Caller, slug: &str) -> Result<ImportFields> {
        let meta = self.require_import(caller, slug)?;
        Ok(ImportFields::new(caller.staff(), meta))
    }

    /// Reads an uploaded CSV file into a new import of the model's records, its
    /// columns matched to fields as the caller's previous import of the model
    /// did, else by name (state `draft`, audited `job:created`). Nothing is
    /// checked or written until the columns are confirmed
    /// ([`Service::match_import`]).
    ///
    /// # Errors
    /// `Forbidden` without `{model}.import`; `BadRequest` for a file that cannot
    /// be read, in words; `Invalid` (on `reason`) for a reason that cannot be kept.
    pub async fn start_import(
        &self,
        caller: &Caller,
        slug: &str,
        file_name: &str,
        bytes: &[u8],
    ) -> Result<i64> {
        let fields = self.import_fields(caller, slug)?;
        if let Some(e) = crate::service::reason_error(caller.context(), "reason") {
            return Err(Error::Invalid(vec![e]));
        }
        let file = read_csv(bytes).map_err(Error::BadRequest)?;
        let remembered = job::files::remembered(&self.db, caller.staff().id, slug).await?;
        let name: String = file_name.chars().filter(|c| !c.is_control()).take(200).collect();
        let spec = ImportSpec::guess(&name, &file.header, &fields, remembered.as_ref());
        job::files::create_import(&self.db, &self.registry, caller.context(), slug, (&file, &spec)).await
    }

    /// An import of the caller's, with its stored matching.
    async fn own_import(&self, caller: &Caller, id: i64) -> Result<(Job, ImportSpec)> {
        let j = self.job(caller, id).await?;
        let not_import = || Error::NotFound(format!("Background job {id} is not an import."));
        if j.kind != JobKind::Import {
            return Err(not_import());
        }
        let row = job::files::input(&self.db, id).await?;
        let spec: ImportSpec = serde_json::from_str(&row).map_err(|_| not_import())?;
        Ok((j, spec))
    }

    /// The import `id` and how its columns are matched, for anyone who sees the job.
    ///
    /// # Errors
    /// `NotFound` as [`Service::job`], or for a job that is not an import.
    pub async fn import(&self, caller: &Caller, id: i64) -> Result<(Job, ImportSpec)> {
        self.own_import(caller, id).await
    }

    /// Matches import `id`'s columns to fields (`mapping`: per column, a field
    /// name or none) and chooses the field that matches rows to records; the
    /// caller's reason goes with every write. Every row is then checked again by
    /// the worker (state `checking`): the import's requester only.
    ///
    /// # Errors
    /// `Refused` for anyone else; `Forbidden` without `{model}.import`; `Invalid` (on
    /// `mapping`) with every problem of the matching; `Refused` once confirmed.
    pub async fn match_import(
        &self,
        caller: &Caller,
        id: i64,
        mapping: Vec<Option<String>>,
        key: Option<String>,
    ) -> Result<Job> {
        let (j, spec) = self.own_import(caller, id).await?;
        if j.requester_id != caller.staff().id {
            return Err(Error::Refused(
                "Only the person who uploaded the file can match its columns.".to_owned(),
            ));
        }
        let fields = self.import_fields(caller, &j.model)?;
        if let Some(e) = crate::service::reason_error(caller.context(), "reason") {
            return Err(Error::Invalid(vec![e]));
        }
        let mut mapping = mapping;
        mapping.resize(spec.header.len(), None);
        let key = key.filter(|k| !k.is_empty());
        let spec = ImportSpec { mapping, key, ..spec };
        spec.check(&fields).map_err(|errors| {
            Error::Invalid(
                errors.into_iter().map(|m| crate::kernel::error::FieldError::field("mapping", m)).collect(),
            )
        })?;
        job::files::rematch((&self.db, &self.registry), caller.context(), id, &spec).await?;
        self.job(caller, id).await
    }

    /// Confirms import `id` after its preview: the worker writes its rows. The
    /// import's requester only; confirming one already confirmed changes nothing.
    ///
    /// # Errors
    /// As [`Service::match_import`]; `Refused` while its rows are being checked.
    pub async fn confirm_import(&self, caller: &Caller, id: i64) -> Result<Job> {
        let (j, _) = self.own_import(caller, id).await?;
        if j.requester_id != caller.staff().id {
            return Err(Error::Refused("Only the person who uploaded the file can confirm it.".to_owned()));
        }
        self.require_import(caller, &j.model)?;
        if matches!(j.state, JobState::Queued | JobState::Running | JobState::Done) {
            return Ok(j);
        }
        job::files::confirm((&self.db, &self.registry), caller.context(), id).await?;
        self.job(caller, id).await
    }

    /// What import `id`'s rows do, or would do.
    ///
    /// # Errors
    /// As [`Service::import`].
    pub async fn import_summary(&self, caller: &Caller, id: i64) -> Result<ImportSummary> {
        self.own_import(caller, id).await?;
        job::files::summary(&self.db, id).await
    }

    /// Import `id`'s rows that `op` (`create` or `update`, checked and waiting or
    /// written) or that are in `state` (`failed`, `skipped`), in file order after
    /// `after_seq`: for its requester only, since they hold what the file said
    /// (cells of every column, records of any scope).
    ///
    /// # Errors
    /// As [`Service::import`]; `Refused` for anyone else.
    pub async fn import_rows(
        &self,
        caller: &Caller,
        id: i64,
        (state, op): (Option<&str>, Option<&str>),
        after_seq: i64,
        limit: u64,
    ) -> Result<Vec<JobItem>> {
        let (j, _) = self.own_import(caller, id).await?;
        if j.requester_id != caller.staff().id {
            return Err(Error::Refused(IMPORT_ROWS_REFUSED.to_owned()));
        }
        job::files::rows(&self.db, id, (state, op), after_seq, limit.min(1_000)).await
    }

    /// Starts an export of the model's list for `query` (a list's query string:
    /// search and filters) as a background job writing a CSV file, in primary-key
    /// order, the list's columns the caller sees; audited `job:created`.
    ///
    /// # Errors
    /// `Forbidden` without `{model}.export`; `BadRequest` for a search or filter
    /// the list could not use; `Refused` past [`EXPORT_JOB_LIMIT`] rows.
    pub async fn start_export_job(&self, caller: &Caller, slug: &str, query: &str) -> Result<i64> {
        let admin = Arc::clone(self.admin(slug)?);
        crate::service::require(caller.staff(), admin.as_ref(), "export")?;
        let meta = admin.meta();
        let q = query.trim_start_matches('?');
        let params: Vec<(String, String)> = form_urlencoded::parse(q.as_bytes())
            .into_owned()
            .filter(|(k, _)| !matches!(k.as_str(), "page" | "after" | "before" | "per_page" | "o"))
            .collect();
        let list = self.query(caller, slug, &params)?;
        if !list.messages.is_empty() {
            return Err(Error::BadRequest(format!("{} Nothing was exported.", list.messages.join(" "))));
        }
        let total = self.count(caller, slug, &list, EXPORT_JOB_LIMIT + 1).await?;
        if total > EXPORT_JOB_LIMIT {
            return Err(Error::Refused(format!(
                "This list has more than {} {}, more than one export may hold. Narrow it with a search or filters.",
                crate::kernel::text::thousands(EXPORT_JOB_LIMIT),
                meta.noun_plural()
            )));
        }
        let columns: Vec<String> = meta
            .list_display
            .iter()
            .map(|&i| &meta.fields[i])
            .filter(|f| !crate::access::permission::hidden(caller.staff(), f))
            .map(|f| f.name.to_owned())
            .collect();
        let spec = ExportSpec { columns };
        let header = crate::kernel::csv_text::lines([job::export_run::header(meta, &spec)])
            .map_err(|e| Error::Internal(e.to_string()))?;
        let kept = form_urlencoded::Serializer::new(String::new()).extend_pairs(&params).finish();
        job::files::create_export(
            (&self.db, &self.registry),
            caller.context(),
            (slug, &kept),
            (&spec, &header, total as i64),
        )
        .await
    }

    /// Part `seq` of export job `id`'s file (0 is the header), for its requester
    /// while they may still export the model, once it is done; `None` past the
    /// last part.
    ///
    /// # Errors
    /// `NotFound` as [`Service::job`]; `Refused` for anyone else, before it is
    /// done, or once its file was deleted.
    pub async fn export_file_part(&self, caller: &Caller, id: i64, seq: i64) -> Result<Option<String>> {
        let j = self.job(caller, id).await?;
        if j.kind != JobKind::Export {
            return Err(Error::NotFound(format!("Background job {id} is not an export.")));
        }
        if j.requester_id != caller.staff().id {
            return Err(Error::Refused(
                "Only the person who started an export can download its file.".to_owned(),
            ));
        }
        self.require(caller, &j.model, "export")?;
        if j.state != JobState::Done {
            return Err(Error::Refused(
                "The file is not written yet: download it when the export is done.".to_owned(),
            ));
        }
        let part = job::files::file_part(&self.db, id, seq).await?;
        if seq == 0 && part.is_none() {
            return Err(Error::Refused(format!(
                "This export's file was deleted: files are kept {} days, then removed when you start another export. Export the list again.",
                job::files::EXPORT_KEPT_DAYS
            )));
        }
        Ok(part)
    }
}
