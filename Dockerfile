# The registry's one binary, cmd/acv, built as the tests build it and run as a
# non-root user. CGO_ENABLED=0 is safe: the SQLite driver (modernc.org/sqlite)
# is pure Go. internal/deploy/deploy_test.go keeps this file in step with
# go.mod and cmd/acv, since no Docker engine runs in CI.
#
#   docker build -t acv .
#   docker run -p 8080:8080 -e ACV_DATABASE_URL=postgres://... acv
#
# Without ACV_DATABASE_URL the registry keeps an embedded SQLite database
# under /var/lib/acv/data; mount a volume there to keep it.

FROM golang:1.26 AS build
WORKDIR /src
ENV CGO_ENABLED=0
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN go build -trimpath -o /out/acv ./cmd/acv \
 && mkdir -p /out/data

FROM debian:trixie-slim
# Time zones (the statutory calendar runs on Europe/London) and CA roots (for
# sslmode=verify-full to a managed PostgreSQL) come from the build image.
COPY --from=build /usr/share/zoneinfo /usr/share/zoneinfo
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /out/acv /acv
COPY --from=build --chown=10001:10001 /out/data /var/lib/acv/data
WORKDIR /var/lib/acv
USER 10001:10001
ENV ACV_ADDR=:8080 \
    ACV_LOG_FORMAT=json
EXPOSE 8080
ENTRYPOINT ["/acv"]
CMD ["serve"]
