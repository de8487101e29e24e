#!/bin/sh
# Vendor the dashboard's browser libraries into service/dashboard/vendor/: npm installs the
# versions package-lock.json pins (from the npm registry, no install scripts run) and the
# files the page loads are copied next to it, so ppcdbg serves them itself (no CDN).
# Run from the repository root (make vendor, the Dockerfile).
set -eu
npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
out=service/dashboard/vendor
mkdir -p "$out"
cp node_modules/@xterm/xterm/lib/xterm.js node_modules/@xterm/xterm/css/xterm.css "$out/"
cp node_modules/@xterm/xterm/LICENSE "$out/xterm.LICENSE"
cp node_modules/@xterm/addon-fit/lib/addon-fit.js "$out/"
