#!/usr/bin/env bash
# The GPU check (issue 9): WebGPU training and inference speed next to the CPU numbers.
#
#   scripts/bench-gpu.sh pack   here, on a machine with the project installed (npm ci) and apt:
#                               builds out/gpu-bundle/ (ignored by git): bundle.tar.xz with the Node
#                               binary and the node_modules files these benches load, and the
#                               Vulkan loader packages (.deb) for machines that lack libvulkan.so.1
#   scripts/bench-gpu.sh        (npm run bench:gpu) on the GPU machine: unpacks the bundle when
#                               node_modules is missing, installs the Vulkan loader when absent, then
#                               writes JSON to ${OUT:-docs/bench}:
#       probe.json           the WebGPU adapter (or why there is none) and nvidia-smi's GPU
#       train-b4.json        bench train --backend webgpu --size 256 --batch 4
#       train-b32.json       bench train --backend webgpu --size 256 --batch 32 (the paper preset's shape)
#       infer-webgpu.json    bench infer --provider webgpu (batch 1 and 8, 256x256)
#       infer-cpu.json       bench infer --provider cpu on the same machine
#       check.json           webgpu training kernels and gradients vs the cpu backend (2e-3 scaled),
#                            and the WebGPU execution provider vs the CPU one (1e-3)
#       train-200.json       200 training steps (quick preset shape, 128 px batch 4) on webgpu
#       log.txt              everything the commands printed
# Each step runs even when an earlier one failed; the exit status is that of the first failure.
#
# On the device machine the working tree travels without node_modules and without ../shared, so a
# later session runs (device tool): carry ["out/gpu-bundle"], command "bash scripts/bench-gpu.sh",
# timeout_s 540. The bundle must stay under the tool's 64 MiB (pack prints its size).
set -u
cd "$(dirname "$0")/.."
BUNDLE=out/gpu-bundle

