# Editing a list in place (list_editable).
list-edit-home = Home
list-edit-cell-label = { $field } of { $row }
list-edit-review-button = Review changes
list-edit-review-help = Nothing is saved until you have seen the changes.
list-edit-has-errors = Some rows have values that cannot be saved. Nothing was saved; correct them and review again.
list-edit-review-title = Review changes to { $model }
list-edit-review-intro = { $count ->
    [one] This change will be saved to { $what }:
   *[other] These changes will be saved to { $what }, each with its own entry in the history:
}
list-edit-reason-label = Reason
list-edit-reason-help = Needed for changes to { $fields }; kept in each record's history.
list-edit-save-button = Save these changes
list-edit-back-button = Back to editing
list-edit-nothing-changed = Nothing was changed, so nothing was saved.
list-edit-saved = { $count ->
    [one] Saved the change to { $what }.
   *[other] Saved the changes to { $what }.
}
list-edit-report-title = { $saved ->
    [0] Nothing was saved
    [one] 1 row saved
   *[other] { $saved } rows saved
}; { $failed ->
    [one] 1 row was not saved
   *[other] { $failed } rows were not saved
}
list-edit-report-failed = Not saved
list-edit-report-saved = Saved
list-edit-stale = someone else changed it after you opened the list, so your values were not saved
list-edit-stale-row = Someone else changed this row after you opened the list, so it was not saved. It now shows their values; you had typed { $typed }.
