package serviceconfig

import (
	"strings"
	"testing"
	"time"
)

// TestDatabase: the PostgreSQL store is named by reference; a URL written
// as the store is refused, since it may carry a password.
func TestDatabase(t *testing.T) {
	c, err := Parse([]byte("database: {env: PGURL}\nlimits: {jobLease: 30s}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if time.Duration(c.Limits.JobLease) != 30*time.Second {
		t.Errorf("jobLease %v", c.Limits.JobLease)
	}
	env := map[string]string{"GITHUB_TOKEN": "t", "PGURL": "postgres://remedy:pw@db/remedy"}
	s, _, err := c.Resolve(func(k string) string { return env[k] })
	if err != nil || s.DatabaseURL != env["PGURL"] {
		t.Errorf("resolved %q, %v", s.DatabaseURL, err)
	}
	delete(env, "PGURL")
	if _, _, err := c.Resolve(func(k string) string { return env[k] }); err == nil || !strings.Contains(err.Error(), "database: environment variable PGURL is empty") {
		t.Errorf("unset database URL: %v", err)
	}
	for _, y := range []string{
		"store: postgres://remedy:pw@db/remedy\n",
		"database: postgres://remedy:pw@db/remedy\n",
		"limits: {jobLease: 10ms}\n",
	} {
		_, err := Parse([]byte(y))
		if err == nil {
			t.Errorf("%q accepted", y)
			continue
		}
		if strings.Contains(err.Error(), "pw@") {
			t.Errorf("%q: the error shows the password: %v", y, err)
		}
	}
	if c, _ := Parse(nil); time.Duration(c.Limits.JobLease) != time.Minute || c.Database != nil {
		t.Errorf("defaults: lease %v, database %+v", c.Limits.JobLease, c.Database)
	}
}
