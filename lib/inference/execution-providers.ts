/**
 * onnxruntime-node execution providers a pool may be asked to try. Which of them a given install
 * can load depends on the platform and on the provider libraries present (the npm package bundles
 * cpu and webgpu; cuda and tensorrt need their shared libraries and a GPU; dml is Windows only,
 * coreml macOS only). The pool tries them in the configured order and keeps the first that loads.
 */
export const executionProviders = ['cuda', 'tensorrt', 'dml', 'coreml', 'webgpu', 'cpu'] as const

export type ExecutionProvider = (typeof executionProviders)[number]

/** The default order: the CPU only, so nothing changes for a service that does not ask for a GPU. */
export const defaultExecutionProviders: readonly ExecutionProvider[] = ['cpu']

/** A provider that failed to load a model before the one that runs it. */
export type ProviderFallback = { provider: ExecutionProvider; message: string }
