//! Per-resource serialization: a read-modify-write on one resource (an application's OIDC
//! configuration, its login flow) holds that resource's lock from the read to the verified
//! write, so concurrent calls, from any session of this process, never overwrite each other.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};

use tokio::sync::OwnedMutexGuard;

#[derive(Default)]
pub struct ResourceLocks {
    held: Mutex<HashMap<String, Weak<tokio::sync::Mutex<()>>>>,
}

impl ResourceLocks {
    /// Waits for `resource` (e.g. `application:<id>`) and holds it until the guard drops.
    pub async fn lock(&self, resource: String) -> OwnedMutexGuard<()> {
        let lock = {
            let mut held = self.held.lock().unwrap_or_else(|p| p.into_inner());
            held.retain(|_, weak| weak.strong_count() > 0);
            match held.get(&resource).and_then(Weak::upgrade) {
                Some(lock) => lock,
                None => {
                    let lock = Arc::new(tokio::sync::Mutex::new(()));
                    held.insert(resource, Arc::downgrade(&lock));
                    lock
                }
            }
        };
        lock.lock_owned().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn one_holder_per_resource_and_others_run_freely() {
        let locks = Arc::new(ResourceLocks::default());
        let first = locks.lock("application:a".into()).await;
        let waiting = {
            let locks = locks.clone();
            tokio::spawn(async move { locks.lock("application:a".into()).await })
        };
        let _other =
            tokio::time::timeout(Duration::from_secs(1), locks.lock("application:b".into()))
                .await
                .expect("another resource is free");
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(!waiting.is_finished());
        drop(first);
        tokio::time::timeout(Duration::from_secs(1), waiting)
            .await
            .expect("released")
            .expect("joined");
    }
}
