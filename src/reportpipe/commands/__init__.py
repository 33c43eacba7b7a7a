"""What each subcommand does, as functions that return a result and never print
(`cli.py` parses, prints and picks the exit code), as MkDocs' `commands/` are."""
