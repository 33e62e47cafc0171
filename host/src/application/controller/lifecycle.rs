//! `overseer app start|stop|restart NAME`: one application, with those it
//! depends on started first, and those depending on it stopped first.

use super::Applications;
use super::error::ControllerError;

impl Applications {
    /// Start application `name`, after those it depends on that do not
    /// run (OTP's `ensure_all_started`). The applications started, in
    /// order.
    ///
    /// # Errors
    ///
    /// [`ControllerError::Unknown`], [`ControllerError::AlreadyRunning`],
    /// or [`ControllerError::Start`] (the dependencies started before it
    /// keep running).
    pub async fn start_app(&self, name: &str) -> Result<Vec<String>, ControllerError> {
        let mut slots = self.inner.slots.lock().await;
        let slot = slots.get(name).ok_or_else(|| self.unknown(name))?;
        if slot.running.is_some() {
            return Err(ControllerError::AlreadyRunning(name.to_string()));
        }
        let needed = self.closure(name, |app| {
            slots
                .get(app)
                .map(|s| s.manifest.depends_on.clone())
                .unwrap_or_default()
        });
        let mut started = Vec::new();
        for app in self.inner.order.iter().filter(|app| needed.contains(app)) {
            if slots.get(app).is_some_and(|s| s.running.is_none()) {
                self.start_one(&mut slots, app).await?;
                started.push(app.clone());
            }
        }
        Ok(started)
    }

    /// Stop application `name`, after those that depend on it (newest
    /// first). The applications stopped, in order. Asked to stop, an
    /// application never takes the host down, whatever its type (as in
    /// OTP).
    ///
    /// # Errors
    ///
    /// [`ControllerError::Unknown`] or [`ControllerError::NotRunning`].
    pub async fn stop_app(&self, name: &str) -> Result<Vec<String>, ControllerError> {
        let mut slots = self.inner.slots.lock().await;
        let slot = slots.get(name).ok_or_else(|| self.unknown(name))?;
        if slot.running.is_none() {
            return Err(ControllerError::NotRunning(name.to_string()));
        }
        let dependents = self.closure(name, |app| {
            slots
                .iter()
                .filter(|(_, s)| s.manifest.depends_on.iter().any(|d| d == app))
                .map(|(n, _)| n.clone())
                .collect()
        });
        let mut stopped = Vec::new();
        for app in self
            .inner
            .order
            .iter()
            .rev()
            .filter(|app| dependents.contains(app))
        {
            if self.stop_one(&mut slots, app).await {
                stopped.push(app.clone());
            }
        }
        Ok(stopped)
    }

    /// Stop application `name` (and those that depend on it), then start
    /// again every application stopped. The applications stopped, and
    /// those started.
    ///
    /// # Errors
    ///
    /// As for [`stop_app`](Self::stop_app) and
    /// [`start_app`](Self::start_app).
    pub async fn restart_app(
        &self,
        name: &str,
    ) -> Result<(Vec<String>, Vec<String>), ControllerError> {
        let stopped = self.stop_app(name).await?;
        let mut slots = self.inner.slots.lock().await;
        let mut started = Vec::new();
        for app in self.inner.order.iter().filter(|app| stopped.contains(app)) {
            self.start_one(&mut slots, app).await?;
            started.push(app.clone());
        }
        Ok((stopped, started))
    }

    /// `name` and every application reached from it by `next`.
    fn closure(&self, name: &str, next: impl Fn(&str) -> Vec<String>) -> Vec<String> {
        let mut seen = vec![name.to_string()];
        let mut i = 0;
        while i < seen.len() {
            for app in next(&seen[i]) {
                if !seen.contains(&app) {
                    seen.push(app);
                }
            }
            i += 1;
        }
        seen
    }
}
