# The reference app's own words, beside the admin's. Field labels: field-{model}-{field}.
account-already-in-review = Account { $id } is already marked for manual review.
