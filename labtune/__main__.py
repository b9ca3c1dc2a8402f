from labtune.cli import main

main()
