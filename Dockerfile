# syntax=docker/dockerfile:1
# remedy: a static binary on distroless, running as nonroot (65532).
#   docker build -t remedy .
#   docker run --rm -p 8080:8080 -e GITHUB_TOKEN -e REMEDY_WEBHOOK_SECRET remedy
FROM golang:1.26.8 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=""
# As `make release` builds it (-trimpath, no build ID, the version stamped).
# CGO off: a static binary needing no libc (SQLite is modernc.org/sqlite,
# pure Go; git is go-git, so the image needs no git binary either).
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w -buildid= -X main.version=${VERSION}" -o /out/remedy ./cmd/remedy

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/remedy /remedy
USER 65532:65532
# The store defaults to the working directory (the nonroot home).
WORKDIR /home/nonroot
# 8080: webhooks, Slack, probes; 9090: /metrics with --metrics-listen :9090
# (deploy/ sets metricsListen), else /metrics is on 8080.
EXPOSE 8080 9090
ENTRYPOINT ["/remedy"]
CMD ["serve", "--listen", ":8080"]
