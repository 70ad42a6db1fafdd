# Eigene Seiten und Kacheln der Übersicht (Issue 16, Punkt 5).
pages-crumb-home = Start
pages-tile-unavailable = –
pages-tile-unavailable-title = Diese Zahl ist gerade nicht verfügbar.
# Die Seiten der Verwaltung auf Deutsch. Dieselben Kennungen wie en/pages.ftl.

## Anmeldung.
login-title = Anmelden
login-username = Benutzername
login-password = Passwort
login-submit = Anmelden
login-wrong = Falscher Benutzername oder falsches Passwort.
login-locked = Zu viele fehlgeschlagene Anmeldungen. Warten Sie { $minutes } { $minutes ->
    [one] Minute
   *[other] Minuten
  } und versuchen Sie es dann noch einmal.
second-back = Zurück zur Anmeldung
second-lead = Ihr Passwort war richtig. Geben Sie jetzt den sechsstelligen Code ein, den Ihre Authenticator-App für diese Seite zeigt, oder einen Ihrer Wiederherstellungscodes.
second-code = Code
second-help-before = Ein Wiederherstellungscode sieht aus wie
second-help-after = und gilt nur einmal.
second-someone-else = Als jemand anderes anmelden
second-wrong = Dieser Code stimmt nicht oder wurde schon benutzt. Noch { $n } { $n ->
    [one] Versuch
   *[other] Versuche
  }, bevor diese Anmeldung endet.
second-locked = Zu viele falsche Codes, daher ist diese Anmeldung beendet. Warten Sie { $minutes } { $minutes ->
    [one] Minute
   *[other] Minuten
  } und melden Sie sich dann neu an.

## Formularfehler.
form-required = Dieses Feld ist erforderlich.
form-whole-number = Geben Sie eine ganze Zahl ein.
form-number = Geben Sie eine Zahl ein.
form-decimal = Geben Sie eine Dezimalzahl ein, etwa 12.50.
form-yes-no = Wählen Sie ja oder nein.
form-date = Geben Sie ein Datum als JJJJ-MM-TT ein, etwa 2026-03-02.
form-datetime = Geben Sie Datum und Uhrzeit als JJJJ-MM-TT HH:MM ein, etwa 2026-03-02 14:05.

## Übersicht.
dashboard-title = Übersicht
dashboard-approvals-waiting = { $count } { $n ->
    [one] Anfrage wartet
   *[other] Anfragen warten
  } auf Freigabe
dashboard-queues = Arbeitslisten
dashboard-failed-effects = Fehlgeschlagene Wirkungen
dashboard-saved-views = Ihre gespeicherten Ansichten
dashboard-delete-view = Löschen
dashboard-delete-view-label = Die gespeicherte Ansicht { $name } löschen
dashboard-everything = Alles
dashboard-browse = Durchsehen
dashboard-add = { $noun } anlegen
dashboard-nothing = Hier gibt es noch nichts, das Sie ansehen dürfen. Bitten Sie einen Administrator um Zugang.

## Listen.
list-add = { $noun } anlegen
list-export = Als CSV exportieren
list-search-label = { $nouns } durchsuchen
list-search-placeholder = Suchen nach { $fields }
list-search = Suchen
list-active-filters = Aktive Filter
list-remove-filter = Filter { $label } entfernen
list-clear-all = Alle entfernen
list-estimate = geschätzt:
list-count-exactly = genau zählen
list-showing = , angezeigt { $first }–{ $last }
list-select-page = Jedes { $noun } auf dieser Seite auswählen
list-select-row = { $noun } { $key } auswählen
list-no-match = Keine { $nouns } passen zu dieser Suche und diesen Filtern.
list-none-yet = Es gibt noch keine { $nouns }.
list-pages = Seiten
list-previous = Zurück
list-next = Weiter
list-filters = Filter
list-filter = Filtern
list-filters-on = { $n } aktiv
list-from = Von
list-to = Bis
list-id = Kennung
list-apply = Anwenden
list-save-view-label = Diese Suche, Filter und Sortierung speichern als
list-save-view-placeholder = z. B. Testkonten mit fehlgeschlagener erster Abbuchung
list-save-view = Ansicht speichern
list-count = { $n ->
    [one] { $count } { $one }
   *[other] { $count } { $nouns }
  }
