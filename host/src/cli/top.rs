//! `overseer top [--by cpu|memory|mailbox|messages] [--limit N] [--once]`:
//! the busiest processes, refreshed every second in the terminal, for
//! hosts without a browser. With `--once`, or when stdout is not a
//! terminal, one table is printed.

use std::io::IsTerminal;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};
use std::time::Duration;

use clap::{Args, ValueEnum};
use overseer::control::Client;
use overseer::control::api::{TopQuery, TopReply, TopSort};
use ratatui::crossterm::event::{self, Event, KeyCode, KeyEventKind};
use ratatui::layout::{Constraint, Layout};
use ratatui::style::{Modifier, Style};
use ratatui::text::Line;
use ratatui::widgets::{Row, Table};
use tokio::sync::watch;

use super::{ControlArg, explain};

/// Arguments of `overseer top`.
#[derive(Debug, Args)]
pub struct TopArgs {
    /// What to rank by.
    #[arg(long, value_enum, default_value_t = By::Cpu)]
    by: By,
    /// How many processes to show.
    #[arg(long, default_value_t = 20)]
    limit: usize,
    /// Print one table (measured over one second) and exit.
    #[arg(long)]
    once: bool,
    #[command(flatten)]
    control: ControlArg,
}

/// The rankings of `--by`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum By {
    /// Compute time in callbacks over the last second.
    Cpu,
    /// Linear memory.
    Memory,
    /// Messages waiting in the mailbox.
    Mailbox,
    /// Messages handled per second.
    Messages,
}

const SORTS: [TopSort; 4] = [
    TopSort::Cpu,
    TopSort::Memory,
    TopSort::Mailbox,
    TopSort::Messages,
];

impl By {
    fn sort(self) -> TopSort {
        SORTS[self as usize]
    }
}

/// Show the busiest processes until `q` (or once).
pub async fn execute(args: TopArgs) -> anyhow::Result<()> {
    let client = args.control.client()?;
    let query = |by: TopSort| TopQuery {
        by,
        limit: args.limit,
        window_ms: 1000,
    };
    if args.once || !std::io::stdout().is_terminal() {
        let reply = client.top(&query(args.by.sort())).await.map_err(explain)?;
        print!("{}", plain(&reply));
        return Ok(());
    }
    // The first reply before the screen is taken, so that a host that is
    // not there is one line on a normal terminal.
    let first = client.top(&query(args.by.sort())).await.map_err(explain)?;
    let sort = Arc::new(AtomicU8::new(args.by as u8));
    let (replies, mut latest) = watch::channel(Ok::<_, String>(first));
    let fetching = {
        let sort = sort.clone();
        let client: Client = client.clone();
        let limit = args.limit;
        tokio::spawn(async move {
            loop {
                let by = SORTS[usize::from(sort.load(Ordering::Relaxed)) % SORTS.len()];
                let query = TopQuery {
                    by,
                    limit,
                    window_ms: 1000,
                };
                let reply = client.top(&query).await.map_err(|e| e.to_string());
                if replies.send(reply).is_err() {
                    return;
                }
            }
        })
    };
    let mut terminal = ratatui::init();
    let shown = loop {
        let reply = latest.borrow_and_update().clone();
        let drawn = terminal.draw(|frame| {
            let [head, body, foot] = Layout::vertical([
                Constraint::Length(1),
                Constraint::Min(1),
                Constraint::Length(1),
            ])
            .areas(frame.area());
            match &reply {
                Ok(reply) => {
                    frame.render_widget(Line::from(title(reply)), head);
                    frame.render_widget(table(reply), body);
                    frame.render_widget(Line::from(crashes(reply)), foot);
                }
                Err(err) => frame.render_widget(Line::from(format!("overseer top: {err}")), head),
            }
        });
        if let Err(err) = drawn {
            break Err(err.into());
        }
        match event::poll(Duration::from_millis(100)) {
            Ok(true) => {}
            Ok(false) => continue,
            Err(err) => break Err(err.into()),
        }
        let Ok(Event::Key(key)) = event::read() else {
            continue;
        };
        if key.kind != KeyEventKind::Press {
            continue;
        }
        let by = match key.code {
            KeyCode::Char('q') | KeyCode::Esc => break Ok(()),
            KeyCode::Char('c') => By::Cpu,
            KeyCode::Char('m') => By::Memory,
            KeyCode::Char('b') => By::Mailbox,
            KeyCode::Char('s') => By::Messages,
            _ => continue,
        };
        sort.store(by as u8, Ordering::Relaxed);
    };
    ratatui::restore();
    fetching.abort();
    shown
}

fn title(reply: &TopReply) -> String {
    format!(
        "overseer top — {} processes, by {:?} over {} ms — c cpu, m memory, b mailbox, s msg/s, q quit",
        reply.total, reply.by, reply.window_ms
    )
}

fn crashes(reply: &TopReply) -> String {
    if reply.recent_crashes.is_empty() {
        return "no crash among the last 100 reports".into();
    }
    let counts: Vec<String> = reply
        .recent_crashes
        .iter()
        .map(|c| format!("{} {}", c.plugin, c.count))
        .collect();
    format!("crashes among the last 100 reports: {}", counts.join(", "))
}

const HEADER: [&str; 8] = [
    "PID", "ID", "PLUGIN", "CPU%", "MEMORY", "MAILBOX", "MSG/S", "RESTARTS",
];

fn cells(reply: &TopReply) -> Vec<[String; 8]> {
    reply
        .processes
        .iter()
        .map(|p| {
            [
                p.pid.to_string(),
                p.id.clone(),
                format!("{}@{}", p.plugin, p.vsn),
                format!("{:.1}", p.cpu_percent),
                format!("{} KiB", p.memory_bytes / 1024),
                p.mailbox.to_string(),
                format!("{:.0}", p.messages_per_s),
                p.restarts.map_or("-".into(), |r| r.to_string()),
            ]
        })
        .collect()
}

fn table(reply: &TopReply) -> Table<'static> {
    let rows: Vec<Row> = cells(reply).into_iter().map(Row::new).collect();
    Table::new(
        rows,
        [
            Constraint::Length(8),
            Constraint::Min(12),
            Constraint::Min(16),
            Constraint::Length(6),
            Constraint::Length(12),
            Constraint::Length(8),
            Constraint::Length(8),
            Constraint::Length(8),
        ],
    )
    .header(Row::new(HEADER).style(Style::default().add_modifier(Modifier::BOLD)))
}

/// The table as aligned text.
fn plain(reply: &TopReply) -> String {
    let mut rows = vec![HEADER.map(str::to_string)];
    rows.extend(cells(reply));
    let widths: Vec<usize> = (0..HEADER.len())
        .map(|i| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0))
        .collect();
    let mut out = format!("{}\n", title(reply).split(" — c cpu").next().unwrap_or(""));
    for row in &rows {
        let line: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(cell, width)| format!("{cell:<width$}"))
            .collect();
        out.push_str(line.join("  ").trim_end());
        out.push('\n');
    }
    out.push_str(&crashes(reply));
    out.push('\n');
    out
}
