-- Where each repository and each cluster stood after its last run, for the
-- posture page: one row each (the key is unique, so replicas that store
-- at once update one row), the run's posture kept as JSON.
CREATE TABLE postures (
	repo_key TEXT PRIMARY KEY,
	repo     TEXT NOT NULL,
	job_id   INTEGER NOT NULL DEFAULT 0,
	at       INTEGER NOT NULL,
	posture  TEXT NOT NULL,
	-- The posture without its lists of findings and files, for the fleet.
	summary  TEXT NOT NULL
);
CREATE TABLE cluster_postures (
	name    TEXT PRIMARY KEY,
	job_id  INTEGER NOT NULL DEFAULT 0,
	at      INTEGER NOT NULL,
	record  TEXT NOT NULL
);
