# Custom pages and dashboard tiles (issue 16 point 5).
pages-crumb-home = Home
pages-tile-unavailable = –
pages-tile-unavailable-title = This count is not available right now.
# The pages of the admin, in English. Same ids in every language's pages.ftl.

## Sign-in.
login-title = Sign in
login-username = Username
login-password = Password
login-submit = Sign in
login-wrong = Wrong username or password.
login-locked = Too many failed sign-ins. Wait { $minutes } { $minutes ->
    [one] minute
   *[other] minutes
  }, then try again.
second-back = Back to sign-in
second-lead = Your password was right. Now enter the 6-digit code your authenticator app shows for this site, or one of your recovery codes.
second-code = Code
second-help-before = A recovery code looks like
second-help-after = and works only once.
second-someone-else = Sign in as someone else
second-wrong = That code is not right, or it was already used. { $n } more { $n ->
    [one] try
   *[other] tries
  } before this sign-in ends.
second-locked = Too many wrong codes, so this sign-in has ended. Wait { $minutes } { $minutes ->
    [one] minute
   *[other] minutes
  }, then sign in again.

## Form errors from the layers below (looked up by their English sentence).
form-required = This field is required.
form-whole-number = Enter a whole number.
form-number = Enter a number.
form-decimal = Enter a decimal number, like 12.50.
form-yes-no = Choose yes or no.
form-date = Enter a date as YYYY-MM-DD, like 2026-03-02.
form-datetime = Enter a date and time as YYYY-MM-DD HH:MM, like 2026-03-02 14:05.

## Dashboard.
dashboard-title = Dashboard
dashboard-approvals-waiting = { $count } { $n ->
    [one] request
   *[other] requests
  } waiting for approval
dashboard-queues = Work queues
dashboard-failed-effects = Failed effects
dashboard-saved-views = Your saved views
dashboard-delete-view = Delete
dashboard-delete-view-label = Delete the saved view { $name }
dashboard-everything = Everything
dashboard-browse = Browse
dashboard-add = Add { $noun }
dashboard-nothing = There is nothing here you may view yet. Ask an admin for access.

## Lists.
list-add = Add { $noun }
list-export = Export CSV
list-search-label = Search { $nouns }
list-search-placeholder = Search by { $fields }
list-search = Search
list-active-filters = Active filters
list-remove-filter = Remove filter { $label }
list-clear-all = Clear all
list-estimate = an estimate:
list-count-exactly = count exactly
list-showing = , showing { $first }–{ $last }
list-select-page = Select every { $noun } on this page
list-select-row = Select { $noun } { $key }
list-no-match = No { $nouns } match this search and these filters.
list-none-yet = There are no { $nouns } yet.
list-pages = Pages
list-previous = Previous
list-next = Next
list-filters = Filters
list-filter = Filter
list-filters-on = { $n } on
list-from = From
list-to = To
list-id = Id
list-apply = Apply
list-save-view-label = Save this search, filters and sort as
list-save-view-placeholder = e.g. Trials with a failed first charge
list-save-view = Save view
# $n selects the form, $count is the number as the reader writes it, $one the
# model's name, $nouns its plural (the application's words).
list-count = { $n ->
    [one] { $count } { $one }
   *[other] { $count } { $nouns }
  }
list-count-about = about { $count } { $nouns }
list-count-about-millions = about { $millions } million { $nouns }
list-count-more = more than { $count } { $nouns }
selection-selected = { $phrase } selected
selection-nothing = Nothing selected
selection-kept = kept while you page, search and filter
selection-tick = tick rows on any page; the selection is kept
selection-update = Update selection
selection-clear = Clear selection
selection-run-on = Run on the selected { $nouns }:
selection-all-exact = Instead, run on all { $phrase } matching
selection-all-estimate = Instead, run on every one matching ({ $phrase })

