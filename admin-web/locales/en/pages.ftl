# Custom pages and dashboard tiles (issue 16 point 5).
pages-crumb-home = Home
pages-tile-unavailable = –
pages-tile-unavailable-title = This count is not available right now.
