//go:build e2e

package e2e

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/remedy-bot/remedy/internal/clustertest"
	"github.com/remedy-bot/remedy/remediate"
	"github.com/remedy-bot/remedy/scanner"
)

// trustCounts is the outcome of the trust test, in the words of its log line.
type trustCounts struct {
	documents, noKind, rejectedBefore, acceptedBefore int
	fixedFiles, fixedAccepted, acceptedAfter          int
	regressions                                       []string
}

// TestE2ETrustFixKeepsManifestsValid checks the promise behind every fix
// pull request: each document of the real-world corpus that the API server
// accepts (server-side dry run, namespaces created, kinds without a CRD
// skipped) is still accepted after remedy fix has edited its file.
func TestE2ETrustFixKeepsManifestsValid(t *testing.T) {
	root := filepath.Join("..", "..", "shared", "fixtures", "manifests")
	if _, err := os.Stat(root); err != nil {
		t.Skipf("the corpus %s is missing (../shared beside the repository): %v", root, err)
	}
	env := clustertest.Start(t)
	ctx := context.Background()

	in := scanner.Load(root, []string{root}, scanner.LoadOptions{})
	scan := scanner.Options{Catalog: scanner.DefaultCatalog()}
	rep := scanner.ScanInputs(in, scan)
	fixes := remediate.FixReport(in, rep, remediate.Options{}, scan)
	after := map[string][]byte{}
	for _, f := range fixes {
		if f.Changed() {
			after[f.File.Path] = f.After
		}
	}

	var c trustCounts
	for _, file := range in.Files {
		before, err := clustertest.Objects(file.Bytes)
		if err != nil {
			continue // not Kubernetes YAML as the API machinery reads it: nothing to apply
		}
		var fixed []*unstructured.Unstructured
		if b, ok := after[file.Path]; ok {
			c.fixedFiles++
			if fixed, err = clustertest.Objects(b); err != nil || len(fixed) != len(before) {
				t.Errorf("%s: the fixed file no longer splits into its %d objects: %v", file.Path, len(before), err)
				continue
			}
		}
		for i, obj := range before {
			c.documents++
			err := dryRun(ctx, env, obj)
			switch {
			case errors.Is(err, clustertest.ErrNoKind):
				c.noKind++
				continue
			case err != nil:
				c.rejectedBefore++
				continue
			}
			c.acceptedBefore++
			if fixed == nil {
				c.acceptedAfter++
				continue
			}
			if err := dryRun(ctx, env, fixed[i]); err != nil {
				c.regressions = append(c.regressions, fmt.Sprintf("%s: %s %s: %v", file.Path, obj.GetKind(), obj.GetName(), err))
				continue
			}
			c.fixedAccepted++
			c.acceptedAfter++
		}
	}
	t.Logf("trust: %d files, %d objects: %d of a kind without a CRD (skipped), %d rejected as written, "+
		"%d accepted; %d files fixed; %d accepted objects in fixed files re-checked; "+
		"%d accepted after fix, %d regressions",
		len(in.Files), c.documents, c.noKind, c.rejectedBefore, c.acceptedBefore, c.fixedFiles,
		c.fixedAccepted+len(c.regressions), c.acceptedAfter, len(c.regressions))
	sort.Strings(c.regressions)
	for _, r := range c.regressions {
		t.Errorf("accepted before remedy fix, refused after: %s", r)
	}
	if c.acceptedBefore < 100 || c.fixedAccepted < 50 {
		t.Errorf("only %d objects accepted and %d fixed ones re-checked: the test is not testing much", c.acceptedBefore, c.fixedAccepted)
	}
}

// dryRun asks the API server to validate obj without storing it; the
// namespace it names is created first (for real: a dry run cannot create
// into a namespace that does not exist).
func dryRun(ctx context.Context, env *clustertest.Env, obj *unstructured.Unstructured) error {
	if err := env.CreateNamespace(ctx, obj.GetNamespace()); err != nil {
		return err
	}
	_, err := env.Create(ctx, obj.DeepCopy(), true)
	return err
}