list-count-about = etwa { $count } { $nouns }
list-count-about-millions = etwa { $millions } Millionen { $nouns }
list-count-more = mehr als { $count } { $nouns }
selection-selected = { $phrase } ausgewählt
selection-nothing = Nichts ausgewählt
selection-kept = bleibt beim Blättern, Suchen und Filtern erhalten
selection-tick = Zeilen auf beliebigen Seiten ankreuzen; die Auswahl bleibt erhalten
selection-update = Auswahl übernehmen
selection-clear = Auswahl aufheben
selection-run-on = Auf die ausgewählten { $nouns } anwenden:
selection-all-exact = Stattdessen auf alle { $phrase } anwenden, die passen
selection-all-estimate = Stattdessen auf alle passenden anwenden ({ $phrase })

## Ein Datensatz.
detail-waiting = Wartet:
detail-waiting-request = „{ $action }“, Anfrage { $id }
detail-waiting-by = von { $requester } ({ $status }).
detail-actions = Aktionen
detail-correct-errors = Bitte korrigieren Sie die Fehler unten. Nichts wurde gespeichert.
detail-conflict-caption = Was sich inzwischen geändert hat
detail-conflict-field = Feld
detail-conflict-now = Jetzt gespeichert
detail-conflict-yours = Ihr Wert
detail-review-title = Prüfen Sie Ihre Änderungen
detail-review-lead = Noch ist nichts gespeichert. Das wird sich ändern:
detail-review-reason = Grund: { $reason }
detail-review-save = Diese Änderungen speichern
detail-review-edit = Zurück zum Bearbeiten
detail-reason-label = Grund für diese Änderung
detail-reason-always = Jede Änderung hier braucht einen Grund; er bleibt im Verlauf des Datensatzes.
detail-reason-fields = Nötig, wenn Sie { $fields } ändern; er bleibt im Verlauf des Datensatzes.
detail-create = Anlegen
detail-save = Speichern
detail-create-continue = Anlegen und weiter bearbeiten
detail-save-continue = Speichern und weiter bearbeiten
detail-back-to-list = Zurück zur Liste
detail-history = Verlauf
detail-delete = Löschen
detail-notes = Interne Notizen
detail-note-at = am { $at } { $zone }
detail-no-notes = Noch keine Notizen.
detail-note-label = Eine Notiz für die nächste Person hinterlassen
detail-add-note = Notiz hinzufügen
detail-related-all = Alle { $phrase }
detail-related-none = Keine.
field-required = erforderlich
field-unknown = Unbekannt
field-yes = Ja
field-no = Nein
field-open = Öffnen
delete-crumb = Löschen
delete-back = Zurück zu { $title }
delete-lead = Nichts anderes verweist auf { $title }. Das Löschen lässt sich nicht rückgängig machen.
delete-submit = { $title } löschen
delete-cancel = Abbrechen

## Verlauf, Protokoll, Wiederherstellen und Rückgängigmachen.
history-deleted = Dieses { $noun } wurde gelöscht. Sein Verlauf bleibt erhalten.
count-entries = { $count } { $n ->
    [one] Eintrag
   *[other] Einträge
  }
count-entries-more = Mehr als { $count } Einträge
count-requests = { $count } { $n ->
    [one] Anfrage
   *[other] Anfragen
  }
count-effects = { $count } { $n ->
    [one] Wirkung
   *[other] Wirkungen
  }
