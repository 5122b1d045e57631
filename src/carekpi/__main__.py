from carekpi.cli import main

main()
