# Anzeigenamen von Datensätzen (#[admin(display = "...")]).
# Die Spalte der Anzeigenamen neben der ID eines Fremdschlüssels im CSV-Export: "Account Name".
display-csv-name-column = { $label } (Name)
# Die Verlaufsseite eines Datensatzes: "Verlauf von Acme <a@acme.test>".
display-history-title = Verlauf von { $name }
