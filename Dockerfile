# evidence-agent's container image: `bash ci/image.sh` builds it with podman (docker works too).
# The build stage makes the Debian package (ci/package.sh); the runtime stage installs that
# package on debian:12-slim with apt-get, so the runtime libraries come from the package's own
# dependencies (dpkg-shlibdeps), never from a hand-kept list. What the package only recommends
# is left out (--no-install-recommends): Hyperscan (log scanning and redaction run without it,
# slower) and libarchive (`export`'s audit packs: an auditor's command, run from the package),
# which with the ICU library it pulls in would be 55 MB of a 70 MB image.
#
#   podman run --rm IMAGE collect --dry-run --key /keys/key.pem git=/src    # one-shot
#   podman run IMAGE daemon --config /etc/evidence-agent/agent.yaml       # the sidecar
#
# HEALTHCHECK asks the daemon's /healthz on 127.0.0.1:9464 (`agent.listen` in its
# configuration); a one-shot command has no server, so its health check is meaningless and
# orchestrators ignore it for jobs. Kubernetes ignores HEALTHCHECK: use the probes of
# ci/deploy/kubernetes/sidecar.yaml.
ARG DEBIAN=debian:12
ARG DEBIAN_SLIM=debian:12-slim

FROM ${DEBIAN} AS build
WORKDIR /src
# the build dependencies first, in their own layer: a source change does not fetch them again
COPY ci/setup.sh ci/
RUN bash ci/setup.sh --build-only \
 && apt-get install -y -qq --no-install-recommends file dpkg-dev >/dev/null
COPY . .
RUN rm -rf build-pkg dist && bash ci/package.sh

FROM ${DEBIAN_SLIM}
ARG VERSION=0.0.0
ARG REVISION=unknown
LABEL org.opencontainers.image.title="evidence-agent" \
      org.opencontainers.image.description="Signed ISO/IEC 27001 evidence from CI/CD pipelines" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.source="https://github.com/evidence-agent/evidence-agent"
COPY --from=build /src/dist/ /tmp/dist/
# curl is the health check's client (libcurl is already a dependency of the agent).
RUN apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        /tmp/dist/evidence-agent_*.deb curl >/dev/null \
 && rm -rf /var/lib/apt/lists/* /tmp/dist /var/cache/apt/*.bin \
 && install -d -o evidence-agent -g evidence-agent -m 0700 /var/lib/evidence-agent
USER evidence-agent
WORKDIR /var/lib/evidence-agent
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s \
    CMD ["curl", "-fsS", "-o", "/dev/null", "http://127.0.0.1:9464/healthz"]
ENTRYPOINT ["evidence-agent"]
CMD ["--help"]
