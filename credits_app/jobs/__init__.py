"""Background work (DESIGN §8): the transactional outbox, the worker and the periodic schedule.

The `jobs` table is the queue. A job is inserted with `outbox.enqueue(session, ...)` inside the
caller's transaction, so it exists exactly when the change that caused it committed. Workers
(`worker.Worker`) claim due jobs, run their handler at least once, back off exponentially on
failure and park a job as `dead` after its last attempt. No Reflex or Starlette in here.
"""
