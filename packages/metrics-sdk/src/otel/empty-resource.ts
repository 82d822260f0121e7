import type { ResourceMetrics } from '@opentelemetry/sdk-metrics';

type Resource = ResourceMetrics['resource'];

/**
 * A resource with no attributes, built from the interface alone so the bridge needs no import of
 * `@opentelemetry/resources` (a dependency of sdk-metrics, not a peer of this package). Readers put
 * their MeterProvider's resource in its place, so it is never exported as is; merging keeps the
 * other side, as the SDK's own empty resource does.
 *
 * @internal
 */
export const EMPTY_RESOURCE: Resource = Object.freeze({
  attributes: Object.freeze({}),
  merge(other: Resource | null): Resource {
    return other ?? EMPTY_RESOURCE;
  },
  getRawAttributes() {
    return [];
  },
});
