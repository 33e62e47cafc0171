//! The supervision tree as data, for `overseer tree`.

use serde::{Deserialize, Serialize};

use super::child::BoxFuture;
use super::error::NoSupervisor;
use super::handle::SupervisorRef;
use super::info::{ChildStatus, Page};
use super::spec::ChildType;
use super::supervision::Supervision;
use crate::process::{Pid, Target};

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
    /// Supervisors: how many of their children are not listed, past the
    /// tree's depth or its limit of children per supervisor.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub omitted: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// How much of the tree to describe: at 250,000 processes the whole of it
/// is tens of MB; a bounded view answers in bounded time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TreeLimits {
    /// Supervisors this deep (the root's children are at depth 1) are shown
    /// without their children. None: no limit.
    pub depth: Option<usize>,
    /// The most children listed under one supervisor (the first ones, in
    /// `which_children`'s order); the rest are counted in `omitted`.
    pub children: usize,
}

impl TreeLimits {
    /// The whole tree.
    pub const ALL: TreeLimits = TreeLimits {
        depth: None,
        children: usize::MAX,
    };
}

impl Supervision {
    /// The supervision tree under `sup`: every child, nested supervisors
    /// (and pools) with theirs, workers with their plugin, vsn and name.
    ///
    /// # Errors
    ///
    /// [`NoSupervisor`] if `sup` has exited.
    pub async fn tree(&self, sup: &SupervisorRef) -> Result<TreeNode, NoSupervisor> {
        self.tree_within(sup, TreeLimits::ALL).await
    }

    /// [`tree`](Self::tree), at most `limits` of it.
    ///
    /// # Errors
    ///
    /// [`NoSupervisor`] if `sup` has exited.
    pub async fn tree_within(
        &self,
        sup: &SupervisorRef,
        limits: TreeLimits,
    ) -> Result<TreeNode, NoSupervisor> {
        let (children, omitted) = self.children(sup, limits, 1).await?;
        Ok(TreeNode {
            id: sup.id().to_string(),
            node_type: ChildType::Supervisor,
            pid: Some(sup.pid()),
            status: ChildStatus::Running,
            restarts: 0,
            plugin: None,
            vsn: None,
            name: None,
            children,
            omitted,
        })
    }

    /// The children of `sup`, at `depth`, within `limits`, and how many
    /// were left out.
    fn children<'a>(
        &'a self,
        sup: &'a SupervisorRef,
        limits: TreeLimits,
        depth: usize,
    ) -> BoxFuture<'a, Result<(Vec<TreeNode>, usize), NoSupervisor>> {
        Box::pin(async move {
            let limit = match limits.depth {
                Some(max) if depth > max => 0,
                _ => limits.children,
            };
            let page = sup.which_children_page(Page { offset: 0, limit }).await?;
            let omitted = page.total - page.children.len();
            let mut nodes = Vec::new();
            for child in page.children {
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
                    omitted: 0,
                };
                let nested = child
                    .pid
                    .filter(|_| child.child_type == ChildType::Supervisor)
                    .and_then(|pid| self.supervisor(&Target::Pid(pid)));
                match (nested, child.pid.and_then(|p| self.processes().info(p))) {
                    (Some(nested), _) => {
                        // A nested supervisor may exit while we look: show
                        // it without children rather than fail the tree.
                        (tree_node.children, tree_node.omitted) = self
                            .children(&nested, limits, depth + 1)
                            .await
                            .unwrap_or_default();
                    }
                    (None, Some(info)) if !info.supervisor => {
                        tree_node.plugin = Some(info.plugin);
                        tree_node.vsn = Some(info.vsn);
                        tree_node.name = info.name;
                    }
                    _ => {}
                }
                nodes.push(tree_node);
            }
            Ok((nodes, omitted))
        })
    }
}
