## CSV-Importe und Exporte im Hintergrund.
list-import = CSV importieren
list-export-job = Im Hintergrund exportieren
import-title = { $model } aus einer CSV-Datei importieren
import-lead = Laden Sie eine CSV-Datei hoch (UTF-8, mit oder ohne Byte-Order-Mark; Zellen durch Komma oder Semikolon getrennt; höchstens { $mb } MB). Geschrieben wird erst, wenn Sie gesehen haben, was der Import täte, und ihn bestätigen.
import-help-match = Jede Zeile wird einem Datensatz zugeordnet über eines von: { $keys }. Eine Zeile, deren Datensatz existiert, ändert ihn; wird nicht über die ID zugeordnet, legt eine Zeile ohne passenden Datensatz einen neuen an.
import-help-fields = Spalten können setzen: { $fields }.
import-help-no-add = Ihre Rolle darf hier keine Datensätze anlegen; Zeilen für neue Datensätze schlagen fehl.
import-help-no-change = Ihre Rolle darf hier keine Datensätze ändern; Zeilen für bestehende Datensätze schlagen fehl.
import-help-preview = Jede Zeile wird nach denselben Regeln wie das Formular des Datensatzes geprüft, als Sie: Sie sehen neue Datensätze, Änderungen Feld für Feld und das Problem jeder Zeile mit ihrer Zeilennummer, bevor etwas geschrieben wird.
import-file = CSV-Datei
import-reason = Warum importieren Sie sie?
import-reason-help = Wird mit jeder Änderung im Audit-Log gespeichert. Nötig, wenn eine Spalte ein Feld ändert, das eine Begründung verlangt.
import-upload = Hochladen und Spalten zuordnen
import-no-file = Wählen Sie eine CSV-Datei zum Hochladen.
import-unreadable-upload = Die Datei konnte nicht gelesen werden. Angenommen werden Dateien bis { $mb } MB; teilen Sie größere auf.
import-rows-others = Nur wer die Datei importiert hat, sieht ihre Zeilen: Sie enthalten, was die Datei sagte, auch zu Datensätzen, die Sie nicht sehen dürfen.
import-file-heading = Datei: { $file }
import-new = Neue Datensätze
import-changed = Datensätze, die sich ändern
import-unchanged = Zeilen ohne Änderung
import-errors = Zeilen mit Problemen
import-unchecked = Noch nicht geprüfte Zeilen
import-rows-checked = Geprüfte Zeilen
import-failed-download = Zeilen mit Problemen herunterladen (CSV, mit Zeilennummer und Problem)
import-confirm-lead = Mit der Bestätigung { $n ->
    [one] wird eine Zeile
   *[other] werden { $count } Zeilen
} als Hintergrundauftrag geschrieben, ein Audit-Eintrag je Datensatz. Jede Zeile wird beim Schreiben erneut geprüft.
import-confirm-errors = { $n ->
    [one] Die Zeile mit einem Problem wird ausgelassen.
   *[other] Die { $count } Zeilen mit Problemen werden ausgelassen.
}
import-confirm = Importieren: { $create } anlegen, { $update } ändern
import-nothing-to-write = Keine Zeile würde einen Datensatz anlegen oder ändern; es gibt nichts zu importieren.
import-error-rows = Zeilen mit Problemen
import-update-rows = Datensätze, die sich ändern
import-create-rows = Neue Datensätze
import-line = Zeile
import-line-n = Zeile { $n }:
import-problem = Problem
import-record = Datensatz
import-changes = Änderungen
import-values = Werte
import-columns = Spalten
import-columns-help = Ordnen Sie jede Spalte der Datei einem Feld zu oder lassen Sie sie aus. Eine Änderung prüft alle Zeilen erneut.
import-column = Spalte der Datei
import-first-row = Erste Zeile
import-field = Feld
import-unnamed = Spalte { $n }
import-leave-out = Auslassen
import-key = Zeilen Datensätzen zuordnen über
import-key-help = Die ID oder ein Feld, das keine zwei Datensätze teilen. Derselbe Import ein zweites Mal ändert dann nichts.
import-check = Zeilen prüfen
import-check-again = Zeilen erneut prüfen
import-csv-line = Zeile
import-csv-error = Problem
flash-import-confirmed = Import { $id } ist bestätigt; der Worker schreibt jetzt seine Zeilen.
flash-export-started = Export { $id } hat begonnen; laden Sie die Datei hier herunter, wenn er fertig ist.
job-kind-import = Import
job-kind-export = Export
job-state-draft = Spalten zuordnen
job-state-checking = Zeilen werden geprüft
job-state-ready = Bereit zum Import
export-download = CSV-Datei herunterladen
export-kept = Die Datei wird mindestens 7 Tage aufbewahrt; ein weiterer Export danach entfernt sie.
export-not-yet = Die Datei kann hier heruntergeladen werden, wenn der Export fertig ist.
export-others = Nur wer einen Export gestartet hat, kann seine Datei herunterladen.
