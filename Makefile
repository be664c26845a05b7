# Release builds of remedy. `make release VERSION=v1.2.3` writes to dist/:
#   remedy_<version>_<os>_<arch>[.exe]   static binaries (CGO off: SQLite is
#                                        modernc.org/sqlite, pure Go)
#   remedy_<version>_<os>_<arch>.cdx.json  a CycloneDX SBOM of each binary
#   remedy_<version>_checksums.txt       SHA-256 of every file above
# The version is stamped as `remedy version` prints it (-X main.version).
# `make image VERSION=v1.2.3` builds the container image from the
# Dockerfile with the same version; after pushing it, pin deploy/ to its
# digest with hack/pin-image.sh.

VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
PLATFORMS ?= linux/amd64 linux/arm64 darwin/amd64 darwin/arm64 windows/amd64
DIST ?= dist
IMAGE ?= ghcr.io/remedy-bot/remedy
GO ?= go
# Reproducible: no local paths, no build ID, the commit time as the SBOM's.
SOURCE_DATE_EPOCH ?= $(shell git log -1 --format=%ct 2>/dev/null || echo 0)
LDFLAGS := -s -w -buildid= -X main.version=$(VERSION)

.PHONY: release binaries sbom checksums image clean

release: checksums

binaries:
	@mkdir -p $(DIST)
	@set -e; for p in $(PLATFORMS); do \
		os=$${p%/*}; arch=$${p#*/}; ext=; [ "$$os" = windows ] && ext=.exe; \
		out=$(DIST)/remedy_$(VERSION)_$${os}_$${arch}$$ext; \
		echo "build $$out"; \
		CGO_ENABLED=0 GOOS=$$os GOARCH=$$arch $(GO) build -trimpath -ldflags="$(LDFLAGS)" -o $$out ./cmd/remedy; \
	done

sbom: binaries
	@set -e; for p in $(PLATFORMS); do \
		os=$${p%/*}; arch=$${p#*/}; ext=; [ "$$os" = windows ] && ext=.exe; \
		bin=$(DIST)/remedy_$(VERSION)_$${os}_$${arch}; \
		SOURCE_DATE_EPOCH=$(SOURCE_DATE_EPOCH) $(GO) run ./hack/sbom -version $(VERSION) $$bin$$ext > $$bin.cdx.json; \
	done

checksums: sbom
	@cd $(DIST) && rm -f remedy_$(VERSION)_checksums.txt && \
		{ command -v sha256sum >/dev/null && sha256sum remedy_$(VERSION)_* || shasum -a 256 remedy_$(VERSION)_*; } > .checksums.tmp && \
		mv .checksums.tmp remedy_$(VERSION)_checksums.txt
	@echo "$(DIST)/remedy_$(VERSION)_checksums.txt"

image:
	docker build --build-arg VERSION=$(VERSION) -t $(IMAGE):$(VERSION) .

clean:
	rm -rf $(DIST)
