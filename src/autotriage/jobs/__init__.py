"""The worker's work as task functions, and the job engine that runs them on PostgreSQL.

* `work` -- plain functions, one per kind of work: group a batch of the inbox, run outbox
  action N, sweep for due work, retention, CloudWatch scan, Sentry poll, GitHub state
  poll, mirror refresh. They know nothing of how they are scheduled.
* `engine` -- procrastinate on PostgreSQL: each function is a task; periodic work runs once
  per period across any number of workers; "run action N" is deferred in the same
  transaction that records action N.
* SQLite keeps one process: `autotriage.pipeline.Worker` calls the same functions from its
  threads.
"""
