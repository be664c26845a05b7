package remediate

import (
	"context"
	"fmt"
	"hash/fnv"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"

	"github.com/remedy-bot/remedy/imageinfo"
	"github.com/remedy-bot/remedy/internal/registrytest"
	"github.com/remedy-bot/remedy/scanner"
)

const testPasswd = "root:x:0:0:root:/root:/bin/sh\nnginx:x:101:101:nginx:/nonexistent:/bin/false\n"

// imagesDeployment runs one container per kind of image the fixes must
// tell apart; REG is the test registry, DOWN a registry that is down.
const imagesDeployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      containers:
      - name: root # runs as root, EXPOSE 80, VOLUME /var/cache/nginx
        image: REG/nginx
      - name: numeric # USER 1000, VOLUME /data, EXPOSE 8080
        image: REG/app:latest
        volumeMounts:
        - name: config
          mountPath: /etc/app
      - name: named # USER nginx, uid 101 in /etc/passwd, EXPOSE 80
        image: REG/named:1.0
      - name: ghost # USER ghost, not in /etc/passwd
        image: REG/ghost:1.0
      - name: multi # multi-platform index, USER 65532 on linux/amd64
        image: REG/multi
      - name: shadow # VOLUME /etc/app/cache, under a ConfigMap mount
        image: REG/shadow:1.0
        volumeMounts:
        - name: config
          mountPath: /etc/app
      - name: exact # VOLUME /etc/app, where the ConfigMap is mounted
        image: REG/exact:1.0
        volumeMounts:
        - name: config
          mountPath: /etc/app
      - name: pinned-user # the pod says who it runs as
        image: REG/nginx:1.0
        securityContext:
          runAsUser: 2000
      - name: down # the registry is unreachable
        image: DOWN/app:1.0
      volumes:
      - name: config
        configMap:
          name: app
