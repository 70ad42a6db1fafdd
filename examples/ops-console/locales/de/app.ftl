# Die eigenen Texte der Beispielanwendung. Feldbezeichnungen: field-{model}-{field}.
account-already-in-review = Konto { $id } ist schon zur manuellen Prüfung markiert.
field-account-email = E-Mail
field-account-company = Firma
