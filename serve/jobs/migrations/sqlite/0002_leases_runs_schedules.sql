-- Who runs a job and until when (a lease the runner renews), every run of
-- a job, and the schedule ticks already fired.
ALTER TABLE jobs ADD COLUMN owner TEXT NOT NULL DEFAULT '';
ALTER TABLE jobs ADD COLUMN lease_until INTEGER NOT NULL DEFAULT 0;
UPDATE jobs SET state = 'queued', started = 0 WHERE state = 'running' AND id NOT IN (SELECT MIN(id) FROM jobs WHERE state = 'running' GROUP BY repo_key);
CREATE UNIQUE INDEX jobs_one_running ON jobs(repo_key) WHERE state = 'running';
CREATE TABLE runs (
	id       INTEGER PRIMARY KEY AUTOINCREMENT,
	job_id   INTEGER NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
	owner    TEXT NOT NULL,
	started  INTEGER NOT NULL,
	finished INTEGER NOT NULL DEFAULT 0,
	outcome  TEXT NOT NULL DEFAULT ''
);
CREATE INDEX runs_job ON runs(job_id, id);
CREATE TABLE schedule_fires (
	name  TEXT NOT NULL,
	tick  INTEGER NOT NULL,
	owner TEXT NOT NULL,
	fired INTEGER NOT NULL,
	PRIMARY KEY (name, tick)
);
