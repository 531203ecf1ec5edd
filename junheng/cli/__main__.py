"""`python -m junheng.cli`: the same as the `junheng` command."""

from junheng.cli import main

raise SystemExit(main())
