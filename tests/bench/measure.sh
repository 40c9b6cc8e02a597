# Sourced by the benchmark scripts.
# measure OUTFILE CMD... -> "wall cpu maxrss_kb" (cpu = user + sys seconds), stdout to OUTFILE.
measure() {
  local out=$1; shift
  local tf; tf=$(mktemp)
  /usr/bin/time -f "%e %U %S %M" -o "$tf" "$@" > "$out"
  awk '{printf "%s %.3f %s\n", $1, $2 + $3, $4}' "$tf"
  rm -f "$tf"
}
