//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/remedy-bot/remedy/internal/clustertest"
	"github.com/remedy-bot/remedy/scanner"
	"github.com/remedy-bot/remedy/scanner/cluster"
)

// benchWorkloads is the size of the cluster BenchmarkClusterScan reads.
const benchWorkloads = 5000

// BenchmarkClusterScan lists and scans 5,000 Deployments (in 20
// namespaces) from a real API server: what remedy scan --cluster -A
// --sources=false does. Targets: under 5 s and 200 MB peak RSS per scan.
//
//	KUBEBUILDER_ASSETS="$(hack/envtest-assets.sh)" go test -tags e2e -run '^$' -bench ClusterScan -benchtime 3x ./e2e/
func BenchmarkClusterScan(b *testing.B) {
	env := clustertest.Start(b)
	ctx := context.Background()
	populate(b, env, benchWorkloads)
	g, err := cluster.NewRESTGetter(env.Config)
	if err != nil {
		b.Fatal(err)
	}
	debug.FreeOSMemory() // the set-up's garbage is not the scan's
	resetPeakRSS(b)
	b.ResetTimer()
	var findings, files int
	for b.Loop() {
		snap, err := cluster.Scan(ctx, g, cluster.Options{}, scanner.Options{})
		if err != nil {
			b.Fatal(err)
		}
		rep := snap.Report
		findings, files = len(rep.Findings), len(snap.Objects)
	}
	b.StopTimer()
	if files < benchWorkloads {
		b.Fatalf("scanned %d objects, want at least %d", files, benchWorkloads)
	}
	b.ReportMetric(float64(peakRSS(b))/(1<<20), "peak-RSS-MB")
	b.ReportMetric(float64(findings), "findings")
	b.ReportMetric(float64(files), "objects")
}

// populate creates n Deployments of a typical shape, a few at a time.
func populate(b *testing.B, env *clustertest.Env, n int) {
	const namespaces = 20
	for i := range namespaces {
		env.EnsureNamespace(b, fmt.Sprintf("team-%02d", i))
	}
	work := make(chan int)
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				if _, err := env.Create(context.Background(), deployment(i, namespaces), false); err != nil {
					errs <- err
				}
			}
		}()
	}
	for i := range n {
		work <- i
	}
	close(work)
	wg.Wait()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
}

func deployment(i, namespaces int) *unstructured.Unstructured {
	name := fmt.Sprintf("app-%04d", i)
	labels := map[string]any{"app": name, "app.kubernetes.io/instance": "bench"}
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "apps/v1", "kind": "Deployment",
		"metadata": map[string]any{"name": name, "namespace": fmt.Sprintf("team-%02d", i%namespaces), "labels": labels,
			"annotations": map[string]any{"argocd.argoproj.io/tracking-id": "bench:apps/Deployment:x/" + name}},
		"spec": map[string]any{
			"replicas": int64(2),
			"selector": map[string]any{"matchLabels": map[string]any{"app": name}},
			"template": map[string]any{
				"metadata": map[string]any{"labels": labels},
				"spec": map[string]any{
					"containers": []any{map[string]any{
						"name": "app", "image": "registry.example.com/team/" + name + ":1.4.2",
						"ports":     []any{map[string]any{"containerPort": int64(8080)}},
						"env":       []any{map[string]any{"name": "LOG_LEVEL", "value": "info"}},
						"resources": map[string]any{"requests": map[string]any{"cpu": "100m", "memory": "128Mi"}},
						"securityContext": map[string]any{
							"runAsNonRoot": true, "allowPrivilegeEscalation": false,
						},
					}},
				},
			},
		},
	}}
}

// resetPeakRSS resets the kernel's high-water mark of this process's
// resident memory (Linux: writing 5 to /proc/self/clear_refs).
func resetPeakRSS(b *testing.B) {
	if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
		b.Logf("cannot reset peak RSS (%v): the figure includes the set-up", err)
	}
}

// peakRSS reads VmHWM, the peak resident memory since the last reset.
func peakRSS(b *testing.B) int64 {
	s, err := os.ReadFile("/proc/self/status")
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(string(s), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}
