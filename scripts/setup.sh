#!/usr/bin/env bash
# Installs what the tests need beyond npm: Debian's dnsmasq (DNS join test),
# iproute2 and iptables (multi-host namespace test), chromium (cluster page
# browser test) and prometheus (scrape test, alert rules). Then the npm packages.
set -euo pipefail
cd "$(dirname "$0")/.."
need=()
command -v dnsmasq >/dev/null 2>&1 || need+=(dnsmasq-base)
command -v ip >/dev/null 2>&1 || need+=(iproute2)
command -v iptables >/dev/null 2>&1 || need+=(iptables)
# Browser test of the cluster page, real Prometheus scrape and `promtool test rules`.
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v promtool >/dev/null 2>&1 || need+=(prometheus)
if ((${#need[@]})); then
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  echo "installing Debian packages: ${need[*]}"
  "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}"
fi
npm ci --no-audit --no-fund
