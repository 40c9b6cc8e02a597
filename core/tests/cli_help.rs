//! Every subcommand's `--help` carries an example: the subcommands are read from the CLI's own
//! help (so new ones are checked too), nested subcommands included, and each cutover action.

use std::process::Command;

fn help(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_dynoshift"))
        .args(args)
        .arg("--help")
        .output()
        .expect("the CLI runs");
    assert!(
        out.status.success(),
        "{args:?} --help failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The names listed under `Commands:` (without `help`).
fn subcommands(text: &str) -> Vec<String> {
    text.lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        .filter_map(|l| l.split_whitespace().next())
        .filter(|name| *name != "help")
        .map(str::to_owned)
        .collect()
}

#[test]
fn every_subcommand_help_has_an_example() {
    let top = subcommands(&help(&[]));
    for expected in ["cutover", "cost", "plan", "size", "report"] {
        assert!(top.iter().any(|c| c == expected), "{expected} in {top:?}");
    }
    let mut checked = 0;
    for cmd in &top {
        let text = help(&[cmd]);
        assert!(
            text.contains(&format!("Example: dynoshift {cmd}"))
                || text.contains(&format!("dynoshift {cmd} ")),
            "`dynoshift {cmd} --help` has no example:\n{text}"
        );
        assert!(
            text.contains("Example"),
            "`dynoshift {cmd} --help`:\n{text}"
        );
        checked += 1;
        for sub in subcommands(&text) {
            let text = help(&[cmd, &sub]);
            assert!(
                text.contains("Example:") && text.contains(&format!("dynoshift {cmd} {sub}")),
                "`dynoshift {cmd} {sub} --help` has no example:\n{text}"
            );
            checked += 1;
        }
    }
    assert!(
        checked >= top.len() + 4,
        "heroku and catalog subcommands were checked"
    );
}

#[test]
fn every_cutover_action_has_its_own_help_and_example() {
    let top = help(&["cutover"]);
    let actions = subcommands(&top);
    for expected in [
        "init",
        "preflight",
        "dry-run",
        "run",
        "resume",
        "rollback",
        "promote",
        "status",
        "approve",
        "pause",
        "unpause",
        "abort",
    ] {
        assert!(
            actions.iter().any(|a| a == expected),
            "{expected} in {actions:?}"
        );
    }
    for action in &actions {
        let text = help(&["cutover", action]);
        assert!(
            text.contains(&format!("Example: dynoshift cutover {action} ")),
            "no example for `cutover {action}`:\n{text}"
        );
        // not the parent's text again (as when the actions were one positional value)
        assert_ne!(
            text, top,
            "`cutover {action} --help` repeats `cutover --help`"
        );
        assert!(
            text.contains(&format!("Usage: dynoshift cutover {action}")),
            "{text}"
        );
    }
}
