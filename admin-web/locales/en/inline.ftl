# Inline child tables on a record page (handlers/inline.rs, includes/inline.html).
inline-delete = Delete?
inline-delete-row = Delete { $row }
inline-new = New
inline-none = None yet.
inline-extra-help = Fill in a blank row to add one; blank rows are left out. { $count ->
    [one] One blank row is offered.
   *[other] { $count } blank rows are offered.
}
inline-all = Showing { $shown } of { $total }: see them all
inline-conflict = Someone else changed or deleted { $row } after you opened this page, so nothing was saved. The rows are shown as they are now, with your values filled in again; review them and save again.