## A record.
detail-waiting = Waiting:
detail-waiting-request = “{ $action }”, request { $id }
detail-waiting-by = by { $requester } ({ $status }).
detail-actions = Actions
detail-correct-errors = Please correct the errors below. Nothing was saved.
detail-conflict-caption = What changed meanwhile
detail-conflict-field = Field
detail-conflict-now = Now saved
detail-conflict-yours = Your value
detail-review-title = Check your changes
detail-review-lead = Nothing is saved yet. This is what will change:
detail-review-reason = Reason: { $reason }
detail-review-save = Save these changes
detail-review-edit = Go back and edit
detail-reason-label = Reason for this change
detail-reason-always = Every change here needs a reason; it is kept in the record's history.
detail-reason-fields = Needed when you change { $fields }; it is kept in the record's history.
detail-create = Create
detail-save = Save
detail-create-continue = Create and keep editing
detail-save-continue = Save and keep editing
detail-back-to-list = Back to the list
detail-history = History
detail-delete = Delete
detail-notes = Internal notes
detail-note-at = at { $at } { $zone }
detail-no-notes = No notes yet.
detail-note-label = Leave a note for the next person
detail-add-note = Add note
detail-related-all = All { $phrase }
detail-related-none = None.
field-required = required
field-unknown = Unknown
field-yes = Yes
field-no = No
field-open = Open
delete-crumb = Delete
delete-back = Back to { $title }
delete-lead = Nothing else refers to { $title }. Deleting it cannot be undone.
delete-submit = Delete { $title }
delete-cancel = Cancel

## History, audit log, restore and undo.
history-deleted = This { $noun } has been deleted. Its history is kept.
count-entries = { $count } { $n ->
    [one] entry
   *[other] entries
  }
count-entries-more = More than { $count } entries
count-requests = { $count } { $n ->
    [one] request
   *[other] requests
  }
count-effects = { $count } { $n ->
    [one] effect
   *[other] effects
  }
history-newest-first = { $phrase }, newest first
history-none = No changes recorded yet.
history-newer = Newer
history-older = Older
history-page-of = Page { $page } of { $pages }
history-page = Page { $page }
history-undo-run = Undo this run
history-restore-version = Restore this version
history-restore-record = Restore this record
entry-deleted = deleted
entry-by = by
entry-at = at
entry-unknown = unknown
entry-reason = Reason:
entry-before = Before
entry-after = After
entry-seq = Entry { $seq }
entry-request = request { $id }
entry-from = from { $addr }
audit-who = Who
audit-anyone = Anyone
audit-model = Model
audit-any = Any
audit-what = What
audit-anything = Anything
audit-record-id = Record id
audit-clear = Clear
audit-none = No entries match.
search-title-for = Search: “{ $q }”
search-see-all = See all in { $label }
search-nothing = Nothing matches “{ $q }” in anything you may view.
restore-crumb = Restore
restore-deleted-lead = { $label } { $key } was deleted at { $at } { $zone } (entry { $seq }). Restoring it brings back every field as it was then.
restore-version-lead = The version of { $noun } { $key } right after entry { $seq } ({ $at } { $zone }). Restoring it saves these values, as an edit would:
restore-value = Value
restore-kept = Kept as they are (the application keeps them): { $fields }.
restore-back = Back to the history
restore-why = Why restore it?
restore-why-hint = kept in its history
restore-submit-deleted = Restore { $noun } { $key }
undo-run = Run { $id }
undo-crumb = Undo
undo-run-summary = Run { $id } by { $actor } at { $at } { $zone } changed { $count } { $n ->
    [one] record
   *[other] records
  }.
undo-its-reason = Its reason: { $reason }
undo-put-back-lead = Undoing puts back the values the run changed. Records someone changed since are left as they are.
undo-now = Now
undo-goes-back = Goes back to
undo-why = Why undo it?
undo-why-hint = kept in the audit log
undo-put-back-submit = Put back { $count } { $n ->
    [one] { $one }
   *[other] { $many }
  }
undo-nothing = Nothing can be put back: every record was changed since the run.
undo-inverse-lead-start = Undoing runs
undo-inverse-lead = on the { $n } { $n ->
    [one] record
   *[other] records
  } the run changed, with its own rules: { $approval ->
    [yes] it needs a second person's approval
   *[no] where they ask for a second person's approval, the undo waits for it
  }.
undo-inverse-submit = { $label }: undo run { $id }
undo-instead = What you can do instead:
undo-instead-after = on the same { $n ->
    [one] record
   *[other] records
  } (you confirm on the next page).
undo-back = Back to run { $id }

