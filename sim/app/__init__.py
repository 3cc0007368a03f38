"""The administrator's what-if page (``courtsim app``): edit a scenario in a browser, run it, read the verdict.

The page is thin (:mod:`sim.app.page`, Streamlit); what it does is plain functions that the
tests call without a browser:

- :mod:`sim.app.edits`: the fields the page edits, a scenario's values of them, the edits
  that differ from the base, the validated variant (or the problems, by field, as
  ``courtsim validate`` words them) and the variant as a ``base = ...`` TOML file;
- :mod:`sim.app.jobs`: a run in the background (a process pool) that streams estimates until
  a precision or a replication cap, can be cancelled, and is cached by scenario content and seed;
- :mod:`sim.app.summaries`: the verdict per target, utilisation per team × role, the paired
  comparison against the baseline, and the tables of a finished run.
"""
