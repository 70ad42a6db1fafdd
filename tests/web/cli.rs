//! The reference app's command line as an operator meets it: the generated help,
//! the messages and exit codes of command lines that cannot be used, and the shell
//! completion scripts. (Running the commands is tested with what they do, in
//! `app_actions.rs`, `audit_chain.rs` and `idempotency.rs`.)

use std::process::Command as Process;

use ops_console::cli::{self, Command};
use ops_console::roles;

/// Every command `ops-console --help` must offer.
const COMMANDS: &[&str] = &[
    "serve",
    "createuser",
    "audit",
    "action",
    "job",
    "worker",
    "check",
    "token",
    "config",
    "backup",
    "restore",
    "completions",
];

/// What `ops-console ARGS` prints for help, checking that it is help: standard
/// output and exit code 0.
fn help(args: &[&str]) -> String {
    let e = cli::parse(args.iter().copied()).expect_err("help is printed, nothing runs");
    assert_eq!(e.exit_code(), 0, "{args:?}: {e}");
    assert!(!e.use_stderr(), "{args:?}: help goes to standard output");
    e.to_string()
}

/// What `ops-console ARGS` prints for a command line that cannot be used, checking
/// that it goes to standard error with exit code 2.
fn refused(args: &[&str]) -> String {
    let e = cli::parse(args.iter().copied()).expect_err("the command line is refused");
    assert_eq!(e.exit_code(), 2, "{args:?}: {e}");
    assert!(e.use_stderr(), "{args:?}: errors go to standard error");
    e.to_string()
}

/// The lines of a help text that list commands: two spaces, the name, its summary.
fn listed_commands(help: &str) -> Vec<&str> {
    let list = help.split("Commands:\n").nth(1).unwrap_or_default();
    list.lines().take_while(|l| l.starts_with("  ")).filter_map(|l| l.split_whitespace().next()).collect()
}

#[test]
fn the_help_lists_every_command_with_a_summary_and_where_the_database_comes_from() {
    for args in [&["--help"][..], &["-h"], &["help"]] {
        let text = help(args);
        assert!(text.contains("Usage: ops-console [OPTIONS] [COMMAND]"), "{text}");
        assert_eq!(listed_commands(&text), [COMMANDS, &["help"]].concat(), "{text}");
        for line in text.lines().filter(|l| COMMANDS.iter().any(|c| l.starts_with(&format!("  {c} ")))) {
            assert!(line.split_whitespace().count() > 2, "a summary for each command: {line}");
        }
    }
    let long = help(&["--help"]);
    assert!(long.contains("Without a command, start the demo on ops-console.db"), "{long}");
    assert!(long.contains("DATABASE_URL") && long.contains("RUST_LOG"), "{long}");
    // The settings every command takes, and where settings come from.
    for wanted in [
        "--config <FILE>",
        "--log <FILTER>",
        "--log-format <FORMAT>",
        "OPSADMIN_CONFIG",
        "`ops-console config`",
    ] {
        assert!(long.contains(wanted), "{wanted}: {long}");
    }
    assert!(help(&["--version"]).starts_with("ops-console "));
}

