# Eigene Seiten und Kacheln der Übersicht (Issue 16, Punkt 5).
pages-crumb-home = Start
pages-tile-unavailable = –
pages-tile-unavailable-title = Diese Zahl ist gerade nicht verfügbar.
