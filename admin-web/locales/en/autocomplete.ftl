# Foreign keys chosen by name: the autocomplete widget, the pick page that works
# without JavaScript, and the list's date drill-down.
autocomplete-find = Find { $model }…
autocomplete-find-label = Find { $model } by name for { $field }
autocomplete-chosen = Chosen: { $name }
autocomplete-none = Nothing matches.
autocomplete-more = More match: type more to narrow.
autocomplete-failed = Suggestions could not be loaded; type the id or use “Find”.
autocomplete-pick-title = Choose { $field }
autocomplete-pick-intro = Search { $model } and choose one; you go back to the page you came from with its id filled in.
autocomplete-search-label = Search { $model }
autocomplete-search = Search
autocomplete-choose = Choose
autocomplete-choose-label = Choose { $name }
autocomplete-id = id { $id }
autocomplete-pick-more = More records match than are shown: type more to narrow the search.
autocomplete-pick-empty = Nothing matches “{ $q }”.
autocomplete-pick-back = Back without choosing
autocomplete-pick-id-hint = Without this page, type the id into the field: the id is shown beside each name.
autocomplete-drill-label = By { $field }
autocomplete-drill-all = All dates
