package main

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/spf13/pflag"

	"github.com/remedy-bot/remedy/imageinfo"
	"github.com/remedy-bot/remedy/serve/serviceconfig"
)

// imageFlags are --resolve-images and its timeout, shared by scan, fix, pr
// and sweep.
type imageFlags struct {
	resolve bool
	timeout time.Duration
}

func (f *imageFlags) register(fs *pflag.FlagSet) {
	fs.BoolVar(&f.resolve, "resolve-images", false,
		"read each container's image from its registry (Docker config credentials): pin image-tag by digest and check run-as-non-root, read-only-root-filesystem and drop-all-capabilities fixes against the image (also images.resolve in .remedy.yaml)")
	fs.DurationVar(&f.timeout, "image-timeout", imageinfo.DefaultTimeout, "with --resolve-images: how long one image lookup may take")
}

func (f *imageFlags) check() error {
	if f.timeout <= 0 {
		return fmt.Errorf("--image-timeout %s: want a positive duration", f.timeout)
	}
	return nil
}

// resolver is the resolver of the flags: one when --resolve-images or
// orConfig (the repository's images.resolve) asks for it, else nil.
func (f *imageFlags) resolver(log *slog.Logger, orConfig bool) *imageinfo.Resolver {
	if !f.resolve && !orConfig {
		return nil
	}
	return &imageinfo.Resolver{Timeout: f.timeout, Log: log}
}

// serveImages is the resolver of serve's images settings, with its disk
// cache, or nil when image resolution is off.
func serveImages(c serviceconfig.Images, log *slog.Logger) (*imageinfo.Resolver, error) {
	if !c.Resolve {
		return nil, nil
	}
	cache, err := imageinfo.NewDiskCache(c.CacheDir)
	if err != nil {
		return nil, err
	}
	return &imageinfo.Resolver{Timeout: time.Duration(c.Timeout), Cache: cache, Log: log}, nil
}
