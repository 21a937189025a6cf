from huntfeed.cli import main

main()
