//! The order applications start in: each after those it depends on,
//! otherwise in the order given; they stop in the reverse.

use super::error::ControllerError;
use crate::application::Manifest;

/// The indexes of `manifests` in start order.
///
/// # Errors
///
/// [`ControllerError::Duplicate`], [`ControllerError::MissingDependency`]
/// or [`ControllerError::Cycle`], naming the manifests at fault.
pub(super) fn start_order(manifests: &[Manifest]) -> Result<Vec<usize>, ControllerError> {
    let index_of = |name: &str| manifests.iter().position(|m| m.name == name);
    for (i, manifest) in manifests.iter().enumerate() {
        if let Some(first) = index_of(&manifest.name).filter(|first| *first != i) {
            return Err(ControllerError::Duplicate {
                name: manifest.name.clone(),
                first: manifests[first].path.display().to_string(),
                second: manifest.path.display().to_string(),
            });
        }
        for dep in &manifest.depends_on {
            if index_of(dep).is_none() {
                return Err(ControllerError::MissingDependency {
                    file: manifest.path.display().to_string(),
                    missing: dep.clone(),
                    given: manifests
                        .iter()
                        .map(|m| m.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                });
            }
        }
    }
    let mut order: Vec<usize> = Vec::with_capacity(manifests.len());
    while order.len() < manifests.len() {
        // The first one given whose dependencies have all started.
        let ready = (0..manifests.len()).find(|i| {
            !order.contains(i)
                && manifests[*i]
                    .depends_on
                    .iter()
                    .all(|dep| order.iter().any(|o| manifests[*o].name == *dep))
        });
        match ready {
            Some(i) => order.push(i),
            None => return Err(ControllerError::Cycle(cycle(manifests, &order))),
        }
    }
    Ok(order)
}

/// A circle among the applications not started: `a -> b -> a`.
fn cycle(manifests: &[Manifest], started: &[usize]) -> String {
    let waiting = |i: &usize| !started.contains(i);
    let Some(mut at) = (0..manifests.len()).find(waiting) else {
        return String::new();
    };
    let mut path = vec![at];
    loop {
        // Follow a dependency that has not started: there always is one.
        let next = manifests[at]
            .depends_on
            .iter()
            .filter_map(|dep| manifests.iter().position(|m| m.name == *dep))
            .find(waiting);
        let Some(next) = next else {
            break;
        };
        if let Some(from) = path.iter().position(|p| *p == next) {
            let mut names: Vec<&str> = path[from..]
                .iter()
                .map(|i| manifests[*i].name.as_str())
                .collect();
            names.push(&manifests[next].name);
            return names.join(" -> ");
        }
        path.push(next);
        at = next;
    }
    String::new()
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::application::parse_manifest;

    fn app(name: &str, depends_on: &[&str]) -> Manifest {
        let text = format!("[app]\nname = \"{name}\"\ndepends_on = {depends_on:?}\n[supervisor]\n");
        parse_manifest(Path::new(&format!("{name}.toml")), &text).unwrap_or_else(|e| panic!("{e}"))
    }

    fn names(apps: &[Manifest]) -> Result<Vec<&str>, String> {
        start_order(apps)
            .map(|order| order.iter().map(|i| apps[*i].name.as_str()).collect())
            .map_err(|e| e.to_string())
    }

    #[test]
    fn dependencies_first_otherwise_in_the_order_given() {
        let apps = [
            app("web", &["shop", "auth"]),
            app("auth", &[]),
            app("shop", &["db"]),
            app("db", &[]),
            app("cron", &[]),
        ];
        assert_eq!(names(&apps), Ok(vec!["auth", "db", "shop", "web", "cron"]));
    }

    #[test]
    fn a_circle_is_named_from_where_it_closes() {
        let apps = [
            app("free", &[]),
            app("front", &["a"]),
            app("a", &["b"]),
            app("b", &["a"]),
        ];
        assert_eq!(
            names(&apps),
            Err("the applications depend on each other in a circle: a -> b -> a".into())
        );
    }

    #[test]
    fn missing_and_duplicate_applications_are_refused() {
        let missing = [app("a", &["nope"])];
        assert_eq!(
            names(&missing),
            Err("a.toml: app.depends_on: no application 'nope' is given (given: a)".into())
        );
        let twice = [app("a", &[]), app("a", &[])];
        assert_eq!(
            names(&twice),
            Err("a.toml: application 'a' is already given by a.toml".into())
        );
    }
}
