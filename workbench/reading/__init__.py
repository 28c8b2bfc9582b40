"""Close reading: queries (words, phrases, wildcards, clitics), concordances, lexicons, trends and attribution."""