`

// imageRegistry pushes the images imagesDeployment runs.
func imageRegistry(t *testing.T) (*registrytest.Registry, string) {
	reg := registrytest.Start(t, registrytest.Options{})
	root := registrytest.Image{Ports: []string{"80/tcp"}, Volumes: []string{"/var/cache/nginx"}}
	reg.Push(t, "nginx:latest", root)
	reg.Push(t, "nginx:1.0", root)
	reg.Push(t, "app:latest", registrytest.Image{User: "1000", Ports: []string{"8080/tcp"}, Volumes: []string{"/data"}})
	reg.Push(t, "named:1.0", registrytest.Image{User: "nginx", Passwd: testPasswd, Ports: []string{"80/tcp"}})
	reg.Push(t, "ghost:1.0", registrytest.Image{User: "ghost", Passwd: testPasswd})
	reg.PushIndex(t, "multi:latest", map[string]registrytest.Image{"linux/amd64": {User: "65532"}, "linux/arm64": {User: "0"}})
	reg.Push(t, "shadow:1.0", registrytest.Image{User: "1000", Volumes: []string{"/etc/app/cache"}})
	reg.Push(t, "exact:1.0", registrytest.Image{User: "1000", Volumes: []string{"/etc/app"}})
	return reg, registrytest.Unreachable(t)
}

var resolver = &imageinfo.Resolver{Keychain: authn.NewMultiKeychain(), Timeout: 5 * time.Second}

// fixWithImages scans and fixes one manifest with the images resolved.
func fixWithImages(t *testing.T, path, manifest string) (FileFix, *imageinfo.Set) {
	t.Helper()
	file, errs := scanner.ParseFile(path, []byte(manifest))
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	in := &scanner.Inputs{Files: []*scanner.SourceFile{file}}
	var reqs []imageinfo.Request
	for _, ref := range scanner.ImageRefs(in) {
		reqs = append(reqs, imageinfo.Request{Ref: ref})
	}
	set := resolver.Resolve(context.Background(), reqs)
	scan := scanner.Options{Images: set}
	rep := scanner.ScanInputs(in, scan)
	fixes := FixReport(in, rep, Options{Images: set}, scan)
	if len(fixes) != 1 {
		t.Fatalf("%d file fixes", len(fixes))
	}
	return fixes[0], set
}

var (
	digestRE = regexp.MustCompile(`sha256:[0-9a-f]{64}`)
	portRE   = regexp.MustCompile(`127\.0\.0\.1:[0-9]+`)
)

// TestImageAwareFixes fixes imagesDeployment against a real registry and
// keeps the diff and every outcome in testdata/image-fixes.golden
// (registry addresses and digests normalised).
func TestImageAwareFixes(t *testing.T) {
	reg, down := imageRegistry(t)
	manifest := strings.NewReplacer("REG/", reg.Host+"/", "DOWN/", down+"/").Replace(imagesDeployment)
	fx, set := fixWithImages(t, "web.yaml", manifest)

	var out strings.Builder
	if err := UnifiedDiff(&out, "web.yaml", fx.Before, fx.After); err != nil {
		t.Fatal(err)
	}
	out.WriteString("\noutcomes:\n")
	for _, o := range fx.Outcomes {
		if !slices.Contains([]string{"image-tag", "run-as-non-root", "read-only-root-filesystem", "drop-all-capabilities"}, o.Finding.Control) {
			continue
		}
		fmt.Fprintf(&out, "- %s %s: %s", o.Finding.Container, o.Finding.Control, o.Status)
		if o.Reason != "" {
			fmt.Fprintf(&out, " (%s)", o.Reason)
		}
		if o.Image != nil {
			fmt.Fprintf(&out, " [verified=%v, risk=%s] %s", o.Image.Verified, o.Risk(), o.Image.Detail)
		}
		out.WriteString("\n")
	}
	got := portRE.ReplaceAllString(digestRE.ReplaceAllString(out.String(), "sha256:…"), "registry.test")
	golden := filepath.Join("testdata", "image-fixes.golden")
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update)", err)
	}
	if got != string(want) {
		t.Errorf("image fixes differ from %s (run with -update):\n%s", golden, got)
	}

	// The pin names the index digest of the multi-platform image.
	multi, _ := set.Lookup(reg.Ref("multi"))
	if !strings.Contains(string(fx.After), reg.Ref("multi")+"@"+multi.Digest) {
		t.Errorf("multi not pinned to its index digest %s", multi.Digest)
	}
	checkKubelet(t, fx, set)
}

// checkKubelet runs the kubelet's runAsNonRoot rule over every container
// of the fixed file, with the image each runs, and fails for a container the
// kubelet refuses after the fix but not before it (a manifest may already
// set runAsNonRoot on a root image: that is not the fix's doing, and is
// counted in already). Containers whose image could not be read are skipped.
func checkKubelet(t *testing.T, fx FileFix, set *imageinfo.Set) (checked, already int) {
	t.Helper()
	checked, already, refused := kubeletVerdicts(t, fx, set)
	for _, r := range refused {
		t.Errorf("%s: %s: the kubelet refuses the fixed pod", fx.File.Path, r)
	}
	return checked, already
}

// kubeletVerdicts compares the kubelet's verdicts before and after a fix.
func kubeletVerdicts(t *testing.T, fx FileFix, set *imageinfo.Set) (started, already int, refused []string) {
	t.Helper()
	before := kubeletRefusals(t, fx.File.Path, fx.Before, set)
	after := kubeletRefusals(t, fx.File.Path, fx.After, set)
	for where, err := range after {
		switch {
		case err == nil:
			started++
		case before[where] != nil:
			already++
		default:
			refused = append(refused, where+": "+err.Error())
		}
	}
	return started, already, refused
}

// kubeletRefusals evaluates every container of a file whose image is known:
// nil where the kubelet starts it, by resource and container path.
func kubeletRefusals(t *testing.T, path string, content []byte, set *imageinfo.Set) map[string]error {
	t.Helper()
	file, errs := scanner.ParseFile(path, content)
	if len(errs) > 0 {
		t.Fatalf("%s: %v", path, errs[0])
	}
	out := map[string]error{}
	for i, d := range file.Docs {
		for _, r := range d.Resources() {
			ps := scanner.PodSpecOf(r)
			if ps == nil {
				continue
			}
			for _, c := range ps.Containers {
				ref := scanner.ScalarValue(scanner.Field(c.Node, "image"))
				info, ok := set.Lookup(ref)
				if !ok {
					// A pin adds "@digest" to the reference looked up.
					if at := strings.LastIndex(ref, "@"); at > 0 {
						info, ok = set.Lookup(ref[:at])
					}
				}
				if !ok || !info.OK() {
					continue
				}
				where := fmt.Sprintf("doc %d %s %s/%s %s", i, r.Kind, r.Namespace, r.Name, c.Path)
				out[where] = kubeletRunAsNonRoot(ps, c, info)
			}
		}
	}
	return out
}

// TestCorpusKubeletTrust fixes the real-world corpus with --resolve-images
// against a registry serving a stand-in for each of its images (users from
// root to named ones, low ports, volumes), and checks every fixed pod with
// the kubelet's runAsNonRoot rule: no fix may produce a pod the kubelet
// refuses. The stand-ins of nginx, redis, postgres and mysql run as root,
// as the real images do.
func TestCorpusKubeletTrust(t *testing.T) {
	root := corpusRoot(t)
	if testing.Short() {
		t.Skip("fixes the whole corpus")
	}
	in := scanner.Load(root, []string{root}, scanner.LoadOptions{})
	reg := registrytest.Start(t, registrytest.Options{})
	kinds := []registrytest.Image{
		{},          // root by default
		{User: "0"}, // root, said so
		{User: "1000:1000", Ports: []string{"8080/tcp"}, Volumes: []string{"/data"}},
		{User: "nginx", Passwd: testPasswd, Ports: []string{"80/tcp"}},
		{User: "ghost", Passwd: testPasswd}, // named, not in /etc/passwd
		{User: "65532", Ports: []string{"443/tcp"}},
	}
	stand := map[string]string{}
	var reqs []imageinfo.Request
	for i, ref := range scanner.ImageRefs(in) {
		spec := kinds[hashOf(ref)%uint32(len(kinds))]
		for _, rootImage := range []string{"nginx", "redis", "postgres", "mysql"} {
			if strings.Contains(ref, rootImage) {
				spec = registrytest.Image{Ports: []string{"80/tcp"}, Volumes: []string{"/var/lib/data"}}
			}
		}
		repo := fmt.Sprintf("corpus%d:1", i)
		reg.Push(t, repo, spec)
		stand[ref] = reg.Ref(repo)
		reqs = append(reqs, imageinfo.Request{Ref: reg.Ref(repo)})
	}
	resolved := resolver.Resolve(context.Background(), reqs)
	var infos []imageinfo.Info
	for ref, s := range stand {
		info, _ := resolved.Lookup(s)
		info.Ref = ref
		infos = append(infos, info)
	}
	set := imageinfo.NewSet(infos...)
	scan := scanner.Options{Images: set}
	rep := scanner.ScanInputs(in, scan)
	fixes := FixReport(in, rep, Options{ResourceDefaults: corpusDefaults.ResourceDefaults, Images: set}, scan)
	var checked, already, refusedRoot, fixedNonRoot, verified, pinned int
	for _, fx := range fixes {
		for _, o := range fx.Outcomes {
			switch {
			case o.Finding.Control == "run-as-non-root" && o.Status == StatusFixed:
				fixedNonRoot++
			case o.Finding.Control == "run-as-non-root" && o.Status == StatusNotFixable && o.Finding.Fixable:
				refusedRoot++
			case o.Finding.Control == "image-tag" && o.Status == StatusFixed:
				pinned++
			}
			if o.Image != nil && o.Image.Verified {
				verified++
			}
		}
		if fx.Changed() {
			n, a := checkKubelet(t, fx, set)
			checked, already = checked+n, already+a
		}
	}
	// The oracle bites: without --resolve-images, today's fixes give
	// root images runAsNonRoot, and the kubelet refuses those pods.
	offline := FixReport(in, scanner.ScanInputs(in, scanner.Options{}), corpusDefaults, scanner.Options{})
	var offlineRefused, offlineStarted int
	for _, fx := range offline {
		if fx.Changed() {
			n, _, refused := kubeletVerdicts(t, fx, set)
			offlineStarted, offlineRefused = offlineStarted+n, offlineRefused+len(refused)
		}
	}
	t.Logf("without --resolve-images: %d fixed containers the kubelet would refuse, %d it starts", offlineRefused, offlineStarted)
	if offlineRefused == 0 {
		t.Error("the kubelet oracle refuses nothing of the offline fixes: it cannot tell a bad fix")
	}
	t.Logf("%d images; run-as-non-root fixed %d, refused %d; image-tag pinned %d; %d fixes verified; %d fixed containers the kubelet starts, %d it refused before the fix already",
		len(stand), fixedNonRoot, refusedRoot, pinned, verified, checked, already)
	if checked == 0 || fixedNonRoot == 0 || refusedRoot == 0 || pinned == 0 {
		t.Errorf("the corpus run exercised too little: checked %d, fixed %d, refused %d, pinned %d", checked, fixedNonRoot, refusedRoot, pinned)
	}
}

func hashOf(s string) uint32 {
	h := fnv.New32a()
	h.Write([]byte(s))
	return h.Sum32()
}
