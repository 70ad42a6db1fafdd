# Formulare: Abschnitte, Eingabeelemente und Längengrenzen.
forms-max-length = { $count ->
    [one] Höchstens ein Zeichen.
   *[other] Höchstens { $count } Zeichen.
}
forms-radio-none = Keine Angabe
