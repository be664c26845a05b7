package imageinfo

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"

	"github.com/remedy-bot/remedy/internal/oneline"
)

// Defaults of a Resolver.
const (
	DefaultTimeout  = 20 * time.Second
	DefaultParallel = 4
)

// Request is one image to read.
type Request struct {
	// Ref is the image reference as written in the manifest.
	Ref string
	// Keychain adds credentials for this image (a pod's image pull
	// secrets) before the resolver's own.
	Keychain authn.Keychain
	// Running, when set, is the digest a live pod reports it runs for Ref
	// (status imageID): that image is read, not what the tag serves now.
	Running string
}

// Resolver reads images from their registries. Its zero value works:
// Docker config credentials, DefaultParallel lookups at a time,
// DefaultTimeout each, linux/amd64, no disk cache.
type Resolver struct {
	// Keychain defaults to authn.DefaultKeychain (~/.docker/config.json and
	// its credential helpers).
	Keychain authn.Keychain
	// Timeout bounds each lookup (digest, config and, for a named user, the
	// layers up to the one holding /etc/passwd).
	Timeout time.Duration
	// Parallel bounds the lookups in flight.
	Parallel int
	// Platform picks the image of a multi-platform index whose config is
	// read; the pinned digest stays the index's.
	Platform *v1.Platform
	// Cache, when set, keeps configs across runs (remedy serve).
	Cache *DiskCache
	// Transport is the HTTP transport; nil means remote's default.
	Transport http.RoundTripper
	Log       *slog.Logger
}

// Resolve looks up every request, at most Parallel at a time, and returns
// the results by reference. It never fails: a failed lookup is an Info with
// a Note. Configs are read once per digest however many references share it.
func (r *Resolver) Resolve(ctx context.Context, reqs []Request) *Set {
	parallel := r.Parallel
	if parallel <= 0 {
		parallel = DefaultParallel
	}
	seen := map[string]bool{}
	var todo []Request
	for _, q := range reqs {
		if q.Ref == "" || seen[q.Ref] {
			continue
		}
		seen[q.Ref] = true
		todo = append(todo, q)
	}
	run := &run{r: r, configs: map[string]*configCall{}, down: map[string]string{}}
	out := make([]Info, len(todo))
	sem := make(chan struct{}, parallel)
	var wg sync.WaitGroup
	for i, q := range todo {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				out[i] = Info{Ref: q.Ref, Note: noteOf(q.Ref, ctx.Err())}
				return
			}
			defer func() { <-sem }()
			out[i] = run.lookup(ctx, q)
		}()
	}
	wg.Wait()
	return NewSet(out...)
}

// run is one Resolve: its per-digest cache of configs, and the registries
// that did not answer, so that a dead registry costs one timeout per run,
// not one per image.
type run struct {
	r       *Resolver
	mu      sync.Mutex
	configs map[string]*configCall
	down    map[string]string // registry host -> why
}

// registryDown returns why the registry did not answer earlier in the run.
func (r *run) registryDown(host string) (string, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	why, ok := r.down[host]
	return why, ok
}

