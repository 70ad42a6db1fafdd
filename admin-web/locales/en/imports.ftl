## CSV imports and export jobs.
list-import = Import CSV
list-export-job = Export in the background
import-title = Import { $model } from a CSV file
import-lead = Upload a CSV file (UTF-8, with or without a byte-order mark; cells separated by commas or semicolons; at most { $mb } MB). Nothing is written until you have seen what it would do and confirmed it.
import-help-match = Each row is matched to a record by one of: { $keys }. A row whose record exists changes it; a row matched by any of them but the ID adds a new record when none has its value.
import-help-fields = Columns can set: { $fields }.
import-help-no-add = Your role cannot add records here, so rows for new records will fail.
import-help-no-change = Your role cannot change records here, so rows for existing records will fail.
import-help-preview = Every row is checked by the same rules as the record's form, as you: you see new records, changes field by field, and each row's problem with its line before anything is written.
import-file = CSV file
import-reason = Why are you importing it?
import-reason-help = Kept with every record's change in the audit log. Needed when a column changes a field that asks for a reason.
import-upload = Upload and match columns
import-no-file = Choose a CSV file to upload.
import-unreadable-upload = The upload could not be read. Files of at most { $mb } MB are taken; split a larger one.
import-rows-others = Only the person who imported the file sees its rows: they hold what the file said, about records you may not see.
import-file-heading = File: { $file }
import-new = New records
import-changed = Records that change
import-unchanged = Rows that change nothing
import-errors = Rows with problems
import-unchecked = Rows not checked yet
import-rows-checked = Rows checked
import-failed-download = Download the rows with problems (CSV, with the line and the problem of each)
import-confirm-lead = Confirming writes { $n ->
    [one] one row
   *[other] { $count } rows
} as a background job, one audit entry per record. Each row is checked again as it is written.
import-confirm-errors = { $n ->
    [one] The row with a problem is left out.
   *[other] The { $count } rows with problems are left out.
}
import-confirm = Import: add { $create }, change { $update }
import-nothing-to-write = No row would add or change a record, so there is nothing to import.
import-error-rows = Rows with problems
import-update-rows = Records that change
import-create-rows = New records
import-line = Line
import-line-n = Line { $n }:
import-problem = Problem
import-record = Record
import-changes = Changes
import-values = Values
import-columns = Columns
import-columns-help = Match each column of the file to a field, or leave it out. Changing this checks every row again.
import-column = Column in the file
import-first-row = First row
import-field = Field
import-unnamed = Column { $n }
import-leave-out = Leave out
import-key = Match rows to records by
import-key-help = The ID or a field no two records share. Importing the same file again then changes nothing.
import-check = Check the rows
import-check-again = Check the rows again
import-csv-line = Line
import-csv-error = Problem
flash-import-confirmed = Import { $id } is confirmed; the worker writes its rows now.
flash-export-started = Export { $id } has started; download its file here when it is done.
job-kind-import = Import
job-kind-export = Export
job-state-draft = Columns to match
job-state-checking = Checking rows
job-state-ready = Ready to import
export-download = Download the CSV file
export-kept = The file is kept at least 7 days; starting another export after that removes it.
export-not-yet = The file can be downloaded here when the export is done.
export-others = Only the person who started an export can download its file.
