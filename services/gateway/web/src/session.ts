/**
 * The API key lives in sessionStorage: it survives a reload of the tab but not the closing of the
 * browser, and other tabs do not see it.
 */
const storageKey = 'tokenline.apiKey'

export function savedKey(): string | undefined {
  return sessionStorage.getItem(storageKey) ?? undefined
}

export function saveKey(key: string): void {
  sessionStorage.setItem(storageKey, key)
}

export function forgetKey(): void {
  sessionStorage.removeItem(storageKey)
}

/** The gateway's /graphql next to this page (relative, so a gateway under a path prefix works too). */
export function graphqlEndpoint(): URL {
  return new URL('graphql', window.location.href)
}
