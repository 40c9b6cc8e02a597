# Reads `make test`'s stage log and prints where the time went. Two kinds of line:
#   "name start"        a sequential stage (first "begin", last "end"); it lasts until the next
#                       sequential stage starts
#   "name start end"    a check run in a parallel lane (tests/lanes.sh): its own wall time
# The sequential stages get a share of the total; the lane checks are listed under "lanes" with
# their own times (they overlap, so their sum is more than the lanes' wall time).
NR == 1 { start = $2; prev = $2; name = ""; next }
NF == 3 { lane[m++] = $1; lsecs[$1] = $3 - $2; next }
{
  if (name != "") {
    if (!(name in secs)) order[n++] = name
    secs[name] += $2 - prev
  }
  name = $1; prev = $2
}
END {
  total = prev - start
  for (i = 0; i < n; i++) {
    printf "  %-22s %7.1f s  %5.1f%%\n", order[i], secs[order[i]], (total > 0 ? 100 * secs[order[i]] / total : 0)
    if (order[i] == "lanes")
      for (j = 0; j < m; j++) printf "    %-20s %7.1f s\n", lane[j], lsecs[lane[j]]
  }
  printf "  %-22s %7.1f s  (%.1f min)\n", "total", total, total / 60
}
