//! How a query finds the object store behind a file URL: the store of the storage plugin whose
//! connection it is (`s3://bucket`), else DataFusion's default registry (local files).

use std::sync::Arc;

use auger_catalog::PluginRegistry;
use datafusion::error::Result;
use datafusion::execution::object_store::{DefaultObjectStoreRegistry, ObjectStoreRegistry};
use object_store::ObjectStore;
use url::Url;

#[derive(Debug)]
pub struct PluginObjectStores {
    registry: Arc<PluginRegistry>,
    default: DefaultObjectStoreRegistry,
}

impl PluginObjectStores {
    pub fn new(registry: Arc<PluginRegistry>) -> Self {
        Self {
            registry,
            default: DefaultObjectStoreRegistry::new(),
        }
    }
}

impl ObjectStoreRegistry for PluginObjectStores {
    fn register_store(
        &self,
        url: &Url,
        store: Arc<dyn ObjectStore>,
    ) -> Option<Arc<dyn ObjectStore>> {
        self.default.register_store(url, store)
    }

    fn get_store(&self, url: &Url) -> Result<Arc<dyn ObjectStore>> {
        for plugin in self.registry.plugins() {
            if let Some((store_url, store)) = plugin.object_store() {
                let own: &Url = store_url.as_ref();
                if own.scheme() == url.scheme() && own.host_str() == url.host_str() {
                    return Ok(store);
                }
            }
        }
        self.default.get_store(url)
    }
}
