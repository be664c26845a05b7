package serviceconfig

import (
	"os"
	"testing"
)

// FuzzParse feeds the operator's config reader malformed files: Parse must
// never panic, and a config it accepts answers every question the server
// asks of it (secrets are not resolved: that reads files). Seeds: the
// deploy configs, and testdata/fuzz/FuzzParse.
func FuzzParse(f *testing.F) {
	for _, p := range []string{"../../deploy/serve.yaml"} {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, s := range []string{
		"", "---\n", "listen: 127.0.0.1:8080\nstore: /tmp/x.db\n",
		"github:\n  token: {env: GITHUB_TOKEN}\n  webhookSecret: {file: /run/secret}\n  app: {id: 1, privateKey: {file: k.pem}}\n",
		"slack:\n  signingSecret: {env: S}\n  allow:\n    - {users: [U1], channels: [C1], commands: [fix, scan], repos: ['acme/*']}\n  responseURLPrefixes: ['https://hooks.slack.com/']\n",
		"clusters:\n  - {name: prod, context: prod-eu, namespace: shop}\nschedules:\n  - {name: nightly, cron: 'CRON_TZ=Europe/Paris 0 2 * * *', jitter: 30m, clusters: [prod]}\n",
		"owners:\n  - {name: acme, include: ['*'], exclude: ['['], includeArchived: true}\nrepositories: [acme/shop]\n",
		"review: {disabled: true}\nlimits: {workers: 0, jobTimeout: 1ns}\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := Parse(b)
		if err != nil {
			return
		}
		c.SlackAllows("U1", "C1", "fix", "acme/shop")
		c.SlackResponseURLAllowed("https://hooks.slack.com/commands/T/1/x")
		c.Specs()
		for _, s := range c.Schedules {
			c.ScheduledClusters(s.Name)
		}
		c.APIURL(func(string) string { return "" })
	})
}
