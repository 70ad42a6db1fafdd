# The admin's own words in English, the catalog every other language falls back to.
# One file per feature (core.ftl, inline.ftl, scope.ftl, ...); each language has the
# same files with the same message ids. Placeholders are `{ $name }`.
language-name = English

## Formats: how numbers, amounts, dates and times are laid out. A new language sets
## these too; digits are grouped by ICU4X for the language.
# An amount with a symbol written before it in English ($sign is "-" or empty).
money-symbol = { $sign }{ $symbol }{ $amount }
# An amount written with its currency code.
money-code = { $sign }{ $amount } { $code }
# Placeables: $year, $month (01-12), $month-name, $day, $hour, $minute, $second.
datetime = { $year }-{ $month }-{ $day } { $hour }:{ $minute }:{ $second }
datetime-short = { $year }-{ $month }-{ $day } { $hour }:{ $minute }
date = { $year }-{ $month }-{ $day }
month-1 = January
month-2 = February
month-3 = March
month-4 = April
month-5 = May
month-6 = June
month-7 = July
month-8 = August
month-9 = September
month-10 = October
month-11 = November
month-12 = December

## Words used everywhere.
yes = yes
no = no
cell-empty = empty
word-all = All
status-pending = Waiting for approval
status-approved = Approved, about to run
status-running = Running
status-failed = Failed
status-rejected = Rejected
state-queued = Waiting
state-running = Being carried out
state-given-up = Given up
model-approval = Approval request
model-staff = Staff user
model-api-token = API token

## The layout (base.html).
base-skip = Skip to content
base-nav-models = Models
base-nav-approvals = Approvals
base-nav-effects = Effects
base-nav-audit = Audit log
base-nav-staff = Staff
base-search = Search everything
base-signed-in-as = Signed in as
base-preferences = Language and time zone
base-password = Password
base-two-factor = Two-factor sign-in
base-tokens = API tokens
base-sign-out = Sign out
base-crumbs = Breadcrumbs
base-home = Home

## Error pages.
error-quote-before = Quote request id
error-quote-after = when you report this.
error-back = Back to the dashboard
error-title-sign-in = Sign-in required
error-title-csrf = Form expired
error-title-origin = Not from this site
error-title-not-found = Not found
error-title-forbidden = Not allowed
error-title-reauth = Confirm your password
error-title-cannot = Cannot do that
error-title-conflict = Changed by someone else
error-title-unavailable = Database unavailable
error-title-internal = Something went wrong
error-unauthenticated = Please sign in to continue.
error-reauth = Confirm your password to continue: this needs a recent sign-in.
error-invalid = Please correct the errors below.
error-conflict = This record was changed by someone else since you opened it. Nothing was saved.
error-db = The database could not complete the request. Nothing was changed.
error-internal = Something went wrong on our side. Nothing was changed.
error-csrf = This form has expired or did not come from this site. Go back, reload the page and try again.
error-origin = This form did not come from this site, so nothing was done. Go back to the console, reload the page and try again.
error-no-such-page = There is no such page.

## Refusals (the sentences say who can; the roles are the application's names).
who-can-none = No role can do this; a superuser can.
who-can-one = Ask someone with the { $role } role.
who-can-many = Ask someone with the { $roles } or { $last } role.
denial = { $what } { $who }
refusal-view-only = You can view { $noun } but not { $verb } them. { $who }
refusal-cannot = You cannot { $verb } { $noun }. { $who }

## What audit entries record (history and audit log).
kind-create = Created
kind-update = Changed
kind-delete = Deleted
kind-login = Signed in
kind-login-failed = Sign-in failed
kind-logout = Signed out
kind-approve = Approved
kind-reject = Rejected
kind-approval-requested = Asked for approval
kind-approval-failed = Approved action failed
kind-login-locked = Sign-in locked after failures
kind-login-password = Password accepted, second factor next
kind-two-factor-enrolled = Two-factor sign-in turned on
kind-two-factor-disabled = Two-factor sign-in turned off
kind-reauth = Confirmed identity
kind-reauth-failed = Identity confirmation failed
kind-reauth-locked = Locked after wrong passwords
kind-restore = Restored
kind-action = Action: { $name }
kind-undo = Undone: { $name }
