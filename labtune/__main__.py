from labtune.cli import entry

entry()
