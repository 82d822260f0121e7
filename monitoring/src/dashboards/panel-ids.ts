// Panel ids derived from each panel's key, not from its position: inserting, moving or removing a
// panel leaves every other panel's id (and every saved `viewPanel=` link) as it was.

/** Largest id handed out: ids stay positive 31-bit integers, safe in every Grafana version. */
const ID_MASK = 0x7fff_ffff;

/**
 * The id of the panel with this key: FNV-1a of the key's UTF-16 code units, masked to 31 bits (0 is
 * not used, Grafana treats it as "no id").
 *
 * @param key - the panel's stable key, e.g. a metric name or `row:trading`
 * @returns a positive integer that depends on the key alone
 */
export function panelId(key: string): number {
  let hash = 0x811c_9dc5;
  for (let i = 0; i < key.length; i++) {
    hash ^= key.charCodeAt(i);
    hash = Math.imul(hash, 0x0100_0193);
  }
  return hash & ID_MASK || 1;
}

/** Two panels that would share an id. */
export class PanelKeyError extends Error {
  override readonly name = 'PanelKeyError';
}

/**
 * Ids for a dashboard's panel keys, checked: a key used twice, or two keys whose ids collide, is an
 * error naming both, so the author picks another key instead of Grafana silently merging panels.
 *
 * @param keys - every row and panel key of the dashboard
 * @returns key → id
 * @throws {@link PanelKeyError} on a repeated key or an id collision
 */
export function assignPanelIds(keys: readonly string[]): ReadonlyMap<string, number> {
  const ids = new Map<string, number>();
  const owners = new Map<number, string>();
  for (const key of keys) {
    if (ids.has(key)) throw new PanelKeyError(`panel key "${key}" is used twice; give each panel its own key`);
    const id = panelId(key);
    const owner = owners.get(id);
    if (owner !== undefined) {
      throw new PanelKeyError(`panel keys "${owner}" and "${key}" both map to id ${id}; change one of the keys`);
    }
    ids.set(key, id);
    owners.set(id, key);
  }
  return ids;
}
