# Die eigenen Texte der Verwaltung auf Deutsch. Dieselben Dateien und Kennungen wie en/.
language-name = Deutsch

## Formate.
money-symbol = { $sign }{ $amount } { $symbol }
money-code = { $sign }{ $amount } { $code }
datetime = { $day }.{ $month }.{ $year } { $hour }:{ $minute }:{ $second }
datetime-short = { $day }.{ $month }.{ $year } { $hour }:{ $minute }
date = { $day }.{ $month }.{ $year }
month-1 = Januar
month-2 = Februar
month-3 = März
month-4 = April
month-5 = Mai
month-6 = Juni
month-7 = Juli
month-8 = August
month-9 = September
month-10 = Oktober
month-11 = November
month-12 = Dezember

## Überall gebrauchte Wörter.
yes = ja
no = nein
cell-empty = leer
word-all = Alle
status-pending = Wartet auf Freigabe
status-approved = Freigegeben, wird gleich ausgeführt
status-running = Läuft
status-failed = Fehlgeschlagen
status-rejected = Abgelehnt
state-queued = Wartet
state-running = Wird ausgeführt
state-given-up = Aufgegeben
model-approval = Freigabeanfrage
model-staff = Mitarbeiterkonto
model-api-token = API-Token

## Das Seitengerüst (base.html).
base-skip = Zum Inhalt springen
base-nav-models = Modelle
base-nav-approvals = Freigaben
base-nav-effects = Wirkungen
base-nav-audit = Protokoll
base-nav-staff = Mitarbeiter
base-search = Alles durchsuchen
base-signed-in-as = Angemeldet als
base-preferences = Sprache und Zeitzone
base-password = Passwort
base-two-factor = Zwei-Faktor-Anmeldung
base-tokens = API-Tokens
base-sign-out = Abmelden
base-crumbs = Brotkrumen
base-home = Start

## Fehlerseiten.
error-quote-before = Nennen Sie die Anfrage-Kennung
error-quote-after = bei Ihrer Meldung.
error-back = Zurück zur Übersicht
error-title-sign-in = Anmeldung nötig
error-title-csrf = Formular abgelaufen
error-title-origin = Nicht von dieser Seite
error-title-not-found = Nicht gefunden
error-title-forbidden = Nicht erlaubt
error-title-reauth = Passwort bestätigen
error-title-cannot = Das geht nicht
error-title-conflict = Von jemand anderem geändert
error-title-unavailable = Datenbank nicht erreichbar
error-title-internal = Etwas ist schiefgegangen
error-unauthenticated = Bitte melden Sie sich an, um fortzufahren.
error-reauth = Bestätigen Sie Ihr Passwort, um fortzufahren: Dafür ist eine frische Anmeldung nötig.
error-invalid = Bitte korrigieren Sie die Fehler unten.
error-conflict = Dieser Datensatz wurde geändert, seit Sie ihn geöffnet haben. Nichts wurde gespeichert.
error-db = Die Datenbank konnte die Anfrage nicht ausführen. Nichts wurde geändert.
error-internal = Bei uns ist etwas schiefgegangen. Nichts wurde geändert.
error-csrf = Dieses Formular ist abgelaufen oder kam nicht von dieser Seite. Gehen Sie zurück, laden Sie die Seite neu und versuchen Sie es noch einmal.
error-origin = Dieses Formular kam nicht von dieser Seite, daher wurde nichts getan. Gehen Sie zurück zur Konsole, laden Sie die Seite neu und versuchen Sie es noch einmal.
error-no-such-page = Diese Seite gibt es nicht.

## Ablehnungen.
who-can-none = Keine Rolle darf das; nur ein Superuser.
who-can-one = Fragen Sie jemanden mit der Rolle { $role }.
who-can-many = Fragen Sie jemanden mit der Rolle { $roles } oder { $last }.
denial = { $what } { $who }
refusal-view-only = Sie können { $noun } ansehen, aber nicht { $op ->
    [change] ändern
    [delete] löschen
    [add] anlegen
    [export] exportieren
    [note] mit Notizen versehen
   *[other] { $verb }
  }. { $who }
refusal-cannot = Sie können { $noun } nicht { $op ->
    [view] ansehen
    [change] ändern
    [delete] löschen
    [add] anlegen
    [export] exportieren
    [note] mit Notizen versehen
   *[other] { $verb }
  }. { $who }

## Was Protokolleinträge festhalten.
kind-create = Angelegt
kind-update = Geändert
kind-delete = Gelöscht
kind-login = Angemeldet
kind-login-failed = Anmeldung fehlgeschlagen
kind-logout = Abgemeldet
kind-approve = Freigegeben
kind-reject = Abgelehnt
kind-approval-requested = Freigabe angefragt
kind-approval-failed = Freigegebene Aktion fehlgeschlagen
kind-login-locked = Anmeldung nach Fehlversuchen gesperrt
kind-login-password = Passwort angenommen, zweiter Faktor folgt
kind-two-factor-enrolled = Zwei-Faktor-Anmeldung eingeschaltet
kind-two-factor-disabled = Zwei-Faktor-Anmeldung ausgeschaltet
kind-reauth = Identität bestätigt
kind-reauth-failed = Identitätsbestätigung fehlgeschlagen
kind-reauth-locked = Nach falschen Passwörtern gesperrt
kind-restore = Wiederhergestellt
kind-action = Aktion: { $name }
kind-undo = Rückgängig gemacht: { $name }