history-newest-first = { $phrase }, neueste zuerst
history-none = Noch keine Änderungen aufgezeichnet.
history-newer = Neuere
history-older = Ältere
history-page-of = Seite { $page } von { $pages }
history-page = Seite { $page }
history-undo-run = Diesen Lauf rückgängig machen
history-restore-version = Diese Fassung wiederherstellen
history-restore-record = Diesen Datensatz wiederherstellen
entry-deleted = gelöscht
entry-by = von
entry-at = am
entry-unknown = unbekannt
entry-reason = Grund:
entry-before = Vorher
entry-after = Nachher
entry-seq = Eintrag { $seq }
entry-request = Anfrage { $id }
entry-from = von { $addr }
audit-who = Wer
audit-anyone = Alle
audit-model = Modell
audit-any = Alle
audit-what = Was
audit-anything = Alles
audit-record-id = Datensatz-Kennung
audit-clear = Zurücksetzen
audit-none = Keine Einträge passen.
search-title-for = Suche: „{ $q }“
search-see-all = Alle in { $label } ansehen
search-nothing = Nichts, das Sie ansehen dürfen, passt zu „{ $q }“.
restore-crumb = Wiederherstellen
restore-deleted-lead = { $label } { $key } wurde am { $at } { $zone } gelöscht (Eintrag { $seq }). Das Wiederherstellen bringt jedes Feld zurück, wie es damals war.
restore-version-lead = Die Fassung von { $noun } { $key } direkt nach Eintrag { $seq } ({ $at } { $zone }). Das Wiederherstellen speichert diese Werte wie eine Bearbeitung:
restore-value = Wert
restore-kept = Bleiben, wie sie sind (die Anwendung verwaltet sie): { $fields }.
restore-back = Zurück zum Verlauf
restore-why = Warum wiederherstellen?
restore-why-hint = bleibt im Verlauf
restore-submit-deleted = { $noun } { $key } wiederherstellen
undo-run = Lauf { $id }
undo-crumb = Rückgängig
undo-run-summary = Lauf { $id } von { $actor } am { $at } { $zone } hat { $count } { $n ->
    [one] Datensatz
   *[other] Datensätze
  } geändert.
undo-its-reason = Sein Grund: { $reason }
undo-put-back-lead = Das Rückgängigmachen setzt die Werte zurück, die der Lauf geändert hat. Datensätze, die seither jemand geändert hat, bleiben, wie sie sind.
undo-now = Jetzt
undo-goes-back = Wird zurückgesetzt auf
undo-why = Warum rückgängig machen?
undo-why-hint = bleibt im Protokoll
undo-put-back-submit = { $count } { $n ->
    [one] { $one }
   *[other] { $many }
  } zurücksetzen
undo-nothing = Nichts lässt sich zurücksetzen: Jeder Datensatz wurde seit dem Lauf geändert.
undo-inverse-lead-start = Das Rückgängigmachen führt
undo-inverse-lead = auf { $n ->
    [one] dem einen Datensatz
   *[other] den { $n } Datensätzen
  } aus, die der Lauf geändert hat, nach deren eigenen Regeln: { $approval ->
    [yes] Es braucht die Freigabe einer zweiten Person
   *[no] Wo sie die Freigabe einer zweiten Person verlangt, wartet das Rückgängigmachen darauf
  }.
undo-inverse-submit = { $label }: Lauf { $id } rückgängig machen
undo-instead = Was Sie stattdessen tun können:
undo-instead-after = auf { $n ->
    [one] demselben Datensatz
   *[other] denselben Datensätzen
  } (Sie bestätigen auf der nächsten Seite).
undo-back = Zurück zu Lauf { $id }