## Actions.
start-lead = Select { $nouns } on the list, then choose “{ $title }”. You will see what it changes before anything runs.
start-go = Go to the list of { $nouns }
confirm-will-change = { $phrase } will be changed
confirm-trial-first = What it changes, tried on the first { $tried } and undone at once: nothing has changed yet.
confirm-trial-showing = Showing the changes of the first { $tried }; { $more } more will be run the same way.
confirm-trial-each = What it changes, tried on each of them and undone at once: nothing has changed yet.
confirm-trial-failed = Tried on the first records, it failed: { $why } Running it would fail the same way.
confirm-fill-in = Fill in the details below and choose “Show the changes” to see what it changes before it runs.
confirm-changes = Changes
confirm-would-skip = Would be skipped: { $why }
confirm-no-field-changes = No field changes
confirm-not-tried = Not tried; runs the same way
confirm-and-more = … and { $more } more.
confirm-after-commit = After it commits, it will
confirm-effects-first = These are the effects of the first { $tried }; the others schedule theirs the same way.
confirm-will-skip = { $phrase } will be skipped
confirm-missing = No longer there: { $keys }.
confirm-details = Details
confirm-reason = Reason
confirm-reason-required = Required.
confirm-reason-kept = Kept in the audit log with every record changed.
confirm-reason-optional = Reason (optional)
confirm-needs-approval = This action needs a second person's approval before it runs.
confirm-show-changes = Show the changes
confirm-none-can = None of the selected { $nouns } can take this action.
result-repeated = This request had already run; nothing ran again.
result-run-by = Run by
result-actor-at = { $actor } at { $at } { $zone }
result-undid = This undid
result-run = run { $id }
result-undone = Undone
result-undone-by = Undone by
result-done = Done
result-skipped = Skipped
result-recorded = Recorded in the audit log ({ $seqs }):
result-see-entries = see the entries
limits-title = Your limits

## Approvals and effects.
approvals-own = These are your own requests.
approvals-status = Status
approvals-request = Request
approvals-action = Action
approvals-records = Records
approvals-asked-by = Asked by
approvals-when = When
approvals-decide = decide
approvals-none = No requests here.
approval-request = Request { $id }
approval-action-on = { $action } on { $what } ({ $model })
approval-decided-by = Decided by
approval-runs-tried = Runs tried
approval-last-error = Last error
approval-outcome = Outcome
approval-records-now = The records as they are now
approval-trial-first = What approving it changes, tried now on the first { $tried } and undone at once: nothing has changed yet.
approval-trial-each = What approving it changes, tried now on each record and undone at once: nothing has changed yet.
approval-trial-failed = Tried now, it failed: { $why } Running it would fail the same way.
approval-would-skip = would be skipped: { $why }
approval-blocked-since = Blocked since the request
approval-none-exist = None of the records exist any more.
approval-note = Note (optional)
approval-approve = Approve: { $action } ({ $what })
approval-why-reject = Why reject? (required)
approval-reject = Reject
approval-own = You asked for this, so someone else must approve or reject it.
effects-lead = What actions asked to happen outside the console (emails, calls to other systems), carried out by the worker after the action is saved.
effects-state = State
effects-effect = Effect
effects-effect-id = Effect { $id }
effects-record = Record
effects-scheduled = Scheduled
effects-attempts-col = Attempts
effects-attempts = { $n } attempts
effects-none = No effects here.
effect-next-attempt = next attempt at { $at } { $zone }
effect-scheduled-by = { $at } { $zone } by action run { $run }
effect-result = Result
effect-ended = Ended
effect-given-up-by = Given up by
effect-key = Key
effect-key-hint = sent with every attempt, so a receiver that honours it acts once
effect-payload = What was asked
effect-retry-lead = Try it again with the same key; the worker picks it up within a minute.
effect-retry = Retry
effect-why-give-up = Why give it up? (required)
effect-give-up = Give up
effect-why-give-up-queued = Why give it up before it is carried out? (required)
effect-ask-admin = Someone who looks after effects can retry it or give it up. Ask an admin.