#[test]
fn each_commands_help_names_its_options_and_arguments() {
    let options: &[(&[&str], &[&str])] = &[
        (
            &["serve"],
            &[
                "--addr <IP:PORT>",
                "[default: 127.0.0.1:8000]",
                "--public-url <URL>",
                "--trusted-origin <URL>",
                "--trusted-proxy <IP[/BITS]>",
                "--secure-cookies",
                "--metrics-addr <IP:PORT>",
                "--shutdown-timeout <SECONDS>",
                "--no-worker",
                "[env: OPSADMIN_ADDR]",
                "--config <FILE>",
            ],
        ),
        (&["config"], &["--addr <IP:PORT>", "--no-worker", "secrets masked", "--log-format <FORMAT>"]),
        (&["createuser"], &["<NAME>", "--role <ROLE>", "--superuser", "ADMIN_PASSWORD"]),
        (&["audit", "verify"], &["--checkpoint <FILE>", "Exit code 0 when intact"]),
        (&["audit", "checkpoint"], &["audit verify --checkpoint"]),
        (
            &["action"],
            &[
                "<MODEL>",
                "<ACTION>",
                "--ids <IDS>",
                "--as <USER>",
                "--reason <TEXT>",
                "--input <NAME=VALUE>",
                "--idempotency-key <KEY>",
            ],
        ),
        (&["worker"], &["--once", "--shutdown-timeout <SECONDS>", "--log <FILTER>"]),
        (&["check"], &["CREATE INDEX"]),
        (&["token", "create"], &["<USER>", "--name <TEXT>"]),
        (&["token", "list"], &["[USER]"]),
        (&["token", "revoke"], &["<ID>"]),
        (&["backup"], &["<PATH>", "--force", "VACUUM INTO", "pg_dump"]),
        (&["restore"], &["<PATH>", "integrity_check", "before-restore", "/proc", "pg_restore"]),
        (&["completions"], &["<SHELL>", "bash", "zsh", "fish"]),
    ];
    for (command, expected) in options {
        let text = help(&[*command, &["--help"][..]].concat());
        let usage = format!("Usage: ops-console {}", command.join(" "));
        assert!(text.contains(&usage), "{command:?}: {text}");
        for wanted in *expected {
            assert!(text.contains(wanted), "{command:?} --help names {wanted}: {text}");
        }
        if *command != ["completions"] {
            assert!(text.contains("--database-url <URL>"), "{command:?}: {text}");
        }
        // `help COMMAND` says the same.
        assert_eq!(help(&[&["help"][..], command].concat()), text, "{command:?}");
    }
    // The groups list their commands.
    assert_eq!(listed_commands(&help(&["audit", "--help"])), ["verify", "checkpoint", "help"]);
    assert_eq!(listed_commands(&help(&["token", "--help"])), ["create", "list", "revoke", "help"]);
}

#[test]
fn the_help_names_every_role_and_every_action_there_is() {
    let createuser = help(&["createuser", "--help"]);
    assert!(createuser.contains(&format!("[possible values: {}]", roles::ROLES.join(", "))), "{createuser}");
    // The action list in `action --help` is written by hand: it must not go stale.
    let action = help(&["action", "--help"]);
    let registry = ops_console::registry();
    for meta in registry.metas() {
        let slug = meta.slug;
        let actions = registry.actions_for(slug);
        if actions.is_empty() {
            continue;
        }
        assert!(action.contains(&format!("{slug} ")), "{slug}: {action}");
        for a in actions.iter() {
            assert!(action.contains(a.name()), "{slug}.{}: {action}", a.name());
        }
    }
}

#[test]
fn command_lines_that_cannot_be_used_exit_2_with_a_message_and_the_usage() {
    for (args, says) in [
        (&["serve", "--port", "80"][..], "error: unexpected argument '--port' found"),
        (&["--addr", "1.2.3.4:5"], "error: unexpected argument '--addr' found"),
        (&["launch"], "error: unrecognized subcommand 'launch'"),
        (&["servr"], "tip: some similar subcommands exist: 'restore', 'serve'"),
        (&["serve", "--adr", "1.2.3.4:5"], "tip: a similar argument exists: '--addr'"),
        (&["serve", "--addr", "localhost"], "invalid value 'localhost' for '--addr <IP:PORT>'"),
        (&["createuser", "bob"], "<--role <ROLE>|--superuser>"),
        (
            &["createuser", "bob", "--role", "root"],
            "[possible values: admin, support, finance, viewer, trials]",
        ),
        (&["action", "account", "lock_account", "--as", "dana"], "--ids <IDS>"),
        (&["action", "account", "lock_account", "--ids", ",", "--as", "dana"], "--ids needs at least one id"),
        (&["worker", "--once=yes"], "unexpected value 'yes' for '--once'"),
        (&["token", "revoke", "seven"], "not a token id"),
        (&["completions", "tcsh"], "[possible values: bash, elvish, fish, powershell, zsh]"),
    ] {
        let text = refused(args);
        assert!(text.contains(says), "{args:?}: {text}");
        assert!(text.contains("For more information, try '--help'."), "{args:?}: {text}");
    }
    assert!(refused(&["serve", "--port", "80"]).contains("Usage: ops-console serve [OPTIONS]"));
    // A group without its command shows its commands, and still exits 2.
    for group in ["audit", "token"] {
        let text = refused(&[group]);
        assert!(text.contains(&format!("Usage: ops-console {group}")), "{text}");
    }
}

