# Reads `make test`'s stage log ("name start-seconds" per line, first "begin", last "end") and
# prints each stage's wall time (until the next stage starts) and share, then the total.
NR == 1 { start = $2; prev = $2; name = ""; next }
{
  if (name != "") {
    if (!(name in secs)) order[n++] = name
    secs[name] += $2 - prev
  }
  name = $1; prev = $2
}
END {
  total = prev - start
  for (i = 0; i < n; i++)
    printf "  %-22s %7.1f s  %5.1f%%\n", order[i], secs[order[i]], (total > 0 ? 100 * secs[order[i]] / total : 0)
  printf "  %-22s %7.1f s  (%.1f min)\n", "total", total, total / 60
}
