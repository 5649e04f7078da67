#!/bin/sh
# Trunk post-build hook (Trunk runs a stage's hooks at once, so every step lives here, in order):
# 1. release builds: minify wasm-bindgen's JS glue (and its inline snippets) with terser (npm, pinned in package-lock.json; on PATH
#    from node_modules/.bin) and put its new Subresource Integrity hash in index.html. Trunk's own JS
#    minifier breaks this glue (trunk-rs/trunk#761); terser takes it from 8.3 to 6.4 KB gzipped.
# 2. write this build's file list and a content hash into the service worker, so it precaches exactly
#    these files and a new build replaces the old cache; then minify it too.
# POSIX sh, coreutils and openssl, plus terser.
set -eu
cd "$TRUNK_STAGING_DIR"
if [ "${TRUNK_PROFILE:-}" = release ]; then
  # The glue, and wasm-bindgen's inline snippets (the recorder's few lines), which Trunk preloads with
  # integrity hashes too.
  for js in *.js $(find snippets -name '*.js' 2>/dev/null); do
    [ "$js" = sw.js ] && continue
    before=$(openssl dgst -sha384 -binary "$js" | base64 | tr -d '\n')
    terser "$js" --module --compress --mangle --output "$js.min"
    mv "$js.min" "$js"
    after=$(openssl dgst -sha384 -binary "$js" | base64 | tr -d '\n')
    grep -q "sha384-$before" index.html
    sed -i "s|sha384-$before|sha384-$after|" index.html
  done
fi
# 3. the trainer's plan (docs/workshop.md), linked from the app's help: shipped as plain text, which every
#    browser shows (a .md may be downloaded instead), starting with a UTF-8 byte-order mark because static
#    hosts serve .txt without a charset and its dashes and arrows would be read as Latin-1. It is read
#    before a workshop, not during one: not precached, not part of the first load.
printf '\357\273\277' > workshop.txt
cat "$TRUNK_SOURCE_DIR/docs/workshop.md" >> workshop.txt
files=$(find . -type f ! -name sw.js ! -name '*.txt' | sed 's|^\./||' | LC_ALL=C sort)
build=$(printf '%s\n' $files | xargs cat | sha256sum | cut -c1-16)
list=$(printf '"./%s", ' $files)
sed -i "s|__BUILD__|$build|; s|/\* __FILES__ \*/|$list|" sw.js
# The comments are for readers of assets/sw.js; the shipped copy goes without them (and minified, in a
# release build).
if [ "${TRUNK_PROFILE:-}" = release ]; then
  terser sw.js --compress --mangle --output sw.js.min
  mv sw.js.min sw.js
else
  sed -i '/^[[:space:]]*\/\//d' sw.js
fi
