# Eingebettete Tabellen untergeordneter Datensätze (handlers/inline.rs, includes/inline.html).
inline-delete = Löschen?
inline-delete-row = { $row } löschen
inline-new = Neu
inline-none = Noch keine.
inline-extra-help = Füllen Sie eine leere Zeile aus, um einen Eintrag hinzuzufügen; leere Zeilen werden übergangen. { $count ->
    [one] Eine leere Zeile wird angeboten.
   *[other] { $count } leere Zeilen werden angeboten.
}
inline-all = { $shown } von { $total } angezeigt: alle ansehen
inline-conflict = Jemand anderes hat { $row } geändert oder gelöscht, nachdem Sie diese Seite geöffnet haben; deshalb wurde nichts gespeichert. Die Zeilen sind so gezeigt, wie sie jetzt sind, mit Ihren Werten erneut eingetragen; prüfen Sie sie und speichern Sie erneut.
