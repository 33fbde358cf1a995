"""What a run leaves behind: the run folder (``record``), recorded packets (``packets``), injected faults
(``faults``), plots (``plots``) and the one-page HTML report (``html``)."""
