from carekpi.launch import main

main()
