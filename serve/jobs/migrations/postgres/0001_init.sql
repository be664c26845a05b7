CREATE TABLE jobs (
	id          BIGSERIAL PRIMARY KEY,
	repo        TEXT NOT NULL,
	repo_key    TEXT NOT NULL,
	kind        TEXT NOT NULL,
	key         TEXT NOT NULL,
	state       TEXT NOT NULL,
	attempts    INTEGER NOT NULL DEFAULT 0,
	created     BIGINT NOT NULL,
	run_after   BIGINT NOT NULL,
	started     BIGINT NOT NULL DEFAULT 0,
	finished    BIGINT NOT NULL DEFAULT 0,
	result      TEXT NOT NULL DEFAULT '',
	error       TEXT NOT NULL DEFAULT '',
	owner       TEXT NOT NULL DEFAULT '',
	lease_until BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX jobs_waiting ON jobs(state, run_after, id);
CREATE INDEX jobs_repo ON jobs(repo_key, id);
-- One running job per repository across every replica: the claim checks
-- it, and this index makes a race between two claims an error.
CREATE UNIQUE INDEX jobs_one_running ON jobs(repo_key) WHERE state = 'running';
CREATE TABLE requests (
	id       BIGSERIAL PRIMARY KEY,
	job_id   BIGINT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
	payload  BYTEA NOT NULL,
	delivery TEXT NOT NULL DEFAULT '',
	created  BIGINT NOT NULL
);
CREATE INDEX requests_job ON requests(job_id, id);
CREATE UNIQUE INDEX requests_delivery ON requests(delivery) WHERE delivery != '';
CREATE TABLE runs (
	id       BIGSERIAL PRIMARY KEY,
	job_id   BIGINT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
	owner    TEXT NOT NULL,
	started  BIGINT NOT NULL,
	finished BIGINT NOT NULL DEFAULT 0,
	outcome  TEXT NOT NULL DEFAULT ''
);
CREATE INDEX runs_job ON runs(job_id, id);
CREATE TABLE schedule_fires (
	name  TEXT NOT NULL,
	tick  BIGINT NOT NULL,
	owner TEXT NOT NULL,
	fired BIGINT NOT NULL,
	PRIMARY KEY (name, tick)
);
