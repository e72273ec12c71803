"""``python -m dqrec``: see ``dqrec.cli``."""

from dqrec.cli import main

raise SystemExit(main())
