dynoshift cutover preflight --plan plan.yaml
outcome=0
dynoshift cutover run --plan plan.yaml --journal cutover.journal.json --json > events.jsonl || outcome=$?
case $outcome in
  0) echo promoted ;;
  6) echo "rolled back: see stderr"; exit 1 ;;
  75) echo "paused: dynoshift cutover resume --plan plan.yaml continues it"; exit 1 ;;
  *) echo "error: the run is journaled; resume or roll back"; exit 1 ;;
esac
