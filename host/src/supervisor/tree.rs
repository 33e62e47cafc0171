//! The supervision tree as data, for `overseer tree`.

use serde::{Deserialize, Serialize};

use super::{ChildStatus, ChildType, NoSupervisor, SupervisorRef};
use crate::process::{Node, Pid};

/// One node of the supervision tree: a supervisor with its children, or a
/// worker. Serialises to the JSON of `overseer tree --json`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct TreeNode {
    /// The child id.
    pub id: String,
    /// `supervisor` or `worker`.
    #[serde(rename = "type")]
    pub node_type: ChildType,
    /// Its pid while it runs.
    pub pid: Option<Pid>,
    /// running, restarting, stopped or undefined.
    pub status: ChildStatus,
    /// How many times it has been restarted.
    pub restarts: u32,
    /// Workers: the plugin's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plugin: Option<String>,
    /// Workers: the plugin's vsn.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vsn: Option<String>,
    /// The registered name, or null.
    #[serde(default)]
    pub name: Option<String>,
    /// Supervisors: their children, in start order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub children: Vec<TreeNode>,
}

pub(super) async fn tree(sup: &SupervisorRef, node: &Node) -> Result<TreeNode, NoSupervisor> {
    Ok(TreeNode {
        id: sup.id.clone(),
        node_type: ChildType::Supervisor,
        pid: Some(sup.pid),
        status: ChildStatus::Running,
        restarts: 0,
        plugin: None,
        vsn: None,
        name: None,
        children: children(sup, node).await?,
    })
}

fn children<'a>(
    sup: &'a SupervisorRef,
    node: &'a Node,
) -> super::BoxFuture<'a, Result<Vec<TreeNode>, NoSupervisor>> {
    Box::pin(async move {
        let mut nodes = Vec::new();
        for child in sup.which_children().await? {
            let mut tree_node = TreeNode {
                id: child.id.clone(),
                node_type: child.child_type,
                pid: child.pid,
                status: child.status,
                restarts: child.restarts,
                plugin: None,
                vsn: None,
                name: None,
                children: Vec::new(),
            };
            match (
                &child.supervisor,
                child.pid.and_then(|p| node.process_info(p)),
            ) {
                (Some(nested), _) => {
                    // A nested supervisor may exit while we look: show it
                    // without children rather than fail the whole tree.
                    tree_node.children = children(nested, node).await.unwrap_or_default();
                }
                (None, Some(info)) => {
                    tree_node.plugin = Some(info.plugin);
                    tree_node.vsn = Some(info.vsn);
                    tree_node.name = info.name;
                }
                (None, None) => {}
            }
            nodes.push(tree_node);
        }
        Ok(nodes)
    })
}
