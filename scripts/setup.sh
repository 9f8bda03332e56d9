#!/usr/bin/env bash
# Install the Debian packages entrain needs to build, test and benchmark. Idempotent:
# packages already installed are skipped, and apt is not touched when nothing is missing.
set -euo pipefail

packages=(
  build-essential cmake pkg-config          # toolchain
  libsqlite3-dev liblua5.4-dev libcurl4-openssl-dev libcjson-dev   # runtime libraries
  libssl-dev                                # SHA-256 content hashes of the campaign database (libcrypto)
  libopenblas-openmp-dev                    # BLAS (OpenMP build: single-threaded inside our parallel regions)
  libxxhash-dev                             # XXH64 checksums of saved dH index files
  libcmocka-dev                             # unit tests
  python3                                   # end-to-end test helpers (standard library only)
  chromium                                  # browser test of `entrain report` (tests/e2e/test_report.sh)
  lammps                                    # exploration MD in the example campaign and engine tests
  quantum-espresso quantum-espresso-data    # pw.x labels + Al.pz-vbc.UPF (example campaign, tests)
  cp2k cp2k-data                            # cp2k adapter test (GTH potentials, MOLOPT basis)
  xtb                                       # xtb adapter test (molecules)
  munge slurmctld slurmd slurm-client       # a real single-node Slurm for the slurm backend test
)
if [ "${ENTRAIN_SETUP_FUZZ:-0}" = 1 ]; then
  packages+=(clang libclang-rt-14-dev)      # libFuzzer targets (scripts/fuzz.sh)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#packages[@]} packages present"
  exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "setup: installing ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