## Aktionen.
start-lead = Wählen Sie { $nouns } in der Liste aus und dann „{ $title }“. Sie sehen, was sich ändert, bevor etwas ausgeführt wird.
start-go = Zur Liste der { $nouns }
confirm-will-change = { $phrase } werden geändert
confirm-trial-first = Was sich ändert, an den ersten { $tried } ausprobiert und sofort zurückgenommen: Noch hat sich nichts geändert.
confirm-trial-showing = Angezeigt werden die Änderungen der ersten { $tried }; { $more } weitere werden genauso ausgeführt.
confirm-trial-each = Was sich ändert, an jedem davon ausprobiert und sofort zurückgenommen: Noch hat sich nichts geändert.
confirm-trial-failed = An den ersten Datensätzen ausprobiert, schlug es fehl: { $why } Die Ausführung würde genauso fehlschlagen.
confirm-fill-in = Füllen Sie die Angaben unten aus und wählen Sie „Änderungen zeigen“, um zu sehen, was sich ändert, bevor es ausgeführt wird.
confirm-changes = Änderungen
confirm-would-skip = Würde übersprungen: { $why }
confirm-no-field-changes = Keine Feldänderungen
confirm-not-tried = Nicht ausprobiert; läuft genauso
confirm-and-more = … und { $more } weitere.
confirm-after-commit = Nach dem Speichern wird es
confirm-effects-first = Das sind die Wirkungen der ersten { $tried }; die anderen planen ihre genauso.
confirm-will-skip = { $phrase } werden übersprungen
confirm-missing = Nicht mehr vorhanden: { $keys }.
confirm-details = Angaben
confirm-reason = Grund
confirm-reason-required = Erforderlich.
confirm-reason-kept = Bleibt im Protokoll bei jedem geänderten Datensatz.
confirm-reason-optional = Grund (freiwillig)
confirm-needs-approval = Diese Aktion braucht die Freigabe einer zweiten Person, bevor sie ausgeführt wird.
confirm-show-changes = Änderungen zeigen
confirm-none-can = Keine der ausgewählten { $nouns } kann diese Aktion annehmen.
result-repeated = Diese Anfrage war schon ausgeführt; nichts wurde erneut ausgeführt.
result-run-by = Ausgeführt von
result-actor-at = { $actor } am { $at } { $zone }
result-undid = Dies machte rückgängig:
result-run = Lauf { $id }
result-undone = Rückgängig gemacht
result-undone-by = Rückgängig gemacht durch
result-done = Erledigt
result-skipped = Übersprungen
result-recorded = Im Protokoll festgehalten ({ $seqs }):
result-see-entries = die Einträge ansehen
limits-title = Ihre Grenzen