pack() {
  set -e
  mkdir -p "$BUNDLE/gl"
  rm -f "$BUNDLE"/gl/*.deb "$BUNDLE/bundle.tar.xz"
  # Vulkan loader and GL dispatch libraries, as the device notes list them (amd64 packages).
  local apt_opts=(-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=/tmp/amd64-lists)
  mkdir -p /tmp/amd64-lists/partial
  apt-get "${apt_opts[@]}" update -qq
  (cd "$BUNDLE/gl" && apt-get "${apt_opts[@]}" download libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2)

  # Which node_modules files the benches load: run them small here with a resolver hook.
  local stage trace hook
  stage=$(mktemp -d)
  trace="$stage/trace.txt"
  hook="$stage/hook.cjs"
  cat >"$hook" <<'EOF'
const Module = require('node:module')
const fs = require('node:fs')
const seen = new Set()
const resolve = Module._resolveFilename
Module._resolveFilename = function (...args) {
  const file = resolve.apply(this, args)
  if (typeof file === 'string' && file.includes('/node_modules/') && !seen.has(file)) {
    seen.add(file)
    fs.appendFileSync(process.env.DESTSEG_TRACE, file + '\n')
  }
  return file
}
EOF
  export DESTSEG_TRACE="$trace"
  NODE_OPTIONS="--require $hook" npx tsx src/main/cli/destseg.ts bench train --backend webgpu --size 32 --batch 2 --json >/dev/null
  NODE_OPTIONS="--require $hook" npx tsx src/main/cli/destseg.ts bench infer --provider webgpu --size 32 --json >/dev/null
  NODE_OPTIONS="--require $hook" npx tsx scripts/bench-gpu-train.ts --steps 4 --size 32 --batch 2 --backend wasm >/dev/null
  NODE_OPTIONS="--require $hook" npx tsx scripts/bench-gpu-check.ts >/dev/null || true # fails here: no adapter
  unset DESTSEG_TRACE

  # Package roots that were touched, plus the ones loaded by other means (workers, dlopen, tsx).
  node - "$trace" "$stage/files.txt" <<'EOF'
const fs = require('node:fs')
const path = require('node:path')
const [traceFile, outFile] = process.argv.slice(2)
const root = path.resolve('node_modules')
const always = ['tsx', 'esbuild', '@esbuild/linux-x64', 'get-tsconfig', 'resolve-pkg-maps', 'sharp', '@img/colour', '@img/sharp-linux-x64',
  '@img/sharp-libvips-linux-x64', 'detect-libc', 'semver', 'onnxruntime-node', 'onnxruntime-common', 'webgpu', '@tensorflow/tfjs-backend-webgpu']
const pkgOf = (file) => {
  const rel = path.relative(root, file).split(path.sep)
  return rel[0].startsWith('@') ? rel.slice(0, 2).join('/') : rel[0]
}
const traced = fs.readFileSync(traceFile, 'utf8').split('\n').filter(Boolean).map((f) => path.resolve(f)).filter((f) => f.startsWith(root + path.sep))
const pkgs = new Set([...always, ...traced.map(pkgOf)])
const keep = (rel) => !/^onnxruntime-node\/bin\/napi-v\d+\/(darwin|win32)|^onnxruntime-node\/bin\/napi-v\d+\/linux\/arm64|^webgpu\/dist\/(darwin|win32|linux-arm64)|\.map$|\.d\.ts$/.test(rel)
const walk = (dir, out) => {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name)
    if (e.isDirectory()) { if (e.name !== 'node_modules') walk(p, out) } else out.push(p)
  }
  return out
}
const files = new Set()
for (const pkg of pkgs) {
  const dir = path.join(root, pkg)
  if (!fs.existsSync(dir)) continue
  const all = walk(dir, [])
  const size = all.reduce((s, f) => s + fs.statSync(f).size, 0)
  // small packages and the fixed list whole (other platforms' binaries dropped below); large ones:
  // package.json, the files loaded, and every binary asset
  const whole = size < 2e6 || (always.includes(pkg) && !pkg.startsWith('@tensorflow/'))
  const chosen = whole ? all : all.filter((f) => f.endsWith('package.json') || /\.(node|wasm)$|\.so(\.\d+)*$/.test(f) || traced.includes(f) || path.dirname(f) === path.join(dir, 'bin'))
  for (const f of chosen) files.add(path.relative(process.cwd(), f))
}
// nested node_modules folders of traced files
for (const f of traced) files.add(path.relative(process.cwd(), f))
fs.writeFileSync(outFile, [...files].filter((f) => keep(path.relative('node_modules', f))).sort().join('\n') + '\n')
console.error(`bundle: ${files.size} files from ${pkgs.size} packages`)
EOF
  mkdir -p "$stage/bin"
  cp "$(command -v node)" "$stage/bin/node"
  tar -cf "$stage/bundle.tar" -T "$stage/files.txt"
  tar -rf "$stage/bundle.tar" -C "$stage" bin/node
  xz -T0 -9 -c "$stage/bundle.tar" >"$BUNDLE/bundle.tar.xz"
  rm -rf "$stage"
  du -ch "$BUNDLE"/bundle.tar.xz "$BUNDLE"/gl/*.deb | tail -1 | sed 's/total/carried (limit 64 MiB with the working tree)/'
}

if [ "${1:-}" = "pack" ]; then
  pack
  exit $?
fi

OUT=${OUT:-docs/bench}
mkdir -p "$OUT"
LOG="$OUT/log.txt"
: >"$LOG"
NODE=node
if [ ! -d node_modules ] && [ -f "$BUNDLE/bundle.tar.xz" ]; then
  echo "unpacking $BUNDLE/bundle.tar.xz" | tee -a "$LOG"
  mkdir -p /tmp/destseg-node
  tar -xJf "$BUNDLE/bundle.tar.xz" --exclude=bin/node
  tar -xJf "$BUNDLE/bundle.tar.xz" -C /tmp/destseg-node bin/node
  NODE=/tmp/destseg-node/bin/node
elif ! command -v node >/dev/null; then
  echo "no node_modules and no $BUNDLE/bundle.tar.xz: run 'scripts/bench-gpu.sh pack' first" | tee -a "$LOG"
  exit 2
fi
export PATH="$(dirname "$(command -v "$NODE")"):$PATH"
TSX=(node --import tsx)

# The Vulkan loader goes into / only on a GPU machine (nvidia-smi answers) that lacks it: that is
# what the device machines need, and a CPU machine is left as it is.
if ! ldconfig -p 2>/dev/null | grep -q libvulkan.so.1 && nvidia-smi -L >/dev/null 2>&1; then
  if ls "$BUNDLE"/gl/*.deb >/dev/null 2>&1; then
    echo "installing the Vulkan loader from $BUNDLE/gl" | tee -a "$LOG"
    for f in "$BUNDLE"/gl/*.deb; do dpkg -x "$f" /; done
    ldconfig
  fi
fi
ICD=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
if [ -z "${VK_DRIVER_FILES:-}" ] && [ -f "$ICD" ] && ! ls /usr/share/vulkan/icd.d/nvidia* /etc/vulkan/icd.d/nvidia* >/dev/null 2>&1; then
  export VK_DRIVER_FILES=$ICD __EGL_VENDOR_LIBRARY_FILENAMES=/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json
fi

status=0
step() { # step <name> <output file> <command...>
  local name=$1 out=$2
  shift 2
  echo "== $name: $*" | tee -a "$LOG"
  local t0=$SECONDS
  "$@" >"$out.tmp" 2> >(tee -a "$LOG" >&2)
  local rc=$?
  cat "$out.tmp" >>"$LOG"
  tail -n 1 "$out.tmp" >"$out"
  rm -f "$out.tmp"
  echo "== $name: exit $rc after $((SECONDS - t0)) s" | tee -a "$LOG"
  if [ $rc -ne 0 ] && [ $status -eq 0 ]; then status=$rc; fi
}

GPU=$(nvidia-smi --query-gpu=name,driver_version --format=csv,noheader 2>/dev/null | head -1)
export GPU
step "WebGPU adapter" "$OUT/probe.json" "${TSX[@]}" -e "
  const { probeWebGpuAdapter } = require('./src/main/engine/kernels/webgpu/adapter')
  probeWebGpuAdapter().then((p) => console.log(JSON.stringify({ nvidia_smi: process.env.GPU || null, node: process.version,
    ...(p.ok ? { adapter: p.info } : { adapter: null, reason: p.reason }) })))"
CLI=("${TSX[@]}" src/main/cli/destseg.ts)
if grep -q '"adapter":null' "$OUT/probe.json"; then
  # Without an adapter the training benches would fall back to wasm (minutes per step at 256 px).
  echo "no WebGPU adapter (see probe.json): training benches skipped" | tee -a "$LOG"
  [ $status -eq 0 ] && status=3
  GPU_TRAIN=0
else
  GPU_TRAIN=1
fi
if [ $GPU_TRAIN -eq 1 ]; then
  step "bench train b4" "$OUT/train-b4.json" "${CLI[@]}" bench train --backend webgpu --size 256 --batch 4 --json
  step "bench train b32" "$OUT/train-b32.json" "${CLI[@]}" bench train --backend webgpu --size 256 --batch 32 --json
fi
step "bench infer webgpu" "$OUT/infer-webgpu.json" "${CLI[@]}" bench infer --provider webgpu --json
step "bench infer cpu" "$OUT/infer-cpu.json" "${CLI[@]}" bench infer --provider cpu --json
if [ $GPU_TRAIN -eq 1 ]; then
  step "correctness vs cpu" "$OUT/check.json" "${TSX[@]}" scripts/bench-gpu-check.ts
  step "train 200 steps" "$OUT/train-200.json" "${TSX[@]}" scripts/bench-gpu-train.ts --steps 200 --backend webgpu
fi
echo "results in $OUT (exit $status)" | tee -a "$LOG"
exit $status
