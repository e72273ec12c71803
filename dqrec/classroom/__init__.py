"""Teaching with the notebooks: student and teacher editions from one source
(``editions``), the autograder (``autograde``) and the launch buttons' install cell
(``launch``). The command line is ``python -m dqrec.classroom`` (``__main__``)."""
