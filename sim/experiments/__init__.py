"""Experiments: many replications of one or more scenarios, and the questions asked of them.

Everything above the model and its metrics that turns replications into answers
(``docs/experiments.md`` has the methods and their limits):

- :mod:`~sim.experiments.running`: scenarios × replications → a long KPI table under
  common random numbers (:func:`~sim.experiments.running.run_experiment`);
- :mod:`~sim.experiments.statistics`: intervals, paired and Welch differences, how many
  replications a precision needs;
- :mod:`~sim.experiments.types`: the shapes the modules share (``Output``,
  ``ReplicationStore``, ``Progress``, ``Evaluate``, ``Target``);
- :mod:`~sim.experiments.backends`: where replications run (this process, a process
  pool, a Dask cluster);
- :mod:`~sim.experiments.cache` and :mod:`~sim.experiments.resume`: finished
  replications kept across calls (KPIs), or inside a results folder (whole runs);
- :mod:`~sim.experiments.results`: results folders and their manifest;
- :mod:`~sim.experiments.sweep`, :mod:`~sim.experiments.load_search` and
  :mod:`~sim.experiments.staffing_search`: a grid of parameters, the load at which a
  target breaks, the smallest staffing that meets targets.

Nothing is imported with the package: import the module you need.
"""