## Freigaben und Wirkungen.
approvals-own = Das sind Ihre eigenen Anfragen.
approvals-status = Stand
approvals-request = Anfrage
approvals-action = Aktion
approvals-records = Datensätze
approvals-asked-by = Angefragt von
approvals-when = Wann
approvals-decide = entscheiden
approvals-none = Hier gibt es keine Anfragen.
approval-request = Anfrage { $id }
approval-action-on = { $action } für { $what } ({ $model })
approval-decided-by = Entschieden von
approval-runs-tried = Ausführungsversuche
approval-last-error = Letzter Fehler
approval-outcome = Ergebnis
approval-records-now = Die Datensätze, wie sie jetzt sind
approval-trial-first = Was die Freigabe ändert, jetzt an den ersten { $tried } ausprobiert und sofort zurückgenommen: Noch hat sich nichts geändert.
approval-trial-each = Was die Freigabe ändert, jetzt an jedem Datensatz ausprobiert und sofort zurückgenommen: Noch hat sich nichts geändert.
approval-trial-failed = Jetzt ausprobiert, schlug es fehl: { $why } Die Ausführung würde genauso fehlschlagen.
approval-would-skip = würde übersprungen: { $why }
approval-blocked-since = Seit der Anfrage gesperrt
approval-none-exist = Keiner der Datensätze existiert noch.
approval-note = Notiz (freiwillig)
approval-approve = Freigeben: { $action } ({ $what })
approval-why-reject = Warum ablehnen? (erforderlich)
approval-reject = Ablehnen
approval-own = Sie haben das angefragt, daher muss jemand anderes es freigeben oder ablehnen.
effects-lead = Was Aktionen außerhalb der Konsole veranlasst haben (E-Mails, Aufrufe anderer Systeme), ausgeführt vom Hintergrunddienst, nachdem die Aktion gespeichert ist.
effects-state = Zustand
effects-effect = Wirkung
effects-effect-id = Wirkung { $id }
effects-record = Datensatz
effects-scheduled = Geplant
effects-attempts-col = Versuche
effects-attempts = { $n } Versuche
effects-none = Hier gibt es keine Wirkungen.
effect-next-attempt = nächster Versuch am { $at } { $zone }
effect-scheduled-by = { $at } { $zone } durch Aktionslauf { $run }
effect-result = Ergebnis
effect-ended = Beendet
effect-given-up-by = Aufgegeben von
effect-key = Schlüssel
effect-key-hint = bei jedem Versuch mitgeschickt, damit ein Empfänger, der ihn beachtet, nur einmal handelt
effect-payload = Was verlangt wurde
effect-retry-lead = Mit demselben Schlüssel noch einmal versuchen; der Hintergrunddienst nimmt es innerhalb einer Minute auf.
effect-retry = Erneut versuchen
effect-why-give-up = Warum aufgeben? (erforderlich)
effect-give-up = Aufgeben
effect-why-give-up-queued = Warum aufgeben, bevor es ausgeführt wird? (erforderlich)
effect-ask-admin = Wer sich um Wirkungen kümmert, kann es erneut versuchen oder aufgeben. Fragen Sie einen Administrator.

## Mitarbeiter, Passwörter, Zwei-Faktor-Anmeldung, Tokens.
staff-title = Mitarbeiterkonten
staff-add = Mitarbeiterkonto anlegen
staff-username = Benutzername
staff-roles = Rollen
staff-superuser = Superuser
staff-active = Aktiv
staff-two-factor = Zwei-Faktor
staff-last-login = Letzte Anmeldung
staff-inactive = nein (kann sich nicht anmelden)
staff-on = an
staff-off = aus
staff-never = nie
staff-back = Zurück zu den Mitarbeiterkonten
staff-password-help = Mindestens 12 Zeichen. Geben Sie es der Person persönlich und bitten Sie sie, es zu ändern.
staff-two-factor-required = Zwei-Faktor-Anmeldung erforderlich
staff-no-roles = Es sind keine Rollen festgelegt; nur Superuser können etwas tun.
staff-active-help = Entfernen Sie das Häkchen, damit sich diese Person nicht mehr anmelden kann; ihre Sitzungen enden sofort.
staff-superuser-help = Ein Superuser hat jede Berechtigung, unabhängig von seinen Rollen.
staff-reset-password = Passwort zurücksetzen
staff-view-only = Sie können Mitarbeiterkonten ansehen, aber nicht ändern.
staff-reset-submit = Neues Passwort setzen und { $username } überall abmelden
password-title = Ihr Passwort ändern
password-current = Aktuelles Passwort
password-new = Neues Passwort
password-help = Mindestens { $min } Zeichen; gängige Passwörter werden abgelehnt.
password-again = Neues Passwort wiederholen
password-submit = Passwort ändern
tf-required = Ihre Rolle verlangt die Zwei-Faktor-Anmeldung. Richten Sie sie hier ein, um die Verwaltung weiter zu nutzen.
tf-is-on-title = Die Zwei-Faktor-Anmeldung ist eingeschaltet
tf-from-now-on = Ab jetzt melden Sie sich mit Ihrem Passwort und einem Code aus Ihrer App an.
tf-save-codes = Speichern Sie diese Wiederherstellungscodes jetzt
tf-save-codes-rest = , nicht auf Ihrem Telefon. Jeder meldet Sie einmal an, falls Sie Ihr Telefon verlieren. Sie werden nur dieses eine Mal angezeigt.
tf-saved = Ich habe sie gespeichert
tf-on-codes-left = Die Zwei-Faktor-Anmeldung ist eingeschaltet. Sie haben { $n } { $n ->
    [one] unbenutzten Wiederherstellungscode
   *[other] unbenutzte Wiederherstellungscodes
  }.