## Staff, passwords, two-factor sign-in, tokens.
staff-title = Staff users
staff-add = Add staff user
staff-username = User name
staff-roles = Roles
staff-superuser = Superuser
staff-active = Active
staff-two-factor = Two-factor
staff-last-login = Last sign-in
staff-inactive = no (cannot sign in)
staff-on = on
staff-off = off
staff-never = never
staff-back = Back to staff users
staff-password-help = At least 12 characters. Give it to the person in person, and ask them to change it.
staff-two-factor-required = two-factor sign-in required
staff-no-roles = No roles are declared; only superusers can do anything.
staff-active-help = Clear it to stop this person signing in; their sessions end at once.
staff-superuser-help = A superuser holds every permission, whatever their roles.
staff-reset-password = Reset password
staff-view-only = You can view staff users but not change them.
staff-reset-submit = Set new password and sign { $username } out everywhere
password-title = Change your password
password-current = Current password
password-new = New password
password-help = At least { $min } characters; common passwords are refused.
password-again = New password again
password-submit = Change password
tf-required = Your role requires two-factor sign-in. Set it up here to go on using the admin.
tf-is-on-title = Two-factor sign-in is on
tf-from-now-on = From now on you sign in with your password and a code from your app.
tf-save-codes = Save these recovery codes now
tf-save-codes-rest = , somewhere other than your phone. Each one signs you in once if you lose your phone. This is the only time they are shown.
tf-saved = I have saved them
tf-on-codes-left = Two-factor sign-in is on. You have { $n } unused recovery { $n ->
    [one] code
   *[other] codes
  }.
tf-turn-off = Turn off two-factor sign-in
tf-your-password = Your password
tf-off-help = Your recovery codes stop working too. To move to a new phone, turn it off here and set it up again.
tf-off-help-required = Your role requires it, so you will be asked to set it up again at once.
tf-lead = With two-factor sign-in, signing in needs your password and a 6-digit code from an authenticator app on your phone, so a stolen password alone is not enough.
tf-step-key = In your authenticator app, add an account and choose to enter a setup key. Enter this key (time-based):
tf-or-link = Or open this link on the phone, if your app supports it:
tf-step-code = Type the code the app now shows, to check it works.
tf-check = Check the code
tf-code = Code from the app
tf-turn-on = Turn on two-factor sign-in
tokens-lead-api = A token lets a script call the JSON API
tokens-lead-as-you = as you, with your roles, until you revoke it. Send it as
tokens-lead-recent = Actions that ask for a recent sign-in cannot be run with a token.
tokens-new = Your new token
tokens-copy-now = Copy it now
tokens-copy-rest = into the place the script reads it from. This is the only time it is shown: only a fingerprint of it is kept.
tokens-name = Name
tokens-made = Made ({ $zone })
tokens-last-used = Last used ({ $zone })
tokens-revoke = Revoke
tokens-revoke-label = Revoke { $name }
tokens-revoked = revoked
tokens-active = active
tokens-none = You have no API tokens.
tokens-make-legend = Make a token
tokens-what-for = What it is for
tokens-what-for-help = For example “nightly billing sync”: it is how you will tell tokens apart.
tokens-make = Make token
confirm-me-title = Confirm it is you
confirm-me-lead = This page changes something sensitive, and you last signed in a while ago. Enter your password to go on.
confirm-me-lead-code = This page changes something sensitive, and you last signed in a while ago. Enter your password and a code from your authenticator app to go on.
confirm-me-code = Code from your app
confirm-me-submit = Confirm

## Language and time zone (the staff member's own preferences).
preferences-title = Language and time zone
preferences-lead = The language of these pages and the time zone their times are shown in. Times are stored in UTC.
preferences-language = Language
preferences-language-browser = The browser's language
preferences-time-zone = Time zone
preferences-time-zone-help = An IANA name such as Europe/Berlin or America/New_York; empty is UTC.
preferences-save = Save
preferences-saved = Your language and time zone are saved.

## Messages left for the next page.
flash-saved = { $title } saved.
flash-saved-unchanged = { $title } saved (nothing had changed).
flash-created = { $title } created.
flash-deleted = { $title } deleted.
flash-note-added = Note added.
flash-view-saved = Saved the view “{ $name }”; it is on your dashboard.
flash-view-deleted = The saved view was deleted.
flash-two-factor-off = Two-factor sign-in is off, and your recovery codes no longer work.
flash-confirmed = Thank you. If a form was interrupted, submit it again.
flash-staff-created = Staff user { $username } created.
flash-staff-saved = Staff user { $username } saved; their sessions were ended if anything changed.
flash-staff-password = New password set for { $username }; their sessions were ended.
flash-password-changed = Your password was changed. Your other sessions were signed out.
flash-token-revoked = The token “{ $name }” is revoked: calls with it are refused.
flash-effect-retry = “{ $summary }” will be tried again in a moment.
flash-effect-given-up = “{ $summary }” was given up; it will not be tried again.
flash-undo-waits = The undo waits for a second person's approval.
flash-restored-version = { $label } { $key } restored to the version of entry { $seq }.
flash-restored = { $label } { $key } restored.

