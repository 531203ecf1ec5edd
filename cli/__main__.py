"""`python -m cli`: the same as the `junheng` command."""

from cli import main

raise SystemExit(main())
