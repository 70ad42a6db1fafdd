# Display names of records (#[admin(display = "...")]).
# The CSV export's column of display names beside a foreign key's id: "Account name".
display-csv-name-column = { $label } name
# A record's history page, for a model with display names: "History of Acme <a@acme.test>".
display-history-title = History of { $name }