tf-turn-off = Zwei-Faktor-Anmeldung ausschalten
tf-your-password = Ihr Passwort
tf-off-help = Ihre Wiederherstellungscodes gelten dann auch nicht mehr. Für ein neues Telefon schalten Sie sie hier aus und richten sie neu ein.
tf-off-help-required = Ihre Rolle verlangt sie, daher werden Sie sofort gebeten, sie neu einzurichten.
tf-lead = Mit der Zwei-Faktor-Anmeldung brauchen Sie zum Anmelden Ihr Passwort und einen sechsstelligen Code aus einer Authenticator-App auf Ihrem Telefon; ein gestohlenes Passwort allein genügt dann nicht.
tf-step-key = Fügen Sie in Ihrer Authenticator-App ein Konto hinzu und wählen Sie die Eingabe eines Einrichtungsschlüssels. Geben Sie diesen Schlüssel ein (zeitbasiert):
tf-or-link = Oder öffnen Sie diesen Link auf dem Telefon, wenn Ihre App das unterstützt:
tf-step-code = Geben Sie den Code ein, den die App jetzt zeigt, um zu prüfen, dass es funktioniert.
tf-check = Den Code prüfen
tf-code = Code aus der App
tf-turn-on = Zwei-Faktor-Anmeldung einschalten
tokens-lead-api = Mit einem Token ruft ein Skript die JSON-API auf
tokens-lead-as-you = – als Sie, mit Ihren Rollen, bis Sie es widerrufen. Schicken Sie es als
tokens-lead-recent = Aktionen, die eine frische Anmeldung verlangen, lassen sich nicht mit einem Token ausführen.
tokens-new = Ihr neues Token
tokens-copy-now = Kopieren Sie es jetzt
tokens-copy-rest = an die Stelle, von der das Skript es liest. Es wird nur dieses eine Mal angezeigt: Gespeichert wird nur ein Fingerabdruck davon.
tokens-name = Name
tokens-made = Erstellt ({ $zone })
tokens-last-used = Zuletzt benutzt ({ $zone })
tokens-revoke = Widerrufen
tokens-revoke-label = { $name } widerrufen
tokens-revoked = widerrufen
tokens-active = aktiv
tokens-none = Sie haben keine API-Tokens.
tokens-make-legend = Ein Token erstellen
tokens-what-for = Wofür es ist
tokens-what-for-help = Zum Beispiel „nächtlicher Abgleich mit der Buchhaltung“: Daran unterscheiden Sie Ihre Tokens.
tokens-make = Token erstellen
confirm-me-title = Bestätigen Sie, dass Sie es sind
confirm-me-lead = Diese Seite ändert etwas Heikles, und Ihre letzte Anmeldung ist eine Weile her. Geben Sie Ihr Passwort ein, um fortzufahren.
confirm-me-lead-code = Diese Seite ändert etwas Heikles, und Ihre letzte Anmeldung ist eine Weile her. Geben Sie Ihr Passwort und einen Code aus Ihrer Authenticator-App ein, um fortzufahren.
confirm-me-code = Code aus Ihrer App
confirm-me-submit = Bestätigen

## Sprache und Zeitzone.
preferences-title = Sprache und Zeitzone
preferences-lead = Die Sprache dieser Seiten und die Zeitzone, in der ihre Zeiten erscheinen. Gespeichert werden Zeiten in UTC.
preferences-language = Sprache
preferences-language-browser = Die Sprache des Browsers
preferences-time-zone = Zeitzone
preferences-time-zone-help = Ein IANA-Name wie Europe/Berlin oder America/New_York; leer bedeutet UTC.
preferences-save = Speichern
preferences-saved = Ihre Sprache und Zeitzone sind gespeichert.

