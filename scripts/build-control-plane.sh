#!/usr/bin/env bash
# Builds kube-apiserver and kube-controller-manager 1.20.2 from Debian's `kubernetes` source
# package, once per machine, into the cache directory. Debian ships etcd and kubectl as binaries
# but no API server. See shared/reference/real-testbed.md for why each step is there.
set -euo pipefail
CACHE="${SLUICE_CACHE_DIR:-$HOME/.cache/sluice}/k8s-v1.20.2"
if [ -x "$CACHE/kube-apiserver" ] && [ -x "$CACHE/kube-controller-manager" ]; then
  echo "control plane: cached binaries in $CACHE"; exit 0
fi
mkdir -p "$CACHE"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/sluice-k8s-build.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
echo "control plane: [1/4] downloading Debian's kubernetes source package (about 34 MB)"
apt-get source -qq --download-only kubernetes >/dev/null 2>&1 || apt-get source --download-only kubernetes
dpkg-source -x --no-check kubernetes_*.dsc src >/dev/null
cd src
echo "control plane: [2/4] replacing vendored reflect2 v1.0.1 (crashes under Go 1.19) with Debian's v1.0.2"
rm -rf vendor/github.com/modern-go/reflect2
mkdir -p vendor/github.com/modern-go/reflect2
cp -r /usr/share/gocode/src/github.com/modern-go/reflect2/. vendor/github.com/modern-go/reflect2/
rm -f vendor/github.com/modern-go/reflect2/go.mod
mkdir -p .go/src/k8s.io && ln -s ../../.. .go/src/k8s.io/kubernetes
echo "control plane: [3/4] compiling kube-apiserver and kube-controller-manager (about 8 minutes on 2 cores)"
# Progress lines: print each package group as the Go build reports it, so a long build is visibly alive.
( while sleep 30; do echo "control plane: still compiling ($(date +%T))"; done ) &
ticker=$!
GOPATH="$PWD/.go" CGO_ENABLED=0 make WHAT="cmd/kube-apiserver cmd/kube-controller-manager" > "$WORK/build.log" 2>&1 || {
  kill $ticker; echo "control plane: build FAILED; last lines of the log:"; tail -40 "$WORK/build.log"; exit 1; }
kill $ticker
echo "control plane: [4/4] caching binaries in $CACHE"
install -m 0755 _output/bin/kube-apiserver _output/bin/kube-controller-manager "$CACHE/"
echo "control plane: ready"
