-- The schema before versioned migrations; IF NOT EXISTS adopts a store
-- that an older remedy created.
CREATE TABLE IF NOT EXISTS jobs (
	id        INTEGER PRIMARY KEY AUTOINCREMENT,
	repo      TEXT NOT NULL,
	repo_key  TEXT NOT NULL,
	kind      TEXT NOT NULL,
	key       TEXT NOT NULL,
	state     TEXT NOT NULL,
	attempts  INTEGER NOT NULL DEFAULT 0,
	created   INTEGER NOT NULL,
	run_after INTEGER NOT NULL,
	started   INTEGER NOT NULL DEFAULT 0,
	finished  INTEGER NOT NULL DEFAULT 0,
	result    TEXT NOT NULL DEFAULT '',
	error     TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS jobs_waiting ON jobs(state, run_after, id);
CREATE INDEX IF NOT EXISTS jobs_repo ON jobs(repo_key, id);
CREATE TABLE IF NOT EXISTS requests (
	id       INTEGER PRIMARY KEY AUTOINCREMENT,
	job_id   INTEGER NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
	payload  BLOB NOT NULL,
	delivery TEXT NOT NULL DEFAULT '',
	created  INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS requests_job ON requests(job_id, id);
CREATE UNIQUE INDEX IF NOT EXISTS requests_delivery ON requests(delivery) WHERE delivery != '';