## Titles and buttons made in code.
search-more-than = more than { $count }
confirm-button = { $action }: { $what }
confirm-button-approval = Ask for approval: { $action } ({ $what })
result-summary = { $action }: { $done } done.
result-summary-skipped = { $action }: { $done } done, { $skipped } skipped.
result-title = { $action }: run { $id }
approval-title = Approval request { $id }
flash-approved = Request { $id } approved; it runs in a moment.
flash-rejected = Request { $id } rejected; it will not run.

## Background jobs.
base-nav-jobs = Background jobs
count-jobs = { $count } { $n ->
    [one] background job
   *[other] background jobs
}
jobs-lead = Actions on more records than one run takes, carried out in chunks by the worker. Each chunk is one transaction with its audit entries; a record is checked again when its chunk runs.
jobs-state = State
jobs-all = All
jobs-not-a-state = “{ $state }” is not a state of a background job; showing every state.
jobs-job = Job
jobs-action = Action
jobs-requester = Asked for by
jobs-created = Asked for
jobs-progress = Progress
jobs-none = No background jobs here.
job-title = Background job { $id }
job-state-awaiting-approval = Waiting for approval
job-state-queued = Waiting to start
job-state-running = Running
job-state-paused = Paused
job-state-done = Finished
job-state-failed = Failed
job-state-cancelled = Cancelled
job-state-rejected = Rejected
job-percent = { $percent }% done
job-processed-of = { $processed } of { $total }
job-failed-count = { $failed } failed
job-records = Records
job-done = Done
job-skipped = Skipped
job-failed = Failed
job-rate = Rate
job-rate-value = { $rate } records a second
job-left = Time left
job-left-seconds = about { $n } seconds
job-left-minutes = about { $n } minutes
job-left-hours = about { $n } hours
job-refreshes = This page follows the job as it runs.
job-reload = Reload
job-reason = Reason
job-selection = Selection
job-selection-link = the { $model } list it was taken from
job-selection-fixed = (the records were fixed when the job was asked for; records that match now but did not then are not in it)
job-started = Started
job-approved-by = Approved by
job-last-change = Last changed by
job-audit = Audit log
job-audit-link = the job's entries (each record's entry is on its run's page)
job-why-approve = Why approve it? (required)
job-approve = Approve
job-why-reject = Why reject it? (required)
job-reject = Reject
job-why-pause = Why pause it? (required)
job-pause-help = The chunk in progress finishes; no further chunk starts until someone resumes it.
job-pause = Pause
job-why-resume = Why resume it? (required)
job-resume = Resume
job-why-cancel = Why cancel it? (required)
job-cancel-help = The chunk in progress finishes; the records not reached yet are left as they are.
job-cancel = Cancel the job
job-failed-records = Records that failed
job-skipped-records = Records left alone
job-first-shown = The first { $n } are shown.
job-run-link = (its run)
confirm-job-title = All { $phrase } are more than one run takes
confirm-job-lead = They can run as a background job: in chunks of { $chunk } records, each one transaction with its audit entries. Every record is checked again when its chunk runs, and one that no longer qualifies is left alone with the reason. You can watch the job, pause it or cancel it on its page.
confirm-job-sample = Below are the checks for the first { $batch }.
confirm-button-job = Start a background job: { $action } ({ $what })
confirm-job-needs-approval = This job needs a second person's approval before it starts.
flash-job-started = “{ $action }” runs as background job { $id }.
flash-job-awaiting = Background job { $id } (“{ $action }”) waits for someone else to approve it. Nothing has changed yet.
flash-job-paused = Background job { $id } is paused.
flash-job-resumed = Background job { $id } goes on.
flash-job-cancelled = Background job { $id } is cancelled.
flash-job-approved = Background job { $id } is approved; it starts in a moment.
flash-job-rejected = Background job { $id } is rejected; it will not run.
dashboard-jobs = Background jobs running, waiting or failed
dashboard-all-jobs = All background jobs
