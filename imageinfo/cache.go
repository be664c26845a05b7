package imageinfo

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
)

// DiskCache keeps image configs across runs, one file per digest and
// platform. A config never changes for a digest, so entries never expire;
// tags are always resolved again, since they move.
type DiskCache struct {
	dir string
}

// NewDiskCache uses (and creates) dir.
func NewDiskCache(dir string) (*DiskCache, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("image cache %s: %w", dir, err)
	}
	return &DiskCache{dir: dir}, nil
}

type cacheEntry struct {
	Platform string `json:"platform,omitempty"`
	Config   Config `json:"config"`
}

func (c *DiskCache) file(key string) string {
	sum := sha256.Sum256([]byte(key))
	return filepath.Join(c.dir, hex.EncodeToString(sum[:])+".json")
}

// get reads an entry; a missing or unreadable file is a miss.
func (c *DiskCache) get(key string) (cacheEntry, bool) {
	if c == nil {
		return cacheEntry{}, false
	}
	b, err := os.ReadFile(c.file(key))
	if err != nil {
		return cacheEntry{}, false
	}
	var e cacheEntry
	if json.Unmarshal(b, &e) != nil {
		return cacheEntry{}, false
	}
	return e, true
}

// put writes an entry through a temporary file, so a reader never sees half
// of one. A failed write only costs a lookup next time.
func (c *DiskCache) put(key string, e cacheEntry, log *slog.Logger) {
	if c == nil {
		return
	}
	b, err := json.Marshal(e)
	if err != nil {
		return
	}
	tmp, err := os.CreateTemp(c.dir, "entry-*")
	if err != nil {
		log.Warn("image cache not written", "err", err)
		return
	}
	_, werr := tmp.Write(b)
	cerr := tmp.Close()
	if werr != nil || cerr != nil {
		os.Remove(tmp.Name())
		return
	}
	if err := os.Rename(tmp.Name(), c.file(key)); err != nil {
		os.Remove(tmp.Name())
		log.Warn("image cache not written", "err", err)
	}
}