## Nachrichten für die nächste Seite.
flash-saved = { $title } gespeichert.
flash-saved-unchanged = { $title } gespeichert (es hatte sich nichts geändert).
flash-created = { $title } angelegt.
flash-deleted = { $title } gelöscht.
flash-note-added = Notiz hinzugefügt.
flash-view-saved = Die Ansicht „{ $name }“ ist gespeichert; sie steht auf Ihrer Übersicht.
flash-view-deleted = Die gespeicherte Ansicht wurde gelöscht.
flash-two-factor-off = Die Zwei-Faktor-Anmeldung ist ausgeschaltet, und Ihre Wiederherstellungscodes gelten nicht mehr.
flash-confirmed = Danke. Wenn ein Formular unterbrochen wurde, schicken Sie es noch einmal ab.
flash-staff-created = Mitarbeiterkonto { $username } angelegt.
flash-staff-saved = Mitarbeiterkonto { $username } gespeichert; seine Sitzungen wurden beendet, falls sich etwas geändert hat.
flash-staff-password = Neues Passwort für { $username } gesetzt; die Sitzungen wurden beendet.
flash-password-changed = Ihr Passwort wurde geändert. Ihre anderen Sitzungen wurden abgemeldet.
flash-token-revoked = Das Token „{ $name }“ ist widerrufen: Aufrufe damit werden abgelehnt.
flash-effect-retry = „{ $summary }“ wird gleich noch einmal versucht.
flash-effect-given-up = „{ $summary }“ wurde aufgegeben; es wird nicht mehr versucht.
flash-undo-waits = Das Rückgängigmachen wartet auf die Freigabe einer zweiten Person.
flash-restored-version = { $label } { $key } auf die Fassung von Eintrag { $seq } zurückgesetzt.
flash-restored = { $label } { $key } wiederhergestellt.

## Titles and buttons made in code.
search-more-than = mehr als { $count }
confirm-button = { $action }: { $what }
confirm-button-approval = Freigabe anfragen: { $action } ({ $what })
result-summary = { $action }: { $done } erledigt.
result-summary-skipped = { $action }: { $done } erledigt, { $skipped } übersprungen.
result-title = { $action }: Lauf { $id }
approval-title = Freigabeanfrage { $id }
flash-approved = Anfrage { $id } freigegeben; sie läuft gleich.
flash-rejected = Anfrage { $id } abgelehnt; sie läuft nicht.