#[test]
fn odd_command_lines_are_refused_or_parsed_never_a_panic() {
    let long = "x".repeat(100_000);
    let lines: Vec<Vec<&str>> = vec![
        vec!["--"],
        vec!["-"],
        vec![""],
        vec!["\u{0}"],
        vec!["serve", "--addr="],
        vec!["serve", "--addr", ""],
        vec!["action", "", "", "--ids", "", "--as", ""],
        vec!["action", "a", "b", "--ids", "1", "--as", "x", "--input", "="],
        vec!["token", "revoke", "99999999999999999999999"],
        vec!["token", "revoke", "-1"],
        vec!["createuser", &long, "--role", &long],
        vec!["audit", "verify", "--checkpoint", ""],
        vec!["help", "help", "help"],
    ];
    for line in &lines {
        match cli::parse(line.iter().copied()) {
            Ok(_) => {}
            Err(e) => assert!(matches!(e.exit_code(), 0 | 2), "{line:?}: {e}"),
        }
    }
    assert!(refused(&["serve", "--addr="]).contains("--addr"));
    // Bytes that are not UTF-8 are named, not mangled.
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStringExt;
        let bad = std::ffi::OsString::from_vec(vec![b'x', 0xff]);
        let e = cli::parse([std::ffi::OsString::from("createuser"), bad, "--superuser".into()]).unwrap_err();
        assert_eq!(e.exit_code(), 2, "{e}");
        assert!(e.to_string().contains("invalid UTF-8"), "{e}");
    }
}

#[test]
fn completion_scripts_name_every_command() {
    assert_eq!(
        cli::parse(["completions", "bash"]).unwrap(),
        Command::Completions { shell: clap_shell("bash") }
    );
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let script = String::from_utf8(cli::completions(clap_shell(shell))).unwrap();
        for c in COMMANDS.iter().chain(["verify", "checkpoint", "create", "list", "revoke"].iter()) {
            assert!(script.contains(c), "{shell} completes {c}");
        }
        assert!(script.contains("idempotency-key") && script.contains("trusted-origin"), "{shell}");
    }
}

fn clap_shell(name: &str) -> ops_console::cli::Shell {
    name.parse().unwrap()
}

/// What bash offers after `words` (the last one being completed), with the script
/// `ops-console completions bash` printed.
fn bash_completes(script: &std::path::Path, words: &[&str]) -> Vec<String> {
    let quoted: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
    let program = format!(
        "source '{}'\nCOMP_WORDS=({})\nCOMP_CWORD={}\n_ops__console ops-console \"${{COMP_WORDS[COMP_CWORD]}}\" \"${{COMP_WORDS[COMP_CWORD-1]}}\"\nprintf '%s\\n' \"${{COMPREPLY[@]}}\"",
        script.display(),
        quoted.join(" "),
        words.len() - 1,
    );
    let out = Process::new("bash").arg("-c").arg(&program).output().expect("bash runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).lines().filter(|l| !l.is_empty()).map(str::to_owned).collect()
}

#[test]
fn the_bash_script_completes_commands_options_and_values() {
    let script = std::env::temp_dir().join(format!("ops-console-completion-{}.bash", std::process::id()));
    std::fs::write(&script, cli::completions(clap_shell("bash"))).unwrap();
    let completes = |words: &[&str]| bash_completes(&script, words);
    assert_eq!(completes(&["ops-console", "cre"]), ["createuser"]);
    assert_eq!(completes(&["ops-console", "audit", "v"]), ["verify"]);
    assert_eq!(completes(&["ops-console", "createuser", "bob", "--role", ""]), roles::ROLES);
    assert_eq!(completes(&["ops-console", "serve", "--p"]), ["--public-url"]);
    assert_eq!(completes(&["ops-console", "token", "create", "sue", "--n"]), ["--name"]);
    assert_eq!(completes(&["ops-console", "completions", "f"]), ["fish"]);
    std::fs::remove_file(&script).ok();
}
