package gitops

import (
	"hash/fnv"
	"strings"
)

// Shard assigns a repository to one of count shards by FNV-1a of its
// lower-cased full name (owner/name): stable across runs, machines and Go
// versions, so parallel sweeps split repositories without talking.
func Shard(fullName string, count int) int {
	h := fnv.New32a()
	h.Write([]byte(strings.ToLower(fullName)))
	return int(h.Sum32() % uint32(count))
}
