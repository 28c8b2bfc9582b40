"""Close reading: queries (words, phrases, wildcards, clitics), concordances, lexicons and trends."""
