# Fremdschlüssel nach Namen wählen: das Autovervollständigen, die Auswahlseite ohne
# JavaScript und die Datumsnavigation der Liste.
autocomplete-find = { $model } suchen…
autocomplete-find-label = { $model } nach Namen für { $field } suchen
autocomplete-chosen = Gewählt: { $name }
autocomplete-none = Keine Treffer.
autocomplete-more = Es gibt weitere Treffer: weiter tippen, um einzugrenzen.
autocomplete-failed = Vorschläge konnten nicht geladen werden; die ID eingeben oder „Suchen“ verwenden.
autocomplete-pick-title = { $field } wählen
autocomplete-pick-intro = { $model } durchsuchen und einen Eintrag wählen; danach geht es zurück zur vorigen Seite, mit der ID eingetragen.
autocomplete-search-label = { $model } durchsuchen
autocomplete-search = Suchen
autocomplete-choose = Wählen
autocomplete-choose-label = { $name } wählen
autocomplete-id = ID { $id }
autocomplete-pick-more = Es gibt mehr Treffer als angezeigt: weiter tippen, um die Suche einzugrenzen.
autocomplete-pick-empty = Keine Treffer für „{ $q }“.
autocomplete-pick-back = Zurück ohne Auswahl
autocomplete-pick-id-hint = Ohne diese Seite die ID in das Feld eingeben: sie steht neben jedem Namen.
autocomplete-drill-label = Nach { $field }
autocomplete-drill-all = Alle Daten
