# LeanStats: the dashboard, HTTP API and scheduled jobs (`leanstats serve`) in a container.
#
#   docker build -t leanstats .
#   docker run -d -p 127.0.0.1:8080:8080 -v leanstats-data:/data \
#     -v "$PWD/leanstats.toml:/etc/leanstats/leanstats.toml:ro" --env-file leanstats.env \
#     leanstats leanstats serve --host 0.0.0.0 --config /etc/leanstats/leanstats.toml
#
# or `docker compose up -d` with docker-compose.yml.

# --- build: the same steps as the README's first command ---
FROM swift:6.3-bookworm AS build
RUN apt-get update && apt-get install -y libzstd-dev libxlsxwriter-dev libedit-dev libcurl4-openssl-dev pkg-config
WORKDIR /src
# Manifest first, so the dependency checkouts are cached while only the sources change.
COPY Package.swift ./
RUN swift package resolve
COPY Sources ./Sources
COPY Tests ./Tests
# The Swift runtime and Foundation are linked statically: the runtime image needs no Swift toolchain.
RUN swift build -c release --product leanstats --static-swift-stdlib \
    && install -D -m 0755 "$(swift build -c release --static-swift-stdlib --show-bin-path)/leanstats" /out/leanstats

# --- runtime ---
FROM debian:bookworm-slim
# tzdata: the configured zone (Asia/Shanghai by default); ca-certificates: HTTPS to DingTalk and SMTP over TLS;
# fonts-noto-cjk: Chinese text in the reports (checked by `leanstats doctor`); the rest are the C libraries
# LeanStats links (zstd, libxlsxwriter, libedit, libcurl; libstdc++6 for the static Swift runtime, usually present).
RUN apt-get update \
    && apt-get install -y --no-install-recommends tzdata ca-certificates fonts-noto-cjk libzstd1 libxlsxwriter4 \
        libedit2 libcurl4 libstdc++6 \
    && rm -rf /var/lib/apt/lists/*
RUN groupadd --system --gid 10001 leanstats \
    && useradd --system --uid 10001 --gid leanstats --home-dir /data --shell /usr/sbin/nologin leanstats \
    && mkdir -p /data /etc/leanstats \
    && chown leanstats:leanstats /data
COPY --from=build /out/leanstats /usr/local/bin/leanstats

ENV TZ=Asia/Shanghai LEANSTATS_DATA=/data
VOLUME /data
USER leanstats
WORKDIR /data
EXPOSE 8080
# `doctor --quiet` prints nothing and exits 0 when all is well; it also checks DingTalk reachability and the
# credentials (one token request), so it runs every 15 minutes rather than every few seconds.
HEALTHCHECK --interval=15m --timeout=60s --start-period=30s CMD ["leanstats", "doctor", "--quiet"]
# Listening on 0.0.0.0 is needed inside a container, but LeanStats refuses requests whose Host header is not
# loopback, server.host or in server.allowed_hosts (against DNS rebinding): when the dashboard is reached through a
# name (a reverse proxy, http://leanstats.example.com), list that name in [server] allowed_hosts.
CMD ["leanstats", "serve", "--host", "0.0.0.0"]
