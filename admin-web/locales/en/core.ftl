# The admin's own words in English, the catalog every other language falls back to.
# One file per feature (core.ftl, inline.ftl, scope.ftl, ...); each language has the
# same files with the same message ids. Placeholders are `{ $name }`.
language-name = English
