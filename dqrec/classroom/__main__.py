"""``python -m dqrec.classroom``: the student edition, the autograder, the install cells.

python -m dqrec.classroom student --out student/    # write the student edition
python -m dqrec.classroom grade student/            # autograde a student's notebooks
python -m dqrec.classroom verify                    # every stub fails, every answer passes
python -m dqrec.classroom install-cells [--check]   # first cells from _config.yml's URL
"""

import argparse
import sys
from pathlib import Path

from dqrec.classroom.editions import (
    NOTEBOOKS,
    ClassroomError,
    notebook_paths,
    write_student_edition,
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m dqrec.classroom", description=__doc__.split("\n")[0]
    )
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("student", help="write the student edition of every notebook")
    p.add_argument("--out", required=True, type=Path, help="folder for the student notebooks")
    p.add_argument(
        "--source", type=Path, default=NOTEBOOKS, help="teacher notebooks (default: notebooks/)"
    )
    p.add_argument("--force", action="store_true", help="replace notebooks already in --out")
    p = sub.add_parser("grade", help="run a student's notebooks and print a score per exercise")
    p.add_argument("submission", type=Path, nargs="+", help="notebooks, or folders of notebooks")
    p.add_argument(
        "--source", type=Path, default=NOTEBOOKS, help="teacher notebooks (default: notebooks/)"
    )
    p.add_argument("--timeout", type=int, default=1800, help="seconds per cell (default 1800)")
    p = sub.add_parser(
        "verify", help="check that every stub fails its check and every answer passes"
    )
    p.add_argument("notebook", type=Path, nargs="*", help="teacher notebooks (default: all)")
    p = sub.add_parser(
        "install-cells", help="write the install cell from _config.yml's repository url"
    )
    p.add_argument(
        "--check", action="store_true", help="only report notebooks that differ (exit 1)"
    )
    args = parser.parse_args(argv)
    try:
        if args.command == "student":
            for path in write_student_edition(args.out, args.source, args.force):
                print(path)
        elif args.command == "grade":
            from dqrec.classroom.autograde import grade, print_scores

            paths = [q for p in args.submission for q in (notebook_paths(p) if p.is_dir() else [p])]
            print_scores(grade(paths, Path(args.source), args.timeout))
        elif args.command == "verify":
            from dqrec.classroom.autograde import verify

            paths = args.notebook or notebook_paths(NOTEBOOKS)
            failures = verify(paths)
            return 1 if failures else 0
        else:
            from dqrec.classroom.launch import sync_install_cells

            stale = sync_install_cells(notebook_paths(NOTEBOOKS), args.check)
            for path in stale:
                print(f"{'differs' if args.check else 'updated'}: {path}")
            return 1 if args.check and stale else 0
    except ClassroomError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