// markDown remembers a registry that timed out or could not be reached.
func (r *run) markDown(host string, err error) {
	var nerr net.Error
	if !errors.Is(err, context.DeadlineExceeded) && !errors.As(err, &nerr) {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.down[host]; !ok {
		r.down[host] = noteOf(host, err)
	}
}

// configCall is one config read, shared by the references with its digest.
type configCall struct {
	done     chan struct{}
	platform string
	cfg      Config
	err      error
}

func (r *run) lookup(ctx context.Context, q Request) Info {
	timeout := r.r.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	info := Info{Ref: q.Ref}
	ref, err := name.ParseReference(q.Ref)
	if err != nil {
		info.Note = fmt.Sprintf("image %s: not a valid reference: %v", q.Ref, err)
		return info
	}
	host := ref.Context().RegistryStr()
	if why, down := r.registryDown(host); down {
		info.Note = fmt.Sprintf("image %s: not looked up, an earlier lookup failed: %s", q.Ref, strings.TrimPrefix(why, "image "))
		return info
	}
	opts := r.r.options(ctx, q)
	if q.Running != "" {
		d, err := name.NewDigest(ref.Context().Name() + "@" + q.Running)
		if err != nil {
			info.Note = fmt.Sprintf("image %s: the running digest %q is not valid: %v", q.Ref, q.Running, err)
			return info
		}
		ref, info.Running = d, true
	}
	desc, err := remote.Get(ref, opts...)
	if err != nil {
		r.markDown(host, err)
		info.Note = noteOf(q.Ref, err)
		r.r.logger().Warn("image not read", "image", q.Ref, "note", info.Note)
		return info
	}
	info.Digest = desc.Digest.String()
	call := r.config(ctx, desc, opts)
	if call.err != nil {
		info.Note = noteOf(q.Ref, call.err)
		info.Digest = ""
		return info
	}
	info.Platform, info.Config = call.platform, call.cfg
	return info
}

// config reads the config of desc once per digest for the run, from the
// disk cache when it has it.
func (r *run) config(ctx context.Context, desc *remote.Descriptor, opts []remote.Option) *configCall {
	key := desc.Digest.String()
	r.mu.Lock()
	call, ok := r.configs[key]
	if !ok {
		call = &configCall{done: make(chan struct{})}
		r.configs[key] = call
	}
	r.mu.Unlock()
	if ok {
		select {
		case <-call.done:
			return call
		case <-ctx.Done():
			return &configCall{err: ctx.Err()}
		}
	}
	defer close(call.done)
	platform := r.r.platform()
	cacheKey := key + "|" + platform.String()
	if e, hit := r.r.Cache.get(cacheKey); hit {
		call.platform, call.cfg = e.Platform, e.Config
		return call
	}
	call.platform, call.cfg, call.err = readConfig(desc, platform)
	if call.err == nil {
		r.r.Cache.put(cacheKey, cacheEntry{Platform: call.platform, Config: call.cfg}, r.r.logger())
	}
	return call
}

// readConfig reads the config of the image desc names, or of the image of
// platform in the index desc names.
func readConfig(desc *remote.Descriptor, platform v1.Platform) (string, Config, error) {
	img, err := desc.Image() // resolves an index to platform's image (WithPlatform)
	if err != nil {
		return "", Config{}, fmt.Errorf("read image: %w", err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return "", Config{}, fmt.Errorf("read image config: %w", err)
	}
	plat := ""
	if desc.MediaType.IsIndex() {
		plat = platform.String()
	}
	cfg := Config{User: cf.Config.User, WorkingDir: cf.Config.WorkingDir}
	for p := range cf.Config.ExposedPorts {
		cfg.ExposedPorts = append(cfg.ExposedPorts, p)
	}
	for v := range cf.Config.Volumes {
		cfg.Volumes = append(cfg.Volumes, v)
	}
	slices.Sort(cfg.ExposedPorts)
	slices.Sort(cfg.Volumes)
	info := Info{Config: cfg}
	if user := info.UserName(); user != "" {
		uid, found, err := passwdUID(img, user)
		if err != nil {
			return "", Config{}, fmt.Errorf("read /etc/passwd for user %s: %w", user, err)
		}
		if found {
			cfg.PasswdUID = &uid
		}
	}
	return plat, cfg, nil
}

func (r *Resolver) options(ctx context.Context, q Request) []remote.Option {
	keys := r.Keychain
	if keys == nil {
		keys = authn.DefaultKeychain
	}
	if q.Keychain != nil {
		keys = authn.NewMultiKeychain(q.Keychain, keys)
	}
	opts := []remote.Option{
		remote.WithContext(ctx),
		remote.WithAuthFromKeychain(keys),
		remote.WithPlatform(r.platform()),
		// One retry: the lookup's timeout, not a backoff, bounds a slow registry.
		remote.WithRetryBackoff(remote.Backoff{Duration: 200 * time.Millisecond, Factor: 2, Steps: 2}),
		remote.WithUserAgent("remedy"),
	}
	if r.Transport != nil {
		opts = append(opts, remote.WithTransport(r.Transport))
	}
	return opts
}

func (r *Resolver) platform() v1.Platform {
	if r.Platform != nil {
		return *r.Platform
	}
	return v1.Platform{OS: "linux", Architecture: "amd64"}
}

func (r *Resolver) logger() *slog.Logger {
	if r.Log != nil {
		return r.Log
	}
	return slog.New(slog.DiscardHandler)
}

// noteOf says in one line why an image could not be read. It names the
// registry's answer, never a credential.
func noteOf(ref string, err error) string {
	var terr *transport.Error
	var nerr net.Error
	var operr *net.OpError
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return fmt.Sprintf("image %s: the registry did not answer in time", ref)
	case errors.Is(err, context.Canceled):
		return fmt.Sprintf("image %s: lookup cancelled", ref)
	case errors.As(err, &terr):
		switch terr.StatusCode {
		case http.StatusUnauthorized, http.StatusForbidden:
			return fmt.Sprintf("image %s: the registry refused access (%d); add credentials to the Docker config or the pod's imagePullSecrets", ref, terr.StatusCode)
		case http.StatusNotFound:
			return fmt.Sprintf("image %s: the registry does not have it", ref)
		}
		for _, d := range terr.Errors {
			if d.Code == transport.ManifestUnknownErrorCode || d.Code == transport.NameUnknownErrorCode {
				return fmt.Sprintf("image %s: the registry does not have it", ref)
			}
		}
		return fmt.Sprintf("image %s: the registry answered %d", ref, terr.StatusCode)
	case errors.As(err, &nerr) && nerr.Timeout():
		return fmt.Sprintf("image %s: the registry did not answer in time", ref)
	case errors.As(err, &operr):
		return fmt.Sprintf("image %s: registry unreachable (%s: %s)", ref, operr.Op, oneline.Fold(operr.Err.Error()))
	case errors.As(err, &nerr):
		return fmt.Sprintf("image %s: registry unreachable", ref)
	}
	return fmt.Sprintf("image %s: %s", ref, oneline.Fold(err.Error()))
}

func sortInfos(is []Info) {
	slices.SortFunc(is, func(a, b Info) int { return strings.Compare(a.Ref, b.Ref) })
}

// ResolveRefs resolves references with the resolver's own credentials.
func (r *Resolver) ResolveRefs(ctx context.Context, refs []string) *Set {
	reqs := make([]Request, len(refs))
	for i, ref := range refs {
		reqs[i] = Request{Ref: ref}
	}
	return r.Resolve(ctx, reqs)
}
