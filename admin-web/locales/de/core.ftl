# Die eigenen Texte der Verwaltung auf Deutsch. Dieselben Dateien und Kennungen wie en/.
language-name = Deutsch