## Background jobs.
base-nav-jobs = Hintergrundaufträge
count-jobs = { $count } { $n ->
    [one] Hintergrundauftrag
   *[other] Hintergrundaufträge
}
jobs-lead = Aktionen auf mehr Datensätzen, als ein Lauf nimmt, in Abschnitten vom Worker ausgeführt. Jeder Abschnitt ist eine Transaktion mit seinen Protokolleinträgen; ein Datensatz wird erneut geprüft, wenn sein Abschnitt läuft.
jobs-state = Stand
jobs-all = Alle
jobs-not-a-state = „{ $state }“ ist kein Stand eines Hintergrundauftrags; alle Stände werden gezeigt.
jobs-job = Auftrag
jobs-action = Aktion
jobs-requester = Erteilt von
jobs-created = Erteilt
jobs-progress = Fortschritt
jobs-none = Hier gibt es keine Hintergrundaufträge.
job-title = Hintergrundauftrag { $id }
job-state-awaiting-approval = Wartet auf Freigabe
job-state-queued = Wartet auf den Start
job-state-running = Läuft
job-state-paused = Angehalten
job-state-done = Fertig
job-state-failed = Fehlgeschlagen
job-state-cancelled = Abgebrochen
job-state-rejected = Abgelehnt
job-percent = { $percent } % erledigt
job-processed-of = { $processed } von { $total }
job-failed-count = { $failed } fehlgeschlagen
job-records = Datensätze
job-done = Erledigt
job-skipped = Übersprungen
job-failed = Fehlgeschlagen
job-rate = Tempo
job-rate-value = { $rate } Datensätze pro Sekunde
job-left = Restzeit
job-left-seconds = etwa { $n } Sekunden
job-left-minutes = etwa { $n } Minuten
job-left-hours = etwa { $n } Stunden
job-refreshes = Diese Seite folgt dem Auftrag, während er läuft.
job-reload = Neu laden
job-reason = Grund
job-selection = Auswahl
job-selection-link = die Liste ({ $model }), aus der sie stammt
job-selection-fixed = (die Datensätze wurden beim Erteilen festgelegt; was erst jetzt passt, gehört nicht dazu)
job-started = Begonnen
job-approved-by = Freigegeben von
job-last-change = Zuletzt geändert von
job-audit = Protokoll
job-audit-link = die Einträge des Auftrags (der Eintrag jedes Datensatzes steht auf der Seite seines Laufs)
job-why-approve = Warum freigeben? (Pflicht)
job-approve = Freigeben
job-why-reject = Warum ablehnen? (Pflicht)
job-reject = Ablehnen
job-why-pause = Warum anhalten? (Pflicht)
job-pause-help = Der laufende Abschnitt wird fertig; danach beginnt keiner mehr, bis jemand den Auftrag fortsetzt.
job-pause = Anhalten
job-why-resume = Warum fortsetzen? (Pflicht)
job-resume = Fortsetzen
job-why-cancel = Warum abbrechen? (Pflicht)
job-cancel-help = Der laufende Abschnitt wird fertig; die noch nicht erreichten Datensätze bleiben, wie sie sind.
job-cancel = Auftrag abbrechen
job-failed-records = Fehlgeschlagene Datensätze
job-skipped-records = Übersprungene Datensätze
job-first-shown = Die ersten { $n } werden gezeigt.
job-run-link = (sein Lauf)
confirm-job-title = Alle { $phrase } sind mehr, als ein Lauf nimmt
confirm-job-lead = Sie können als Hintergrundauftrag laufen: in Abschnitten von { $chunk } Datensätzen, jeder eine Transaktion mit seinen Protokolleinträgen. Jeder Datensatz wird erneut geprüft, wenn sein Abschnitt läuft; einer, der nicht mehr passt, bleibt mit Begründung unverändert. Auf seiner Seite können Sie den Auftrag verfolgen, anhalten oder abbrechen.
confirm-job-sample = Unten stehen die Prüfungen für die ersten { $batch }.
confirm-button-job = Hintergrundauftrag starten: { $action } ({ $what })
confirm-job-needs-approval = Dieser Auftrag braucht die Freigabe einer zweiten Person, bevor er beginnt.
flash-job-started = „{ $action }“ läuft als Hintergrundauftrag { $id }.
flash-job-awaiting = Hintergrundauftrag { $id } („{ $action }“) wartet auf die Freigabe durch eine andere Person. Noch hat sich nichts geändert.
flash-job-paused = Hintergrundauftrag { $id } ist angehalten.
flash-job-resumed = Hintergrundauftrag { $id } läuft weiter.
flash-job-cancelled = Hintergrundauftrag { $id } ist abgebrochen.
flash-job-approved = Hintergrundauftrag { $id } ist freigegeben; er beginnt gleich.
flash-job-rejected = Hintergrundauftrag { $id } ist abgelehnt; er läuft nicht.
dashboard-jobs = Laufende, wartende oder fehlgeschlagene Hintergrundaufträge
dashboard-all-jobs = Alle Hintergrundaufträge
