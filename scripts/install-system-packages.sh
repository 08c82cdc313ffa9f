#!/usr/bin/env bash
# Installs the Debian packages the test bed and the demo need: the Go toolchain and sources to
# build kube-apiserver (Debian ships no binary), etcd, kubectl, git's smart-HTTP backend, Prometheus.
# Idempotent: packages already present are skipped by apt.
set -euo pipefail
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
src=/etc/apt/sources.list.d/debian-src.sources
if [ ! -f "$src" ]; then
  # Source packages are needed for `apt-get source kubernetes`.
  sed 's/^Types: deb$/Types: deb-src/' /etc/apt/sources.list.d/debian.sources | $SUDO tee "$src" >/dev/null
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends \
  golang-go rsync etcd-server openssl golang-github-modern-go-reflect2-dev \
  git prometheus dpkg-dev ca-certificates >/dev/null
# Debian's kubectl 1.20 matches the test bed's API server. Some images already ship another
# kubectl at /usr/bin/kubectl (google-cloud-cli), which the package would clash with, so the
# Debian one is unpacked into the cache instead of installed.
KCACHE="${SLUICE_CACHE_DIR:-$HOME/.cache/sluice}/k8s-v1.20.2"
if [ ! -x "$KCACHE/kubectl" ]; then
  mkdir -p "$KCACHE"; tmp="$(mktemp -d)"
  (cd "$tmp" && apt-get download -qq kubernetes-client >/dev/null && dpkg-deb -x kubernetes-client_*.deb x)
  install -m 0755 "$tmp/x/usr/bin/kubectl" "$KCACHE/kubectl"; rm -rf "$tmp"
fi
echo "system packages installed"
