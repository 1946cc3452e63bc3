# The native-extension bindings (bindings/python: PyO3 + maturin; bindings/node: napi-rs):
# tool installation and module builds, shared by scripts/check-native.sh and bindings/bench.sh.
# Source it after scripts/lib/common.sh, with $root (the repository) and $target (the Cargo
# target directory, absolute) set. Tools come from their registries only: maturin and pytest
# from PyPI into a venv under $target, @napi-rs/cli from npm as bindings/node's locked
# devDependency.

# python_venv: the venv with maturin and pytest, created or completed when missing; sets $py.
python_venv() {
  local venv=$target/pyvenv
  py=$venv/bin/python
  if [ ! -x "$py" ]; then
    python3 -m venv "$venv" 2>/dev/null || { install_pkgs "python3 -m venv" python3-venv; python3 -m venv "$venv"; } \
      || die "cannot create a Python venv at $venv"
  fi
  if ! "$py" -m pip install -q --disable-pip-version-check -r "$root/bindings/python/requirements-dev.txt"; then
    die "could not install bindings/python/requirements-dev.txt from PyPI into $venv"
  fi
}

# python_module: builds the wheel of bindings/python (release) with maturin and installs it
# into the venv, replacing any earlier build. Needs python_venv.
python_module() {
  local wheels=$target/wheels
  rm -rf "$wheels"
  CARGO_TARGET_DIR=$target "$target/pyvenv/bin/maturin" build --release --locked \
    -m "$root/bindings/python/Cargo.toml" -o "$wheels" \
    || die "maturin could not build bindings/python"
  "$py" -m pip uninstall -q -y omni >/dev/null 2>&1 || true
  "$py" -m pip install -q --disable-pip-version-check --no-deps --no-index "$wheels"/omni-*.whl \
    || die "could not install the omni wheel"
}

# node_cli: bindings/node's locked devDependencies (@napi-rs/cli) from npm, when missing.
node_cli() {
  need_cmd node nodejs
  need_cmd npm npm
  local major
  major=$(node -p 'process.versions.node.split(".")[0]')
  [ "$major" -ge 20 ] || die "Node $major found; bindings/node needs Node 20 or newer"
  if [ ! -x "$root/bindings/node/node_modules/.bin/napi" ]; then
    (cd "$root/bindings/node" && npm ci --no-audit --no-fund) \
      || die "npm ci in bindings/node failed (installs @napi-rs/cli from npm)"
  fi
}

# node_module: builds bindings/node (release) with napi-rs's CLI from a clean state: the addon
# omni.node and the TypeScript declarations index.d.ts, both beside package.json.
node_module() {
  rm -f "$root/bindings/node/omni.node"
  (cd "$root/bindings/node" && CARGO_TARGET_DIR=$target npx --no-install napi build --release \
    --no-dts-cache --dts index.d.ts) || die "napi build of bindings/node failed"
}
