# the journal in S3: if this runner dies mid-cutover, any other runner resumes the run
JOURNAL=s3://my-deploy-state/shop/cutover.journal.json
dynoshift cutover preflight --plan plan.yaml
outcome=0
dynoshift cutover run --plan plan.yaml --journal "$JOURNAL" --json > events.jsonl || outcome=$?
case $outcome in
  0) echo promoted ;;
  6) echo "rolled back: see stderr"; exit 1 ;;
  75) echo "paused: dynoshift cutover resume --plan plan.yaml --journal $JOURNAL continues it"; exit 1 ;;
  *) echo "error: the run is journaled in $JOURNAL; resume or roll back from any runner"; exit 1 ;;
esac
