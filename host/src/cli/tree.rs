//! `overseer tree [--app NAME] [--json] [--depth D] [--limit N | --all]`:
//! the supervision tree of the running host, bounded by default.

use clap::Args;
use overseer::control::api::{TreeQuery, TreeView};

use super::{ControlArg, explain};

/// Arguments of `overseer tree`.
#[derive(Debug, Args)]
pub struct TreeArgs {
    /// Only this application's tree. By default the only application's,
    /// or with several, each application's root under one `overseer`
    /// node.
    #[arg(long, value_name = "NAME")]
    app: Option<String>,
    /// Print the tree as JSON (one object per node, nested under
    /// `children`) instead of the indented view.
    #[arg(long)]
    json: bool,
    /// Show supervisors this deep (the root's children are at depth 1)
    /// without their children.
    #[arg(long, value_name = "D")]
    depth: Option<usize>,
    /// List at most N children under each supervisor (default 1000); the
    /// rest are counted, as `omitted` in the JSON.
    #[arg(long, value_name = "N", conflicts_with = "all")]
    limit: Option<usize>,
    /// List every child, however many (at 250,000 processes, tens of MB).
    #[arg(long)]
    all: bool,
    #[command(flatten)]
    control: ControlArg,
}

/// Print the tree: the host's JSON as one line, or one aligned line per
/// node, children indented under their supervisor.
pub async fn execute(args: TreeArgs) -> anyhow::Result<()> {
    let client = args.control.client()?;
    let query = TreeQuery {
        app: args.app,
        depth: args.depth,
        limit: if args.all {
            Some(usize::MAX)
        } else {
            args.limit
        },
    };
    let tree = client.tree(query).await.map_err(explain)?;
    if args.json {
        println!("{tree}");
        return Ok(());
    }
    let tree: TreeView = serde_json::from_value(tree)
        .map_err(|e| anyhow::anyhow!("unexpected tree from the host: {e}"))?;
    let mut rows = Vec::new();
    collect_rows(&tree, 0, &mut rows);
    print!("{}", render(&rows));
    Ok(())
}

/// One node's cells: id (indented), type, pid, status, restarts,
/// plugin@vsn, name.
type Row = [String; 7];

fn collect_rows(node: &TreeView, depth: usize, rows: &mut Vec<Row>) {
    let pid = node
        .pid
        .map_or_else(|| "-".to_string(), |pid| pid.to_string());
    let plugin = match (&node.plugin, &node.vsn) {
        (Some(plugin), Some(vsn)) => format!("{plugin}@{vsn}"),
        (Some(plugin), None) => plugin.clone(),
        _ => String::new(),
    };
    let name = match (&node.name, node.node_type.as_str()) {
        (Some(name), _) => format!("name={name}"),
        (None, "worker") => "name=-".to_string(),
        (None, _) => String::new(),
    };
    rows.push([
        format!("{}{}", "  ".repeat(depth), node.id),
        node.node_type.clone(),
        format!("pid={pid}"),
        node.status.clone(),
        format!("restarts={}", node.restarts),
        plugin,
        name,
    ]);
    for child in &node.children {
        collect_rows(child, depth + 1, rows);
    }
    if node.omitted > 0 {
        let more = match node.omitted {
            1 => "1 more child".to_string(),
            n => format!("{n} more children"),
        };
        rows.push([
            format!(
                "{}… {more} (--limit, --depth, --all)",
                "  ".repeat(depth + 1)
            ),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
        ]);
    }
}

/// The rows with every column padded to its widest cell.
fn render(rows: &[Row]) -> String {
    let mut widths = [0; 7];
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for row in rows {
        let mut line = String::new();
        for (cell, width) in row.iter().zip(widths) {
            line.push_str(&format!("{cell:<width$}  "));
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_one_aligned_line_per_node() {
        let tree: TreeView = serde_json::from_str(
            r#"{"id":"root","type":"supervisor","pid":1,"status":"running","restarts":0,
                "children":[{"id":"counter","type":"worker","pid":2,"status":"running",
                "restarts":1,"plugin":"counter","vsn":"1.0.0","name":"counter"},
                {"id":"other","type":"worker","pid":null,"status":"undefined",
                "restarts":0,"plugin":null,"vsn":null,"name":null}]}"#,
        )
        .unwrap();
        let mut rows = Vec::new();
        collect_rows(&tree, 0, &mut rows);
        assert_eq!(
            render(&rows),
            "root       supervisor  pid=1  running    restarts=0\n\
             \x20 counter  worker      pid=2  running    restarts=1  counter@1.0.0  name=counter\n\
             \x20 other    worker      pid=-  undefined  restarts=0                 name=-\n"
        );
    }
}
