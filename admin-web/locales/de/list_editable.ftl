# Listen direkt bearbeiten (list_editable).
list-edit-home = Start
list-edit-cell-label = { $field } von { $row }
list-edit-review-button = Änderungen prüfen
list-edit-review-help = Gespeichert wird erst, wenn Sie die Änderungen gesehen haben.
list-edit-has-errors = Einige Zeilen haben Werte, die sich nicht speichern lassen. Nichts wurde gespeichert; korrigieren Sie sie und prüfen Sie erneut.
list-edit-review-title = Änderungen an { $model } prüfen
list-edit-review-intro = { $count ->
    [one] Diese Änderung wird bei { $what } gespeichert:
   *[other] Diese Änderungen werden bei { $what } gespeichert, jede mit einem eigenen Eintrag im Verlauf:
}
list-edit-reason-label = Grund
list-edit-reason-help = Nötig für Änderungen an { $fields }; wird im Verlauf jedes Datensatzes festgehalten.
list-edit-save-button = Diese Änderungen speichern
list-edit-back-button = Zurück zur Bearbeitung
list-edit-nothing-changed = Nichts wurde geändert, also nichts gespeichert.
list-edit-saved = { $count ->
    [one] Die Änderung an { $what } wurde gespeichert.
   *[other] Die Änderungen an { $what } wurden gespeichert.
}
list-edit-report-title = { $saved ->
    [0] Nichts wurde gespeichert
    [one] 1 Zeile gespeichert
   *[other] { $saved } Zeilen gespeichert
}; { $failed ->
    [one] 1 Zeile wurde nicht gespeichert
   *[other] { $failed } Zeilen wurden nicht gespeichert
}
list-edit-report-failed = Nicht gespeichert
list-edit-report-saved = Gespeichert
list-edit-stale = jemand anderes hat sie geändert, nachdem Sie die Liste geöffnet haben; Ihre Werte wurden nicht gespeichert
list-edit-stale-row = Jemand anderes hat diese Zeile geändert, nachdem Sie die Liste geöffnet haben; sie wurde nicht gespeichert. Sie zeigt jetzt deren Werte; Sie hatten { $typed } eingegeben.
