#!/bin/sh
# Trunk post-build hook: writes this build's file list and a content hash into the service worker, so it
# precaches exactly these files and a new build replaces the old cache. POSIX sh + coreutils only.
set -eu
cd "$TRUNK_STAGING_DIR"
files=$(find . -type f ! -name sw.js | sed 's|^\./||' | LC_ALL=C sort)
build=$(printf '%s\n' $files | xargs cat | sha256sum | cut -c1-16)
list=$(printf '"./%s", ' $files)
sed -i "s|__BUILD__|$build|; s|/\* __FILES__ \*/|$list|" sw.js
# The comments are for readers of assets/sw.js; the shipped copy goes without its comment lines.
sed -i '/^[[:space:]]*\/\//d' sw.js
