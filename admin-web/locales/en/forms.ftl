# Record forms: fieldsets, widgets and limits (admin/includes/field.html, forms.html).
forms-max-length = { $count ->
    [one] At most one character.
   *[other] At most { $count } characters.
}
forms-radio-none = None
