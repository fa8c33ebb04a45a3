"""``python -m ecfmg_policy`` runs the command line."""

from ecfmg_policy.cli.main import main

if __name__ == "__main__":
    main()
