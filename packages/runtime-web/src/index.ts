export {
  DEFAULT_LOADERS,
  WEB_BACKENDS,
  WEB_BACKEND_PACKAGES,
  describeBackend,
  initBackend,
  resetBackendCache,
  webBackendCandidates,
  type BackendModuleLoader,
  type WasmPaths,
  type WebBackendName,
  type WebInitBackendOptions,
} from './backend';
export {
  BackendAbsentError,
  BackendUnavailableError,
  isBackendUnavailableError,
  type BackendAttempt,
  type BackendLogger,
  type BackendSelection,
} from '@emoje/core';
